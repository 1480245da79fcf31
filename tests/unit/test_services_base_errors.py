"""services/base/errors.py: every service's error classes come from its botocore model.

``data/service_errors.json`` holds, as test vectors, each error class the services used before their classes were
derived (name -> code, HTTP status, sender fault): the derived classes must answer exactly the same.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from strongroom.core.errors import AwsError
from strongroom.services.base.errors import ModelErrors

SNAPSHOT = json.loads((Path(__file__).parent / "data" / "service_errors.json").read_text())
PACKAGES = {
    "acm": "acm",
    "acm-pca": "acm_pca",
    "cloudtrail": "cloudtrail",
    "events": "events",
    "iam": "iam",
    "kms": "kms",
    "lambda": "lambda_",
    "secretsmanager": "secretsmanager",
    "ssm": "ssm",
}


@pytest.mark.parametrize("service", sorted(PACKAGES))
def test_derived_classes_answer_as_the_hand_written_ones_did(service: str) -> None:
    errors = importlib.import_module(f"strongroom.services.{PACKAGES[service]}.errors")
    expected = SNAPSHOT[service]
    assert expected
    for name, (code, status, sender_fault) in expected.items():
        cls = getattr(errors, name)
        assert issubclass(cls, AwsError)
        assert (cls.code, cls.status, cls.sender_fault) == (code, status, sender_fault), name
        assert getattr(errors, name) is cls  # one class per error: `except` catches what `raise` raised


def test_an_unmodeled_name_fails_at_import() -> None:
    with pytest.raises(ImportError):
        exec("from strongroom.services.kms.errors import NoSuchThingException", {})


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
