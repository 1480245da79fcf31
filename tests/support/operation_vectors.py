"""What the readers answered before the old tables went (pinned test vectors, every model operation, row or not).

``audit/records.py`` (readOnly), ``server/pipeline.py`` (on-loop) and ``server/limits.py`` (body limits) read the
operations tables now; these are the answers they gave when the facts still lived in their own tables.
"""

from __future__ import annotations

import functools
from typing import Any

import botocore.loaders

READ_ONLY_PREFIXES = ("Describe", "Get", "List", "Lookup", "Search", "BatchGet", "Simulate", "Test", "Check")


# readOnly where it differs from the prefix rule (core/operations.READ_ONLY_PREFIXES, pinned above).
PINNED_READ_ONLY_EXCEPTIONS = {
    "kms:Decapsulate": True,
    "kms:Decrypt": True,
    "kms:DeriveSharedSecret": True,
    "kms:Encrypt": True,
    "kms:GenerateDataKey": True,
    "kms:GenerateDataKeyPair": True,
    "kms:GenerateDataKeyPairWithoutPlaintext": True,
    "kms:GenerateDataKeyWithoutPlaintext": True,
    "kms:GenerateMac": True,
    "kms:GenerateRandom": True,
    "kms:ReEncrypt": True,
    "kms:Sign": True,
    "kms:Verify": True,
    "kms:VerifyMac": True,
    "sts:AssumeRole": True,
    "sts:AssumeRoleWithSAML": True,
    "sts:AssumeRoleWithWebIdentity": True,
    "sts:DecodeAuthorizationMessage": True,
    "secretsmanager:ValidateResourcePolicy": True,
    # S3 (added with the service): HEAD requests read
    "s3:HeadBucket": True,
    "s3:HeadObject": True,
    # CloudWatch Logs (added with the service): a search that reads
    "logs:FilterLogEvents": True,
}
# Read-only operations that run in worker threads all the same (on SQLite; unimplemented ones included).
PINNED_READ_ONLY_OFF_LOOP = {
    # WAF v2 (added with the service): these unseal CAPTCHA API keys
    "wafv2:GetDecryptedAPIKey",
    "wafv2:ListAPIKeys",
    # Firewall Manager (added with the service): lists every named account's stages through API Gateway
    "fms:ListDiscoveredResources",
    # Macie (added with the service): these read S3 or KMS in-process, or run the sensitive-data engine
    "macie2:DescribeBuckets",
    "macie2:GetAllowList",
    "macie2:GetBucketStatistics",
    "macie2:GetResourceProfile",
    "macie2:GetSensitiveDataOccurrences",
    "macie2:ListResourceProfileArtifacts",
    "macie2:ListResourceProfileDetections",
    "macie2:SearchResources",
    "macie2:TestCustomDataIdentifier",
    # CloudWatch Logs (added with the service): event reads decrypt, through KMS for a group with a kmsKeyId
    "logs:FilterLogEvents",
    "logs:GetLogEvents",
    "kms:GenerateDataKeyPair",
    "kms:GenerateDataKeyPairWithoutPlaintext",
    "sts:AssumeRole",
    "sts:AssumeRoleWithSAML",
    "sts:AssumeRoleWithWebIdentity",
    "sts:GetFederationToken",
    "sts:GetSessionToken",
    # STS (implemented with issue 24): these write a session row or sign with a sealed key
    "sts:GetDelegatedAccessToken",
    "sts:GetScopedCredentials",
    "sts:GetWebIdentityToken",
    # S3 (added with the service): no S3 call runs on the loop; bodies stream and reads wait on blobs and KMS
    *(
        f"s3:{name}"
        for name in (
            "GetBucketAcl",
            "GetBucketCors",
            "GetBucketEncryption",
            "GetBucketLifecycleConfiguration",
            "GetBucketLocation",
            "GetBucketNotificationConfiguration",
            "GetBucketOwnershipControls",
            "GetBucketPolicy",
            "GetBucketPolicyStatus",
            "GetBucketReplication",
            "GetBucketTagging",
            "GetBucketVersioning",
            "GetObjectAttributes",
            "GetObjectLegalHold",
            "GetObjectLockConfiguration",
            "GetObjectRetention",
            "GetObjectTagging",
            "GetPublicAccessBlock",
            "HeadBucket",
            "ListBuckets",
            "ListMultipartUploads",
            "ListObjectVersions",
            "ListObjects",
            "ListObjectsV2",
            "ListParts",
        )
    ),
    "s3control:GetPublicAccessBlock",
}
PINNED_SERVICE_BODY_LIMITS = {
    "kms": 524288,
    "sts": 1048576,
    "iam": 33554432,
    "cloudtrail": 1048576,
    "events": 1048576,
    "ssm": 262144,
    "secretsmanager": 524288,
    "lambda": 70167211,
    "apigateway": 6291456,
    "acm": 4194304,
    "acm-pca": 4194304,
    "wafv2": 1048576,
    "shield": 1048576,
    "fms": 1048576,
    "guardduty": 1048576,
    "inspector2": 1048576,
    "inspector-scan": 1048576,
    "macie2": 1048576,
    "s3": 16777216,
    "s3control": 1048576,
    "logs": 8388608,
    "organizations": 1048576,
}
# Operation limits that differ from the service's; every other Lambda operation takes 1 MiB.
PINNED_OPERATION_BODY_LIMITS = {
    "lambda:CreateFunction": 70167211,
    "lambda:UpdateFunctionCode": 70167211,
    "lambda:PublishLayerVersion": 70167211,
    "lambda:Invoke": 6291456,
}
# Operations a read-only prefix would misclassify.
PINNED_MUTATING = {"iam:GenerateCredentialReport", "iam:GenerateServiceLastAccessedDetails"}


def read_only(service: str, operation: str) -> bool:
    key = f"{service}:{operation}"
    if key in PINNED_MUTATING:
        return False
    return PINNED_READ_ONLY_EXCEPTIONS.get(key, operation.startswith(READ_ONLY_PREFIXES))


def on_loop(service: str, operation: str) -> bool:
    return read_only(service, operation) and f"{service}:{operation}" not in PINNED_READ_ONLY_OFF_LOOP


def body_limit(service: str, operation: str) -> int:
    default = 1048576 if service == "lambda" else PINNED_SERVICE_BODY_LIMITS[service]
    return PINNED_OPERATION_BODY_LIMITS.get(f"{service}:{operation}", default)


@functools.cache
def _model(service: str) -> dict[str, Any]:
    model: dict[str, Any] = botocore.loaders.create_loader().load_service_model(service, "service-2")
    return model


def model_operations(service: str) -> list[str]:
    """Every operation of the service's botocore model, sorted."""
    return sorted(_model(service)["operations"])


def input_members(service: str, operation: str) -> list[str]:
    """The members of the operation's input shape (none when it takes no input)."""
    model = _model(service)
    shape = model["operations"][operation].get("input")
    return list(model["shapes"][shape["shape"]]["members"]) if shape else []
