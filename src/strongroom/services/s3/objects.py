"""Object operations: PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects, CopyObject, GetObjectAttributes."""

from __future__ import annotations

import json
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

from sqlalchemy import Connection

from strongroom.core.errors import AwsError
from strongroom.services.s3 import bodies, conditions, encryption, public, versions
from strongroom.services.s3.base import (
    NULL_VERSION,
    Bucket,
    Row,
    S3Base,
    check_key,
    loads,
    new_blob_id,
    now_seconds,
    quote_etag,
    segments_of,
)
from strongroom.services.s3.buckets import OWNER_ONLY_ACLS
from strongroom.services.s3.errors import error

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

MAX_OBJECT_SIZE = 5 * 1024**3  # PutObject's documented limit; larger objects need multipart upload
DEFAULT_CHECKSUM = "CRC64NVME"  # S3 gives every new object a full-object CRC64NVME unless asked for another
CHECKSUM_ALGORITHMS = ("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256")

# Object headers kept as they were sent and answered back (request member -> stored name).
_STORED_HEADERS = (
    "CacheControl",
    "ContentDisposition",
    "ContentEncoding",
    "ContentLanguage",
    "ContentType",
    "Expires",
    "WebsiteRedirectLocation",
)
_RESPONSE_OVERRIDES = {
    "ResponseCacheControl": "CacheControl",
    "ResponseContentDisposition": "ContentDisposition",
    "ResponseContentEncoding": "ContentEncoding",
    "ResponseContentLanguage": "ContentLanguage",
    "ResponseContentType": "ContentType",
    "ResponseExpires": "Expires",
}


def object_arn(bucket: str, key: str) -> str:
    return f"arn:aws:s3:::{bucket}/{key}"


def parse_tagging(text: str | None) -> dict[str, str]:
    """``x-amz-tagging: k1=v1&k2=v2`` (URL-encoded), checked as PutObjectTagging checks a TagSet."""
    if not text:
        return {}
    pairs = parse_qsl(text, keep_blank_values=True)
    tags: dict[str, str] = {}
    for k, v in pairs:
        if k in tags:
            raise error("InvalidTag", "Cannot provide multiple Tags with the same key", TagKey=k)
        tags[k] = v
    check_tags(tags)
    return tags


def check_tags(tags: dict[str, str]) -> None:
    if len(tags) > 10:
        raise error("InvalidTag", "Object tags cannot be greater than 10")
    for k, v in tags.items():
        if not k or len(k) > 128:
            raise error("InvalidTag", "The TagKey you have provided is invalid", TagKey=k)
        if len(v) > 256:
            raise error("InvalidTag", "The TagValue you have provided is too long, max length is 256", TagKey=k)
        if k.startswith("aws:"):
            raise error("InvalidTag", "Your TagKey cannot be prefixed with aws:", TagKey=k)


def checksum_algorithms(params: dict[str, Any]) -> tuple[str, ...]:
    """The checksums to compute over a new body: every one the request sent or named, else S3's default."""
    found = [alg for alg in CHECKSUM_ALGORITHMS if params.get(f"Checksum{alg}") is not None]
    named = params.get("ChecksumAlgorithm")
    if isinstance(named, str) and named.upper() in CHECKSUM_ALGORITHMS and named.upper() not in found:
        found.append(named.upper())
    return tuple(found) or (DEFAULT_CHECKSUM,)


def body_checksum_algorithms(params: dict[str, Any], body: Any) -> tuple[str, ...]:
    """The checksums a new body's writer computes: ``checksum_algorithms``, less S3's default when the body reader
    verifies another checksum that nothing named (a trailer without x-amz-sdk-checksum-algorithm), since
    ``adopt_trailer_checksums`` then drops the default for it: computing the default would be wasted."""
    algorithms = checksum_algorithms(params)
    defaulted = algorithms == (DEFAULT_CHECKSUM,) and params.get("ChecksumAlgorithm") is None
    if defaulted and frozenset(getattr(body, "planned_checksums", ())) - {DEFAULT_CHECKSUM}:
        return ()
    return algorithms


