"""When S3 considers a bucket policy or an ACL public, and what Block Public Access does about it.

From the S3 User Guide, "Blocking public access to your Amazon S3 storage", section "The meaning of 'public'":

ACLs: "Amazon S3 considers a bucket or object ACL public if it grants any permissions to members of the predefined
AllUsers or AuthenticatedUsers groups."

Bucket policies: "When evaluating a bucket policy, Amazon S3 begins by assuming that the policy is public. It then
evaluates the policy to determine whether it qualifies as non-public. To be considered non-public, a bucket policy
must grant access only to fixed values (values that don't contain a wildcard or an AWS Identity and Access
Management Policy Variable) for one or more of the following:

- An AWS principal, user, role, or service principal (e.g. aws:PrincipalOrgID)
- A set of Classless Inter-Domain Routings (CIDRs), using aws:SourceIp. [...] Bucket policies that grant access
  conditioned on the aws:SourceIp condition key with very broad IP ranges (for example, 0.0.0.0/1) are evaluated as
  'public.' This includes values broader than /8 for IPv4 and /32 for IPv6 (excluding RFC1918 private ranges).
- aws:SourceArn, aws:SourceVpc, aws:SourceVpce, aws:SourceOwner, aws:SourceAccount,
  s3:x-amz-server-side-encryption-aws-kms-key-id
- aws:userid, outside the pattern 'AROLEID:*'
- s3:DataAccessPointArn [which] can contain a wildcard for the access point name without rendering the policy
  public, as long as the account id is fixed
- s3:DataAccessPointAccount"

Its examples: ``"Principal": {"Federated": "graph.facebook.com"}``, ``"Principal": "*"``, and ``"Principal": "*"``
with ``StringLike aws:SourceVpc "vpc-*"`` are public; the last with ``StringEquals aws:SourceVpc "vpc-91237329"`` is
not. The same page adds that "Amazon S3 block public access reviews policies for current actions and any potential
actions that might be added in the future", so the statement's actions and resources do not matter, only who it
grants to.

How that reads here, statement by statement (the policy is public when any Allow statement is; Deny statements
never grant):

- ``NotPrincipal`` with Allow grants everyone but the listed principals: public.
- ``Principal`` entries are fixed unless ``*`` or wildcarded; ``Federated`` principals (anyone the identity provider
  vouches for, like the Facebook example) are not fixed.
- A statement with a non-fixed principal is still non-public when one of its condition clauses (they are ANDed)
  pins a listed key to fixed values with a matching operator: the string/ARN equality and ``Like`` operators
  (``ForAnyValue:`` allowed), ``IpAddress`` for aws:SourceIp. Negated operators, ``...IfExists`` and
  ``ForAllValues:`` restrict nothing for a request without the key (an internet caller has no aws:SourceVpc).
- The doc gives aws:PrincipalOrgID as an example of the principal category; aws:PrincipalAccount and
  aws:PrincipalArn name principals just as fixedly and are read the same way.
- aws:userid ``AROLEID:*`` (the sessions of one role, by its unique id) counts as fixed.
- "excluding RFC1918 private ranges" changes nothing in practice: the private ranges are /8 or narrower.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from strongroom.iam.policy import PolicyKind, parse_policy
from strongroom.iam.policy.conditions import ConditionClause
from strongroom.iam.policy.document import PrincipalSpec, Statement

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
_PUBLIC_GROUPS = frozenset({ALL_USERS, AUTHENTICATED_USERS})
# Canned ACLs that grant to AllUsers or AuthenticatedUsers (S3 User Guide, "Canned ACL").
PUBLIC_CANNED_ACLS = frozenset({"public-read", "public-read-write", "authenticated-read"})

IPV4_MIN_PREFIX = 8
IPV6_MIN_PREFIX = 32

# Condition keys that make a grant non-public when pinned to fixed values (lower-case: clause keys are).
_FIXING_KEYS = frozenset(
    {
        "aws:sourcearn",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:sourceowner",
        "aws:sourceaccount",
        "s3:x-amz-server-side-encryption-aws-kms-key-id",
        "aws:userid",
        "s3:dataaccesspointarn",
        "s3:dataaccesspointaccount",
        "aws:principalorgid",
        "aws:principalaccount",
        "aws:principalarn",
    }
)
_STRING_FAMILIES = frozenset({"str_eq", "str_ieq", "str_like", "arn"})
_ROLE_SESSIONS = re.compile(r"^[A-Za-z0-9]+:\*$")  # aws:userid "AROLEID:*"


# --- policies ----------------------------------------------------------------------------------------------------


def _fixed(value: str) -> bool:
    """No wildcard and no policy variable."""
    return "*" not in value and "?" not in value and "${" not in value


def _fixed_principal(spec: PrincipalSpec) -> bool:
    if spec.everyone or spec.federated:
        return False
    return all(_fixed(v) for v in (*spec.aws, *spec.service, *spec.canonical_user))


def _fixed_cidr(text: str) -> bool:
    try:
        network = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return False
    minimum = IPV4_MIN_PREFIX if network.version == 4 else IPV6_MIN_PREFIX
    return network.prefixlen >= minimum


def _fixed_value(key: str, value: str) -> bool:
    if key == "aws:userid" and _ROLE_SESSIONS.match(value):
        return True
    if key == "s3:dataaccesspointarn":
        # arn:partition:s3:region:account:accesspoint/name, the name may be wildcarded if the account is fixed
        parts = value.split(":", 5)
        return (
            len(parts) == 6
            and all(_fixed(p) for p in parts[:5])
            and parts[4].isdigit()
            and parts[5].startswith("accesspoint/")
            and "${" not in parts[5]
        )
    return _fixed(value)


def _restricts(clause: ConditionClause) -> bool:
    """Whether this clause alone keeps the statement from granting to the public."""
    op = clause.op
    if op.negated or op.if_exists or op.qualifier == "all" or not clause.raw_values:
        return False
    if clause.key == "aws:sourceip":
        return op.family == "ip" and all(_fixed_cidr(v) for v in clause.raw_values)
    if clause.key not in _FIXING_KEYS or op.family not in _STRING_FAMILIES:
        return False
    return all(_fixed_value(clause.key, v) for v in clause.raw_values)


def statement_is_public(st: Statement) -> bool:
    """An Allow statement that grants to anyone (Deny statements never are)."""
    if st.effect != "Allow":
        return False
    if st.not_principal is None and st.principal is not None and _fixed_principal(st.principal):
        return False
    return not any(_restricts(c) for c in st.conditions)


def is_public_policy(policy: str | Mapping[str, Any]) -> bool:
    """S3's verdict on a bucket policy (GetBucketPolicyStatus's ``IsPublic``, BlockPublicPolicy's test).

    Raises :class:`~strongroom.iam.policy.MalformedPolicyDocumentError` for a policy that does not parse.
    """
    document = parse_policy(policy, PolicyKind.RESOURCE)
    return any(statement_is_public(st) for st in document.statements)


def policy_status(policy: str | Mapping[str, Any]) -> dict[str, Any]:
    """GetBucketPolicyStatus's output for a bucket with this policy."""
    return {"PolicyStatus": {"IsPublic": is_public_policy(policy)}}


