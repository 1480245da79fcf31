"""Multipart uploads: Create, UploadPart, UploadPartCopy, Complete, Abort, ListParts, ListMultipartUploads.

The data key is made once, at CreateMultipartUpload (KMS ``GenerateDataKey`` for SSE-KMS, as AWS does); each part
opens it again (``kms:Decrypt`` for SSE-KMS, the customer's key for SSE-C) and is encrypted into its own blob.
Completing an upload writes no bytes: the object's segments are the chosen parts' blobs, in order.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, insert, select

from strongroom.protocol import checksums as checksum_lib
from strongroom.services.s3 import bodies, conditions, encryption, versions
from strongroom.services.s3.base import (
    NULL_VERSION,
    Row,
    S3Base,
    check_key,
    loads,
    new_blob_id,
    now_seconds,
    quote_etag,
)
from strongroom.services.s3.errors import error
from strongroom.services.s3.listing import owner
from strongroom.services.s3.model import parts, uploads
from strongroom.services.s3.objects import (
    CHECKSUM_ALGORITHMS,
    check_object_acl,
    checksum_output,
    object_headers,
    parse_copy_source,
    parse_tagging,
    verify_checksums,
)

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

MIN_PART_SIZE = 5 * 1024 * 1024
MAX_PART_SIZE = 5 * 1024**3
MAX_PARTS = 10000
_FULL_OBJECT_DEFAULT = frozenset({"CRC64NVME"})
_NO_UPLOAD = (
    "The specified upload does not exist. The upload ID may be invalid, or the upload may have been "
    "aborted or completed."
)
_BAD_PART = (
    "One or more of the specified parts could not be found.  The part may not have been uploaded, or the "
    "specified entity tag may not match the part's entity tag."
)


class MultipartOperations(S3Base):
    def _upload(self, conn: Connection, bucket: str, key: str, upload_id: str) -> Row:
        row = (
            conn.execute(
                select(uploads).where(
                    uploads.c.upload_id == upload_id, uploads.c.bucket == bucket, uploads.c.key == key
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            raise error("NoSuchUpload", _NO_UPLOAD, UploadId=upload_id)
        return dict(row)

    def create_multipart_upload(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name, key = params["Bucket"], params["Key"]
        check_key(key)
        tags = parse_tagging(params.get("Tagging"))
        headers = object_headers(params)
        algorithm = params.get("ChecksumAlgorithm")
        algorithm = algorithm.upper() if isinstance(algorithm, str) else None
        if algorithm is not None and algorithm not in CHECKSUM_ALGORITHMS:
            raise error("InvalidRequest", "Checksum algorithm provided is unsupported.")
        ctype = params.get("ChecksumType")
        if ctype is None and algorithm is not None:
            ctype = "FULL_OBJECT" if algorithm in _FULL_OBJECT_DEFAULT else "COMPOSITE"
        if ctype == "FULL_OBJECT" and algorithm in ("SHA1", "SHA256"):
            raise error(
                "InvalidRequest",
                f"The FULL_OBJECT checksum type cannot be used with the {algorithm.lower()} checksum algorithm.",
            )
        with self.runtime.store.read() as conn:
            bucket = self.bucket(conn, name)
            self.expected_owner(ctx, bucket, params)
            check_object_acl(self, conn, bucket, params)
            enc, _, customer = self.write_key(ctx, conn, bucket, key, params)
            lock = self.lock_for_write(conn, bucket, params)
        upload_id = secrets.token_urlsafe(48)
        with self.runtime.store.write() as conn:
            conn.execute(
                insert(uploads).values(
                    upload_id=upload_id,
                    bucket=name,
                    key=key,
                    initiated=now_seconds(),
                    owner=bucket.account_id,
                    initiator_arn=ctx.principal.arn,
                    storage_class=params.get("StorageClass") or "STANDARD",
                    headers=json.dumps(headers),
                    **enc.columns(),
                    checksum_algorithm=algorithm,
                    checksum_type=ctype,
                    tags=json.dumps(tags),
                    lock=json.dumps(lock, default=str),
                )
            )
        out: dict[str, Any] = {
            "Bucket": name,
            "Key": key,
            "UploadId": upload_id,
            **enc.output(customer.md5 if customer else None),
        }
        if algorithm:
            out["ChecksumAlgorithm"] = algorithm
            out["ChecksumType"] = ctype
        return out

    def _part_key(
        self, ctx: RequestContext, upload: Row, params: dict[str, Any]
    ) -> tuple[encryption.Encryption, bytes, encryption.CustomerKey | None]:
        enc = encryption.Encryption.of_row(upload)
        customer = encryption.customer_key(params)
        return enc, encryption.open_key(ctx, self.runtime, enc, customer), customer

    @staticmethod
    def _part_number(params: dict[str, Any]) -> int:
        number = int(params["PartNumber"])
        if not 1 <= number <= MAX_PARTS:
            raise error(
                "InvalidArgument",
                "Part number must be an integer between 1 and 10000, inclusive",
                ArgumentName="partNumber",
                ArgumentValue=str(number),
            )
        return number

    def _store_part(self, upload_id: str, number: int, written: bodies.Written, algorithm: str | None) -> str:
        # a part's ETag is the MD5 of its data for SSE-S3 only, as for whole objects
        etag = quote_etag(written.md5.hex() if written.md5 else secrets.token_hex(16))
        sums = {a: v for a, v in written.checksums.items() if a == algorithm or algorithm is None}
        try:
            with self.runtime.store.write() as conn:
                if conn.execute(select(uploads.c.upload_id).where(uploads.c.upload_id == upload_id)).first() is None:
                    raise error("NoSuchUpload", _NO_UPLOAD, UploadId=upload_id)
                old = conn.execute(
                    select(parts.c.blob).where(parts.c.upload_id == upload_id, parts.c.part_number == number)
                ).scalar()
                if old is not None:
                    conn.execute(delete(parts).where(parts.c.upload_id == upload_id, parts.c.part_number == number))
                    self.orphan(conn, [old])
                conn.execute(
                    insert(parts).values(
                        upload_id=upload_id,
                        part_number=number,
                        size=written.size,
                        etag=etag,
                        last_modified=now_seconds(),
                        blob=written.blob,
                        checksum=json.dumps(sums),
                    )
                )
        except BaseException:
            self.runtime.blobs.delete(written.blob)
            raise
        return etag

    def upload_part(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name, key, upload_id = params["Bucket"], params["Key"], params["UploadId"]
        number = self._part_number(params)
        with self.runtime.store.read() as conn:
            bucket = self.bucket(conn, name)
            self.expected_owner(ctx, bucket, params)
            upload = self._upload(conn, name, key, upload_id)
        enc, data_key, customer = self._part_key(ctx, upload, params)
        algorithm = upload["checksum_algorithm"]
        wanted = tuple(a for a in CHECKSUM_ALGORITHMS if params.get(f"Checksum{a}") is not None or a == algorithm)
        body = params.get("Body") or b""
        written = bodies.write_body(
            self.runtime.blobs,
            new_blob_id(),
            data_key,
            body,
            algorithms=wanted,
            limit=MAX_PART_SIZE,
            md5=enc.mode == encryption.SSE_S3,
        )
        try:
            # Content-MD5 was checked by the request's body reader (server/s3plane.py), as the body arrived
            verify_checksums(params, body, written.checksums)
        except BaseException:
            self.runtime.blobs.delete(written.blob)
            raise
        etag = self._store_part(upload_id, number, written, algorithm)
        out: dict[str, Any] = {"ETag": etag, **enc.output(customer.md5 if customer else None)}
        if algorithm and algorithm in written.checksums:
            out[f"Checksum{algorithm}"] = written.checksums[algorithm]
        return out

    def upload_part_copy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name, key, upload_id = params["Bucket"], params["Key"], params["UploadId"]
        number = self._part_number(params)
        src_bucket, src_key, src_version = parse_copy_source(params["CopySource"])
        with self.runtime.store.read() as conn:
            bucket = self.bucket(conn, name)
            self.expected_owner(ctx, bucket, params)
            upload = self._upload(conn, name, key, upload_id)
            self.bucket(conn, src_bucket)
            source = self.live_object(conn, src_bucket, src_key, src_version)
        conditions.check_read(params, source["etag"], source["last_modified"], prefix="CopySource")
        src_enc = encryption.Encryption.of_row(source)
        source_key = encryption.open_key(ctx, self.runtime, src_enc, encryption.customer_key(params, "CopySource"))
        size = int(source["size"])
        start, end = 0, size
        copy_range = params.get("CopySourceRange")
        if copy_range is not None:
            parsed = conditions.parse_range(copy_range, size)
            # Only the "first-last" form: unlike Range, no open end and no suffix.
            if parsed is None or not re.fullmatch(r"bytes=\d+-\d+", str(copy_range).strip()):
                raise error(
                    "InvalidArgument",
                    "The x-amz-copy-source-range value must be of the form "
                    "bytes=first-last where first and last are the zero-based offsets of the first and last "
                    "bytes to copy",
                    ArgumentName="x-amz-copy-source-range",
                    ArgumentValue=str(copy_range),
                )
            start, end = parsed
        enc, data_key, _ = self._part_key(ctx, upload, params)
        algorithm = upload["checksum_algorithm"]
        plaintext = bodies.read_segments(self.runtime.blobs, source_key, json.loads(source["segments"]), start, end)
        written = bodies.write_body(
            self.runtime.blobs,
            new_blob_id(),
            data_key,
            plaintext,
            algorithms=(algorithm,) if algorithm else (),
            md5=enc.mode == encryption.SSE_S3,
        )
        etag = self._store_part(upload_id, number, written, algorithm)
        result: dict[str, Any] = {"ETag": etag, "LastModified": now_seconds()}
        if algorithm:
            result[f"Checksum{algorithm}"] = written.checksums[algorithm]
        out: dict[str, Any] = {"CopyPartResult": result, **enc.output()}
        if source["version_id"] != NULL_VERSION:
            out["CopySourceVersionId"] = source["version_id"]
        return out

    def complete_multipart_upload(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name, key, upload_id = params["Bucket"], params["Key"], params["UploadId"]
        chosen = (params.get("MultipartUpload") or {}).get("Parts") or []
        if not chosen:
            raise error(
                "MalformedXML",
                "The XML you provided was not well-formed or did not validate against our published schema",
            )
        with self.runtime.store.write() as conn:
            bucket = self.bucket(conn, name)
            self.expected_owner(ctx, bucket, params)
            upload = self._upload(conn, name, key, upload_id)
            enc = encryption.Encryption.of_row(upload)
            customer = encryption.customer_key(params)
            # The customer's key is "required only when the object was created using a checksum algorithm"
            # (CompleteMultipartUpload): older clients complete SSE-C uploads without it. When sent, it must fit.
            if enc.mode == encryption.SSE_C and (customer is not None or upload["checksum_algorithm"]):
                encryption.open_key(ctx, self.runtime, enc, customer)
            stored = {
                r["part_number"]: dict(r)
                for r in conn.execute(select(parts).where(parts.c.upload_id == upload_id)).mappings()
            }
            current = self.object_row(conn, name, key, None)
            conditions.check_write(params, None if current is None or current["delete_marker"] else current["etag"])
            segments: list[dict[str, Any]] = []
            previous = 0
            for index, item in enumerate(chosen):
                number = int(item.get("PartNumber") or 0)
                if number <= previous:
                    raise error(
                        "InvalidPartOrder",
                        "The list of parts was not in ascending order. Parts must be ordered by part number.",
                        UploadId=upload_id,
                    )
                previous = number
                part = stored.get(number)
                given = str(item.get("ETag") or "").strip('"')
                if part is None or given != part["etag"].strip('"'):
                    raise error(
                        "InvalidPart", _BAD_PART, UploadId=upload_id, PartNumber=str(number), ETag=str(item.get("ETag"))
                    )
                if index < len(chosen) - 1 and part["size"] < MIN_PART_SIZE:
                    raise error(
                        "EntityTooSmall",
                        "Your proposed upload is smaller than the minimum allowed size",
                        ProposedSize=str(part["size"]),
                        MinSizeAllowed=str(MIN_PART_SIZE),
                        PartNumber=str(number),
                        ETag=part["etag"],
                    )
                segments.append(
                    {
                        "blob": part["blob"],
                        "size": int(part["size"]),
                        "part": number,
                        "etag": part["etag"],
                        "checksums": loads(part["checksum"]),
                    }
                )
            expected_size = params.get("MpuObjectSize")
            total = sum(s["size"] for s in segments)
            if expected_size is not None and int(expected_size) != total:
                raise error(
                    "InvalidRequest",
                    "The provided 'x-amz-mp-object-size' header value does not match the computed object size.",
                )
            digest = hashlib.md5(b"".join(bytes.fromhex(s["etag"].strip('"')) for s in segments))
            etag = quote_etag(f"{digest.hexdigest()}-{len(segments)}")
            checksum = _combined_checksum(upload, segments)
            _check_object_checksum(params, checksum)
            headers = loads(upload["headers"])
            lock = loads(upload["lock"])
            row = versions.add_version(
                self,
                conn,
                bucket,
                key,
                {
                    "size": total,
                    "etag": etag,
                    "last_modified": now_seconds(),
                    "owner": bucket.account_id,
                    "storage_class": upload["storage_class"],
                    "headers": json.dumps(headers),
                    "encryption": upload["encryption"],
                    "wrapped_key": upload["wrapped_key"],
                    "sealed_key": upload["sealed_key"],
                    "segments": json.dumps(segments),
                    "checksum": json.dumps(checksum),
                    "tags": upload["tags"],
                    "delete_marker": False,
                    **self.lock_columns(lock),
                },
            )
            self.queue_replication(conn, bucket, row)
            unused = [p["blob"] for n, p in stored.items() if n not in {s["part"] for s in segments}]
            self.orphan(conn, unused)
            conn.execute(delete(parts).where(parts.c.upload_id == upload_id))
            conn.execute(delete(uploads).where(uploads.c.upload_id == upload_id))
        self.object_event(ctx, bucket, "Object Created", key, row, reason="CompleteMultipartUpload")
        out: dict[str, Any] = {
            "Location": f"/{name}/{key}",
            "Bucket": name,
            "Key": key,
            "ETag": etag,
            **checksum_output(checksum),
            **{k: v for k, v in enc.output().items() if k != "SSECustomerAlgorithm"},
        }
        out.pop("SSECustomerKeyMD5", None)
        if row["version_id"] != NULL_VERSION:
            out["VersionId"] = row["version_id"]
        return out

    def abort_multipart_upload(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name, key, upload_id = params["Bucket"], params["Key"], params["UploadId"]
        with self.runtime.store.write() as conn:
            bucket = self.bucket(conn, name)
            self.expected_owner(ctx, bucket, params)
            self._upload(conn, name, key, upload_id)
            blobs = [r.blob for r in conn.execute(select(parts.c.blob).where(parts.c.upload_id == upload_id))]
            self.orphan(conn, blobs)
            conn.execute(delete(parts).where(parts.c.upload_id == upload_id))
            conn.execute(delete(uploads).where(uploads.c.upload_id == upload_id))
        return {}

    def list_parts(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name, key, upload_id = params["Bucket"], params["Key"], params["UploadId"]
        limit = min(int(params.get("MaxParts") or 1000), 1000)
        marker = int(params.get("PartNumberMarker") or 0)
        with self.runtime.store.read() as conn:
            bucket = self.bucket(conn, name)
            self.expected_owner(ctx, bucket, params)
            upload = self._upload(conn, name, key, upload_id)
            rows = list(
                conn.execute(
                    select(parts)
                    .where(parts.c.upload_id == upload_id, parts.c.part_number > marker)
                    .order_by(parts.c.part_number)
                    .limit(limit + 1)
                ).mappings()
            )
        page = rows[:limit]
        out: dict[str, Any] = {
            "Bucket": name,
            "Key": key,
            "UploadId": upload_id,
            "PartNumberMarker": marker,
            "MaxParts": limit,
            "IsTruncated": len(rows) > limit,
            "Initiator": {"ID": upload["initiator_arn"], "DisplayName": upload["initiator_arn"].rsplit("/", 1)[-1]},
            "Owner": owner(upload["owner"]),
            "StorageClass": upload["storage_class"],
            "Parts": [
                {
                    "PartNumber": r["part_number"],
                    "LastModified": r["last_modified"],
                    "ETag": r["etag"],
                    "Size": int(r["size"]),
                    **{f"Checksum{a}": v for a, v in loads(r["checksum"]).items()},
                }
                for r in page
            ],
        }
        if page:
            out["NextPartNumberMarker"] = page[-1]["part_number"]
        if upload["checksum_algorithm"]:
            out["ChecksumAlgorithm"] = upload["checksum_algorithm"]
            out["ChecksumType"] = upload["checksum_type"]
        return out

    def list_multipart_uploads(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["Bucket"]
        prefix = params.get("Prefix") or ""
        delimiter = params.get("Delimiter") or None
        limit = min(int(params.get("MaxUploads") or 1000), 1000)
        key_marker = params.get("KeyMarker") or ""
        with self.runtime.store.read() as conn:
            bucket = self.bucket(conn, name)
            self.expected_owner(ctx, bucket, params)
            rows = list(
                conn.execute(
                    select(uploads)
                    .where(uploads.c.bucket == name, uploads.c.key >= key_marker)
                    .order_by(uploads.c.key, uploads.c.initiated, uploads.c.upload_id)
                ).mappings()
            )
        upload_marker = params.get("UploadIdMarker")
        # Within a key, uploads run in initiation order: the page after (key, upload id) starts past that row; an
        # upload id not found falls back to the documented "lexicographically greater".
        found = (
            any(r["key"] == key_marker and r["upload_id"] == upload_marker for r in rows) if upload_marker else False
        )
        passed_marker = not found
        # A page that ended on a common prefix continues after every upload it rolled up.
        rolled_up = key_marker if delimiter and _ends_with_delimiter(key_marker, prefix, delimiter) else None
        entries: list[dict[str, Any]] = []
        prefixes: list[str] = []
        truncated = False
        last: tuple[str, str | None] | None = None
        for row in rows:
            k = row["key"]
            if not k.startswith(prefix) or (rolled_up is not None and k.startswith(rolled_up)):
                continue
            if k == key_marker:
                if not upload_marker:
                    continue
                if not passed_marker:
                    passed_marker = row["upload_id"] == upload_marker
                    continue
                if not found and row["upload_id"] <= upload_marker:
                    continue
            cp = None
            if delimiter and (at := k.find(delimiter, len(prefix))) >= 0:
                cp = k[: at + len(delimiter)]
                if prefixes and prefixes[-1] == cp:
                    continue
            if len(entries) + len(prefixes) >= limit:
                truncated = True
                break
            if cp is not None:
                prefixes.append(cp)
                last = (cp, None)
                continue
            entry: dict[str, Any] = {
                "UploadId": row["upload_id"],
                "Key": k,
                "Initiated": row["initiated"],
                "StorageClass": row["storage_class"],
                "Owner": owner(row["owner"]),
                "Initiator": {"ID": row["initiator_arn"]},
            }
            if row["checksum_algorithm"]:
                entry["ChecksumAlgorithm"] = row["checksum_algorithm"]
                entry["ChecksumType"] = row["checksum_type"]
            entries.append(entry)
            last = (k, row["upload_id"])
        out: dict[str, Any] = {
            "Bucket": name,
            "KeyMarker": key_marker,
            "UploadIdMarker": upload_marker or "",
            "Prefix": prefix,
            "MaxUploads": limit,
            "IsTruncated": truncated,
        }
        if entries:
            out["Uploads"] = entries
        if prefixes:
            out["CommonPrefixes"] = [{"Prefix": p} for p in prefixes]
        if delimiter:
            out["Delimiter"] = delimiter
        if truncated and last is not None:
            # The last entry of the page, upload or common prefix: where the next page starts.
            out["NextKeyMarker"] = last[0]
            if last[1] is not None:
                out["NextUploadIdMarker"] = last[1]
        return out


def _ends_with_delimiter(marker: str, prefix: str, delimiter: str) -> bool:
    """Whether a key marker is a common prefix of this listing (the delimiter's first occurrence ends it)."""
    if not marker.startswith(prefix):
        return False
    at = marker.find(delimiter, len(prefix))
    return at >= 0 and at + len(delimiter) == len(marker)


def _combined_checksum(upload: Row, segments: list[dict[str, Any]]) -> dict[str, Any]:
    """The object's checksum from its parts': COMPOSITE (checksum of the parts' checksums, "-N") or FULL_OBJECT."""
    algorithm = upload["checksum_algorithm"]
    if not algorithm:
        return {}
    digests = [s["checksums"].get(algorithm) for s in segments]
    if any(d is None for d in digests):
        return {}
    raw = [base64.b64decode(d) for d in digests]
    if upload["checksum_type"] == "FULL_OBJECT":
        value = checksum_lib.full_object(algorithm, zip(raw, (int(s["size"]) for s in segments), strict=True))
        return {"type": "FULL_OBJECT", "values": {algorithm: value}}
    return {"type": "COMPOSITE", "values": {algorithm: checksum_lib.composite(algorithm, raw)}}


def _check_object_checksum(params: dict[str, Any], checksum: dict[str, Any]) -> None:
    """CompleteMultipartUpload's x-amz-checksum-* is the whole object's checksum (FULL_OBJECT, or COMPOSITE with or
    without its "-N"): it must be the one computed from the parts."""
    for algorithm, value in (checksum.get("values") or {}).items():
        given = params.get(f"Checksum{algorithm}")
        if given is not None and str(given).split("-", 1)[0] != str(value).split("-", 1)[0]:
            raise error("BadDigest", f"The {algorithm} you specified did not match the calculated checksum.")
