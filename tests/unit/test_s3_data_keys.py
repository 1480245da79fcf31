"""The SSE-KMS data-key cache (services/s3/data_keys.py): what a reuse is keyed on, what it still checks, its bounds."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from strongroom.services.kms.errors import DisabledException, KMSInvalidStateException, NotFoundException
from strongroom.services.s3.data_keys import DataKeys

KEY = "arn:aws:kms:us-east-1:111122223333:key/k1"


@dataclass
class FakeRuntime:
    state: str = "Enabled"
    exists: bool = True
    custom_store: str | None = None
    deny: bool = False
    authorized: int = 0
    decrypts: list[dict[str, Any]] = field(default_factory=list)
    noted: int = 0

    recorded: list[dict[str, Any]] = field(default_factory=list)

    def reuse_call(
        self, ctx: Any, service: str, operation: str, params: dict[str, Any], *, via: str, check: Any
    ) -> bool:
        assert (service, operation, via) == ("kms", "Decrypt", "s3")
        self.authorized += 1
        if self.deny:
            raise PermissionError("denied")
        output = check(ctx)
        if output is None:
            return False
        self.recorded.append(output)  # the pipeline records the reuse as the Decrypt it stands for
        return True

    @property
    def providers(self) -> Any:
        runtime = self

        class Keys:
            def by_arn(self, arn: str) -> Any:
                if not runtime.exists:
                    return None
                return SimpleNamespace(arn=arn, state=runtime.state, custom_key_store_id=runtime.custom_store)

        class Provider:
            keys = Keys()

            def note_key_use(self, ctx: Any, record: Any) -> None:
                runtime.noted += 1

        return SimpleNamespace(provider=lambda name: Provider() if name == "kms" else None)


@dataclass
class FakeCtx:
    runtime: FakeRuntime
    principal: Any = field(default_factory=lambda: SimpleNamespace(arn="arn:aws:iam::111122223333:user/a"))

    def call(self, service: str, operation: str, params: dict[str, Any], *, via: str) -> dict[str, Any]:
        self.runtime.decrypts.append(params)
        return {"KeyId": params.get("KeyId") or KEY, "Plaintext": b"k" * 32}


def params(blob: bytes = b"wrapped", context: dict[str, str] | None = None) -> dict[str, Any]:
    return {"CiphertextBlob": blob, "EncryptionContext": context or {"aws:s3:arn": "arn:aws:s3:::b/k"}, "KeyId": KEY}


def test_a_reuse_is_authorized_and_checked_every_time() -> None:
    runtime = FakeRuntime()
    ctx = FakeCtx(runtime)
    keys = DataKeys()
    for _ in range(3):
        assert keys.open(ctx, params()) == b"k" * 32  # type: ignore[arg-type]
    assert len(runtime.decrypts) == 1 and runtime.authorized == 2 and runtime.noted == 2
    assert runtime.recorded == [{"KeyId": KEY, "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}] * 2
    runtime.deny = True
    with pytest.raises(PermissionError):
        keys.open(ctx, params())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("state", "error"),
    [
        ("Disabled", DisabledException),
        ("PendingDeletion", KMSInvalidStateException),
        ("PendingImport", KMSInvalidStateException),
    ],
)
def test_a_key_that_may_not_decrypt_stops_the_reuse(state: str, error: type[Exception]) -> None:
    runtime = FakeRuntime()
    ctx = FakeCtx(runtime)
    keys = DataKeys()
    keys.open(ctx, params())  # type: ignore[arg-type]
    runtime.state = state
    with pytest.raises(error):
        keys.open(ctx, params())  # type: ignore[arg-type]
    runtime.state, runtime.exists = "Enabled", False
    with pytest.raises(NotFoundException):
        keys.open(ctx, params())  # type: ignore[arg-type]


def test_what_a_reuse_is_keyed_on() -> None:
    runtime = FakeRuntime()
    keys = DataKeys()
    alice, bob = FakeCtx(runtime), FakeCtx(runtime, SimpleNamespace(arn="arn:aws:iam::111122223333:user/b"))
    keys.open(alice, params())  # type: ignore[arg-type]
    keys.open(bob, params())  # type: ignore[arg-type]  # another caller: a Decrypt of its own
    keys.open(alice, params(b"other"))  # type: ignore[arg-type]  # another wrapped key
    keys.open(alice, params(context={"aws:s3:arn": "arn:aws:s3:::b/other"}))  # type: ignore[arg-type]
    assert len(runtime.decrypts) == 4
    keys.open(alice, params())  # type: ignore[arg-type]
    assert len(runtime.decrypts) == 4


def test_expiry_bounds_and_custom_key_stores() -> None:
    runtime = FakeRuntime()
    ctx = FakeCtx(runtime)
    expired = DataKeys(ttl=0.0)
    expired.open(ctx, params())  # type: ignore[arg-type]
    expired.open(ctx, params())  # type: ignore[arg-type]
    assert len(runtime.decrypts) == 2 and runtime.authorized == 0
    small = DataKeys(max_entries=3)
    for i in range(10):
        small.open(ctx, params(bytes([i])))  # type: ignore[arg-type]
    assert len(small) == 3
    runtime.custom_store, runtime.decrypts = "cks-1", []
    held = DataKeys()
    held.open(ctx, params())  # type: ignore[arg-type]
    held.open(ctx, params())  # type: ignore[arg-type]
    assert len(runtime.decrypts) == 2  # a custom key store's token is asked every time
