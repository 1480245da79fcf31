"""Resource policies of private CAs, for the access-control evaluator."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from strongroom.services.acm_pca import model

if TYPE_CHECKING:
    from strongroom.server.runtime import Runtime


def resource_policy(runtime: Runtime, arn: str) -> str | None:
    """The policy PutPolicy stored on the CA ``arn`` names (a certificate ARN names its CA), or None."""
    ca_arn = arn.split("/certificate/", 1)[0]
    with runtime.store.read() as conn:
        row = conn.execute(select(model.authorities.c.policy).where(model.authorities.c.arn == ca_arn)).first()
    return None if row is None else row.policy
