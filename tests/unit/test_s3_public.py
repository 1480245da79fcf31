"""S3's meaning of "public" for bucket policies and ACLs, and Block Public Access (services/s3/public.py).

The policy table starts with the examples of the S3 User Guide ("Blocking public access", "The meaning of
'public'" and "How Amazon S3 evaluates a bucket policy that contains both public and non-public access grants"),
then AWS's example bucket policies, then the edges of each documented rule.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from strongroom.iam.policy import MalformedPolicyDocumentError
from strongroom.services.s3.public import (
    ALL_USERS,
    AUTHENTICATED_USERS,
    BlockPublicAccess,
    is_public_acl,
    is_public_policy,
    is_public_request_acl,
    policy_status,
    without_public_statements,
)

OWNER, OTHER = "111111111111", "222222222222"


def _allow(principal: Any, condition: dict[str, Any] | None = None, **more: Any) -> dict[str, Any]:
    st: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": "s3:GetObject", "Resource": "*"}
    if condition is not None:
        st["Condition"] = condition
    st.update(more)
    return st


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


# (case, statements, public)
POLICIES: list[tuple[str, list[dict[str, Any]], bool]] = [
    # --- the User Guide's examples -----------------------------------------------------------------------------------
    (
        "guide: federated principal",
        [
            {
                "Principal": {"Federated": "graph.facebook.com"},
                "Resource": "*",
                "Action": "s3:PutObject",
                "Effect": "Allow",
            }
        ],
        True,
    ),
    ("guide: Principal *", [{"Principal": "*", "Resource": "*", "Action": "s3:PutObject", "Effect": "Allow"}], True),
    (
        "guide: wildcard aws:SourceVpc",
        [_allow("*", {"StringLike": {"aws:SourceVpc": "vpc-*"}}, Action="s3:PutObject")],
        True,
    ),
    (
        "guide: fixed aws:SourceVpc",
        [_allow("*", {"StringEquals": {"aws:SourceVpc": "vpc-91237329"}}, Action="s3:PutObject")],
        False,
    ),
    (
        "guide: CloudTrail, Account-2 and the public",
        [
            _allow({"Service": "cloudtrail.amazonaws.com"}, Action="s3:PutObject"),
            _allow({"AWS": f"arn:aws:iam::{OTHER}:root"}),
            _allow("*"),
        ],
        True,
    ),
    (
        "guide: CloudTrail and Account-2",
        [_allow({"Service": "cloudtrail.amazonaws.com"}, Action="s3:PutObject"), _allow({"AWS": OTHER})],
        False,
    ),
    ("guide: aws:SourceIp 0.0.0.0/1", [_allow("*", {"IpAddress": {"aws:SourceIp": "0.0.0.0/1"}})], True),
    # --- AWS's example bucket policies ------------------------------------------------------------------------------
    (
        "example: read-only for anonymous users",
        [
            {
                "Sid": "PublicRead",
                "Effect": "Allow",
                "Principal": "*",
                "Action": ["s3:GetObject", "s3:GetObjectVersion"],
                "Resource": ["arn:aws:s3:::amzn-s3-demo-bucket/*"],
            }
        ],
        True,
    ),
    (
        "example: restrict to IP addresses",
        [
            {
                "Sid": "IPAllow",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*",
                "Condition": {
                    "IpAddress": {"aws:SourceIp": "54.240.143.0/24"},
                    "NotIpAddress": {"aws:SourceIp": "54.240.143.188/32"},
                },
            }
        ],
        False,
    ),
    (
        "example: CloudFront origin access control",
        [
            {
                "Sid": "AllowCloudFrontServicePrincipalReadOnly",
                "Effect": "Allow",
                "Principal": {"Service": "cloudfront.amazonaws.com"},
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*",
                "Condition": {
                    "StringEquals": {"AWS:SourceArn": "arn:aws:cloudfront::111122223333:distribution/EDFDVBD6EXAMPLE"}
                },
            }
        ],
        False,
    ),
    (
        "example: access from one organization",
        [_allow({"AWS": "*"}, {"StringEquals": {"aws:PrincipalOrgID": "o-aa111bb222"}})],
        False,
    ),
    (
        "example: server access logging service principal",
        [
            _allow(
                {"Service": "logging.s3.amazonaws.com"},
                {
                    "ArnLike": {"aws:SourceArn": "arn:aws:s3:::source-bucket"},
                    "StringEquals": {"aws:SourceAccount": OWNER},
                },
                Action="s3:PutObject",
            )
        ],
        False,
    ),
    (
        "example: deny insecure transport only",
        [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
        False,
    ),
    # --- principals -----------------------------------------------------------------------------------------------
    ("principal AWS *", [_allow({"AWS": "*"})], True),
    ("principal account id", [_allow({"AWS": OTHER})], False),
    ("principal user ARN", [_allow({"AWS": f"arn:aws:iam::{OTHER}:user/Dave"})], False),
    ("principal role session", [_allow({"AWS": f"arn:aws:sts::{OTHER}:assumed-role/r/s"})], False),
    (
        "principal canonical user",
        [_allow({"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"})],
        False,
    ),
    ("principal list with *", [_allow({"AWS": [f"arn:aws:iam::{OTHER}:root", "*"]})], True),
    ("principal wildcarded user", [_allow({"AWS": f"arn:aws:iam::{OTHER}:user/*"})], True),
    ("principal federated web identity", [_allow({"Federated": "cognito-identity.amazonaws.com"})], True),
    (
        "NotPrincipal with Allow",
        [{"Effect": "Allow", "NotPrincipal": {"AWS": OTHER}, "Action": "s3:*", "Resource": "*"}],
        True,
    ),
    (
        "NotPrincipal with Deny",
        [{"Effect": "Deny", "NotPrincipal": {"AWS": OTHER}, "Action": "s3:*", "Resource": "*"}],
        False,
    ),
    ("only a public Deny", [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}], False),
    ("actions do not matter", [_allow("*", Action="s3:GetBucketPolicyStatus")], True),
    # --- aws:SourceIp breadth ---------------------------------------------------------------------------------------
    ("SourceIp /8", [_allow("*", {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})], False),
    ("SourceIp /7", [_allow("*", {"IpAddress": {"aws:SourceIp": "10.0.0.0/7"}})], True),
    ("SourceIp one broad of two", [_allow("*", {"IpAddress": {"aws:SourceIp": ["192.0.2.0/24", "0.0.0.0/0"]}})], True),
    ("SourceIp single address", [_allow("*", {"IpAddress": {"aws:SourceIp": "203.0.113.7"}})], False),
    ("SourceIp IPv6 /32", [_allow("*", {"IpAddress": {"aws:SourceIp": "2001:db8::/32"}})], False),
    ("SourceIp IPv6 /31", [_allow("*", {"IpAddress": {"aws:SourceIp": "2001:db8::/31"}})], True),
    ("SourceIp with NotIpAddress", [_allow("*", {"NotIpAddress": {"aws:SourceIp": "192.0.2.0/24"}})], True),
    ("SourceIp IfExists", [_allow("*", {"IpAddressIfExists": {"aws:SourceIp": "192.0.2.0/24"}})], True),
    # --- the other keys ---------------------------------------------------------------------------------------------
    ("SourceArn fixed", [_allow("*", {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:111111111111:t"}})], False),
    ("SourceArn wildcard", [_allow("*", {"ArnLike": {"aws:SourceArn": "arn:aws:sns:us-east-1:*:t"}})], True),
    ("SourceAccount fixed", [_allow("*", {"StringEquals": {"aws:SourceAccount": OWNER}})], False),
    ("SourceAccount variable", [_allow("*", {"StringEquals": {"aws:SourceAccount": "${aws:PrincipalAccount}"}})], True),
    ("SourceOwner fixed", [_allow("*", {"StringEquals": {"aws:SourceOwner": OWNER}})], False),
    ("SourceVpce fixed", [_allow("*", {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}})], False),
    ("SourceVpce ? wildcard", [_allow("*", {"StringLike": {"aws:SourceVpce": "vpce-1a2b3c4?"}})], True),
    (
        "kms key id fixed",
        [
            _allow(
                "*",
                {
                    "StringEquals": {
                        "s3:x-amz-server-side-encryption-aws-kms-key-id": "arn:aws:kms:us-east-1:111111111111:key/k"
                    }
                },
            )
        ],
        False,
    ),
    ("userid role sessions", [_allow("*", {"StringLike": {"aws:userid": "AROAEXAMPLEID:*"}})], False),
    ("userid fixed", [_allow("*", {"StringEquals": {"aws:userid": "AIDAEXAMPLEID"}})], False),
    ("userid wildcard", [_allow("*", {"StringLike": {"aws:userid": "AIDA*"}})], True),
    (
        "access point arn, any name of a fixed account",
        [_allow("*", {"StringLike": {"s3:DataAccessPointArn": "arn:aws:s3:us-west-2:123456789012:accesspoint/*"}})],
        False,
    ),
    (
        "access point arn, any account",
        [_allow("*", {"StringLike": {"s3:DataAccessPointArn": "arn:aws:s3:us-west-2:*:accesspoint/*"}})],
        True,
    ),
    ("access point account", [_allow("*", {"StringEquals": {"s3:DataAccessPointAccount": OWNER}})], False),
    ("PrincipalOrgID wildcard", [_allow("*", {"StringLike": {"aws:PrincipalOrgID": "o-*"}})], True),
    ("PrincipalAccount fixed", [_allow("*", {"StringEquals": {"aws:PrincipalAccount": OTHER}})], False),
    # --- operators and unlisted keys --------------------------------------------------------------------------------
    ("StringNotEquals restricts nothing", [_allow("*", {"StringNotEquals": {"aws:SourceVpc": "vpc-1"}})], True),
    ("IfExists restricts nothing", [_allow("*", {"StringEqualsIfExists": {"aws:SourceVpc": "vpc-1"}})], True),
    ("ForAllValues restricts nothing", [_allow("*", {"ForAllValues:StringEquals": {"aws:SourceVpc": "vpc-1"}})], True),
    ("ForAnyValue fixed", [_allow("*", {"ForAnyValue:StringEquals": {"aws:SourceVpc": "vpc-1"}})], False),
    ("Null restricts nothing", [_allow("*", {"Null": {"aws:SourceVpc": "false"}})], True),
    ("key names are case-blind", [_allow("*", {"StringEquals": {"AWS:SOURCEVPC": "vpc-1"}})], False),
    ("unlisted key s3:prefix", [_allow("*", {"StringEquals": {"s3:prefix": "home/"}})], True),
    ("unlisted key SecureTransport", [_allow("*", {"Bool": {"aws:SecureTransport": "true"}})], True),
    (
        "one fixed clause among others",
        [_allow("*", {"Bool": {"aws:SecureTransport": "true"}, "StringEquals": {"aws:SourceVpc": "vpc-1"}})],
        False,
    ),
]


@pytest.mark.parametrize(("case", "statements", "public"), POLICIES, ids=[p[0] for p in POLICIES])
def test_is_public_policy(case: str, statements: list[dict[str, Any]], public: bool) -> None:
    assert is_public_policy(_doc(*statements)) is public
    assert policy_status(_doc(*statements)) == {"PolicyStatus": {"IsPublic": public}}


def test_a_policy_as_a_mapping() -> None:
    assert is_public_policy({"Version": "2012-10-17", "Statement": [_allow("*")]})


def test_malformed_policy() -> None:
    with pytest.raises(MalformedPolicyDocumentError):
        is_public_policy('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]}')
    with pytest.raises(MalformedPolicyDocumentError):
        is_public_policy("not json")


def test_without_public_statements() -> None:
    cloudtrail = _allow({"Service": "cloudtrail.amazonaws.com"}, Action="s3:PutObject")
    account2 = _allow({"AWS": OTHER})
    deny = {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket", "Resource": "*"}
    text = json.dumps({"Version": "2012-10-17", "Id": "p", "Statement": [cloudtrail, account2, _allow("*"), deny]})
    stripped = without_public_statements(text)
    assert stripped is not None
    assert json.loads(stripped) == {"Version": "2012-10-17", "Id": "p", "Statement": [cloudtrail, account2, deny]}
    assert not is_public_policy(stripped)
    assert without_public_statements(_doc(_allow("*"))) is None


# --- ACLs ----------------------------------------------------------------------------------------------------------


def _grant(grantee: dict[str, str], permission: str = "READ") -> dict[str, Any]:
    return {"Grantee": grantee, "Permission": permission}


OWNER_GRANT = _grant(
    {"Type": "CanonicalUser", "ID": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}
)
ACLS: list[tuple[str, list[dict[str, Any]], bool]] = [
    ("AllUsers READ", [OWNER_GRANT, _grant({"Type": "Group", "URI": ALL_USERS})], True),
    ("AuthenticatedUsers WRITE_ACP", [_grant({"Type": "Group", "URI": AUTHENTICATED_USERS}, "WRITE_ACP")], True),
    (
        "LogDelivery",
        [_grant({"Type": "Group", "URI": "http://acs.amazonaws.com/groups/s3/LogDelivery"}, "WRITE")],
        False,
    ),
    ("owner only", [OWNER_GRANT], False),
    ("no grants", [], False),
]


@pytest.mark.parametrize(("case", "grants", "public"), ACLS, ids=[a[0] for a in ACLS])
def test_is_public_acl(case: str, grants: list[dict[str, Any]], public: bool) -> None:
    assert is_public_acl(grants) is public


REQUEST_ACLS: list[tuple[dict[str, Any], bool]] = [
    ({"ACL": "public-read"}, True),
    ({"ACL": "public-read-write"}, True),
    ({"ACL": "authenticated-read"}, True),
    ({"ACL": "private"}, False),
    ({"ACL": "bucket-owner-full-control"}, False),
    ({"ACL": "log-delivery-write"}, False),
    ({"GrantRead": f'uri="{ALL_USERS}"'}, True),
    ({"GrantWriteACP": f'id="abc", uri={AUTHENTICATED_USERS}'}, True),
    ({"GrantFullControl": 'id="abc", emailAddress="a@example.com"'}, False),
    ({"AccessControlPolicy": {"Grants": [_grant({"Type": "Group", "URI": ALL_USERS})]}}, True),
    ({"AccessControlPolicy": {"Grants": [OWNER_GRANT]}}, False),
    ({}, False),
]


@pytest.mark.parametrize(("params", "public"), REQUEST_ACLS, ids=[json.dumps(r[0])[:60] for r in REQUEST_ACLS])
def test_is_public_request_acl(params: dict[str, Any], public: bool) -> None:
    assert is_public_request_acl(params) is public


# --- Block Public Access ---------------------------------------------------------------------------------------------


def test_merge_ors_each_flag() -> None:
    account = BlockPublicAccess(block_public_acls=True, restrict_public_buckets=True)
    bucket = BlockPublicAccess(ignore_public_acls=True)
    assert bucket.merge(account) == BlockPublicAccess(True, True, False, True)
    assert account.merge(bucket) == bucket.merge(account)
    assert bucket.merge(None) == bucket
    assert BlockPublicAccess().merge(BlockPublicAccess()) == BlockPublicAccess()


def test_config_round_trip() -> None:
    config = {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": False,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": False,
    }
    assert BlockPublicAccess.from_config(config).to_config() == config
    assert BlockPublicAccess.from_config(None) == BlockPublicAccess()
    assert BlockPublicAccess.from_config({"BlockPublicPolicy": True}) == BlockPublicAccess(block_public_policy=True)


def test_block_public_policy() -> None:
    public, private = _doc(_allow("*")), _doc(_allow({"AWS": OTHER}))
    assert BlockPublicAccess(block_public_policy=True).rejects_policy(public)
    assert not BlockPublicAccess(block_public_policy=True).rejects_policy(private)
    assert not BlockPublicAccess(restrict_public_buckets=True).rejects_policy(public)


def test_block_and_ignore_public_acls() -> None:
    assert BlockPublicAccess(block_public_acls=True).rejects_acl({"ACL": "public-read"})
    assert not BlockPublicAccess(block_public_acls=True).rejects_acl({"ACL": "private"})
    assert not BlockPublicAccess(ignore_public_acls=True).rejects_acl({"ACL": "public-read"})
    grants = [OWNER_GRANT, _grant({"Type": "Group", "URI": ALL_USERS})]
    assert BlockPublicAccess(ignore_public_acls=True).effective_grants(grants) == [OWNER_GRANT]
    assert BlockPublicAccess(block_public_acls=True).effective_grants(grants) == grants


# The User Guide's example: Account-1's bucket grants CloudTrail, Account-2 and (statement 3) the public.
# (restrict, public policy, caller account, caller is a service, shut out)
RESTRICTS: list[tuple[bool, bool, str | None, bool, bool]] = [
    (True, True, None, True, False),  # CloudTrail keeps access
    (True, True, OTHER, False, True),  # Account-2 loses it although statement 2 names it
    (True, True, None, False, True),  # anonymous callers
    (True, True, OWNER, False, False),  # the owner's users are judged by the rest of the policy
    (True, False, OTHER, False, False),  # without statement 3 the policy is not public: Account-2 regains access
    (False, True, OTHER, False, False),  # the setting off
]


@pytest.mark.parametrize(("restrict", "public", "caller", "service", "out"), RESTRICTS)
def test_restrict_public_buckets(restrict: bool, public: bool, caller: str | None, service: bool, out: bool) -> None:
    bpa = BlockPublicAccess(restrict_public_buckets=restrict)
    assert bpa.restricts(caller, OWNER, service, public) is out