def without_public_statements(policy: str | Mapping[str, Any]) -> str | None:
    """The policy minus its public Allow statements, or None when nothing is left.

    What RestrictPublicBuckets leaves of a public policy for callers in the owner's account: "Amazon S3 blocks
    public and cross-account access derived from any public access point or bucket policy", so the public grants no
    longer count while the policy's Deny statements and its grants to fixed principals of the account still do.
    """
    document = parse_policy(policy, PolicyKind.RESOURCE)
    kept = [dict(st.raw) for st in document.statements if not statement_is_public(st)]
    if not kept:
        return None
    out: dict[str, Any] = {"Version": document.version}
    if document.id is not None:
        out["Id"] = document.id
    out["Statement"] = kept
    return json.dumps(out)


# --- ACLs --------------------------------------------------------------------------------------------------------


def is_public_acl(grants: Iterable[Mapping[str, Any]]) -> bool:
    """Grants in the model's form (``{"Grantee": {"Type": "Group", "URI": ...}, "Permission": ...}``): public when
    any grants anything to the AllUsers or AuthenticatedUsers group."""
    return any(is_public_grant(g) for g in grants)


def is_public_grant(grant: Mapping[str, Any]) -> bool:
    grantee = grant.get("Grantee")
    return isinstance(grantee, Mapping) and grantee.get("URI") in _PUBLIC_GROUPS


_GRANT_MEMBERS = ("GrantFullControl", "GrantRead", "GrantReadACP", "GrantWrite", "GrantWriteACP")
_GRANTEE = re.compile(r'\s*(id|uri|emailAddress)\s*=\s*"?([^",]*)"?\s*(?:,|$)', re.IGNORECASE)