def adopt_trailer_checksums(params: dict[str, Any], body: Any, computed: dict[str, str]) -> None:
    """Checksums the request body reader verified that the request's members did not name (a checksum sent only as
    an aws-chunked trailer, declared by x-amz-trailer) become the object's own, in place of S3's default."""
    verified = {a: v for a, v in (getattr(body, "checksums", None) or {}).items() if a not in computed}
    if not verified:
        return
    if checksum_algorithms(params) == (DEFAULT_CHECKSUM,) and params.get("ChecksumAlgorithm") is None:
        computed.pop(DEFAULT_CHECKSUM, None)
    computed.update(verified)


def verify_checksums(params: dict[str, Any], body: Any, computed: dict[str, str]) -> None:
    """Checksums the client sent (headers, or trailers of an aws-chunked body) must match the body received."""
    trailers: dict[str, str] = dict(getattr(body, "trailers", None) or {})
    for alg, value in computed.items():
        given = params.get(f"Checksum{alg}") or trailers.get(f"x-amz-checksum-{alg.lower()}")
        if given is not None and given != value:
            raise error("BadDigest", f"The {alg} you specified did not match the calculated checksum.")


def checksum_output(checksum: dict[str, Any], *, full: bool = True) -> dict[str, Any]:
    if not checksum or not full:
        return {}
    out: dict[str, Any] = {f"Checksum{alg}": value for alg, value in checksum.get("values", {}).items()}
    if out:
        out["ChecksumType"] = checksum.get("type", "FULL_OBJECT")
    return out


def object_headers(params: dict[str, Any]) -> dict[str, Any]:
    stored: dict[str, Any] = {m: params[m] for m in _STORED_HEADERS if params.get(m) is not None}
    if "ContentEncoding" in stored:
        # aws-chunked is how the body travelled (an aws-chunked upload), not an encoding of the object: S3 drops it.
        kept = [t.strip() for t in str(stored["ContentEncoding"]).split(",") if t.strip()]
        kept = [t for t in kept if t.lower() != "aws-chunked"]
        if kept:
            stored["ContentEncoding"] = ",".join(kept)
        else:
            del stored["ContentEncoding"]
    if "Expires" in stored and not isinstance(stored["Expires"], str):
        stored["Expires"] = stored["Expires"].strftime("%a, %d %b %Y %H:%M:%S GMT")
    metadata = params.get("Metadata")
    if metadata:
        stored["Metadata"] = {str(k).lower(): str(v) for k, v in metadata.items()}
        size = sum(len(k) + len(v) for k, v in stored["Metadata"].items())
        if size > 2048:
            raise error(
                "MetadataTooLarge",
                "Your metadata headers exceed the maximum allowed metadata size",
                Size=str(size),
                MaxSizeAllowed="2048",
            )
    return stored


def check_object_acl(base: S3Base, conn: Connection, bucket: Bucket, params: dict[str, Any]) -> None:
    """The ACL a write sets (``x-amz-acl``, ``x-amz-grant-*``). Object ACLs are not kept, but what S3 refuses is
    refused: any ACL beyond the owner's own on a bucket with ACLs disabled (BucketOwnerEnforced, the default), and a
    public one while BlockPublicAcls is on ("PUT Object calls fail if the request includes a public ACL")."""
    acl = params.get("ACL")
    grants = any(params.get(m) for m in ("GrantFullControl", "GrantRead", "GrantReadACP", "GrantWriteACP"))
    if acl is None and not grants:
        return
    if bucket.ownership == "BucketOwnerEnforced" and (grants or acl not in OWNER_ONLY_ACLS):
        raise error("AccessControlListNotSupported", "The bucket does not allow ACLs")
    own = public.BlockPublicAccess.from_config(base.get_config(conn, bucket.name, "public_access_block"))
    account = public.BlockPublicAccess.from_config(
        base.get_account_config(conn, bucket.account_id, "public_access_block")
    )
    if own.merge(account).rejects_acl(params):
        raise error("AccessDenied", "Access Denied")


