"""IAM's smaller resources as JSON documents in ``iam_objects`` (iam/model.py), by account, kind and key.

Kinds: ``oidc`` (key: the provider's ARN), ``saml`` (ARN), ``mfa`` (serial number), ``login`` (user name_key),
``instance-profile`` (name_key), ``server-cert`` (name_key), ``ssh-key`` (key id), ``signing-cert`` (certificate
id), ``service-cred`` (credential id), ``account`` (a setting's name: password-policy, alias, ...), ``job`` (an
access-advisor or organizations report job id), ``report`` (the credential report), ``slr-deletion`` (a
service-linked role deletion task id).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from strongroom.core.clock import clock
from strongroom.iam.model import object_aad, objects
from strongroom.keyring.seal import Seal


@dataclass(frozen=True, slots=True)
class Obj:
    account_id: str
    kind: str
    key: str
    data: dict[str, Any]
    created_at: datetime
    secret_sealed: bytes | None = None


def _obj(row: Any) -> Obj:
    return Obj(row.account_id, row.kind, row.key, json.loads(row.data), row.created_at, row.secret_sealed)


def get(conn: Connection, account_id: str, kind: str, key: str) -> Obj | None:
    row = conn.execute(
        select(objects).where(objects.c.account_id == account_id, objects.c.kind == kind, objects.c.key == key)
    ).first()
    return None if row is None else _obj(row)


def all_of(conn: Connection, account_id: str, kind: str) -> list[Obj]:
    rows = conn.execute(
        select(objects).where(objects.c.account_id == account_id, objects.c.kind == kind).order_by(objects.c.key)
    )
    return [_obj(r) for r in rows]


def put(
    conn: Connection,
    account_id: str,
    kind: str,
    key: str,
    data: dict[str, Any],
    *,
    secret: bytes | None = None,
    seal: Seal | None = None,
    created_at: datetime | None = None,
) -> None:
    """Insert or replace the document; ``secret`` (with ``seal``) replaces the sealed value, else it is kept."""
    text = json.dumps(data, default=str, sort_keys=True)
    values: dict[str, Any] = {"data": text}
    if secret is not None:
        assert seal is not None
        values["secret_sealed"] = seal.wrap(secret, object_aad(account_id, kind, key))
    where = (objects.c.account_id == account_id) & (objects.c.kind == kind) & (objects.c.key == key)
    if conn.execute(update(objects).where(where).values(**values)).rowcount:
        return
    conn.execute(
        insert(objects).values(
            account_id=account_id, kind=kind, key=key, created_at=created_at or clock.now(), **values
        )
    )


def remove(conn: Connection, account_id: str, kind: str, key: str) -> bool:
    result = conn.execute(
        delete(objects).where(objects.c.account_id == account_id, objects.c.kind == kind, objects.c.key == key)
    )
    return bool(result.rowcount)


def secret(seal: Seal, obj: Obj) -> bytes | None:
    if obj.secret_sealed is None:
        return None
    return seal.unwrap(obj.secret_sealed, object_aad(obj.account_id, obj.kind, obj.key))
