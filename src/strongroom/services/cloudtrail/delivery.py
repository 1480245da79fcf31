"""CloudTrail and S3: trail files put into the trail's bucket, the checks CreateTrail makes, and reading them back.

Every S3 and KMS call here runs in-process through the pipeline (``ctx.call``), so it is validated, authorized and
audited like a call from outside:

* **Delivery** (``S3TrailObjects.put``, the server wires it as ``AuditLog.object_sink``): ``PutObject`` as the
  CloudTrail service principal (``userIdentity`` ``AWSService``, ``invokedBy: cloudtrail.amazonaws.com``) with
  ``x-amz-acl: bucket-owner-full-control``, so the bucket policy AWS documents ("Amazon S3 bucket policy for
  CloudTrail": ``s3:PutObject`` for ``cloudtrail.amazonaws.com`` on ``[prefix/]AWSLogs/ACCOUNT/*`` with
  ``"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}``) is what lets it in. Log files of a trail with
  a KmsKeyId are SSE-KMS under that key, with the encryption context AWS uses (``aws:cloudtrail:arn`` and S3's own
  ``aws:s3:arn``): "Each time CloudTrail puts a log file into your S3 bucket, Amazon S3 sends a GenerateDataKey
  request to AWS KMS on behalf of CloudTrail", so the key policy must allow ``cloudtrail.amazonaws.com``
  ``kms:GenerateDataKey*`` ("Configure AWS KMS key policies for CloudTrail"). Digests are SSE-S3 ("Digest files
  are encrypted with Amazon S3-managed encryption keys (SSE-S3)") and carry their signature as object metadata.
* **CreateTrail / UpdateTrail** (``check_destination``), when the bucket is an S3 bucket of this server: CloudTrail
  reads the bucket ACL as itself (the ``AWSCloudTrailAclCheck`` statement) and must be allowed to put its files,
  else ``InsufficientS3BucketPolicyException``; with a KmsKeyId, "CloudTrail sends a GenerateDataKey request to AWS
  KMS to verify that the KMS key exists and that CloudTrail has permission to use it for encryption. CloudTrail
  does not use the resulting data key", else ``InsufficientEncryptionPolicyException`` (or the key's own error).
  A bucket name that is no S3 bucket here keeps the documented fallback: the trail directory, unchecked.
* **Validation** (``S3TrailFiles``, for ``strongroom audit validate``): GetObject / HeadObject / ListObjectsV2 as
  the bucket owner's root, so SSE-KMS log files are decrypted by S3 as for any reader the key policy allows.

The calls carry ``source_arn`` / ``source_account`` (the trail) in their context for ``aws:SourceArn`` /
``aws:SourceAccount``, which AWS's current policies add as a best practice.
"""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from strongroom.audit.objects import DIGEST, TrailObject
from strongroom.core import context, ids
from strongroom.core.errors import AwsError
from strongroom.services.cloudtrail.errors import (
    InsufficientEncryptionPolicyException,
    InsufficientS3BucketPolicyException,
    InvalidKmsKeyIdException,
    KmsException,
    KmsKeyNotFoundException,
)

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext, ServiceRuntime

SERVICE_PRINCIPAL = "cloudtrail.amazonaws.com"
OWNER_ACL = "bucket-owner-full-control"
_MISSING = frozenset({"NoSuchKey", "NotFound", "NoSuchVersion", "404"})


def service_context(
    runtime: ServiceRuntime, account: str, region: str, trail_arn: str | None, operation: str
) -> RequestContext:
    """A request context of CloudTrail itself acting for the trail ``trail_arn`` of ``account``."""
    principal = context.Principal("AWSService", account, SERVICE_PRINCIPAL, SERVICE_PRINCIPAL)
    extras: dict[str, object] = {"source_account": account}
    if trail_arn:
        extras["source_arn"] = trail_arn
    return context.RequestContext(runtime, ids.request_id(), "cloudtrail", operation, region, principal, extras=extras)


def bucket_owner(runtime: ServiceRuntime, name: str) -> str | None:
    """The account owning the S3 bucket ``name``; None when there is none.

    S3 exports no owner lookup yet, so this asks S3's provider (through the registry, never an import) with the
    method its families share (``S3Base.read_bucket``).
    """
    read = getattr(runtime.providers.provider("s3"), "read_bucket", None)
    if read is None:
        return None
    try:
        return str(read(name).account_id)
    except AwsError:
        return None