def parse_copy_source(source: str) -> tuple[str, str, str | None]:
    """``bucket/key?versionId=v`` (URL-encoded, optionally with a leading slash) → (bucket, key, version)."""
    text = source[1:] if source.startswith("/") else source
    path, _, query = text.partition("?")
    version = None
    for k, v in parse_qsl(query, keep_blank_values=True):
        if k == "versionId":
            version = v
    bucket, _, key = unquote(path).partition("/")
    if not bucket or not key:
        raise error(
            "InvalidArgument", "Invalid copy source object key", ArgumentName="x-amz-copy-source", ArgumentValue=source
        )
    return bucket, key, version


class ObjectOperations(S3Base):
    # -- writing ------------------------------------------------------------------------------------------------

    def default_encryption(self, conn: Connection, bucket: str) -> dict[str, Any]:
        """The bucket's default encryption rule (``ApplyServerSideEncryptionByDefault`` + flags)."""
        document = self.get_config(conn, bucket, "encryption") or {}
        rules = document.get("Rules") or [{}]
        rule = rules[0] if rules else {}
        out = dict(rule.get("ApplyServerSideEncryptionByDefault") or {})
        if "BucketKeyEnabled" in rule:
            out["BucketKeyEnabled"] = rule["BucketKeyEnabled"]
        out["Blocked"] = list((rule.get("BlockedEncryptionTypes") or {}).get("EncryptionType") or ["SSE-C"])
        return out

    def write_key(
        self, ctx: RequestContext, conn: Connection, bucket: Bucket, key: str, params: dict[str, Any]
    ) -> tuple[encryption.Encryption, bytes, encryption.CustomerKey | None]:
        """The encryption of a new object or upload: the request's, else the bucket default's."""
        default = self.default_encryption(conn, bucket.name)
        customer = encryption.customer_key(params)
        if customer is not None:
            if params.get("ServerSideEncryption") is not None:
                raise error(
                    "InvalidArgument",
                    "Server Side Encryption with Customer provided key is incompatible "
                    "with the encryption method specified",
                    ArgumentName="x-amz-server-side-encryption",
                    ArgumentValue=str(params["ServerSideEncryption"]),
                )
            self.allow_sse_c(ctx, default)
            enc, data_key = encryption.new_key(
                ctx,
                self.runtime,
                arn=object_arn(bucket.name, key),
                owner=bucket.account_id,
                mode=encryption.SSE_C,
                kms_key_id=None,
                bucket_key=False,
                context={},
                customer=customer,
            )
            return enc, data_key, customer
        mode, kms_key_id, bucket_key = encryption.requested_mode(params, default)
        enc, data_key = encryption.new_key(
            ctx,
            self.runtime,
            arn=object_arn(bucket.name, key),
            owner=bucket.account_id,
            mode=mode,
            kms_key_id=kms_key_id,
            bucket_key=bucket_key,
            context=encryption.user_context(params),
            customer=None,
        )
        return enc, data_key, None

    @staticmethod
    def allow_sse_c(ctx: RequestContext, default: dict[str, Any]) -> None:
        """SSE-C is refused while the bucket blocks it (the default for new buckets since April 2026) and over
        plain HTTP except from loopback (AWS refuses it over plain HTTP entirely)."""
        if "SSE-C" in default.get("Blocked", []):
            raise error(
                "AccessDenied",
                "Requests specifying Server Side Encryption with Customer provided keys "
                "are blocked for this bucket by its encryption configuration (BlockedEncryptionTypes).",
            )
        if not ctx.extras.get("secure_transport") and not ctx.extras.get("loopback"):
            raise error(
                "InvalidRequest",
                "Requests specifying Server Side Encryption with Customer provided keys "
                "must be made over a secure connection.",
            )

    def put_object(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name, key = params["Bucket"], params["Key"]
        check_key(key)
        tags = parse_tagging(params.get("Tagging"))
        headers = object_headers(params)
        with self.runtime.store.read() as conn:
            bucket = self.bucket(conn, name)
            self.expected_owner(ctx, bucket, params)
            current = self.object_row(conn, name, key, None)
            conditions.check_write(params, _etag_of(current))
            check_object_acl(self, conn, bucket, params)
            enc, data_key, customer = self.write_key(ctx, conn, bucket, key, params)
            lock = self.lock_for_write(conn, bucket, params)
        blob = new_blob_id()
        body = params.get("Body") or b""
        written = bodies.write_body(
            self.runtime.blobs,
            blob,
            data_key,
            body,
            algorithms=body_checksum_algorithms(params, body),
            limit=MAX_OBJECT_SIZE,
            md5=enc.mode == encryption.SSE_S3,
        )
        try:
            # Content-MD5 was checked by the request's body reader (server/s3plane.py), as the body arrived
            verify_checksums(params, body, written.checksums)
            adopt_trailer_checksums(params, body, written.checksums)
            etag = written.md5.hex() if enc.mode == encryption.SSE_S3 else secrets.token_hex(16)
            checksum = {"type": "FULL_OBJECT", "values": written.checksums}
            bucket, row = self.commit_object(
                name, key, params, written, etag, enc, headers=headers, tags=tags, lock=lock, checksum=checksum
            )
        except BaseException:
            self.runtime.blobs.delete(blob)
            raise
        self.object_event(ctx, bucket, "Object Created", key, row, reason="PutObject")
        out: dict[str, Any] = {
            "ETag": row["etag"],
            **checksum_output(checksum),
            **enc.output(customer.md5 if customer else None),
        }
        if row["version_id"] != NULL_VERSION:
            out["VersionId"] = row["version_id"]
        return out

    def commit_object(
        self,
        name: str,
        key: str,
        params: dict[str, Any],
        written: bodies.Written,
        etag: str,
        enc: encryption.Encryption,
        *,
        headers: dict[str, Any],
        tags: dict[str, str],
        lock: dict[str, Any],
        checksum: dict[str, Any],
    ) -> tuple[Bucket, Row]:
        """Make a written body the key's new version (conditional writes checked again, now under the write lock),
        and queue its replication in the same transaction."""
        with self.runtime.store.write() as conn:
            bucket = self.bucket(conn, name)
            conditions.check_write(params, _etag_of(self.object_row(conn, name, key, None)))
            row = versions.add_version(
                self,
                conn,
                bucket,
                key,
                {
                    "size": written.size,
                    "etag": quote_etag(etag),
                    "last_modified": now_seconds(),
                    "owner": bucket.account_id,
                    "storage_class": params.get("StorageClass") or "STANDARD",
                    "headers": json.dumps(headers),
                    **enc.columns(),
                    "segments": json.dumps([{"blob": written.blob, "size": written.size}]),
                    "checksum": json.dumps(checksum),
                    "tags": json.dumps(tags),
                    "delete_marker": False,
                    **lock,
                },
            )
            self.queue_replication(conn, bucket, row)
        return bucket, row

    # -- reading ------------------------------------------------------------------------------------------------

    def _read_target(self, ctx: RequestContext, params: dict[str, Any]) -> tuple[Bucket, Row]:
        name, key = params["Bucket"], params["Key"]
        bucket = self.known_bucket(ctx, None, name)
        self.expected_owner(ctx, bucket, params)
        return bucket, self.live_object(None, name, key, params.get("VersionId"))

    def head_object(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket, row = self._read_target(ctx, params)
        enc = encryption.Encryption.of_row(row)
        customer = encryption.customer_key(params)
        if enc.mode == encryption.SSE_C or customer is not None:
            encryption.open_key(ctx, self.runtime, enc, customer)
        conditions.check_read(params, row["etag"], row["last_modified"])
        out, _ = self.describe(bucket, row, params, enc, customer)
        return out

    def get_object(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket, row = self._read_target(ctx, params)
        enc = encryption.Encryption.of_row(row)
        customer = encryption.customer_key(params)
        conditions.check_read(params, row["etag"], row["last_modified"])
        out, (start, end) = self.describe(bucket, row, params, enc, customer)
        data_key = encryption.open_key(ctx, self.runtime, enc, customer)
        out["Body"] = bodies.read_segments(self.runtime.blobs, data_key, segments_of(row), start, end)
        return out

    def describe(
        self,
        bucket: Bucket,
        row: Row,
        params: dict[str, Any],
        enc: encryption.Encryption,
        customer: encryption.CustomerKey | None,
    ) -> tuple[dict[str, Any], tuple[int, int]]:
        """The headers GetObject and HeadObject answer, and the byte range the body covers."""
        size = int(row["size"])
        segments = segments_of(row)
        span: tuple[int, int] | None = None
        out: dict[str, Any] = {
            "AcceptRanges": "bytes",
            "LastModified": row["last_modified"],
            "ETag": row["etag"],
        }
        part = params.get("PartNumber")
        if part is not None and params.get("Range") is not None:
            raise error("InvalidRequest", "Cannot specify both Range header and partNumber query parameter.")
        if part is not None:
            if part < 1 or part > max(1, len(segments)):
                raise error(
                    "InvalidPartNumber",
                    "The requested partnumber is not satisfiable",
                    PartNumberRequested=str(part),
                    ActualPartCount=str(len(segments)),
                )
            offset = sum(int(s["size"]) for s in segments[: part - 1])
            span = (offset, offset + int(segments[part - 1]["size"]))
            if len(segments) > 1:
                out["PartsCount"] = len(segments)
        else:
            span = conditions.parse_range(params.get("Range"), size)
        start, end = span if span is not None else (0, size)
        if span is not None and (part is not None or params.get("Range") is not None):
            out["ContentRange"] = f"bytes {start}-{max(start, end - 1)}/{size}"
            out["__status__"] = 206
        out["ContentLength"] = end - start
        headers = loads(row["headers"])
        for member in _STORED_HEADERS:
            if member in headers:
                out[member] = headers[member]
        out.setdefault("ContentType", "binary/octet-stream")
        if headers.get("Metadata"):
            out["Metadata"] = headers["Metadata"]
        for request_member, member in _RESPONSE_OVERRIDES.items():
            if params.get(request_member) is not None:
                value = params[request_member]
                out[member] = value.strftime("%a, %d %b %Y %H:%M:%S GMT") if hasattr(value, "strftime") else value
        out.update(enc.output(customer.md5 if customer else None))
        if row["version_id"] != NULL_VERSION or bucket.versioning is not None:
            out["VersionId"] = row["version_id"]
        if row["storage_class"] != "STANDARD":
            out["StorageClass"] = row["storage_class"]
        tags = loads(row["tags"])
        if tags:
            out["TagCount"] = len(tags)
        if params.get("ChecksumMode") == "ENABLED" and span is None:
            out.update(checksum_output(loads(row["checksum"])))
        if row["lock_mode"]:
            out["ObjectLockMode"] = row["lock_mode"]
            out["ObjectLockRetainUntilDate"] = row["lock_until"]
        if row["legal_hold"]:
            out["ObjectLockLegalHoldStatus"] = "ON"
        if row["replication_status"]:
            out["ReplicationStatus"] = row["replication_status"]
        return out, (start, end)

    # -- deleting -----------------------------------------------------------------------------------------------

    def delete_object(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name, key = params["Bucket"], params["Key"]
        with self.runtime.store.read() as conn:
            bucket = self.bucket(conn, name)
            self.expected_owner(ctx, bucket, params)
        return self.delete_one(ctx, bucket, key, params.get("VersionId"), params)

    def delete_one(
        self, ctx: RequestContext, bucket: Bucket, key: str, version_id: str | None, params: dict[str, Any]
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        with self.runtime.store.write() as conn:
            if params.get("IfMatch") is not None:
                current = self.object_row(conn, bucket.name, key, None)
                conditions.check_write({"IfMatch": params["IfMatch"]}, _etag_of(current))
            if version_id is not None:
                target = self.object_row(conn, bucket.name, key, version_id)
                if target is None:
                    return {"VersionId": version_id}
                self.check_lock_allows_delete(ctx, target, params)
                removed = versions.remove_version(self, conn, bucket.name, key, version_id)
                out["VersionId"] = version_id
                if removed is not None and removed["delete_marker"]:
                    out["DeleteMarker"] = True
                event = "Object Deleted"
                deletion_type = "Permanently Deleted"
            elif bucket.versioning is None:
                removed = versions.remove_version(self, conn, bucket.name, key, NULL_VERSION)
                event, deletion_type = "Object Deleted", "Permanently Deleted"
                if removed is None:
                    return out
            else:
                marker = versions.add_delete_marker(self, conn, bucket, key)
                self.queue_replication(conn, bucket, marker)
                out["DeleteMarker"] = True
                out["VersionId"] = marker["version_id"]
                event, deletion_type = "Object Deleted", "Delete Marker Created"
        self.object_event(
            ctx,
            bucket,
            event,
            key,
            {"version_id": out.get("VersionId")},
            reason="DeleteObject",
            deletion_type=deletion_type,
        )
        return out

    def delete_objects(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["Bucket"]
        request = params.get("Delete") or {}
        items = request.get("Objects") or []
        if len(items) > 1000:
            raise error(
                "MalformedXML",
                "The XML you provided was not well-formed or did not validate against our published schema",
            )
        with self.runtime.store.read() as conn:
            bucket = self.bucket(conn, name)
            self.expected_owner(ctx, bucket, params)
        deleted: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for item in items:
            key, version_id = item.get("Key", ""), item.get("VersionId")
            single = {"Bucket": name, "Key": key, **({"VersionId": version_id} if version_id else {})}
            try:
                self.authorize_as(
                    ctx,
                    "DeleteObject",
                    {**single, "BypassGovernanceRetention": params.get("BypassGovernanceRetention")},
                )
                out = self.delete_one(ctx, bucket, key, version_id, params)
            except AwsError as exc:
                errors.append(
                    {
                        "Key": key,
                        "Code": exc.code,
                        "Message": exc.message,
                        **({"VersionId": version_id} if version_id else {}),
                    }
                )
                continue
            entry: dict[str, Any] = {"Key": key}
            if version_id:
                entry["VersionId"] = version_id
            if out.get("DeleteMarker"):
                entry["DeleteMarker"] = True
                if not version_id:
                    entry["DeleteMarkerVersionId"] = out.get("VersionId")
            if not request.get("Quiet"):
                deleted.append(entry)
        result: dict[str, Any] = {}
        if deleted:
            result["Deleted"] = deleted
        if errors:
            result["Errors"] = errors
        return result

    # -- copying ------------------------------------------------------------------------------------------------

    def copy_object(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name, key = params["Bucket"], params["Key"]
        check_key(key)
        src_bucket_name, src_key, src_version = parse_copy_source(params["CopySource"])
        with self.runtime.store.read() as conn:
            src_bucket = self.bucket(conn, src_bucket_name)
            expected = params.get("ExpectedSourceBucketOwner")
            if expected is not None and expected != src_bucket.account_id:
                raise error("AccessDenied", "Access Denied")
            source = self.live_object(conn, src_bucket_name, src_key, src_version)
            bucket = self.bucket(conn, name)
            self.expected_owner(ctx, bucket, params)
            conditions.check_write(params, _etag_of(self.object_row(conn, name, key, None)))
            src_enc = encryption.Encryption.of_row(source)
            src_customer = encryption.customer_key(params, "CopySource")
            conditions.check_read(params, source["etag"], source["last_modified"], prefix="CopySource")
            directive = params.get("MetadataDirective") or "COPY"
            # Copying a named version onto its own key is how S3 restores an earlier version: always legal.
            same = (src_bucket_name, src_key) == (name, key) and src_version is None
            changes = any(
                params.get(m) is not None
                for m in (
                    "ServerSideEncryption",
                    "SSEKMSKeyId",
                    "SSECustomerKey",
                    "StorageClass",
                    "WebsiteRedirectLocation",
                )
            )
            if same and directive == "COPY" and not changes:
                raise error(
                    "InvalidRequest",
                    "This copy request is illegal because it is trying to copy an object "
                    "to itself without changing the object's metadata, storage class, website redirect "
                    "location or encryption attributes.",
                )
            check_object_acl(self, conn, bucket, params)
            enc, data_key, customer = self.write_key(ctx, conn, bucket, key, params)
            lock = self.lock_for_write(conn, bucket, params)
        source_key = encryption.open_key(ctx, self.runtime, src_enc, src_customer)
        headers = loads(source["headers"]) if directive == "COPY" else object_headers(params)
        tags = (
            loads(source["tags"])
            if (params.get("TaggingDirective") or "COPY") == "COPY"
            else parse_tagging(params.get("Tagging"))
        )
        size = int(source["size"])
        plaintext = bodies.read_segments(self.runtime.blobs, source_key, segments_of(source), 0, size)
        blob = new_blob_id()
        old_sums = loads(source["checksum"]).get("values", {})
        algorithms = (
            checksum_algorithms(params) if params.get("ChecksumAlgorithm") else tuple(old_sums) or (DEFAULT_CHECKSUM,)
        )
        written = bodies.write_body(
            self.runtime.blobs, blob, data_key, plaintext, algorithms=algorithms, md5=enc.mode == encryption.SSE_S3
        )
        try:
            etag = written.md5.hex() if enc.mode == encryption.SSE_S3 else secrets.token_hex(16)
            checksum = {"type": "FULL_OBJECT", "values": written.checksums}
            bucket, row = self.commit_object(
                name, key, params, written, etag, enc, headers=headers, tags=tags, lock=lock, checksum=checksum
            )
        except BaseException:
            self.runtime.blobs.delete(blob)
            raise
        self.object_event(ctx, bucket, "Object Created", key, row, reason="CopyObject")
        out: dict[str, Any] = {
            "CopyObjectResult": {
                "ETag": row["etag"],
                "LastModified": row["last_modified"],
                **checksum_output(checksum),
            },
            **enc.output(customer.md5 if customer else None),
        }
        if source["version_id"] != NULL_VERSION:
            out["CopySourceVersionId"] = source["version_id"]
        if row["version_id"] != NULL_VERSION:
            out["VersionId"] = row["version_id"]
        return out

    # -- attributes ---------------------------------------------------------------------------------------------

    def get_object_attributes(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket, row = self._read_target(ctx, params)
        enc = encryption.Encryption.of_row(row)
        if enc.mode == encryption.SSE_C:
            encryption.open_key(ctx, self.runtime, enc, encryption.customer_key(params))
        wanted = set(params.get("ObjectAttributes") or [])
        out: dict[str, Any] = {"LastModified": row["last_modified"]}
        if row["version_id"] != NULL_VERSION or bucket.versioning is not None:
            out["VersionId"] = row["version_id"]
        if "ETag" in wanted:
            out["ETag"] = row["etag"].strip('"')
        if "ObjectSize" in wanted:
            out["ObjectSize"] = int(row["size"])
        if "StorageClass" in wanted:
            out["StorageClass"] = row["storage_class"]
        checksum = loads(row["checksum"])
        if "Checksum" in wanted and checksum.get("values"):
            out["Checksum"] = checksum_output(checksum)
        segments = segments_of(row)
        if "ObjectParts" in wanted and len(segments) > 1:
            # Paged like ListParts: x-amz-max-parts (default 1000) parts after x-amz-part-number-marker.
            marker = int(params.get("PartNumberMarker") or 0)
            limit = min(int(params["MaxParts"]) if params.get("MaxParts") is not None else 1000, 1000)
            page = list(enumerate(segments, 1))[marker : marker + limit]
            out["ObjectParts"] = {
                "TotalPartsCount": len(segments),
                "PartNumberMarker": marker,
                "NextPartNumberMarker": page[-1][0] if page else marker,
                "MaxParts": limit,
                "IsTruncated": marker + limit < len(segments),
                "Parts": [
                    {
                        "PartNumber": number,
                        "Size": int(s["size"]),
                        **{f"Checksum{a}": v for a, v in (s.get("checksums") or {}).items()},
                    }
                    for number, s in page
                ],
            }
        return out


def _etag_of(row: Row | None) -> str | None:
    if row is None or row["delete_marker"]:
        return None
    return str(row["etag"])
