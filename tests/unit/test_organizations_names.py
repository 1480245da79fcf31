"""Organizations' identifiers, ARNs and policy-document rules (services/organizations/names.py)."""

from __future__ import annotations

import json
import re

import botocore.session
import pytest

from strongroom.services.organizations import names

SCP, RCP = names.SCP, names.RCP


def _doc(*statements: dict[str, object]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _model_pattern(shape: str) -> re.Pattern[str]:
    model = botocore.session.get_session().get_service_model("organizations")
    return re.compile(str(model.shape_for(shape).metadata["pattern"]))


@pytest.mark.parametrize(
    ("make", "shape", "ours"),
    [
        (names.new_org_id, "OrganizationId", r"o-[a-z0-9]{10}"),
        (names.new_root_id, "RootId", r"r-[a-z0-9]{4}"),
        (names.new_policy_id, "PolicyId", r"p-[a-z0-9]{8}"),
        (names.new_handshake_id, "HandshakeId", r"h-[a-z0-9]{10}"),
        (names.new_create_request_id, "CreateAccountRequestId", r"car-[a-f0-9]{32}"),
    ],
)
def test_ids_match_the_model_and_aws_format(make: object, shape: str, ours: str) -> None:
    for _ in range(50):
        value = make()  # type: ignore[operator]
        assert _model_pattern(shape).fullmatch(value) and re.fullmatch(ours, value)


def test_ou_ids_carry_their_root() -> None:
    root = names.new_root_id()
    ou = names.new_ou_id(root)
    assert _model_pattern("OrganizationalUnitId").fullmatch(ou)
    assert ou.startswith(f"ou-{root[2:]}-") and len(ou.rsplit("-", 1)[1]) == 8
    assert names.target_kind(ou) == "ORGANIZATIONAL_UNIT"
    assert names.target_kind(root) == "ROOT"
    assert names.target_kind("123456789012") == "ACCOUNT"
    assert names.target_kind("p-12345678") is None and names.target_kind("12345") is None


def test_arns() -> None:
    assert (
        names.org_arn("111122223333", "o-abcdefghij") == "arn:aws:organizations::111122223333:organization/o-abcdefghij"
    )
    assert (
        names.policy_arn("111122223333", "o-abcdefghij", SCP, "p-FullAWSAccess")
        == "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess"
    )
    assert (
        names.policy_arn("111122223333", "o-abcdefghij", RCP, "p-abcdefgh")
        == "arn:aws:organizations::111122223333:policy/o-abcdefghij/resource_control_policy/p-abcdefgh"
    )
    assert (
        names.account_arn("111122223333", "o-abcdefghij", "444455556666")
        == "arn:aws:organizations::111122223333:account/o-abcdefghij/444455556666"
    )


def test_managed_policies_are_valid_documents_of_their_type() -> None:
    for policy in names.MANAGED_POLICIES.values():
        names.validate_policy(policy.content, policy.type)
        assert names.DEFAULT_POLICY[policy.type] == policy.policy_id


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "[]",
        json.dumps({"Version": "2012-10-17"}),
        json.dumps({"Version": "2008-10-17", "Statement": []}),
        _doc(),
        _doc({"Effect": "Maybe", "Action": "*", "Resource": "*"}),
        _doc({"Effect": "Deny", "Resource": "*"}),
        _doc({"Effect": "Deny", "Action": "*", "NotAction": "kms:*", "Resource": "*"}),
        _doc({"Effect": "Deny", "Action": "", "Resource": "*"}),
        _doc({"Effect": "Deny", "Action": "*", "Resource": "*", "NotResource": "*"}),
        _doc({"Effect": "Deny", "Action": "*", "Resource": "*", "Principal": "*"}),
        _doc({"Effect": "Deny", "Action": "*", "Resource": "*", "Bogus": 1}),
        _doc({"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "1"}}}),
    ],
)
def test_malformed_service_control_policies(content: str) -> None:
    with pytest.raises(names.PolicyDocumentError):
        names.validate_policy(content, SCP)


@pytest.mark.parametrize(
    "statement",
    [
        {"Effect": "Deny", "Action": "s3:*", "Resource": "*"},  # no Principal
        {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*", "Resource": "*"},
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"},  # customer RCPs only deny
        {"Effect": "Deny", "Principal": "*", "NotAction": "s3:GetObject", "Resource": "*"},
    ],
)
def test_malformed_resource_control_policies(statement: dict[str, object]) -> None:
    with pytest.raises(names.PolicyDocumentError):
        names.validate_policy(_doc(statement), RCP)


def test_valid_policies_and_the_size_limit() -> None:
    scp = _doc(
        {"Effect": "Deny", "NotAction": ["iam:*"], "Resource": "*", "Condition": {"StringEquals": {"a": "b"}}},
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
    )
    assert names.validate_policy(scp, SCP)["Statement"][1]["Effect"] == "Allow"
    rcp = _doc({"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole", "Resource": "*"})
    names.validate_policy(rcp, RCP)
    # whitespace counts: the limit is on the document as sent
    padded = scp[:-1] + " " * (5121 - len(scp)) + "}"
    assert len(padded) == 5121
    with pytest.raises(names.PolicyTooLarge):
        names.validate_policy(padded, SCP)
    names.validate_policy(padded[:-2] + "}", SCP)  # 5120: at the limit
    # bytes, not characters: 2-byte characters in a Sid count twice
    statement = {"Sid": "é" * 2540, "Effect": "Deny", "Action": "*", "Resource": "*"}
    wide = json.dumps({"Version": "2012-10-17", "Statement": [statement]}, ensure_ascii=False)
    assert len(wide) < 5120 < len(wide.encode())
    with pytest.raises(names.PolicyTooLarge):
        names.validate_policy(wide, SCP)