def _log_context(trail_arn: str) -> str:
    """``x-amz-server-side-encryption-context``: CloudTrail's part of the encryption context (S3 adds its own)."""
    return base64.b64encode(json.dumps({"aws:cloudtrail:arn": trail_arn}).encode()).decode()


class S3TrailObjects:
    """Trail files in the server's S3 (``audit.objects.TrailObjectSink``), and S3 facts the audit log asks for."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime

    def bucket_owner(self, name: str) -> str | None:
        return bucket_owner(self.runtime, name)

    def put(self, obj: TrailObject) -> bool:
        if bucket_owner(self.runtime, obj.bucket) is None:
            return False  # not an S3 bucket here: the trail directory (asked without an audited call)
        ctx = service_context(self.runtime, obj.account_id, obj.region, obj.trail_arn, "DeliverLogFile")
        params: dict[str, Any] = {
            "Bucket": obj.bucket,
            "Key": obj.key,
            "Body": obj.body,
            "ACL": OWNER_ACL,
            "ContentType": "application/json",
            "ContentEncoding": "gzip",
        }
        if obj.kind == DIGEST:
            params["ServerSideEncryption"] = "AES256"
        elif obj.kms_key_id:
            params["ServerSideEncryption"] = "aws:kms"
            params["SSEKMSKeyId"] = obj.kms_key_id
            params["SSEKMSEncryptionContext"] = _log_context(obj.trail_arn)
        if obj.metadata:
            params["Metadata"] = dict(obj.metadata)
        try:
            ctx.call("s3", "PutObject", params, via="cloudtrail")
        except AwsError as exc:
            if exc.code == "NoSuchBucket":
                return False
            raise
        return True

    def delete(self, obj: TrailObject) -> None:
        """Remove a duplicate this server put (another node delivered the same records first, or a later file of
        the same delivery was refused). CloudTrail's policy grants it no s3:DeleteObject, so the server does it as
        the bucket's owner (``invokedBy: cloudtrail.amazonaws.com`` in the record): left in place, the duplicate
        would be a log file no digest lists."""
        owner = bucket_owner(self.runtime, obj.bucket)
        if owner is None:
            return
        ctx = context.service_context(self.runtime, "cloudtrail", "DeliverLogFile", obj.region, owner)
        ctx.call("s3", "DeleteObject", {"Bucket": obj.bucket, "Key": obj.key}, via="cloudtrail")


# -- CreateTrail / UpdateTrail -------------------------------------------------------------------------------------


def check_destination(
    runtime: ServiceRuntime,
    *,
    trail_arn: str,
    account: str,
    region: str,
    bucket: str,
    prefix: str | None,
    kms_key_id: str | None,
    validation: bool,
) -> str | None:
    """Check that CloudTrail may deliver the trail's files into ``bucket`` (when it is an S3 bucket here).

    Returns the KmsKeyId to store: the key ARN KMS resolved, or the value as given when the bucket is not an S3
    bucket of this server (the trail then writes to its directory and nothing is checked, as before).
    """
    if bucket_owner(runtime, bucket) is None:
        return kms_key_id
    ctx = service_context(runtime, account, region, trail_arn, "CreateTrail")
    try:
        ctx.call("s3", "GetBucketAcl", {"Bucket": bucket}, via="cloudtrail")
    except AwsError as exc:
        if exc.code == "NoSuchBucket":
            return kms_key_id
        raise _bucket_policy_error(bucket) from None
    folder = f"{prefix}/" if prefix else ""
    kinds = ["CloudTrail", "CloudTrail-Digest"] if validation else ["CloudTrail"]
    put = runtime.catalog.service("s3").operation_model("PutObject")
    # Authorized as the in-process PutObject of delivery will be (pipeline.call's context), without writing.
    probe = replace(
        ctx,
        service="s3",
        operation="PutObject",
        extras={
            **ctx.extras,
            "via_service": f"cloudtrail.{region}.amazonaws.com",
            "called_via": [SERVICE_PRINCIPAL],
        },
    )
    for kind in kinds:
        key = f"{folder}AWSLogs/{account}/{kind}/{region}/"
        params: dict[str, Any] = {"Bucket": bucket, "Key": key, "ACL": OWNER_ACL}
        try:
            runtime.authorize(probe, put, params)
        except AwsError:
            raise _bucket_policy_error(bucket) from None
    if not kms_key_id:
        return None
    request = {
        "KeyId": kms_key_id,
        "KeySpec": "AES_256",
        "EncryptionContext": {
            "aws:cloudtrail:arn": trail_arn,
            "aws:s3:arn": f"arn:aws:s3:::{bucket}/{folder}AWSLogs/{account}/",
        },
    }
    try:
        out = ctx.call("kms", "GenerateDataKey", request, via="cloudtrail")
    except AwsError as exc:
        raise _kms_error(exc, bucket, kms_key_id) from None
    return str(out["KeyId"])


def _bucket_policy_error(bucket: str) -> AwsError:
    return InsufficientS3BucketPolicyException(f"Incorrect S3 bucket policy is detected for bucket: {bucket}")


def _kms_error(exc: AwsError, bucket: str, key: str) -> AwsError:
    if exc.code == "NotFoundException":
        return KmsKeyNotFoundException(f"KMS key {key} does not exist.")
    if exc.code in ("DisabledException", "KMSInvalidStateException"):
        return KmsException(exc.message)
    if exc.code in ("InvalidKeyUsageException", "ValidationException", "InvalidArnException"):
        return InvalidKmsKeyIdException(f"Invalid KMS key id: {key}. {exc.message}")
    if exc.code == "AccessDeniedException":
        return InsufficientEncryptionPolicyException(
            f"Insufficient permissions to access S3 bucket {bucket} or KMS key {key}."
        )
    return KmsException(exc.message)


# -- validation --------------------------------------------------------------------------------------------------


class S3TrailFiles:
    """``audit.validate.TrailFiles`` over the server's S3, read in-process as the bucket owner's root user."""

    def __init__(self, runtime: ServiceRuntime, owner: str, region: str) -> None:
        self.ctx: RequestContext = context.service_context(runtime, "cloudtrail", "ValidateLogs", region, owner)
        self._last: tuple[tuple[str, str], tuple[bytes, dict[str, str]] | None] | None = None

    def _get(self, bucket: str, key: str) -> tuple[bytes, dict[str, str]] | None:
        if self._last is not None and self._last[0] == (bucket, key):
            return self._last[1]  # a digest is read for its content and then for its signature
        try:
            out = self.ctx.call("s3", "GetObject", {"Bucket": bucket, "Key": key}, via="cloudtrail")
        except AwsError as exc:
            if exc.code in _MISSING:
                found = None
            else:
                raise
        else:
            body = out.get("Body")
            data = body if isinstance(body, bytes) else b"".join(body or ())
            found = (data, {str(k).lower(): str(v) for k, v in (out.get("Metadata") or {}).items()})
        self._last = ((bucket, key), found)
        return found

    def read(self, bucket: str, key: str) -> bytes | None:
        found = self._get(bucket, key)
        return found[0] if found is not None else None

    def exists(self, bucket: str, key: str) -> bool:
        try:
            self.ctx.call("s3", "HeadObject", {"Bucket": bucket, "Key": key}, via="cloudtrail")
        except AwsError as exc:
            if exc.code in _MISSING:
                return False
            raise
        return True

    def signature(self, bucket: str, key: str) -> str | None:
        found = self._get(bucket, key)
        return found[1].get("signature") if found is not None else None

    def keys(self, bucket: str, folder: str) -> list[str]:
        found: list[str] = []
        params: dict[str, Any] = {"Bucket": bucket, "Prefix": f"{folder}/"}
        while True:
            out = self.ctx.call("s3", "ListObjectsV2", params, via="cloudtrail")
            found += [str(o["Key"]) for o in out.get("Contents") or () if str(o.get("Key", "")).endswith(".json.gz")]
            token = out.get("NextContinuationToken")
            if not out.get("IsTruncated") or not token:
                return found
            params = {**params, "ContinuationToken": token}
