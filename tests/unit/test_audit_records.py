"""Record building: CloudTrail's names, what it hides, readOnly, identities, and the digest signing string."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from typing import Any

import botocore.session
import pytest
from botocore.model import Shape

from strongroom.audit.records import (
    HIDDEN,
    CallFacts,
    ClaimedKey,
    build_records,
    camel,
    is_read_only,
    java_time,
    render,
    resource_type,
    service_event_record,
    username_of,
)
from strongroom.audit.trails import selected, signing_string
from strongroom.core.context import Principal
from strongroom.core.operations import Operation

SESSION = botocore.session.get_session()
SERVICES = ("kms", "iam", "sts", "secretsmanager", "ssm", "acm", "acm-pca", "cloudtrail", "events", "lambda", "logs")
CANARY = "SECRET-CANARY"
AT = datetime(2025, 5, 20, 20, 46, 16, 123000, tzinfo=UTC)


def _fill(shape: Shape, counter: itertools.count[int], depth: int = 0, secret: bool = False) -> Any:
    """A value for every member; members the model marks sensitive carry a canary."""
    secret = secret or bool(shape.metadata.get("sensitive"))
    kind = shape.type_name
    if kind == "structure":
        if depth > 5:
            return {}
        members = shape.members
        return {
            name: _fill(member, counter, depth + 1, secret or bool(member.metadata.get("sensitive")))
            for name, member in members.items()
        }
    if kind == "list":
        return [] if depth > 5 else [_fill(shape.member, counter, depth + 1, secret)]
    if kind == "map":
        return {} if depth > 5 else {"k": _fill(shape.value, counter, depth + 1, secret)}
    if kind == "blob":
        return f"{CANARY}-{next(counter)}".encode() if secret else b"\x00public"
    if kind == "string":
        return f"{CANARY}-{next(counter)}" if secret else "value"
    if kind == "timestamp":
        return AT
    if kind == "boolean":
        return True
    return 1


@pytest.mark.parametrize("service", SERVICES)
def test_no_sensitive_member_is_ever_rendered(service: str) -> None:
    model = SESSION.get_service_model(service)
    counter = itertools.count()
    for name in model.operation_names:
        operation = model.operation_model(name)
        for shape in (operation.input_shape, operation.output_shape):
            if shape is None:
                continue
            text = json.dumps(render(shape, _fill(shape, counter)), default=str)
            assert CANARY not in text, f"{service}:{name}"


def _row(service: str, operation: str) -> Operation | None:
    from strongroom.services.registry import ProviderRegistry

    return ProviderRegistry(runtime=None).operation(service, operation)  # type: ignore[arg-type]


def _facts(service: str, operation: str, params: dict[str, Any], output: dict[str, Any] | None = None) -> CallFacts:
    model = SESSION.get_service_model(service)
    return CallFacts(
        request_id="req-1",
        event_time=AT,
        user_agent="ua",
        service=model,
        operation=model.operation_model(operation),
        principal=Principal.root("111122223333", "AKIAEXAMPLE"),
        region="us-west-2",
        params=params,
        output=output,
        spec=_row(service, operation),  # as the pipeline sets it
    )


KEY = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:us-west-2:111122223333:key/{KEY}"


def test_kms_decrypt_record_is_cloudtrails() -> None:
    facts = _facts(
        "kms",
        "Decrypt",
        {"CiphertextBlob": b"\x01secret-ciphertext", "EncryptionContext": {"Department": "Engineering"}},
        {"KeyId": KEY_ARN, "Plaintext": b"the plaintext", "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"},
    )
    (record,) = build_records(facts)
    assert record["requestParameters"] == {
        "encryptionContext": {"Department": "Engineering"},
        "encryptionAlgorithm": "SYMMETRIC_DEFAULT",
        "keyId": KEY_ARN,
    }
    assert record["responseElements"] is None
    assert record["readOnly"] is True
    assert record["eventTime"] == "2025-05-20T20:46:16Z"
    assert record["resources"] == [{"accountId": "111122223333", "type": "AWS::KMS::Key", "ARN": KEY_ARN}]
    assert "plaintext" not in json.dumps(record).lower().replace('"plaintext"', "")


def test_ssm_secure_value_is_hidden_and_secretsmanager_secret_omitted() -> None:
    (ssm,) = build_records(
        _facts("ssm", "PutParameter", {"Name": "/db/pw", "Value": "hunter2", "Type": "SecureString"})
    )
    assert ssm["requestParameters"]["value"] == HIDDEN
    assert ssm["requestParameters"]["name"] == "/db/pw"
    (sm,) = build_records(_facts("secretsmanager", "PutSecretValue", {"SecretId": "s", "SecretString": "hunter2"}))
    assert sm["requestParameters"] == {"secretId": "s"}


def test_failed_call_records_error_and_no_response() -> None:
    facts = _facts("kms", "CreateKey", {"Description": "d"}, {"KeyMetadata": {"KeyId": KEY}})
    facts.error_code, facts.error_message = "ValidationException", "1 validation error detected"
    (record,) = build_records(facts)
    assert record["errorCode"] == "ValidationException"
    assert record["errorMessage"] == "1 validation error detected"
    assert record["responseElements"] is None


def test_claimed_key_and_unknown_key() -> None:
    facts = _facts("kms", "CreateKey", {})
    facts.principal = None
    facts.params = None
    facts.access_key_id = "AKIACLAIMED"
    facts.error_code = "UnrecognizedClientException"
    (unknown,) = build_records(facts)
    assert unknown["userIdentity"] == {"type": "Unknown", "accessKeyId": "AKIACLAIMED"}
    assert unknown["recipientAccountId"] is None
    facts.claimed = ClaimedKey(
        "AKIACLAIMED", "111122223333", "IAMUser", "arn:aws:iam::111122223333:user/bob", "AIDA1", "bob"
    )
    (claimed,) = build_records(facts)
    assert claimed["recipientAccountId"] == "111122223333"
    assert claimed["userIdentity"]["userName"] == "bob"
    assert username_of(claimed["userIdentity"]) == "bob"


def test_assumed_role_identity_has_session_context() -> None:
    facts = _facts("kms", "ListKeys", {})
    facts.principal = Principal(
        "AssumedRole",
        "111122223333",
        "arn:aws:sts::111122223333:assumed-role/Admin/alice",
        "AROAEXAMPLE:alice",
        "ASIA1",
    )
    (record,) = build_records(facts)
    identity = record["userIdentity"]
    assert identity["sessionContext"]["sessionIssuer"] == {
        "type": "Role",
        "principalId": "AROAEXAMPLE",
        "arn": "arn:aws:iam::111122223333:role/Admin",
        "accountId": "111122223333",
        "userName": "Admin",
    }
    assert username_of(identity) == "alice"


def test_cross_account_resource_gets_a_shared_event() -> None:
    other = "arn:aws:kms:us-west-2:999988887777:key/" + KEY
    records = build_records(_facts("kms", "Encrypt", {"KeyId": other, "Plaintext": b"x"}, {"KeyId": other}))
    assert [r["recipientAccountId"] for r in records] == ["111122223333", "999988887777"]
    assert records[0]["sharedEventID"] == records[1]["sharedEventID"]
    assert records[0]["eventID"] != records[1]["eventID"]


def test_service_event() -> None:
    record = service_event_record("kms", "DeleteKey", "111122223333", "us-west-2", [KEY_ARN], {"keyId": KEY}, AT)
    assert record["eventType"] == "AwsServiceEvent"
    assert record["userIdentity"] == {
        "type": "AWSService",
        "accountId": "111122223333",
        "invokedBy": "kms.amazonaws.com",
    }
    assert record["serviceEventDetails"] == {"keyId": KEY}
    assert record["resources"][0]["type"] == "AWS::KMS::Key"


@pytest.mark.parametrize(
    ("service", "operation", "expected"),
    [
        ("kms", "Encrypt", True),
        ("kms", "GenerateDataKeyWithoutPlaintext", True),
        ("kms", "DescribeKey", True),
        ("kms", "ListAliases", True),
        ("kms", "CreateKey", False),
        ("kms", "ScheduleKeyDeletion", False),
        ("cloudtrail", "LookupEvents", True),
        ("cloudtrail", "StopLogging", False),
        ("sts", "AssumeRole", True),
        ("iam", "GenerateCredentialReport", False),
    ],
)
def test_read_only_table(service: str, operation: str, expected: bool) -> None:
    assert is_read_only(service, operation, _row(service, operation)) is expected


def test_names_and_times() -> None:
    assert [camel(n) for n in ("KeyId", "ARN", "TrailARN", "KMSKeyId", "S3BucketName")] == [
        "keyId",
        "arn",
        "trailARN",
        "kmsKeyId",
        "s3BucketName",
    ]
    assert java_time(datetime(2023, 1, 4, 18, 41, 11, tzinfo=UTC)) == "Jan 4, 2023, 6:41:11 PM"
    assert java_time(datetime(2023, 1, 4, 0, 5, 1, tzinfo=UTC)) == "Jan 4, 2023, 12:05:01 AM"
    assert resource_type("arn:aws:secretsmanager:us-east-1:1:secret:x") == "AWS::SecretsManager::Secret"
    assert resource_type("arn:aws:events:us-east-1:1:event-bus/default") == "AWS::Events::EventBus"


def test_signing_string_is_awss() -> None:
    digest = {
        "digestEndTime": "2015-08-17T15:01:31Z",
        "digestS3Bucket": "bucket",
        "digestS3Object": "AWSLogs/1/CloudTrail-Digest/x.json.gz",
        "previousDigestSignature": None,
    }
    text = signing_string(digest, b"{}").decode()
    assert text.split("\n") == [
        "2015-08-17T15:01:31Z",
        "bucket/AWSLogs/1/CloudTrail-Digest/x.json.gz",
        "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
        "null",
    ]


class _Trail:
    def __init__(self, selectors: Any = None, advanced: Any = None) -> None:
        self.event_selectors = json.dumps(selectors) if selectors is not None else None
        self.advanced_event_selectors = json.dumps(advanced) if advanced is not None else None


def test_event_selectors() -> None:
    write = {"readOnly": False, "eventSource": "kms.amazonaws.com", "eventCategory": "Management"}
    read = dict(write, readOnly=True)
    assert selected(read, _Trail())  # type: ignore[arg-type]
    only_writes = _Trail([{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}])
    assert selected(write, only_writes) and not selected(read, only_writes)  # type: ignore[arg-type]
    no_mgmt = _Trail([{"ReadWriteType": "All", "IncludeManagementEvents": False}])
    assert not selected(write, no_mgmt)  # type: ignore[arg-type]
    advanced = _Trail(
        advanced=[
            {
                "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Management"]},
                    {"Field": "readOnly", "Equals": ["true"]},
                ]
            }
        ]
    )
    assert selected(read, advanced) and not selected(write, advanced)  # type: ignore[arg-type]
