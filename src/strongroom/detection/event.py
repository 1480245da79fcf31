"""One CloudTrail record, read once into the fields every detector uses.

CloudTrail's record format (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html)
— the one Strongroom's audit trail writes (``strongroom.audit.records``) and real trails deliver to S3.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

# Lambda's CloudTrail event names carry the API version ("UpdateFunctionCode20150331v2"); the detectors key on
# the operation.
_VERSION_SUFFIX = re.compile(r"\d{8}(v\d+)?$")
_INSTANCE_SESSION = re.compile(r"^i-[0-9a-fA-F]{8,17}$")
_NAME_CACHE: dict[str, str] = {}
# S3's bucket-level Block Public Access operations are named after the API (``DeletePublicAccessBlock``) by
# Strongroom's audit trail, after the bucket (``DeleteBucketPublicAccessBlock``) by CloudTrail: the detectors use
# CloudTrail's names.
_S3_EVENT_NAMES = {
    "PutPublicAccessBlock": "PutBucketPublicAccessBlock",
    "DeletePublicAccessBlock": "DeleteBucketPublicAccessBlock",
    "GetPublicAccessBlock": "GetBucketPublicAccessBlock",
}


def operation_name(event_name: str) -> str:
    name = _NAME_CACHE.get(event_name)
    if name is None:
        name = _VERSION_SUFFIX.sub("", event_name) or event_name
        if len(_NAME_CACHE) < 4096:
            _NAME_CACHE[event_name] = name
    return name


def parse_ip(text: str) -> tuple[int, ...] | None:
    """An IPv4 address as 4 ints (leading zeros tolerated: anonymised logs carry them), an IPv6 as 8 hextets;
    None for what CloudTrail puts there when the caller is a service ("AWS Internal", "lambda.amazonaws.com")."""
    if not text or len(text) > 45:
        return None
    if ":" in text:
        if "." in text or "%" in text:
            return None
        head, sep, tail = text.partition("::")
        try:
            left = [int(p, 16) for p in head.split(":")] if head else []
            right = [int(p, 16) for p in tail.split(":")] if tail else []
        except ValueError:
            return None
        if sep:
            fill = 8 - len(left) - len(right)
            if fill < 1:
                return None
            parts = left + [0] * fill + right
        else:
            parts = left
        if len(parts) != 8 or any(p > 0xFFFF for p in parts):
            return None
        return tuple(parts)
    pieces = text.split(".")
    if len(pieces) != 4:
        return None
    try:
        quad = tuple(int(p) for p in pieces)
    except ValueError:
        return None
    if any(p > 255 or p < 0 for p in quad):
        return None
    return quad


def ip_int(parts: tuple[int, ...]) -> int:
    value = 0
    width = 8 if len(parts) == 4 else 16
    for p in parts:
        value = (value << width) | p
    return value


def networks(parts: tuple[int, ...]) -> tuple[str, str]:
    """The caller's /24 and /16 (IPv6: /48 and /32). Without an ASN database the /16 stands in for the provider's
    block (a dynamic address moves inside it; a different provider is a different /16)."""
    if len(parts) == 4:
        return f"{parts[0]}.{parts[1]}.{parts[2]}.0/24", f"{parts[0]}.{parts[1]}.0.0/16"
    return ":".join(f"{p:x}" for p in parts[:3]) + "::/48", ":".join(f"{p:x}" for p in parts[:2]) + "::/32"


def user_agent_family(agent: str) -> str:
    """The client, without versions: "aws-cli/2.15.0 Python/3.11 ..." → "aws-cli"; a browser console session →
    the console's host. A version upgrade is not a new client."""
    head = agent.split(" ", 1)[0].split("/", 1)[0].strip("[]()").lower()
    return head[:64] or "none"


_IP_CACHE: dict[str, tuple[tuple[int, ...] | None, str, str]] = {}
_AGENT_CACHE: dict[str, str] = {}
_HOUR_CACHE: dict[str, float] = {}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def address(text: str) -> tuple[tuple[int, ...] | None, str, str]:
    """``parse_ip`` and ``networks`` of ``text``, cached (a trail repeats its callers' addresses)."""
    found = _IP_CACHE.get(text)
    if found is None:
        parts = parse_ip(text)
        net24, net16 = networks(parts) if parts else ("", "")
        found = (parts, net24, net16)
        if len(_IP_CACHE) > 100_000:
            _IP_CACHE.clear()
        _IP_CACHE[text] = found
    return found


def agent_family(agent: str) -> str:
    found = _AGENT_CACHE.get(agent)
    if found is None:
        found = user_agent_family(agent)
        if len(_AGENT_CACHE) > 20_000:
            _AGENT_CACHE.clear()
        _AGENT_CACHE[agent] = found
    return found


