"""Listing: ListBuckets, ListObjects (v1), ListObjectsV2, ListObjectVersions.

Keys are listed in UTF-8 binary order, as S3 lists them (the key column sorts with the "C" collation on
PostgreSQL; SQLite compares bytes). The three object listings share one walk (``_walk``): rows are read in batches
from the first key (for versions, the first key and version) after the marker, and common prefixes are folded in as
they are met, so a page costs O(page) reads however many keys or versions the bucket holds (a common prefix hiding
many keys is skipped by restarting the scan after it).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from sqlalchemy import ColumnElement, Connection, and_, or_, select

from strongroom.services.s3.base import Row, S3Base, loads
from strongroom.services.s3.errors import error
from strongroom.services.s3.model import buckets, objects

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

_BATCH = 1000
_AFTER_ALL = "\U0010ffff"


def canonical_id(account: str) -> str:
    """A stable 64-hex canonical user id per account (S3's Owner.ID)."""
    return hashlib.sha256(f"strongroom-canonical-user:{account}".encode()).hexdigest()


def owner(account: str) -> dict[str, str]:
    return {"ID": canonical_id(account)}


def _token(value: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"k": value}).encode()).decode()


def _untoken(token: str) -> str:
    try:
        found = json.loads(base64.urlsafe_b64decode(token.encode()))
        return str(found["k"])
    except Exception:
        raise error(
            "InvalidArgument", "The continuation token provided is incorrect", ArgumentName="continuation-token"
        ) from None


def _max_keys(params: dict[str, Any]) -> int:
    value = params.get("MaxKeys")
    if value is None:
        return 1000
    if value < 0:
        raise error(
            "InvalidArgument", "maxKeys should be non-negative", ArgumentName="maxKeys", ArgumentValue=str(value)
        )
    return min(int(value), 1000)


def _is_common_prefix(marker: str, prefix: str, delimiter: str | None) -> bool:
    """Whether a marker (NextMarker, a continuation token, a key marker) is a common prefix this listing rolls up."""
    if not delimiter or not marker.startswith(prefix):
        return False
    at = marker.find(delimiter, len(prefix))
    return at >= 0 and at + len(delimiter) == len(marker)


def _encode(key: str, encoding: str | None) -> str:
    return quote(key, safe="/") if encoding == "url" else key


def _common(out: dict[str, Any], prefixes: list[str], delimiter: str | None, encoding: str | None) -> None:
    """The members every listing answers alike: common prefixes, the delimiter, the encoding type."""
    if prefixes:
        out["CommonPrefixes"] = [{"Prefix": _encode(p, encoding)} for p in prefixes]
    if delimiter:
        out["Delimiter"] = _encode(delimiter, encoding)
    if encoding:
        out["EncodingType"] = encoding


