"""services/base/errors.py: error classes derived from the botocore models match the hand-written ones."""

from __future__ import annotations

import importlib

import pytest

from strongroom.core.errors import AwsError
from strongroom.services.base.errors import ModelErrors

# service -> modules of strongroom.services.<package> that define its error classes today
DEFINED = {
    "kms": ("kms", ("errors", "custom_key_stores")),
    "acm": ("acm", ("errors",)),
    "acm-pca": ("acm_pca", ("errors",)),
    "cloudtrail": ("cloudtrail", ("errors",)),
    "events": ("events", ("errors",)),
    "secretsmanager": ("secretsmanager", ("errors",)),
    "ssm": ("ssm", ("errors",)),
    "lambda": ("lambda_", ("errors", "permissions")),
    "iam": ("iam", ("errors",)),
}
# what AWS answers that the models do not list, and where AWS's status differs from the model's
EXTRA = {
    "kms": ("AccessDeniedException", "NotAuthorizedException", "ValidationException"),
    "secretsmanager": ("AccessDeniedException", "ValidationException"),
    "events": ("ValidationException",),
    "lambda": ("ValidationException",),
    "iam": ("ValidationError",),
}
STATUS = {"kms": {"DependencyTimeoutException": 503}}


def _hand_written(service: str) -> dict[str, type[AwsError]]:
    package, modules = DEFINED[service]
    found: dict[str, type[AwsError]] = {}
    for name in modules:
        module = importlib.import_module(f"strongroom.services.{package}.{name}")
        for attr, value in vars(module).items():
            if (
                isinstance(value, type)
                and issubclass(value, AwsError)
                and value.__module__ in (module.__name__, "strongroom.core.errors")
                and value.code not in ("InternalFailure",)
                and attr != "AwsError"
            ):
                found[attr] = value
    return found


@pytest.mark.parametrize("service", sorted(DEFINED))
def test_model_errors_match_the_hand_written_classes(service: str) -> None:
    errors = ModelErrors(service, extra=EXTRA.get(service, ()), status=STATUS.get(service, {}))
    classes = _hand_written(service)
    assert classes
    for name, cls in classes.items():
        try:
            derived = errors(name)
        except AttributeError:
            derived = errors(cls.code)
        assert (derived.code, derived.status, derived.sender_fault) == (cls.code, cls.status, cls.sender_fault), name


def test_one_class_per_error_by_shape_name_or_code() -> None:
    iam = ModelErrors("iam")
    by_shape = iam("NoSuchEntityException")
    assert by_shape is iam("NoSuchEntity")
    assert (by_shape.code, by_shape.status, by_shape.sender_fault) == ("NoSuchEntity", 404, True)
    assert issubclass(by_shape, AwsError)
    err = by_shape("The user with name x cannot be found.")
    assert (err.code, err.status, err.message) == ("NoSuchEntity", 404, "The user with name x cannot be found.")


def test_fault_shapes_are_server_errors() -> None:
    kms = ModelErrors("kms")
    internal = kms("KMSInternalException")
    assert (internal.status, internal.sender_fault) == (500, False)
    assert ModelErrors("kms", status={"DependencyTimeoutException": 503})("DependencyTimeoutException").status == 503


def test_extras_and_unknown_names() -> None:
    kms = ModelErrors("kms", extra=("AccessDeniedException",))
    denied = kms("AccessDeniedException")
    assert (denied.code, denied.status, denied.sender_fault) == ("AccessDeniedException", 400, True)
    with pytest.raises(AttributeError):
        kms("NoSuchThingException")
    with pytest.raises(ValueError, match="in the model"):
        ModelErrors("kms", extra=("NotFoundException",))("NotFoundException")
    with pytest.raises(ValueError, match="does not have"):
        ModelErrors("kms", status={"NoSuchThingException": 503})("NotFoundException")
    assert "NotFoundException" in kms.names()
