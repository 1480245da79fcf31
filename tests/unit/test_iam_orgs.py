"""Which organization policies bound which request (iam/orgs.py), per AWS's lists of exemptions."""

from __future__ import annotations

from typing import Any

import pytest

from strongroom.iam.orgs import AccountOrg, OrgBounds, OrgRecord, principal_keys, rcps_for, resource_keys, scps_for
from strongroom.services.organizations.names import PolicyDocumentError, validate_policy

DENY_ALL_SCP = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}
RCP = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*"}]}


def _record(account: str, management: str = "111111111111") -> OrgRecord:
    return OrgRecord("o-abcdefghij", management, "o-abcdefghij/r-ab12/", [[DENY_ALL_SCP]], [[RCP]])


def _org(management: bool = False) -> AccountOrg:
    bounds = OrgBounds(lambda account: _record(account))
    org = bounds.account("111111111111" if management else "222222222222")
    assert org is not None
    return org


def test_scps_bound_member_principals_only() -> None:
    member = _org()
    assert scps_for(member, has_identity=True, role_arn=None) == member.scps
    assert member.scps is not None and len(member.scps) == 1
    assert scps_for(_org(management=True), has_identity=True, role_arn=None) is None
    assert scps_for(member, has_identity=False, role_arn=None) is None  # AWS service principals
    slr = "arn:aws:iam::222222222222:role/aws-service-role/ops.example.com/AWSServiceRoleForOps"
    assert scps_for(member, has_identity=True, role_arn=slr) is None
    assert scps_for(None, has_identity=True, role_arn=None) is None


@pytest.mark.parametrize(
    ("action", "bound"),
    [
        ("kms:Decrypt", True),
        ("secretsmanager:GetSecretValue", True),
        ("s3:GetObject", True),
        ("sts:AssumeRole", True),
        ("logs:PutLogEvents", True),
        ("kms:RetireGrant", False),  # KMS: never controlled by RCPs
        ("ssm:GetParameter", False),  # not an RCP service
        ("acm:DescribeCertificate", False),
    ],
)
def test_rcps_bound_the_listed_services_of_member_accounts(action: str, bound: bool) -> None:
    member = _org()
    assert (rcps_for(member, action, role_arn=None) is not None) is bound
    assert rcps_for(_org(management=True), action, role_arn=None) is None


def test_org_keys() -> None:
    member = _org()
    assert principal_keys(member) == {
        "aws:PrincipalOrgID": "o-abcdefghij",
        "aws:PrincipalOrgPaths": ["o-abcdefghij/r-ab12/"],
    }
    assert resource_keys(member)["aws:ResourceOrgID"] == "o-abcdefghij"
    assert principal_keys(None) == {} and resource_keys(None) == {}


def test_facts_are_cached_and_dropped_on_a_write() -> None:
    calls: list[str] = []

    def source(account: str) -> OrgRecord | None:
        calls.append(account)
        return None

    bounds = OrgBounds(source)
    assert bounds.account("222222222222") is None and bounds.account("222222222222") is None
    assert calls == ["222222222222"]
    bounds.changed()
    bounds.account("222222222222")
    assert len(calls) == 2


@pytest.mark.parametrize(
    "statement",
    [
        {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Principal": "*", "Action": ["kms:*", "*"], "Resource": "*"},
        {"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"},
        {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*"},
        {"Effect": "Deny", "Principal": "*", "NotAction": "kms:*", "Resource": "*"},
    ],
)
def test_rcp_documents_organizations_refuses(statement: dict[str, Any]) -> None:
    import json

    with pytest.raises(PolicyDocumentError):
        validate_policy(json.dumps({"Version": "2012-10-17", "Statement": [statement]}), "RESOURCE_CONTROL_POLICY")
