"""Who used which service, from the audit trail: what IAM's access advisor (GenerateServiceLastAccessedDetails)
and the credential report's "last used" columns are computed from.

One pass over an account's management events since a point in time, newest first, keeping for each
(identity, service) the newest call: the identity is the IAM user, or the role behind an assumed-role session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import select

from strongroom.audit import model
from strongroom.store.engine import Store


@dataclass(frozen=True, slots=True)
class LastAccess:
    identity_arn: str  # arn:aws:iam::ACCT:user/NAME or arn:aws:iam::ACCT:role/NAME
    service: str  # the event source's namespace: "kms" of kms.amazonaws.com
    event_name: str
    event_time: datetime
    region: str


def identity_of(record: dict[str, object]) -> str | None:
    identity = record.get("userIdentity")
    if not isinstance(identity, dict):
        return None
    kind = identity.get("type")
    if kind in ("IAMUser", "Root"):
        arn = identity.get("arn")
        return str(arn) if arn else None
    if kind == "AssumedRole":
        context = identity.get("sessionContext")
        issuer = context.get("sessionIssuer") if isinstance(context, dict) else None
        arn = issuer.get("arn") if isinstance(issuer, dict) else None
        return str(arn) if arn else None
    return None


def last_accesses(store: Store, account_id: str, since: datetime) -> dict[tuple[str, str], LastAccess]:
    """The newest call per (identity ARN, service namespace) in ``account_id`` since ``since``."""
    ev = model.events
    query = (
        select(ev.c.event_time, ev.c.event_name, ev.c.event_source, ev.c.region, ev.c.record)
        .where(ev.c.account_id == account_id, ev.c.event_time >= since, ev.c.event_type != model.DATA_EVENT_ROW_TYPE)
        .order_by(ev.c.event_time.desc(), ev.c.seq.desc())
    )
    out: dict[tuple[str, str], LastAccess] = {}
    with store.read() as conn:
        for row in conn.execute(query):
            record = orjson.loads(row.record)
            if record.get("errorCode") == "AccessDenied":
                continue  # a denied call is not an access
            arn = identity_of(record)
            if not arn:
                continue
            service = str(row.event_source).split(".", 1)[0]
            key = (arn, service)
            if key not in out:
                out[key] = LastAccess(arn, service, row.event_name, row.event_time, row.region)
    return out
