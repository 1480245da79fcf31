"""ACM PCA's sealed CA keys: `seal migrate` re-wraps with the associated data the writers bound (the CA's ARN)."""

from __future__ import annotations

from types import SimpleNamespace

from strongroom.keyring.registry import sealed_columns
from strongroom.services.acm_pca import model


def test_authority_key_aad() -> None:
    arn = "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/0b7a3b2c-1111-2222-3333-444455556666"
    aad = {c.name: c.aad for c in sealed_columns()}["pca_authorities.sealed_key"]
    assert aad(SimpleNamespace(arn=arn)) == model.authority_key_aad(arn) == arn.encode()
