"""Writing and removing object versions as S3's versioning states define it.

* Never enabled (``versioning`` None) and Suspended: a write replaces the key's ``null`` version; a delete removes
  it (never enabled) or replaces it with a ``null`` delete marker (Suspended).
* Enabled: every write adds a version with a new id; a delete without a version id adds a delete marker; a delete
  with one removes that version for good, and the newest remaining version becomes the latest.

Blobs of removed versions are queued as orphans in the same transaction (``S3Base.orphan``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from strongroom.services.s3.base import NULL_VERSION, Bucket, Row, S3Base, new_version_id, now_seconds, segments_of
from strongroom.services.s3.model import objects


def add_version(base: S3Base, conn: Connection, bucket: Bucket, key: str, values: dict[str, Any]) -> Row:
    """Insert a new latest version of ``key`` (object or delete marker); returns the row written."""
    versioned = bucket.versioning == "Enabled"
    version_id = new_version_id() if versioned else NULL_VERSION
    if not versioned:
        _drop(base, conn, bucket.name, key, NULL_VERSION)
    conn.execute(
        update(objects)
        .where(objects.c.bucket == bucket.name, objects.c.key == key, objects.c.is_latest.is_(True))
        .values(is_latest=False)
    )
    row = dict(values)
    row.update(
        bucket=bucket.name,
        key=key,
        version_id=version_id,
        sequence=base.next_sequence(conn, bucket.name),
        is_latest=True,
    )
    conn.execute(insert(objects).values(**row))
    return row


def add_delete_marker(base: S3Base, conn: Connection, bucket: Bucket, key: str) -> Row:
    """A delete marker as the key's new latest version (DeleteObject without a version id, lifecycle expiration)."""
    return add_version(
        base,
        conn,
        bucket,
        key,
        {"delete_marker": True, "size": 0, "etag": "", "last_modified": now_seconds(), "owner": bucket.account_id},
    )


def _drop(base: S3Base, conn: Connection, bucket: str, key: str, version_id: str) -> Row | None:
    found = base.object_row(conn, bucket, key, version_id)
    if found is None:
        return None
    conn.execute(delete(objects).where(objects.c.id == found["id"]))
    base.orphan(conn, [s["blob"] for s in segments_of(found)])
    return found


def remove_version(base: S3Base, conn: Connection, bucket: str, key: str, version_id: str) -> Row | None:
    """Permanently delete one version; the newest remaining one becomes the latest. Returns the removed row."""
    removed = _drop(base, conn, bucket, key, version_id)
    if removed is not None and removed["is_latest"]:
        newest = conn.execute(
            select(objects.c.id)
            .where(objects.c.bucket == bucket, objects.c.key == key)
            .order_by(objects.c.sequence.desc())
            .limit(1)
        ).scalar()
        if newest is not None:
            conn.execute(update(objects).where(objects.c.id == newest).values(is_latest=True))
    return removed
