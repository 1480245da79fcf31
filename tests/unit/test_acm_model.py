"""ACM's sealed columns: `seal migrate` re-wraps with the associated data the writers bound (one definition each)."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from strongroom.keyring.registry import sealed_columns
from strongroom.services.acm import model

ARN = "arn:aws:acm:us-east-1:111122223333:certificate/0b7a3b2c-1111-2222-3333-444455556666"


def _registered(name: str) -> Callable[[Any], bytes]:
    return {c.name: c.aad for c in sealed_columns()}[name]


def test_certificate_key_aad() -> None:
    aad = _registered("acm_certificates.sealed_key")
    assert aad(SimpleNamespace(arn=ARN)) == model.certificate_key_aad(ARN) == f"acm-certificate-key:{ARN}".encode()


def test_issuing_ca_aad() -> None:
    aad = _registered("acm_issuing_cas.sealed_key")
    assert aad(SimpleNamespace(name="public")) == model.issuing_ca_aad("public") == b"acm-issuing-ca:public"


def test_acme_account_aad() -> None:
    url = "https://acme.example/directory"
    aad = _registered("acm_acme_accounts.sealed_key")
    assert aad(SimpleNamespace(directory_url=url)) == model.acme_account_aad(url) == b"acm-acme-account:" + url.encode()