def is_public_request_acl(params: Mapping[str, Any]) -> bool:
    """An ACL a request sets (PutObject, CopyObject, CreateMultipartUpload, CreateBucket, Put*Acl): its canned ``ACL``,
    its ``x-amz-grant-*`` headers (``uri="http://acs.amazonaws.com/groups/global/AllUsers", id="..."``) or the
    ``AccessControlPolicy`` body. What BlockPublicAcls refuses."""
    if params.get("ACL") in PUBLIC_CANNED_ACLS:
        return True
    for member in _GRANT_MEMBERS:
        value = params.get(member)
        if isinstance(value, str):
            for kind, grantee in _GRANTEE.findall(value):
                if kind.lower() == "uri" and grantee.strip() in _PUBLIC_GROUPS:
                    return True
    policy = params.get("AccessControlPolicy")
    grants = policy.get("Grants") if isinstance(policy, Mapping) else None
    return is_public_acl(g for g in grants or () if isinstance(g, Mapping))


# --- Block Public Access -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BlockPublicAccess:
    """The four settings. "If the block public access settings for the access point, bucket, or account differ,
    then Amazon S3 applies the most restrictive combination": :meth:`merge` ORs them flag by flag.

    - BlockPublicAcls: "PUT Bucket ACL and PUT Object ACL calls fail if the specified ACL is public. PUT Object calls
      fail if the request includes a public ACL. PUT Bucket calls fail if the request includes a public ACL."
    - IgnorePublicAcls: "causes Amazon S3 to ignore all public ACLs on a bucket and any objects that it contains."
    - BlockPublicPolicy: "causes Amazon S3 to reject calls to PUT Bucket policy if the specified bucket policy allows
      public access."
    - RestrictPublicBuckets: "restricts access to an access point or bucket with a public policy to only AWS service
      principals and authorized users within the bucket owner's account ... This setting blocks all cross-account
      access to the access point or bucket (except by AWS service principals), while still allowing users within
      the account to manage the access point or bucket."

    None of them changes a stored policy or ACL: lifting a setting makes what it hid effective again.
    """

    block_public_acls: bool = False
    ignore_public_acls: bool = False
    block_public_policy: bool = False
    restrict_public_buckets: bool = False

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> BlockPublicAccess:
        """From a ``PublicAccessBlockConfiguration`` (missing flags are false, as S3 stores them)."""
        c = config or {}
        return cls(
            block_public_acls=c.get("BlockPublicAcls") is True,
            ignore_public_acls=c.get("IgnorePublicAcls") is True,
            block_public_policy=c.get("BlockPublicPolicy") is True,
            restrict_public_buckets=c.get("RestrictPublicBuckets") is True,
        )

    def to_config(self) -> dict[str, bool]:
        return {
            "BlockPublicAcls": self.block_public_acls,
            "IgnorePublicAcls": self.ignore_public_acls,
            "BlockPublicPolicy": self.block_public_policy,
            "RestrictPublicBuckets": self.restrict_public_buckets,
        }

    def merge(self, other: BlockPublicAccess | None) -> BlockPublicAccess:
        """The effective settings of a bucket (self) in an account (other), or the reverse: each flag ORed."""
        if other is None:
            return self
        return BlockPublicAccess(
            self.block_public_acls or other.block_public_acls,
            self.ignore_public_acls or other.ignore_public_acls,
            self.block_public_policy or other.block_public_policy,
            self.restrict_public_buckets or other.restrict_public_buckets,
        )

    def rejects_policy(self, policy: str | Mapping[str, Any]) -> bool:
        """PutBucketPolicy must fail (AccessDenied) with this policy."""
        return self.block_public_policy and is_public_policy(policy)

    def rejects_acl(self, params: Mapping[str, Any]) -> bool:
        """A request that sets a public ACL (see :func:`is_public_request_acl`) must fail (AccessDenied)."""
        return self.block_public_acls and is_public_request_acl(params)

    def effective_grants(self, grants: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """The grants S3 enforces: without the public ones under IgnorePublicAcls. GetBucketAcl and GetObjectAcl
        "always return the effective permissions in place"."""
        if not self.ignore_public_acls:
            return list(grants)
        return [g for g in grants if not is_public_grant(g)]

    def restricts(
        self, caller_account: str | None, owner_account: str, caller_is_service: bool, policy_is_public: bool
    ) -> bool:
        """Whether RestrictPublicBuckets shuts this caller out of the bucket altogether.

        Only a bucket whose policy is public is restricted ("RestrictPublicBuckets only applies to buckets that have
        public policies"); then only AWS service principals and the owner's account get in: anonymous and
        cross-account callers are refused even when a non-public statement names their account ("Amazon S3 disables
        cross-account access, even though the policy delegates access to a specific account, 'Account-2.'"). Callers
        of the owner's account are still judged, against :func:`without_public_statements` of the policy.
        """
        if not (self.restrict_public_buckets and policy_is_public) or caller_is_service:
            return False
        return caller_account != owner_account
