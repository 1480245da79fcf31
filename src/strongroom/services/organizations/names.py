"""Organizations' identifiers, ARNs, AWS managed policies and policy-document rules: pure, no storage.

Formats as AWS issues them (the model's patterns): ``o-`` + 10 lowercase letters or digits, ``r-`` + 4,
``ou-<root suffix>-`` + 8, ``p-`` + 8, ``h-`` + 10, ``car-`` + 32. ARNs name the management account and the
organization: ``arn:aws:organizations::<management>:ou/o-…/ou-…``; AWS managed policies are owned by ``aws``.
"""

from __future__ import annotations

import json
import re
import secrets
import string
from dataclasses import dataclass
from typing import Any

_ALNUM = string.ascii_lowercase + string.digits

SCP = "SERVICE_CONTROL_POLICY"
RCP = "RESOURCE_CONTROL_POLICY"
SUPPORTED_POLICY_TYPES = (SCP, RCP)
# What the model lets a caller name; the other types answer PolicyTypeNotAvailableForOrganizationException here.
MAX_POLICY_SIZE = {SCP: 5120, RCP: 5120}  # bytes, not characters
MAX_ATTACHMENTS = 5  # SCPs (or RCPs) directly attached to one root, OU or account
MAX_OU_DEPTH = 5

ORG_ID = re.compile(r"^o-[a-z0-9]{10,32}$")
ROOT_ID = re.compile(r"^r-[0-9a-z]{4,32}$")
OU_ID = re.compile(r"^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$")
ACCOUNT_ID = re.compile(r"^\d{12}$")
POLICY_ID = re.compile(r"^p-[0-9a-zA-Z_]{8,128}$")
HANDSHAKE_ID = re.compile(r"^h-[0-9a-z]{8,32}$")


def _random(n: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(n))


def new_org_id() -> str:
    return f"o-{_random(10)}"


def new_root_id() -> str:
    return f"r-{_random(4)}"


def new_ou_id(root_id: str) -> str:
    return f"ou-{root_id[2:]}-{_random(8)}"


def new_policy_id() -> str:
    return f"p-{_random(8)}"


def new_handshake_id() -> str:
    return f"h-{_random(10)}"


def new_create_request_id() -> str:
    return f"car-{secrets.token_hex(16)}"


def target_kind(target_id: str) -> str | None:
    """ROOT, ORGANIZATIONAL_UNIT or ACCOUNT for a well-formed target id, else None."""
    if ROOT_ID.match(target_id):
        return "ROOT"
    if OU_ID.match(target_id):
        return "ORGANIZATIONAL_UNIT"
    if ACCOUNT_ID.match(target_id):
        return "ACCOUNT"
    return None


# -- ARNs --------------------------------------------------------------------------------------------------------


def org_arn(management: str, org_id: str) -> str:
    return f"arn:aws:organizations::{management}:organization/{org_id}"


def root_arn(management: str, org_id: str, root_id: str) -> str:
    return f"arn:aws:organizations::{management}:root/{org_id}/{root_id}"


def ou_arn(management: str, org_id: str, ou_id: str) -> str:
    return f"arn:aws:organizations::{management}:ou/{org_id}/{ou_id}"


def account_arn(management: str, org_id: str, account_id: str) -> str:
    return f"arn:aws:organizations::{management}:account/{org_id}/{account_id}"


def handshake_arn(management: str, org_id: str, handshake_id: str) -> str:
    return f"arn:aws:organizations::{management}:handshake/{org_id}/invite/{handshake_id}"


def policy_arn(management: str, org_id: str, policy_type: str, policy_id: str) -> str:
    if policy_id in MANAGED_POLICIES:
        return f"arn:aws:organizations::aws:policy/{policy_type.lower()}/{policy_id}"
    return f"arn:aws:organizations::{management}:policy/{org_id}/{policy_type.lower()}/{policy_id}"


# -- AWS managed policies ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ManagedPolicy:
    policy_id: str
    name: str
    type: str
    description: str
    content: str


_FULL_SCP = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
_FULL_RCP = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
}

MANAGED_POLICIES: dict[str, ManagedPolicy] = {
    "p-FullAWSAccess": ManagedPolicy(
        "p-FullAWSAccess", "FullAWSAccess", SCP, "Allows access to every operation", json.dumps(_FULL_SCP, indent=4)
    ),
    "p-RCPFullAWSAccess": ManagedPolicy(
        "p-RCPFullAWSAccess",
        "RCPFullAWSAccess",
        RCP,
        "Allows access to every resource",
        json.dumps(_FULL_RCP, indent=4),
    ),
}
# The managed policy attached to every root, OU and account while its type is enabled.
DEFAULT_POLICY = {SCP: "p-FullAWSAccess", RCP: "p-RCPFullAWSAccess"}


