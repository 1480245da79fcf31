"""S3 replication as its configuration defines it: validating PutBucketReplication's document, choosing the rule each
object version replicates by (per destination bucket), and the replication status a source version reports.

Pure logic, no storage: ``replication.py`` reads and writes, this module decides. Sources, all AWS's: the S3 User
Guide's "Replication configuration file elements" (V1/V2, filters, priorities), "What does Amazon S3 replicate?",
"Replicating delete markers between buckets", "Replicating metadata changes with replica modification sync",
"Getting replication status information" and "Receiving replication failure events" (the failure reasons), and the
S3 API Reference's ReplicationRule, ReplicationRuleFilter (with its Not and Or operators) and Destination. Error texts
the documentation does not spell out are S3's answers as its clients (Terraform, the SDKs' tests) quote them.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from strongroom.core.errors import AwsError
from strongroom.iam.directory import RoleRecord
from strongroom.iam.policy import (
    AuthorizationRequest,
    MalformedPolicyDocumentError,
    PolicyKind,
    PrincipalInfo,
    PrincipalType,
    evaluate,
    parse_policy,
)
from strongroom.services.s3.errors import error

ENABLED, DISABLED = "Enabled", "Disabled"

# x-amz-replication-status: a source version reports PENDING, COMPLETED or FAILED, a replica REPLICA.
PENDING, COMPLETED, FAILED, REPLICA = "PENDING", "COMPLETED", "FAILED", "REPLICA"

# What one queued replication copies to one destination.
OBJECT, DELETE_MARKER, METADATA = "object", "delete-marker", "metadata"

MAX_RULES = 1000
MAX_RULE_ID = 255
_MALFORMED_XML = "The XML you provided was not well-formed or did not validate against our published schema"
_ROLE_ARN = re.compile(r"^arn:aws[a-z\-]*:iam::\d{12}:role/.+$")
_BUCKET_ARN = re.compile(r"^arn:aws[a-z\-]*:s3:::([^/:]+)$")
S3_SERVICE = "s3.amazonaws.com"
_SCHEMA = "{member} {verb} for this version of Cross Region Replication configuration schema. Please refer to S3 \
Developer Guide for more information."


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule of a stored (validated) configuration, as replication uses it."""

    id: str
    priority: int
    order: int  # position in the document: equal priorities (V1 has none) go to the rule listed first
    enabled: bool
    prefix: str | None  # V1: the rule's own Prefix; None in V2
    filter: Mapping[str, Any] | None  # V2: the Filter ({} selects every object); None in V1
    destination: str  # the destination bucket's name
    storage_class: str | None
    owner_override: bool  # AccessControlTranslation Owner=Destination
    replica_kms_key_id: str | None
    use_source_mrk: bool  # UseSourceMultiRegionKey: the source key's replica in the destination Region
    delete_markers: bool
    sse_kms: bool  # SourceSelectionCriteria.SseKmsEncryptedObjects
    replica_modifications: bool

    @property
    def v2(self) -> bool:
        return self.filter is not None

    def outranks(self, other: Rule) -> bool:
        """AWS: "The higher the number, the higher the priority" (equal: the rule listed first)."""
        return (self.priority, -self.order) > (other.priority, -other.order)

    def matches(self, key: str, tags: Mapping[str, str]) -> bool:
        if self.filter is None:
            return key.startswith(self.prefix or "")
        return filter_matches(self.filter, key, tags)