def epoch_seconds(text: str) -> float:
    """eventTime as seconds since the epoch. CloudTrail's form (``2024-07-31T13:06:24Z``) is read by slicing, the
    hour's start cached; anything else goes through ``datetime.fromisoformat``."""
    if len(text) == 20 and text[19] == "Z" and text[13] == ":":
        base = _HOUR_CACHE.get(text[:13])
        if base is None:
            base = parse_time(text[:13] + ":00:00Z").timestamp()
            if len(_HOUR_CACHE) > 50_000:
                _HOUR_CACHE.clear()
            _HOUR_CACHE[text[:13]] = base
        try:
            return base + int(text[14:16]) * 60 + int(text[17:19])
        except ValueError:
            pass
    return parse_time(text).timestamp()


def parse_time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return datetime(1970, 1, 1, tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Event:
    """The facts of one record the detectors share. Built once per record; attribute access only afterwards."""

    __slots__ = (
        "access_key",
        "account",
        "agent",
        "api",
        "arn",
        "error",
        "identity",
        "identity_type",
        "instance_id",
        "ip",
        "ip_parts",
        "is_data",
        "net16",
        "net24",
        "principal",
        "principal_id",
        "read_only",
        "record",
        "region",
        "role_name",
        "service",
        "service_invoked",
        "ts",
        "user_agent",
        "user_name",
        "user_type",
    )

    def __init__(self, record: Mapping[str, Any], default_account: str) -> None:
        self.record = record
        identity: Mapping[str, Any] = record.get("userIdentity") or {}
        self.identity = identity
        self.api = operation_name(str(record.get("eventName") or ""))
        self.service = str(record.get("eventSource") or "")
        if self.service == "s3.amazonaws.com":
            self.api = _S3_EVENT_NAMES.get(self.api, self.api)
        self.ts = epoch_seconds(str(record.get("eventTime") or ""))
        self.region = str(record.get("awsRegion") or "us-east-1")
        self.account = str(record.get("recipientAccountId") or identity.get("accountId") or default_account)
        self.ip = str(record.get("sourceIPAddress") or "")
        self.ip_parts, self.net24, self.net16 = address(self.ip)
        self.user_agent = str(record.get("userAgent") or "")
        self.agent = agent_family(self.user_agent)
        self.error = str(record.get("errorCode") or "")
        self.read_only = _read_only(record, self.api)
        self.is_data = record.get("eventCategory") == "Data" or record.get("managementEvent") is False
        itype = str(identity.get("type") or "")
        self.identity_type = itype
        # Calls an AWS service made on the principal's behalf (invokedBy) come from the service, not the caller's
        # network: they feed no baseline and raise no network-based finding.
        self.service_invoked = itype == "AWSService" or bool(identity.get("invokedBy"))
        self.arn = str(identity.get("arn") or "")
        self.access_key = str(identity.get("accessKeyId") or "")
        self.principal_id = str(identity.get("principalId") or "")
        self.instance_id = ""
        self.role_name = ""
        session = identity.get("sessionContext") or {}
        issuer = session.get("sessionIssuer") or {} if isinstance(session, Mapping) else {}
        if itype == "AssumedRole":
            role_arn = str(issuer.get("arn") or self.arn.rsplit("/", 1)[0])
            self.role_name = str(issuer.get("userName") or role_arn.rsplit("/", 1)[-1])
            session_name = self.arn.rsplit("/", 1)[-1] if self.arn else ""
            if _INSTANCE_SESSION.match(session_name):
                self.instance_id = session_name
            # One baseline per role: CI jobs and applications open a new session name each time.
            self.principal = role_arn or self.principal_id
            self.user_name = self.role_name
            self.user_type = "AssumedRole"
        elif itype == "Root":
            self.principal = f"root:{self.account}"
            self.user_name = "Root"
            self.user_type = "Root"
        else:
            self.principal = self.arn or self.principal_id or str(identity.get("userName") or "anonymous")
            self.user_name = str(identity.get("userName") or self.arn.rsplit("/", 1)[-1] or self.principal_id)
            self.user_type = itype or "Unknown"

    @property
    def time(self) -> datetime:
        return datetime.fromtimestamp(self.ts, UTC)

    @property
    def is_root(self) -> bool:
        return self.identity_type == "Root"

    def bucket(self) -> str:
        params = self.record.get("requestParameters")
        if isinstance(params, Mapping):
            name = params.get("bucketName") or params.get("Bucket") or params.get("bucket")
            if name:
                return str(name)
        for resource in self.record.get("resources") or ():
            if isinstance(resource, Mapping) and resource.get("type") == "AWS::S3::Bucket":
                return str(resource.get("ARN", "")).rsplit(":", 1)[-1]
        return ""

    def params(self) -> Mapping[str, Any]:
        params = self.record.get("requestParameters")
        return params if isinstance(params, Mapping) else {}


_READ_PREFIXES = ("Describe", "List", "Get", "Head", "Lookup", "Search", "Scan", "Query", "BatchGet", "Check")


def _read_only(record: Mapping[str, Any], api: str) -> bool:
    flag = record.get("readOnly")
    if isinstance(flag, bool):
        return flag
    if isinstance(flag, str):
        return flag.lower() == "true"
    return api.startswith(_READ_PREFIXES)