# -- policy documents --------------------------------------------------------------------------------------------


class PolicyDocumentError(ValueError):
    """The document is not a valid policy of its type (MalformedPolicyDocumentException)."""


class PolicyTooLarge(ValueError):
    """The document is over its type's size (ConstraintViolationException POLICY_CONTENT_LIMIT_EXCEEDED)."""


_EFFECTS = ("Allow", "Deny")
# AWS lets customer RCPs only deny; the one Allow is RCPFullAWSAccess's own statement.
_FULL_RCP_STATEMENT: dict[str, Any] = {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}
_STATEMENT_KEYS = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition", "Principal"}


def _strings(value: Any) -> bool:
    items = value if isinstance(value, list) else [value]
    return bool(items) and all(isinstance(v, str) and v for v in items)


def validate_policy(content: str, policy_type: str) -> dict[str, Any]:
    """The parsed document of a valid SCP or RCP; raises PolicyTooLarge or PolicyDocumentError.

    The size is counted in bytes (UTF-8) of the document as sent, whitespace included, as AWS counts it. SCPs allow
    no Principal (they bound the account's own principals); RCPs need ``"Principal": "*"`` and no NotAction (AWS's
    RCP syntax), and neither allows ``NotPrincipal``.
    """
    if len(content.encode()) > MAX_POLICY_SIZE[policy_type]:
        raise PolicyTooLarge(policy_type)
    try:
        doc = json.loads(content)
    except ValueError:
        raise PolicyDocumentError("not JSON") from None
    if not isinstance(doc, dict) or set(doc) - {"Version", "Id", "Statement"} or "Statement" not in doc:
        raise PolicyDocumentError("top level")
    if doc.get("Version", "2012-10-17") not in ("2012-10-17",):
        raise PolicyDocumentError("version")
    statements = doc["Statement"] if isinstance(doc["Statement"], list) else [doc["Statement"]]
    if not statements:
        raise PolicyDocumentError("no statement")
    for st in statements:
        if not isinstance(st, dict) or set(st) - _STATEMENT_KEYS or st.get("Effect") not in _EFFECTS:
            raise PolicyDocumentError("statement")
        if ("Action" in st) == ("NotAction" in st) or not _strings(st.get("Action", st.get("NotAction"))):
            raise PolicyDocumentError("action")
        if "Resource" in st and "NotResource" in st:
            raise PolicyDocumentError("resource")
        for key in ("Resource", "NotResource"):
            if key in st and not _strings(st[key]):
                raise PolicyDocumentError("resource")
        if "Condition" in st and not isinstance(st["Condition"], dict):
            raise PolicyDocumentError("condition")
        if policy_type == SCP:
            if "Principal" in st:
                raise PolicyDocumentError("principal in an SCP")
            if st["Effect"] == "Allow" and "Condition" in st:
                raise PolicyDocumentError("an Allow statement of an SCP cannot have conditions")
        else:
            if (
                st.get("Principal") != "*"
                or "NotAction" in st
                or (st["Effect"] != "Deny" and st != _FULL_RCP_STATEMENT)
                # a customer RCP names the services it bounds: "*" alone is RCPFullAWSAccess's alone
                or (
                    st["Effect"] == "Deny"
                    and "*" in (st["Action"] if isinstance(st["Action"], list) else [st["Action"]])
                )
            ):
                raise PolicyDocumentError("RCP statement")
    return doc


# -- trusted access ----------------------------------------------------------------------------------------------

# Service principals that integrate with Organizations (trusted access, delegated administrators).
SERVICE_PRINCIPALS = frozenset(
    {
        "access-analyzer.amazonaws.com",
        "account.amazonaws.com",
        "auditmanager.amazonaws.com",
        "backup.amazonaws.com",
        "cloudtrail.amazonaws.com",
        "config.amazonaws.com",
        "config-multiaccountsetup.amazonaws.com",
        "detective.amazonaws.com",
        "ds.amazonaws.com",
        "fms.amazonaws.com",
        "guardduty.amazonaws.com",
        "health.amazonaws.com",
        "iam.amazonaws.com",  # centralized root access (IAM: Enable/DisableOrganizationsRoot*, STS AssumeRoot)
        "inspector2.amazonaws.com",
        "ipam.amazonaws.com",
        "license-manager.amazonaws.com",
        "macie.amazonaws.com",
        "member.org.stacksets.cloudformation.amazonaws.com",
        "ram.amazonaws.com",
        "securityhub.amazonaws.com",
        "servicecatalog.amazonaws.com",
        "ssm.amazonaws.com",
        "sso.amazonaws.com",
        "tagpolicies.tag.amazonaws.com",
    }
)
