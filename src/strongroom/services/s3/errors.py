"""S3's errors: the few its model declares, and the many more AWS answers (S3's "List of error codes"), with status.

Any name below is importable (``from strongroom.services.s3.errors import NoSuchBucket``) as a class with S3's
code and HTTP status. S3's error documents carry extra elements (``BucketName``, ``Key``, ``Condition``, ...):
:func:`error` puts them in the exception's ``fields``, which the rest-xml codec writes after ``Message``.
"""

from __future__ import annotations

from typing import Any

from strongroom.core.errors import AwsError
from strongroom.services.base.errors import ModelErrors

# code -> HTTP status, for the errors S3 answers that its model does not declare.
_UNMODELED: dict[str, int] = {
    "AccessControlListNotSupported": 400,
    "AuthorizationHeaderMalformed": 400,
    "BadDigest": 400,
    "BucketNotEmpty": 409,
    "ConditionalRequestConflict": 409,
    "EntityTooLarge": 400,
    "EntityTooSmall": 400,
    "IllegalLocationConstraintException": 400,
    "IncompleteBody": 400,
    "InternalError": 500,
    "InvalidAccessKeyId": 403,
    "InvalidArgument": 400,
    "InvalidBucketAclWithObjectOwnership": 400,
    "InvalidBucketName": 400,
    "InvalidBucketState": 409,
    "InvalidDigest": 400,
    "InvalidEncryptionAlgorithmError": 400,
    "InvalidLocationConstraint": 400,
    "InvalidPart": 400,
    "InvalidPartNumber": 416,
    "InvalidPartOrder": 400,
    "InvalidRange": 416,
    "InvalidRetentionPeriod": 400,
    "InvalidStorageClass": 400,
    "InvalidTag": 400,
    "KeyTooLongError": 400,
    "KMS.DisabledException": 400,
    "KMS.KMSInvalidStateException": 400,
    "KMS.NotFoundException": 400,
    "MalformedPolicy": 400,
    "MalformedXML": 400,
    "MetadataTooLarge": 400,
    "MethodNotAllowed": 405,
    "MissingContentLength": 411,
    "NoSuchBucketPolicy": 404,
    "NoSuchCORSConfiguration": 404,
    "NoSuchLifecycleConfiguration": 404,
    "NoSuchObjectLockConfiguration": 404,
    "NoSuchPublicAccessBlockConfiguration": 404,
    "NoSuchTagSet": 404,
    "NoSuchVersion": 404,
    "NoSuchWebsiteConfiguration": 404,
    "NotImplemented": 501,
    "NotModified": 304,
    "ObjectLockConfigurationNotFoundError": 404,
    "OwnershipControlsNotFoundError": 404,
    "PreconditionFailed": 412,
    "ReplicationConfigurationNotFoundError": 404,
    "RequestTimeTooSkewed": 403,
    "ServerSideEncryptionConfigurationNotFoundError": 404,
    "ServiceUnavailable": 503,
    "SignatureDoesNotMatch": 403,
    "SlowDown": 503,
    "XAmzContentSHA256Mismatch": 400,
}

_errors = ModelErrors("s3", extra=tuple(_UNMODELED), status=_UNMODELED)


def __getattr__(name: str) -> type[AwsError]:  # PEP 562: the class of an S3 error
    return _errors(name)


def error(code: str, message: str, **extra: str) -> AwsError:
    """An S3 error with the extra elements of its document (``BucketName=...``, ``Key=...``), in order."""
    fields: dict[str, Any] = {k: v for k, v in extra.items() if v is not None}
    return _errors(code)(message, **fields)