def _status(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get("Status") == ENABLED


def bucket_of_arn(arn: str) -> str | None:
    found = _BUCKET_ARN.match(arn or "")
    return found.group(1) if found else None


def rules_of(config: Mapping[str, Any]) -> list[Rule]:
    """The rules of a configuration stored by PutBucketReplication (already validated)."""
    out = []
    for order, raw in enumerate(config.get("Rules") or []):
        destination = raw.get("Destination") or {}
        criteria = raw.get("SourceSelectionCriteria") or {}
        encryption = destination.get("EncryptionConfiguration") or {}
        v2 = "Filter" in raw
        out.append(
            Rule(
                id=str(raw.get("ID") or ""),
                priority=int(raw.get("Priority") or 0),
                order=order,
                enabled=raw.get("Status") == ENABLED,
                prefix=None if v2 else str(raw.get("Prefix") or ""),
                filter=(raw.get("Filter") or {}) if v2 else None,
                destination=bucket_of_arn(str(destination.get("Bucket") or "")) or "",
                storage_class=destination.get("StorageClass"),
                owner_override=(destination.get("AccessControlTranslation") or {}).get("Owner") == "Destination",
                replica_kms_key_id=encryption.get("ReplicaKmsKeyID") or None,
                use_source_mrk=_status(encryption.get("UseSourceMultiRegionKey")),
                # V1 replicates the delete markers of user deletes; V2 only when the rule says so.
                delete_markers=_status(raw.get("DeleteMarkerReplication")) if v2 else True,
                sse_kms=_status(criteria.get("SseKmsEncryptedObjects")),
                replica_modifications=_status(criteria.get("ReplicaModifications")),
            )
        )
    return out


# -- filters ---------------------------------------------------------------------------------------------------------


def _has_tag(tags: Mapping[str, str], tag: Mapping[str, Any]) -> bool:
    return tags.get(str(tag.get("Key"))) == str(tag.get("Value", ""))


def _excluded(operator: Mapping[str, Any] | None, key: str, tags: Mapping[str, str]) -> bool:
    """A Not operator: exactly one Prefix, Tag, or Or (any of its prefixes and tags) names what is excluded."""
    if not operator:
        return False
    if operator.get("Prefix") is not None:
        return key.startswith(str(operator["Prefix"]))
    if operator.get("Tag"):
        return _has_tag(tags, operator["Tag"])
    either = operator.get("Or") or {}
    return any(key.startswith(str(p)) for p in either.get("Prefixes") or []) or any(
        _has_tag(tags, t) for t in either.get("Tags") or []
    )


def filter_matches(flt: Mapping[str, Any], key: str, tags: Mapping[str, str]) -> bool:
    """Does a V2 Filter select this object? An empty filter selects every object; And combines its prefix, tags
    and Not with a logical AND; Not excludes what it names."""
    if not flt:
        return True
    if flt.get("Prefix") is not None:
        return key.startswith(str(flt["Prefix"]))
    if flt.get("Tag"):
        return _has_tag(tags, flt["Tag"])
    if flt.get("And") is not None:
        both = flt["And"]
        return (
            key.startswith(str(both.get("Prefix") or ""))
            and all(_has_tag(tags, t) for t in both.get("Tags") or [])
            and not _excluded(both.get("Not"), key, tags)
        )
    if flt.get("Not") is not None:
        return not _excluded(flt["Not"], key, tags)
    return True


def uses_tags(flt: Mapping[str, Any] | None) -> bool:
    """Does a filter test tags anywhere (Tag, And's Tags, Not's Tag, Or's Tags)? Such rules never replicate delete
    markers, which have no tags."""
    if not flt:
        return False
    if flt.get("Tag") or flt.get("Tags"):
        return True
    return any(uses_tags(flt.get(op)) for op in ("And", "Not", "Or") if isinstance(flt.get(op), Mapping))


# -- choosing --------------------------------------------------------------------------------------------------------


def choose(
    rules: Iterable[Rule],
    *,
    key: str,
    tags: Mapping[str, str],
    delete_marker: bool = False,
    kms: bool = False,
    replica: bool = False,
) -> dict[str, Rule]:
    """For each destination bucket, the rule a version replicates by; destinations it does not replicate to are absent.

    "Amazon S3 will attempt to replicate objects according to all replication rules. However, if there are two or more
    rules with the same destination bucket, then objects will be replicated according to the rule with the highest
    priority." The candidates are the enabled rules whose filter and source selection criteria select the version
    (an SSE-KMS or DSSE-KMS object needs SseKmsEncryptedObjects). The chosen rule then decides alone: a delete marker
    replicates only if it enables DeleteMarkerReplication (V2; V1 replicates delete markers), and a change made to a
    replica only if it enables ReplicaModifications.
    """
    best: dict[str, Rule] = {}
    for rule in rules:
        if not rule.enabled or not rule.destination or not rule.matches(key, {} if delete_marker else tags):
            continue
        if kms and not delete_marker and not rule.sse_kms:
            continue
        current = best.get(rule.destination)
        if current is None or rule.outranks(current):
            best[rule.destination] = rule
    out: dict[str, Rule] = {}
    for destination, rule in best.items():
        if delete_marker and not rule.delete_markers:
            continue
        if replica and not rule.replica_modifications:
            continue
        out[destination] = rule
    return out


def aggregate(statuses: Iterable[str], origin: str = COMPLETED) -> str:
    """The status a version reports from its destinations': "The header remains at the PENDING value until replication
    has completed for all destinations. If one or more destinations fail replication, the header returns FAILED."
    ``origin`` is what it reports once nothing is left: COMPLETED, or REPLICA for a replica whose modifications were
    replicated back ("If metadata is replicated correctly the replicas will return header REPLICA")."""
    found = set(statuses)
    if PENDING in found:
        return PENDING
    if FAILED in found:
        return FAILED
    return origin


def trusts_s3(role: RoleRecord, source_account: str, source_arn: str) -> bool:
    """May ``s3.amazonaws.com`` assume the replication role for this source bucket? Its trust policy decides, with
    the aws:SourceAccount and aws:SourceArn keys a confused-deputy condition tests ("Amazon S3 assumes the IAM role
    to replicate objects on your behalf"; the role's trust policy names the S3 service principal)."""
    try:
        trust = parse_policy(role.assume_role_policy, PolicyKind.TRUST)
    except MalformedPolicyDocumentError:
        return False
    result = evaluate(
        AuthorizationRequest(
            principal=PrincipalInfo(arn=S3_SERVICE, account="", type=PrincipalType.AWS_SERVICE, service=S3_SERVICE),
            action="sts:AssumeRole",
            resources=[role.arn],
            context={"aws:SourceAccount": source_account, "aws:SourceArn": source_arn},
            resource_policy=trust,
            resource_account=role.account_id,
        )
    )
    return result.allowed


# -- failures --------------------------------------------------------------------------------------------------------


class ReplicationFailure(Exception):
    """A replication that cannot succeed as configured: the version is FAILED with ``reason`` (AWS's failure reason,
    "Amazon S3 replication failure reasons") until it is re-driven. Anything else that goes wrong is temporary and
    the version stays PENDING ("For temporary failures ... replication status will not transition to FAILED")."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


_KMS_DENIED = frozenset({"AccessDenied", "AccessDeniedException"})
_KMS_MISSING = frozenset({"NotFoundException", "KMS.NotFoundException"})
_KMS_STATE = frozenset(
    {
        "DisabledException",
        "KMS.DisabledException",
        "KMSInvalidStateException",
        "KMS.KMSInvalidStateException",
        "KeyUnavailableException",
        "InvalidKeyUsageException",
        "InvalidArgument",  # encryption.open_key's answer for a key of the wrong usage
    }
)


def kms_failure(side: str, exc: AwsError) -> ReplicationFailure | None:
    """A KMS error met on the source (``Src``) or destination (``Dst``) side as a failure reason; None when it is
    temporary. At the destination a denied key is DstPutObjectNotPermitted ("... or when the AWS KMS key policy
    doesn't allow the source bucket's replication role to use the AWS KMS key ... at the destination bucket")."""
    detail = f"{exc.code}: {exc.message}"
    if exc.code in _KMS_DENIED:
        return ReplicationFailure("SrcGetObjectNotPermitted" if side == "Src" else "DstPutObjectNotPermitted", detail)
    if exc.code in _KMS_MISSING:
        return ReplicationFailure("SrcKmsKeyInvalidState" if side == "Src" else "DstKmsKeyNotFound", detail)
    if exc.code in _KMS_STATE:
        return ReplicationFailure(f"{side}KmsKeyInvalidState", detail)
    return None


def mrk_in_region(key_arn: str | None, region: str) -> str | None:
    """The ARN of a multi-Region key's related key in ``region`` (same id, other Region); None for other keys."""
    parts = (key_arn or "").split(":", 5)
    if len(parts) != 6 or parts[2] != "kms" or not parts[5].startswith("key/mrk-"):
        return None
    return ":".join([*parts[:3], region, *parts[4:]])


# -- PutBucketReplication's document ---------------------------------------------------------------------------------


def _malformed() -> AwsError:
    return error("MalformedXML", _MALFORMED_XML)


def _invalid(message: str) -> AwsError:
    return error("InvalidRequest", message)


def _check_status(value: Any, *, required: bool = True) -> None:
    if value is None and not required:
        return
    if not isinstance(value, Mapping) or value.get("Status") not in (ENABLED, DISABLED):
        raise _malformed()


def _exactly_one(container: Mapping[str, Any], members: tuple[str, ...]) -> None:
    present = [m for m in members if container.get(m) is not None]
    if len(present) > 1:
        raise _malformed()


def _check_tags(tags: Iterable[Mapping[str, Any]]) -> None:
    seen: set[str] = set()
    for tag in tags:
        key = str(tag.get("Key") or "")
        if not key or len(key) > 128 or len(str(tag.get("Value") or "")) > 256:
            raise error("InvalidTag", "The TagKey you have provided is invalid", TagKey=key)
        if key in seen:
            raise _invalid("Duplicate Tag Keys are not allowed.")
        seen.add(key)


def _check_filter(flt: Mapping[str, Any]) -> None:
    """AWS: "A Filter must specify exactly one Prefix, Tag, And, or Not child element"; and Not: "exactly one
    Prefix, Tag, or Or"."""
    if not isinstance(flt, Mapping):
        raise _malformed()
    _exactly_one(flt, ("Prefix", "Tag", "And", "Not"))
    if flt.get("Tag") is not None:
        _check_tags([flt["Tag"]])
    both = flt.get("And")
    if both is not None:
        _check_tags(both.get("Tags") or [])
        if both.get("Not") is not None:
            _check_not(both["Not"])
    if flt.get("Not") is not None:
        _check_not(flt["Not"])


def _check_not(operator: Mapping[str, Any]) -> None:
    if not isinstance(operator, Mapping):
        raise _malformed()
    _exactly_one(operator, ("Prefix", "Tag", "Or"))
    if not any(operator.get(m) is not None for m in ("Prefix", "Tag", "Or")):
        raise _malformed()
    if operator.get("Tag") is not None:
        _check_tags([operator["Tag"]])
    either = operator.get("Or")
    if either is not None:
        if not (either.get("Prefixes") or either.get("Tags")):
            raise _malformed()
        _check_tags(either.get("Tags") or [])


def _check_destination(destination: Mapping[str, Any], source: str, sse_kms: bool) -> None:
    if not isinstance(destination, Mapping) or not destination.get("Bucket"):
        raise _malformed()
    name = bucket_of_arn(str(destination["Bucket"]))
    if name is None:
        raise error("InvalidArgument", "Invalid bucket ARN.", ArgumentName="Bucket")
    if name == source:
        raise _invalid("Destination bucket cannot be the same as the source bucket.")
    translation = destination.get("AccessControlTranslation")
    if translation is not None:
        if translation.get("Owner") != "Destination":
            raise _malformed()
        if not destination.get("Account"):
            raise _invalid("Account must be specified if the Owner in AccessControlTranslation has a value")
    encryption = destination.get("EncryptionConfiguration")
    if encryption is not None:
        _check_status(encryption.get("UseSourceMultiRegionKey"), required=False)
        if not sse_kms:
            raise _invalid("SseKmsEncryptedObjects must be specified if EncryptionConfiguration is present.")
    if (
        sse_kms
        and not (encryption or {}).get("ReplicaKmsKeyID")
        and not _status((encryption or {}).get("UseSourceMultiRegionKey"))
    ):
        raise _invalid("ReplicaKmsKeyID must be specified if SseKmsEncryptedObjects tag is present.")
    if destination.get("ReplicationTime") is not None:
        _check_status(destination["ReplicationTime"])
        if destination.get("Metrics") is None:
            raise _invalid("Replication destination must contain both ReplicationTime and Metrics or neither.")
    _check_status(destination.get("Metrics"), required=False)


def _rule_id(raw: Any) -> str:
    if raw is None or raw == "":
        # S3 names a rule sent without an ID (a random, base64-looking string).
        return base64.b64encode(uuid.uuid4().bytes + uuid.uuid4().bytes[:8]).decode().rstrip("=")
    text = str(raw)
    if len(text) > MAX_RULE_ID:
        raise error("InvalidArgument", "ID length should not exceed allowed limit of 255", ArgumentName="ID")
    return text


def validate(config: Any, source: str) -> dict[str, Any]:
    """PutBucketReplication's ``ReplicationConfiguration`` as S3 checks it, without the checks that read other
    buckets (destinations must exist and keep versions: ``replication.py``). Returns the document to store: as sent,
    rule IDs filled in, absent members dropped."""
    if not isinstance(config, Mapping) or not config.get("Role") or not config.get("Rules"):
        raise _malformed()
    rules = list(config["Rules"])
    if len(rules) > MAX_RULES:
        raise _malformed()
    if not _ROLE_ARN.match(str(config["Role"])):
        raise error("InvalidArgument", "Invalid Role specified in replication configuration", ArgumentName="Role")
    v2 = any(isinstance(r, Mapping) and "Filter" in r for r in rules)
    stored: list[dict[str, Any]] = []
    ids: set[str] = set()
    priorities: dict[tuple[str, int], str] = {}
    for raw in rules:
        if not isinstance(raw, Mapping) or raw.get("Status") not in (ENABLED, DISABLED):
            raise _malformed()
        rule = {k: v for k, v in raw.items() if v is not None}
        rule["ID"] = _rule_id(raw.get("ID"))
        if rule["ID"] in ids:
            raise error("InvalidArgument", "Rule Id must be unique", ArgumentName="ID")
        ids.add(rule["ID"])
        criteria = rule.get("SourceSelectionCriteria")
        if criteria is not None:
            if not criteria.get("SseKmsEncryptedObjects") and not criteria.get("ReplicaModifications"):
                raise _invalid("SourceSelectionCriteria cannot be empty.")
            _check_status(criteria.get("SseKmsEncryptedObjects"), required=False)
            _check_status(criteria.get("ReplicaModifications"), required=False)
        if v2:
            if "Filter" not in raw or "Prefix" in rule:
                raise _malformed()
            for member in ("Priority", "DeleteMarkerReplication"):
                if member not in rule:
                    raise _invalid(_SCHEMA.format(member=member, verb="must be specified"))
            _check_filter(rule["Filter"])
            marker = rule["DeleteMarkerReplication"]
            if marker.get("Status") is not None:
                _check_status(marker)
            if _status(marker) and uses_tags(rule["Filter"]):
                raise _invalid(
                    "Delete marker replication is not supported if any Tag filter is specified. Please refer to S3 "
                    "Developer Guide for more information."
                )
        else:
            for member in ("Priority", "DeleteMarkerReplication"):
                if member in rule:
                    raise _invalid(_SCHEMA.format(member=member, verb="cannot be used"))
            if (criteria or {}).get("ReplicaModifications") is not None:
                raise _invalid(_SCHEMA.format(member="ReplicaModifications", verb="cannot be used"))
        _check_status(rule.get("ExistingObjectReplication"), required=False)
        sse_kms = _status((criteria or {}).get("SseKmsEncryptedObjects"))
        _check_destination(rule.get("Destination") or {}, source, sse_kms)
        if v2:
            priority = int(rule["Priority"])
            if priority < 0:
                raise _invalid("Priority must be between 0 and 2147483647.")
            # Priorities decide between rules of one destination bucket, so they must differ there.
            slot = (str(rule["Destination"]["Bucket"]), priority)
            if slot in priorities:
                raise _invalid(f"Found duplicate priority {priority}.")
            priorities[slot] = rule["ID"]
        stored.append(rule)
    return {"Role": str(config["Role"]), "Rules": stored}


def destinations(document: Mapping[str, Any]) -> list[str]:
    """The destination buckets a stored configuration names, each once, in order."""
    seen: dict[str, None] = {}
    for rule in rules_of(document):
        seen.setdefault(rule.destination, None)
    return list(seen)
