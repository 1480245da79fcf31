"""Creating a version: idempotency on ClientRequestToken, encryption, label moves and garbage collection."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from strongroom.core.clock import clock
from strongroom.services.secretsmanager import model, values
from strongroom.services.secretsmanager.base import (
    CURRENT,
    Secret,
    collect_garbage,
    load_versions,
    move_labels,
)
from strongroom.services.secretsmanager.errors import (
    InvalidParameterException,
    InvalidRequestException,
    ResourceExistsException,
)

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

VERSION_EXISTS = "You can't modify an existing version, you can only create a new version."
NO_TOKEN = "You must provide a ClientRequestToken value. We recommend a UUID-type value."


def value_of(request: dict[str, Any], *, required: bool) -> tuple[bytes, bool] | None:
    """(plaintext, is_binary) of SecretString / SecretBinary, or None when neither is given."""
    text, blob = request.get("SecretString"), request.get("SecretBinary")
    if text is not None and blob is not None:
        raise InvalidParameterException(
            "You can't specify both a binary secret value and a string secret value in the same secret."
        )
    if text is None and blob is None:
        if required:
            raise InvalidParameterException("You must provide either SecretString or SecretBinary.")
        return None
    data = blob if blob is not None else str(text).encode()
    if isinstance(data, str):
        data = data.encode()
    if len(data) > values.MAX_VALUE_BYTES:
        raise InvalidParameterException("You can't specify a secret value larger than 65536 bytes.")
    return bytes(data), blob is not None


def token_of(request: dict[str, Any]) -> str:
    """The new version's id. SDKs always fill ClientRequestToken in; AWS refuses a raw request without it."""
    token = request.get("ClientRequestToken")
    if not token:
        raise InvalidRequestException(NO_TOKEN)
    return str(token)


def existing_same(ctx: RequestContext, secret: Secret, version_id: str, plaintext: bytes, binary: bool) -> bool | None:
    """None when the version does not exist; False when it is a rotation's empty placeholder (to be filled);
    True when it holds the same value (a retried call); raises when it holds another value."""
    existing = next((v for v in load_versions_read(ctx, secret.arn) if v.version_id == version_id), None)
    if existing is None:
        return None
    if existing.empty:
        return False
    if existing.binary == binary and values.decrypt(ctx, existing) == plaintext:
        return True
    raise ResourceExistsException(VERSION_EXISTS)


def load_versions_read(ctx: RequestContext, arn: str) -> list[Any]:
    with ctx.runtime.store.read() as conn:
        return load_versions(conn, arn)


def insert_version(
    ctx: RequestContext,
    secret: Secret,
    version_id: str,
    plaintext: bytes,
    binary: bool,
    labels: list[str] | None,
    *,
    fill: bool = False,
) -> tuple[list[str], list[str]]:
    """Encrypt and store a new version and move ``labels`` (default AWSCURRENT) to it.

    Returns (the version's stages, labels that moved for ``Secret Label Updated``). KMS is called before the
    write transaction opens: a cross-service call must never run inside one (SQLite has a single writer).
    """
    key_arn, data_key, blob = values.encrypt(ctx, secret.arn, version_id, plaintext, secret.kms_key_id)
    stages = [CURRENT] if labels is None else list(dict.fromkeys(labels))
    now = clock.now()
    v = model.versions.c
    with ctx.runtime.store.write() as conn:
        if fill:
            conn.execute(
                model.versions.update()
                .where((v.arn == secret.arn) & (v.version_id == version_id))
                .values(kms_key_arn=key_arn, data_key=data_key, blob=blob, binary=binary)
            )
        else:
            insert_row(conn, secret.arn, version_id, key_arn, data_key, blob, binary, now)
        if CURRENT not in stages and not any(CURRENT in v.stages for v in load_versions(conn, secret.arn)):
            stages.append(CURRENT)  # AWS: the first version of a secret always gets AWSCURRENT
        moved = move_labels(conn, secret.arn, version_id, stages)
        collect_garbage(conn, secret.arn, now)
        conn.execute(model.secrets.update().where(model.secrets.c.arn == secret.arn).values(last_changed_at=now))
    return stages, moved


def insert_row(
    conn: Any, arn: str, version_id: str, key_arn: str, data_key: bytes, blob: bytes, binary: bool, now: Any
) -> None:
    """A version row with no labels yet (``move_labels`` attaches them); empty key and blob = placeholder."""
    v = model.versions.c
    seq = conn.execute(select(func.coalesce(func.max(v.seq), 0)).where(v.arn == arn)).scalar_one()
    conn.execute(
        model.versions.insert().values(
            arn=arn,
            version_id=version_id,
            stages=json.dumps([]),
            created_at=now,
            last_accessed_at=None,
            kms_key_arn=key_arn,
            data_key=data_key,
            blob=blob,
            binary=binary,
            seq=int(seq) + 1,
        )
    )