class ListingOperations(S3Base):
    def list_buckets(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        prefix = params.get("Prefix") or ""
        region = params.get("BucketRegion")
        limit = min(int(params.get("MaxBuckets") or 10000), 10000)
        after = _untoken(params["ContinuationToken"]) if params.get("ContinuationToken") else ""
        query = select(buckets).where(buckets.c.account_id == ctx.account_id, buckets.c.name > after)
        if region:
            query = query.where(buckets.c.region == region)
        with self.runtime.store.read() as conn:
            rows = [r for r in conn.execute(query.order_by(buckets.c.name)) if r.name.startswith(prefix)]
        page = rows[:limit]
        out: dict[str, Any] = {
            "Buckets": [
                {
                    "Name": r.name,
                    "CreationDate": r.created_at,
                    "BucketRegion": r.region,
                    "BucketArn": f"arn:aws:s3:::{r.name}",
                }
                for r in page
            ],
            "Owner": owner(ctx.account_id),
        }
        if prefix:
            out["Prefix"] = prefix
        if len(rows) > limit:
            out["ContinuationToken"] = _token(page[-1].name)
        return out

    # -- the walk every object listing shares ----------------------------------------------------------------------

    def _walk(
        self,
        conn: Connection,
        bucket: str,
        prefix: str,
        delimiter: str | None,
        after: str,
        resume: bool = True,
        *,
        versions: bool = False,
        after_sequence: int | None = None,
    ) -> Iterator[tuple[str, Row | None]]:
        """(key, row) after ``after``, or (common prefix, None), in key order, read ``_BATCH`` rows at a time.

        Current objects by default; with ``versions`` every version and delete marker, newest first within a key
        (ListObjectVersions), and ``after_sequence`` (the sequence of the version a VersionIdMarker names) also
        includes the versions of key ``after`` older than that one. ``resume``: ``after`` is where an earlier page
        ended (a marker, continuation token or key marker), not a StartAfter key.
        """
        cursor = max(after, prefix) if prefix else after
        inclusive = bool(prefix) and cursor == prefix and after < prefix
        if resume and _is_common_prefix(after, prefix, delimiter):
            # A page that ended on a common prefix continues after every key it rolled up, not inside it.
            cursor, inclusive = after + _AFTER_ALL, False
        # With ``versions`` the position is (key, sequence): the versions of ``cursor`` older than ``sequence`` are
        # still to come. None: every version of ``cursor`` is behind.
        sequence: int | None = None
        # The versions of the key marker older than the VersionIdMarker's come first, even when the marker is a
        # common prefix whose keys are otherwise skipped. Only the first batch asks for them: by the time the walk
        # moves on, its cursor is past them.
        older: ColumnElement[bool] | None = None
        if versions and after_sequence is not None and after >= prefix:
            older = and_(objects.c.key == after, objects.c.sequence < after_sequence)
        last_prefix: str | None = None
        while True:
            # Each OR below is ANDed with the lower bound it implies: PostgreSQL scans the key index from that bound,
            # where the bare OR would make it filter every row of the bucket.
            if sequence is not None:
                condition = and_(objects.c.key >= cursor, or_(objects.c.key > cursor, objects.c.sequence < sequence))
            else:
                condition = objects.c.key >= cursor if inclusive else objects.c.key > cursor
            if older is not None:
                condition, older = and_(objects.c.key >= after, or_(condition, older)), None
            query = select(objects).where(objects.c.bucket == bucket, condition)
            if versions:
                query = query.order_by(objects.c.key, objects.c.sequence.desc())
            else:
                query = query.where(objects.c.is_latest.is_(True), objects.c.delete_marker.is_(False))
                query = query.order_by(objects.c.key)
            rows = list(conn.execute(query.limit(_BATCH)).mappings())
            inclusive = False
            if not rows:
                return
            restart = False
            for row in rows:
                key = row["key"]
                if not key.startswith(prefix):
                    if key > prefix:
                        return
                elif last_prefix is None or not key.startswith(last_prefix):
                    if delimiter and (at := key.find(delimiter, len(prefix))) >= 0:
                        last_prefix = key[: at + len(delimiter)]
                        yield last_prefix, None
                        cursor, sequence = last_prefix + _AFTER_ALL, None
                        restart = True
                        break
                    yield key, dict(row)
                # Skipped rows move the cursor too: keys may hold U+10FFFF, so some keys under a common prefix sort
                # after ``prefix + _AFTER_ALL``, and a batch made only of those must not be read again and again.
                cursor = key
                if versions:
                    sequence = int(row["sequence"])
            if not restart and len(rows) < _BATCH:
                return

    def _page(
        self,
        conn: Connection,
        bucket: str,
        prefix: str,
        delimiter: str | None,
        after: str,
        limit: int,
        resume: bool = True,
        *,
        versions: bool = False,
        after_sequence: int | None = None,
    ) -> tuple[list[Row], list[str], bool, tuple[str, Row | None] | None]:
        """Up to ``limit`` entries of ``_walk`` (rows and common prefixes together): (rows, common prefixes, whether
        more follow, the last entry)."""
        contents: list[Row] = []
        prefixes: list[str] = []
        last: tuple[str, Row | None] | None = None
        truncated = False
        if limit == 0:
            return contents, prefixes, False, None
        walk = self._walk(
            conn, bucket, prefix, delimiter, after, resume, versions=versions, after_sequence=after_sequence
        )
        for key, row in walk:
            if len(contents) + len(prefixes) == limit:
                truncated = True
                break
            if row is None:
                prefixes.append(key)
            else:
                contents.append(row)
            last = key, row
        return contents, prefixes, truncated, last

    def _content(self, row: Row, encoding: str | None, fetch_owner: bool) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "Key": _encode(row["key"], encoding),
            "LastModified": row["last_modified"],
            "ETag": row["etag"],
            "Size": int(row["size"]),
            "StorageClass": row["storage_class"],
        }
        checksum = loads(row["checksum"])
        if checksum.get("values"):
            entry["ChecksumAlgorithm"] = list(checksum["values"])
            entry["ChecksumType"] = checksum.get("type", "FULL_OBJECT")
        if fetch_owner:
            entry["Owner"] = owner(row["owner"])
        return entry

    def list_objects_v2(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["Bucket"]
        prefix = params.get("Prefix") or ""
        delimiter = params.get("Delimiter") or None
        encoding = params.get("EncodingType")
        limit = _max_keys(params)
        token = params.get("ContinuationToken")
        after = _untoken(token) if token else (params.get("StartAfter") or "")
        with self.runtime.store.read() as conn:
            self.bucket(conn, name)
            contents, prefixes, truncated, last = self._page(
                conn, name, prefix, delimiter, after, limit, resume=bool(token)
            )
        out: dict[str, Any] = {
            "Name": name,
            "Prefix": _encode(prefix, encoding),
            "MaxKeys": limit,
            "KeyCount": len(contents) + len(prefixes),
            "IsTruncated": truncated,
        }
        if contents:
            out["Contents"] = [self._content(r, encoding, bool(params.get("FetchOwner"))) for r in contents]
        _common(out, prefixes, delimiter, encoding)
        if token:
            out["ContinuationToken"] = token
        if params.get("StartAfter"):
            out["StartAfter"] = _encode(params["StartAfter"], encoding)
        if truncated and last is not None:
            out["NextContinuationToken"] = _token(last[0])
        return out

    def list_objects(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["Bucket"]
        prefix = params.get("Prefix") or ""
        delimiter = params.get("Delimiter") or None
        encoding = params.get("EncodingType")
        limit = _max_keys(params)
        marker = params.get("Marker") or ""
        with self.runtime.store.read() as conn:
            self.bucket(conn, name)
            contents, prefixes, truncated, last = self._page(conn, name, prefix, delimiter, marker, limit)
        out: dict[str, Any] = {
            "Name": name,
            "Prefix": _encode(prefix, encoding),
            "Marker": _encode(marker, encoding),
            "MaxKeys": limit,
            "IsTruncated": truncated,
        }
        if contents:
            out["Contents"] = [self._content(r, encoding, True) for r in contents]
        _common(out, prefixes, delimiter, encoding)
        if delimiter and truncated and last is not None:
            out["NextMarker"] = _encode(last[0], encoding)
        return out

    # -- every version ---------------------------------------------------------------------------------------------

    def list_object_versions(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["Bucket"]
        prefix = params.get("Prefix") or ""
        delimiter = params.get("Delimiter") or None
        encoding = params.get("EncodingType")
        limit = _max_keys(params)
        key_marker = params.get("KeyMarker") or ""
        version_marker = params.get("VersionIdMarker") or None
        with self.runtime.store.read() as conn:
            self.bucket(conn, name)
            start_sequence: int | None = None
            if version_marker and key_marker:
                found = self.object_row(conn, name, key_marker, version_marker)
                if found is None:
                    raise error(
                        "InvalidArgument",
                        "Invalid version id specified",
                        ArgumentName="version-id-marker",
                        ArgumentValue=version_marker,
                    )
                start_sequence = int(found["sequence"])
            rows, prefixes, truncated, last = self._page(
                conn, name, prefix, delimiter, key_marker, limit, versions=True, after_sequence=start_sequence
            )
        versions: list[dict[str, Any]] = []
        markers: list[dict[str, Any]] = []
        for row in rows:
            entry: dict[str, Any] = {
                "Key": _encode(row["key"], encoding),
                "VersionId": row["version_id"],
                "IsLatest": bool(row["is_latest"]),
                "LastModified": row["last_modified"],
                "Owner": owner(row["owner"]),
            }
            if row["delete_marker"]:
                markers.append(entry)
            else:
                entry.update(ETag=row["etag"], Size=int(row["size"]), StorageClass=row["storage_class"])
                checksum = loads(row["checksum"])
                if checksum.get("values"):
                    entry["ChecksumAlgorithm"] = list(checksum["values"])
                    entry["ChecksumType"] = checksum.get("type", "FULL_OBJECT")
                versions.append(entry)
        out: dict[str, Any] = {
            "Name": name,
            "Prefix": _encode(prefix, encoding),
            "KeyMarker": _encode(key_marker, encoding),
            "MaxKeys": limit,
            "IsTruncated": truncated,
        }
        if version_marker:
            out["VersionIdMarker"] = version_marker
        if versions:
            out["Versions"] = versions
        if markers:
            out["DeleteMarkers"] = markers
        _common(out, prefixes, delimiter, encoding)
        if truncated and last is not None:
            next_key, next_row = last
            out["NextKeyMarker"] = _encode(next_key, encoding)
            if next_row is not None:  # a page ending on a common prefix names no version
                out["NextVersionIdMarker"] = next_row["version_id"]
        return out
