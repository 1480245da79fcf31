"""kms/provider.py is an index of the operations table, and the provider's per-operation rules read that table.

Fast: no server. The index test follows the generic rules of issue 16 (every operation listed once, pointing at
the family method that implements it); the rule tests run ``check_state`` and the alias rule of ``find_key`` for
every operation and key state.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

import botocore.loaders
import pytest
from botocore import xform_name

import strongroom.services.kms as kms_package
from strongroom.core.errors import AwsError
from strongroom.services.kms.base import KmsBase, check_state
from strongroom.services.kms.errors import (
    AccessDeniedException,
    InvalidMarkerException,
    KMSInvalidStateException,
    NotFoundException,
)
from strongroom.services.kms.keystore import KeyRecord
from strongroom.services.kms.operations import OPERATIONS
from strongroom.services.kms.provider import Provider
from strongroom.services.kms.specs import STATE_RULES

_MODEL = botocore.loaders.create_loader().load_service_model("kms", "service-2")
BY_METHOD = {xform_name(op): op for op in _MODEL["operations"]}
KEY_STATES = sorted(STATE_RULES["crypto"])


def _families() -> list[type]:
    found: dict[str, type] = {}
    for info in pkgutil.iter_modules(kms_package.__path__):
        module = importlib.import_module(f"{kms_package.__name__}.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and issubclass(cls, KmsBase) and cls not in (KmsBase, Provider):
                found[cls.__qualname__] = cls
    return list(found.values())


def test_every_listed_name_is_one_model_operation_implemented_in_the_package() -> None:
    listed = {name: value for name, value in vars(Provider).items() if inspect.isfunction(value)}
    assert listed
    for name, function in listed.items():
        assert name in BY_METHOD, f"{name} is not an operation of the KMS model"
        assert getattr(Provider, name) is function  # the index decides, not the MRO
        assert function.__module__.startswith(f"{kms_package.__name__}.")
        owner = function.__qualname__.split(".")[0]
        assert owner != "Provider" and owner.endswith("Operations"), function.__qualname__


def test_every_family_operation_is_listed_and_implemented_once() -> None:
    implementers: dict[str, list[str]] = {}
    for family in _families():
        assert family.__bases__ == (KmsBase,), f"{family.__name__} must inherit only KmsBase"
        for name, value in vars(family).items():
            if name in BY_METHOD and inspect.isfunction(value):
                implementers.setdefault(name, []).append(family.__name__)
    assert {n: owners for n, owners in implementers.items() if len(owners) > 1} == {}
    assert set(implementers) == {n for n in vars(Provider) if n in BY_METHOD}


def test_operations_table_and_index_agree() -> None:
    assert set(OPERATIONS) == {BY_METHOD[n] for n in vars(Provider) if n in BY_METHOD}


def _record(state: str, key_manager: str = "CUSTOMER") -> KeyRecord:
    return KeyRecord(
        arn="arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        key_id="1234abcd-12ab-34cd-56ef-1234567890ab",
        account_id="111122223333",
        region="us-east-1",
        description="",
        key_usage="ENCRYPT_DECRYPT",
        key_spec="SYMMETRIC_DEFAULT",
        origin="AWS_KMS",
        key_manager=key_manager,
        state=state,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        policy="{}",
    )


@pytest.mark.parametrize("op", sorted(OPERATIONS))
@pytest.mark.parametrize("state", KEY_STATES)
def test_check_state_follows_the_operations_key_state_rule(op: str, state: str) -> None:
    rule = OPERATIONS[op].key_state
    expected = STATE_RULES[rule].get(state) if rule is not None else None
    if expected is None:
        check_state(_record(state), op)
        return
    with pytest.raises(AwsError) as raised:
        check_state(_record(state), op)
    assert type(raised.value) is expected
    if op == "CancelKeyDeletion":
        assert type(raised.value) is KMSInvalidStateException
        assert raised.value.message.endswith("is not pending deletion.")


class _NoKeys:
    def alias_target(self, account: str, region: str, alias: str) -> str | None:
        return None


def _base() -> KmsBase:
    base = KmsBase.__new__(KmsBase)
    base.keys = cast(Any, _NoKeys())
    return base


def _ctx(op: str) -> Any:
    principal = SimpleNamespace(arn="arn:aws:iam::111122223333:user/alice")
    return SimpleNamespace(operation=op, region="us-east-1", account_id="111122223333", principal=principal)


@pytest.mark.parametrize("op", sorted(OPERATIONS))
@pytest.mark.parametrize("ref", ["alias/mine", "arn:aws:kms:us-east-1:111122223333:alias/mine"])
def test_alias_accepted_only_where_the_table_says(op: str, ref: str) -> None:
    with pytest.raises(NotFoundException) as raised:
        _base().find_key(_ctx(op), ref)
    if OPERATIONS[op].alias_ok:
        assert raised.value.message.startswith("Alias ") and raised.value.message.endswith(" is not found.")
    else:
        assert raised.value.message == f"Invalid keyId {ref}"


@pytest.mark.parametrize("op", sorted(OPERATIONS))
def test_aws_managed_keys_refuse_what_the_table_says(op: str) -> None:
    base = _base()
    managed = _record("Enabled", key_manager="AWS")
    base._resolve_key = lambda ctx, key_ref, *, operation=None: managed  # type: ignore[method-assign]
    if OPERATIONS[op].managed_key_denied:
        with pytest.raises(AccessDeniedException):
            base.find_key(_ctx(op), managed.key_id)
    else:
        assert base.find_key(_ctx(op), managed.key_id) is managed


def test_markers_name_the_list_they_page() -> None:
    marker = KmsBase.encode_marker("keys", "1234abcd-12ab-34cd-56ef-1234567890ab")
    assert KmsBase.decode_marker("keys", marker) == "1234abcd-12ab-34cd-56ef-1234567890ab"
    for bad in (KmsBase.encode_marker("tags", "x"), "bm90LWEtbWFya2Vy", "!!!", "a2V5czp4"):
        with pytest.raises(InvalidMarkerException) as raised:
            KmsBase.decode_marker("keys", bad)
        assert raised.value.message == "The request contains an invalid marker."
