"""CloudTrail event records (eventVersion 1.11) built from what the request pipeline knows.

The record is what GuardDuty-like detection reads later, so it follows CloudTrail's schema member by member:
camelCase member names, requestParameters walked through the operation's input shape, responseElements only for
calls that change something (CloudTrail leaves them null for read-only calls), blobs omitted and every member that
carries a secret omitted or replaced with ``HIDDEN_DUE_TO_SECURITY_REASONS``. Per-service rules that AWS applies on
top (KMS's always-present ``encryptionAlgorithm``, ``keyId`` resolved on Decrypt, resources[]) are tables here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import orjson
from botocore.model import OperationModel, ServiceModel, Shape

from strongroom.core import ids
from strongroom.core.operations import row_read_only

if TYPE_CHECKING:
    from strongroom.core.context import Principal
    from strongroom.core.operations import Operation
    from strongroom.protocol.http import HttpRequest

EVENT_VERSION = "1.11"
HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"
_OMIT = object()
_MAX_DEPTH = 24

# Bounds on what a request can make the server store. CloudTrail truncates a field past its maximum size and
# leaves requestParameters / responseElements out past 100 KB (marked ``"omitted": true``); without bounds, an
# unauthenticated client sending a 4 MB User-Agent made every audit row 4 MB.
MAX_ELEMENTS_BYTES = 100 * 1024  # requestParameters, responseElements, serviceEventDetails (as JSON)
MAX_TEXT = 1024  # userAgent, errorMessage and the other free-text fields a client controls
_TRUNCATED_FIELDS = ("userAgent", "errorMessage", "errorCode", "sourceIPAddress", "eventName", "awsRegion")
_ELEMENT_FIELDS = ("requestParameters", "responseElements", "serviceEventDetails", "additionalEventData")
_INT64 = (-(2**63), 2**63 - 1)

# Members whose values are secrets whatever the model says (lower-cased member names). Blobs are always omitted.
SECRET_MEMBERS = frozenset(
    {
        "plaintext",
        "secretstring",
        "secretbinary",
        "password",
        "newpassword",
        "oldpassword",
        "privatekey",
        "secretaccesskey",
        "sessiontoken",
        "passphrase",
        "keystorepassword",
        "granttokens",
        "granttoken",
        "samlassertion",
        "webidentitytoken",
        "tokencode",
        "authenticationcode1",
        "authenticationcode2",
        "sshpublickeybody",
        "privatekeypem",
        "logevents",  # CloudWatch Logs PutLogEvents: the messages are encrypted at rest, never in a record
    }
)
# Secrets CloudTrail leaves out entirely rather than marking hidden.
OMITTED_SECRETS = frozenset({"plaintext", "secretstring", "secretbinary", "privatekey", "secretaccesskey", "logevents"})
_SECRET_FRAGMENTS = ("password", "privatekey", "secretaccesskey", "sessiontoken", "passphrase")

# CloudTrail's readOnly comes from the operation's row (``read_only``, services/<svc>/operations.py); a row that
# leaves it None takes the name-prefix rule (core/operations.READ_ONLY_PREFIXES). Operations with no row (not
# implemented) are still recorded (NotImplemented): those the prefix rule would misclassify are pinned here.
_NO_ROW_READ_ONLY = {
    "iam:GenerateCredentialReport": False,
    "iam:GenerateServiceLastAccessedDetails": False,
    "kms:Decapsulate": True,
    "sts:AssumeRoleWithSAML": True,
    "sts:AssumeRoleWithWebIdentity": True,
    "sts:DecodeAuthorizationMessage": True,
}

# ARN service -> CloudFormation-style namespace CloudTrail uses in resources[].type.
_ARN_NAMESPACE = {
    "kms": "KMS",
    "iam": "IAM",
    "sts": "STS",
    "secretsmanager": "SecretsManager",
    "ssm": "SSM",
    "events": "Events",
    "acm": "CertificateManager",
    "acm-pca": "ACMPCA",
    "cloudtrail": "CloudTrail",
    "lambda": "Lambda",
    "apigateway": "ApiGateway",
    "s3": "S3",
    "sns": "SNS",
    "sqs": "SQS",
    "logs": "Logs",
    "wafv2": "WAFv2",
    "organizations": "Organizations",
    "fms": "FMS",
    "guardduty": "GuardDuty",
    "inspector2": "Inspector2",
    "macie2": "Macie",
}
_KEY_ID = re.compile(r"^(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")


@dataclass(slots=True)
class ClaimedKey:
    """Who owns an access key a request claimed but did not prove (never the secret)."""

    access_key_id: str
    account_id: str
    principal_type: str | None
    principal_arn: str | None
    principal_id: str | None
    user_name: str | None


@dataclass(slots=True)
class CallFacts:
    """Everything the pipeline learned about one request, filled in as it goes."""

    request_id: str
    event_time: datetime
    source_ip: str = "127.0.0.1"
    user_agent: str = ""
    service: ServiceModel | None = None
    operation: OperationModel | None = None
    operation_hint: str | None = None  # the name the request used when it did not route
    principal: Principal | None = None
    access_key_id: str | None = None  # claimed, when authentication failed
    claimed: ClaimedKey | None = None
    region: str | None = None
    params: dict[str, Any] | None = None
    output: dict[str, Any] | None = None
    error_code: str | None = None
    error_message: str | None = None
    status: int = 200
    tls_host: str | None = None  # set when served over TLS
    invoked_by: str | None = None  # e.g. "ssm.amazonaws.com" for a call one service made for its caller
    spec: Operation | None = None  # the operation's row of its service's operations table, when it has one
    # The HTTP request (None for an in-process call): S3 data events record its Host, signature and sizes.
    http: HttpRequest | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def event_name(self) -> str:
        if self.operation is not None:
            return str(self.operation.name)
        return self.operation_hint or "Unknown"

    @property
    def service_name(self) -> str:
        return str(self.service.service_name) if self.service is not None else "unknown"


# -- small helpers --------------------------------------------------------------------------------------------


def iso_time(moment: datetime) -> str:
    """CloudTrail's eventTime: UTC to the second (the last second's text is kept: most calls share it)."""
    global _last_second
    utc = moment.astimezone(UTC)
    second = (utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second)
    cached = _last_second
    if cached[0] == second:
        return cached[1]
    text = utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    _last_second = (second, text)
    return text


_last_second: tuple[tuple[int, ...], str] = ((), "")


def java_time(moment: datetime) -> str:
    """Timestamps inside request/response elements, as CloudTrail's Java serialiser writes them."""
    moment = moment.astimezone(UTC)
    hour = moment.hour % 12 or 12
    return f"{moment:%b} {moment.day}, {moment.year}, {hour}:{moment:%M:%S} {'AM' if moment.hour < 12 else 'PM'}"


def camel(name: str) -> str:
    """``KeyId`` -> ``keyId``, ``ARN`` -> ``aRN`` is wrong, so a leading acronym is lowered whole."""
    if not name:
        return name
    run = len(name) - len(name.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    if run <= 1 or run == len(name):
        return name[:1].lower() + name[1:] if run < len(name) else name.lower()
    return name[: run - 1].lower() + name[run - 1 :]


def event_source(service: ServiceModel | None, fallback: str = "unknown") -> str:
    if service is None:
        return f"{fallback}.amazonaws.com"
    prefix = service.metadata.get("signingName") or service.endpoint_prefix
    return f"{prefix}.amazonaws.com"


def is_read_only(service_name: str, operation_name: str, spec: Operation | None = None) -> bool:
    """CloudTrail's readOnly: the operation's row's ``read_only`` when it says, else the prefix rule (operations
    without a row: ``_NO_ROW_READ_ONLY`` first)."""
    if spec is None:
        pinned = _NO_ROW_READ_ONLY.get(f"{service_name}:{operation_name}")
        if pinned is not None:
            return pinned
    return row_read_only(operation_name, spec)


def is_secret_member(name: str, shape: Shape | None) -> bool:
    lowered = name.lower()
    if lowered in SECRET_MEMBERS or any(f in lowered for f in _SECRET_FRAGMENTS):
        return True
    return bool(shape is not None and shape.metadata.get("sensitive"))


# -- rendering shapes as CloudTrail does ------------------------------------------------------------------------


def render(shape: Shape | None, value: Any, depth: int = 0) -> Any:
    """A model value as CloudTrail writes it; ``_OMIT`` for what it leaves out."""
    if value is None or depth > _MAX_DEPTH:
        return None
    if shape is None:
        return _plain(value, depth)
    kind = shape.type_name
    if shape.metadata.get("sensitive"):  # a sensitive list member or map value, not only a structure member
        return _OMIT if kind == "blob" else HIDDEN
    if kind == "structure":
        if not isinstance(value, dict):
            return None
        out: dict[str, Any] = {}
        for name, member in shape.members.items():
            if name not in value:
                continue
            if is_secret_member(name, member):
                if member.type_name != "blob" and name.lower() not in OMITTED_SECRETS:
                    out[camel(name)] = HIDDEN
                continue
            rendered = render(member, value[name], depth + 1)
            if rendered is not _OMIT:
                out[camel(name)] = rendered
        return out
    if kind == "list":
        if not isinstance(value, list | tuple):
            return None
        items = [render(shape.member, item, depth + 1) for item in value]
        return [i for i in items if i is not _OMIT]
    if kind == "map":
        if not isinstance(value, dict):
            return None
        rendered_map = {str(k): render(shape.value, v, depth + 1) for k, v in value.items()}
        return {k: v for k, v in rendered_map.items() if v is not _OMIT}
    if kind == "blob":
        return _OMIT
    if kind == "timestamp":
        return java_time(value) if isinstance(value, datetime) else value
    if isinstance(value, bytes | bytearray | memoryview):
        return _OMIT
    return value


def _plain(value: Any, depth: int) -> Any:
    """Values without a shape (never expected): keep scalars, drop bytes, recurse conservatively."""
    if isinstance(value, bytes | bytearray | memoryview) or depth > _MAX_DEPTH:
        return _OMIT
    if isinstance(value, datetime):
        return java_time(value)
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if is_secret_member(str(k), None):
                out[camel(str(k))] = HIDDEN
                continue
            rendered = _plain(v, depth + 1)
            if rendered is not _OMIT:
                out[camel(str(k))] = rendered
        return out
    if isinstance(value, list | tuple):
        items = (_plain(v, depth + 1) for v in value)
        return [i for i in items if i is not _OMIT]
    return value


# -- making a record storable, whatever the request held ---------------------------------------------------------


def jsonable(value: Any, depth: int = 0) -> Any:
    """``value`` with everything JSON (and orjson) cannot carry replaced; never raises.

    Integers past 64 bits become their decimal text (CloudTrail's Java writer would print a BigInteger), NaN and
    the infinities their Java names, bytes are left out like blobs, dict keys become strings and anything nested
    deeper than a record can be is cut off.
    """
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: JSON text cannot carry it
            return value.encode("utf-8", "replace").decode("utf-8")
        return value
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if _INT64[0] <= value <= _INT64[1]:
            return value
        try:
            return str(value)
        except ValueError:  # past Python's int-to-text digit limit
            return f"<integer of {value.bit_length()} bits>"
    if isinstance(value, float):
        if value != value:
            return "NaN"
        if value in (float("inf"), float("-inf")):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if depth > _MAX_DEPTH:
        return None
    if isinstance(value, dict):
        return {_key_text(k): jsonable(v, depth + 1) for k, v in value.items() if not _is_bytes(v)}
    if isinstance(value, list | tuple):
        return [jsonable(v, depth + 1) for v in value if not _is_bytes(v)]
    if _is_bytes(value):
        return None
    if isinstance(value, datetime):
        return java_time(value)
    return _truncate(_safe_text(value), MAX_TEXT)


def _is_bytes(value: Any) -> bool:
    return isinstance(value, bytes | bytearray | memoryview)


def _key_text(key: Any) -> str:
    return key if isinstance(key, str) else _truncate(_safe_text(key), MAX_TEXT)


def _safe_text(value: Any) -> str:
    try:
        return str(value)
    except Exception:
        return f"<{type(value).__name__}>"


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit]


def bound(record: dict[str, Any]) -> dict[str, Any]:
    """Make ``record`` storable and bounded in place (and return it): the audit step must never fail on it."""
    for name in _TRUNCATED_FIELDS:
        value = record.get(name)
        if value is not None and not isinstance(value, str):
            value = _safe_text(value)
        if isinstance(value, str) and len(value) > MAX_TEXT:
            value = value[:MAX_TEXT]
        if name in record:
            record[name] = value
    for name in _ELEMENT_FIELDS:
        elements = record.get(name)
        if elements is None:
            continue
        try:  # the common case: plain JSON already, measured by the one serialisation that checks it
            size = len(orjson.dumps(elements))
        except Exception:
            elements = jsonable(elements)
            try:
                size = len(orjson.dumps(elements))
            except Exception:  # pragma: no cover - jsonable() leaves nothing orjson refuses
                size = MAX_ELEMENTS_BYTES + 1
        record[name] = {"omitted": True, "originalSize": size} if size > MAX_ELEMENTS_BYTES else elements
    return record


def record_json(record: dict[str, Any]) -> str:
    """The record as JSON text for the audit row; never raises (a record that cannot be written is lost)."""
    try:
        return orjson.dumps(record).decode()
    except Exception:
        pass
    try:
        return orjson.dumps(bound(jsonable(record))).decode()
    except Exception:  # pragma: no cover - jsonable() leaves nothing orjson refuses
        keep = ("eventVersion", "eventTime", "eventSource", "eventName", "requestID", "eventID", "eventType")
        return orjson.dumps({k: _safe_text(record.get(k)) for k in keep}).decode()


# -- identities -------------------------------------------------------------------------------------------------


def user_identity(principal: Principal) -> dict[str, Any]:
    kind = principal.type
    if kind == "Anonymous":
        return {"type": "AWSAccount", "principalId": "", "accountId": "anonymous"}
    if kind == "AWSService":
        return {"type": "AWSService", "invokedBy": principal.principal_id or principal.arn}
    identity: dict[str, Any] = {
        "type": kind,
        "principalId": principal.principal_id,
        "arn": principal.arn,
        "accountId": principal.account_id,
    }
    if principal.access_key_id:
        identity["accessKeyId"] = principal.access_key_id
    if kind == "IAMUser" and principal.user_name:
        identity["userName"] = principal.user_name
    if kind == "AssumedRole":
        identity["sessionContext"] = _session_context(principal)
    return identity


def _session_context(principal: Principal) -> dict[str, Any]:
    # arn:aws:sts::ACCT:assumed-role/ROLE/SESSION -> the role that issued the session
    resource = principal.arn.split(":", 5)[-1]
    parts = resource.split("/")
    role_name = parts[1] if len(parts) >= 3 else ""
    return {
        "sessionIssuer": {
            "type": "Role",
            "principalId": principal.principal_id.split(":", 1)[0],
            "arn": f"arn:aws:iam::{principal.account_id}:role/{role_name}",
            "accountId": principal.account_id,
            "userName": role_name,
        },
        "attributes": {"mfaAuthenticated": "false"},
    }


def claimed_identity(claimed: ClaimedKey | None, access_key_id: str | None) -> dict[str, Any]:
    """The identity a failed request claimed; AWS records none of these, Strongroom records them for detection."""
    if claimed is None:
        identity: dict[str, Any] = {"type": "Unknown"}
        if access_key_id:
            identity["accessKeyId"] = access_key_id
        return identity
    account = claimed.account_id
    kind = claimed.principal_type or "Root"
    return {
        "type": kind,
        "principalId": claimed.principal_id or account,
        "arn": claimed.principal_arn or f"arn:aws:iam::{account}:root",
        "accountId": account,
        "accessKeyId": claimed.access_key_id,
        **({"userName": claimed.user_name} if kind == "IAMUser" and claimed.user_name else {}),
    }


def username_of(identity: dict[str, Any]) -> str | None:
    """LookupEvents' Username: the user name, ``root``, or the role session name."""
    kind = identity.get("type")
    if kind == "Root":
        return "root"
    if kind == "IAMUser":
        return identity.get("userName")
    if kind == "AssumedRole":
        arn = str(identity.get("arn", ""))
        return arn.rsplit("/", 1)[-1] or None
    return None


# -- resources ---------------------------------------------------------------------------------------------------


def resource_type(arn: str) -> str | None:
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return None
    return _type_name(parts[2], re.split(r"[/:]", parts[5], maxsplit=1)[0])


@lru_cache(maxsize=1024)
def _type_name(service: str, kind: str) -> str:
    """``AWS::KMS::Key`` for (kms, key): one per service and resource kind, so cached (it is built per record)."""
    namespace = _ARN_NAMESPACE.get(service, service.title().replace("-", ""))
    return f"AWS::{namespace}::{''.join(p.title() for p in kind.split('-'))}"


def _resource(arn: str, kind: str | None = None) -> dict[str, Any] | None:
    entry = _resource_entry(arn, kind)
    return None if entry is None else dict(entry)  # a copy: the record is the caller's to change


@lru_cache(maxsize=4096)
def _resource_entry(arn: str, kind: str | None) -> tuple[tuple[str, Any], ...] | None:
    """A resources[] entry by ARN: the same few keys and buckets are named by most records (built once each)."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or not arn.startswith("arn:"):
        return None
    entry: dict[str, Any] = {"accountId": parts[4] or None, "type": kind or resource_type(arn), "ARN": arn}
    return tuple((k, v) for k, v in entry.items() if v is not None)


def _kms_resources(facts: CallFacts, account: str, region: str) -> list[str]:
    params, output = facts.params or {}, facts.output or {}
    found: list[str] = []
    meta = output.get("KeyMetadata")
    if isinstance(meta, dict) and isinstance(meta.get("Arn"), str):
        found.append(meta["Arn"])
    for source, member in (
        (output, "KeyId"),
        (params, "KeyId"),
        (params, "SourceKeyId"),
        (params, "DestinationKeyId"),
        (params, "TargetKeyId"),
    ):
        value = source.get(member)
        if not isinstance(value, str):
            continue
        if value.startswith("arn:") and ":key/" in value:
            found.append(value)
        elif _KEY_ID.match(value):
            found.append(f"arn:aws:kms:{region}:{account}:key/{value}")
    return found


def _cloudtrail_resources(facts: CallFacts, account: str, region: str) -> list[str]:
    params, output = facts.params or {}, facts.output or {}
    value = output.get("TrailARN") or params.get("Name") or params.get("TrailName") or params.get("ResourceId")
    if not isinstance(value, str) or not value:
        return []
    if value.startswith("arn:"):
        return [value]
    return [f"arn:aws:cloudtrail:{region}:{account}:trail/{value}"]


_RESOURCE_RULES: dict[str, Callable[[CallFacts, str, str], list[str]]] = {
    "kms": _kms_resources,
    "cloudtrail": _cloudtrail_resources,
}


def _generic_arns(values: Iterable[Any]) -> list[str]:
    found: list[str] = []
    for container in values:
        if not isinstance(container, dict):
            continue
        for name, value in container.items():
            if name.lower().endswith("arn") and isinstance(value, str) and value.startswith("arn:"):
                found.append(value)
    return found


def resources_of(facts: CallFacts, account: str, region: str) -> list[dict[str, Any]]:
    rule = _RESOURCE_RULES.get(facts.service_name)
    arns = rule(facts, account, region) if rule is not None else _generic_arns((facts.output, facts.params))
    unique: list[dict[str, Any]] = []
    seen: set[str] = set()
    for arn in arns:
        if arn in seen:  # KMS names its key twice (the request's id, the response's ARN)
            continue
        seen.add(arn)
        entry = _resource(arn)
        if entry is not None:
            unique.append(entry)
    return unique


# -- per-service adjustments --------------------------------------------------------------------------------------


def _kms_adjust(facts: CallFacts, request: dict[str, Any] | None, record: dict[str, Any]) -> None:
    name = facts.event_name
    if request is None:
        return
    # KmsOperation.default_algorithm (services/kms/operations.py): the member that records SYMMETRIC_DEFAULT.
    member = getattr(facts.spec, "default_algorithm", None)
    if isinstance(member, str):
        request.setdefault(member, "SYMMETRIC_DEFAULT")
    output = facts.output or {}
    if name == "Decrypt" and "keyId" not in request and isinstance(output.get("KeyId"), str):
        request["keyId"] = output["KeyId"]
    if isinstance(output.get("KeyMaterialId"), str):
        record["additionalEventData"] = {"keyMaterialId": output["KeyMaterialId"]}


def _apigateway_adjust(facts: CallFacts, request: dict[str, Any] | None, record: dict[str, Any]) -> None:
    """An API key's value is a secret (CreateApiKey's request and answer, CreateUsagePlanKey's answer), though the
    model does not mark it sensitive: it is hidden, as every secret member is. (ImportApiKeys' file is a blob, which
    records always omit.)"""
    if facts.event_name not in ("CreateApiKey", "CreateUsagePlanKey"):
        return
    for elements in (request, record.get("responseElements")):
        if isinstance(elements, dict) and "value" in elements:
            elements["value"] = HIDDEN


def _wafv2_adjust(facts: CallFacts, request: dict[str, Any] | None, record: dict[str, Any]) -> None:
    """A CAPTCHA API key is a secret (CreateAPIKey's answer; GetDecryptedAPIKey's and DeleteAPIKey's request),
    though the model does not mark it sensitive: it is hidden, as every secret member is."""
    if facts.event_name not in ("CreateAPIKey", "GetDecryptedAPIKey", "DeleteAPIKey"):
        return
    for elements in (request, record.get("responseElements")):
        if isinstance(elements, dict):
            for key in elements:
                if key.lower() == "apikey":
                    elements[key] = HIDDEN


_ADJUST: dict[str, Callable[[CallFacts, dict[str, Any] | None, dict[str, Any]], None]] = {
    "kms": _kms_adjust,
    "apigateway": _apigateway_adjust,
    "wafv2": _wafv2_adjust,
}


# -- the record ----------------------------------------------------------------------------------------------------


def build_records(facts: CallFacts) -> list[dict[str, Any]]:
    """The record of one API call; a second one (same sharedEventID) when it touched another account's resource."""
    principal = facts.principal
    if principal is not None:
        identity = user_identity(principal)
        if facts.invoked_by is not None:
            identity["invokedBy"] = facts.invoked_by
        account: str | None = principal.account_id
        federated = facts.extras.get("federated_identity")
        if principal.type == "Anonymous" and isinstance(federated, dict):
            # AssumeRoleWithWebIdentity / AssumeRoleWithSAML: unsigned, the verified token names the caller
            # (WebIdentityUser / SAMLUser), and the call belongs to the role's account
            identity = {k: v for k, v in federated.items() if k != "recipientAccountId"}
            account = str(federated.get("recipientAccountId") or account)
    else:
        identity = claimed_identity(facts.claimed, facts.access_key_id)
        account = facts.claimed.account_id if facts.claimed is not None else None
    region = facts.region or "us-east-1"
    service_name = facts.service_name
    read_only = is_read_only(service_name, facts.event_name, facts.spec)
    failed = facts.error_code is not None
    operation = facts.operation
    request: Any = None
    if facts.params is not None and operation is not None:
        request = render(operation.input_shape, facts.params)
        if request is _OMIT:
            request = None
    response: Any = None
    if not failed and not read_only and facts.output and operation is not None and operation.output_shape is not None:
        response = render(operation.output_shape, facts.output)
        if response is _OMIT or response == {}:
            response = None
    record: dict[str, Any] = {
        "eventVersion": EVENT_VERSION,
        "userIdentity": identity,
        "eventTime": iso_time(facts.event_time),
        "eventSource": event_source(facts.service, service_name),
        "eventName": facts.event_name,
        "awsRegion": region,
        "sourceIPAddress": facts.source_ip,
        "userAgent": facts.user_agent,
    }
    if failed:
        record["errorCode"] = facts.error_code
        if facts.error_message:
            record["errorMessage"] = facts.error_message
    record["requestParameters"] = request if request else None
    record["responseElements"] = response
    adjust = _ADJUST.get(service_name)
    if adjust is not None:
        requested = record["requestParameters"]
        adjust(facts, requested if isinstance(requested, dict) else None, record)
    record["requestID"] = facts.request_id
    record["eventID"] = ids.uuid4()
    record["readOnly"] = read_only
    resources = resources_of(facts, account or "", region) if facts.error_code != "IncompleteSignature" else []
    if resources:
        record["resources"] = resources
    record["eventType"] = "AwsApiCall"
    record["managementEvent"] = True
    record["recipientAccountId"] = account
    record["eventCategory"] = "Management"
    if facts.tls_host is not None:
        record["tlsDetails"] = {"clientProvidedHostHeader": facts.tls_host}
    bound(record)
    others = sorted({r["accountId"] for r in resources if r.get("accountId") and r["accountId"] != account})
    records = [record]
    if others and account:
        shared = ids.uuid4()
        record["sharedEventID"] = shared
        for other in others:
            copy = dict(record, eventID=ids.uuid4(), recipientAccountId=other)
            records.append(copy)
    return records


def minimal_record(facts: CallFacts) -> dict[str, Any]:
    """What is recorded when building the full record failed: enough to see that the call happened."""
    account = facts.principal.account_id if facts.principal else (facts.claimed.account_id if facts.claimed else None)
    record: dict[str, Any] = {
        "eventVersion": EVENT_VERSION,
        "userIdentity": user_identity(facts.principal)
        if facts.principal
        else claimed_identity(facts.claimed, facts.access_key_id),
        "eventTime": iso_time(facts.event_time),
        "eventSource": event_source(facts.service, facts.service_name),
        "eventName": facts.event_name,
        "awsRegion": facts.region or "us-east-1",
        "sourceIPAddress": facts.source_ip,
        "userAgent": facts.user_agent,
        **({"errorCode": facts.error_code, "errorMessage": facts.error_message} if facts.error_code else {}),
        "requestParameters": None,
        "responseElements": None,
        "requestID": facts.request_id,
        "eventID": ids.uuid4(),
        "readOnly": is_read_only(facts.service_name, facts.event_name, facts.spec),
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
    }
    return bound(record)


def service_event_record(
    service: str,
    event_name: str,
    account_id: str,
    region: str,
    resources: Iterable[str],
    details: dict[str, Any] | None,
    at: datetime,
    read_only: bool = False,
) -> dict[str, Any]:
    """An AwsServiceEvent: something the server did on its own schedule (key deletion, rotation, expiry)."""
    source = f"{service}.amazonaws.com"
    entries = [e for e in (_resource(arn) for arn in resources) if e is not None]
    record: dict[str, Any] = {
        "eventVersion": EVENT_VERSION,
        "userIdentity": {"type": "AWSService", "accountId": account_id, "invokedBy": source},
        "eventTime": iso_time(at),
        "eventSource": source,
        "eventName": event_name,
        "awsRegion": region,
        "sourceIPAddress": source,
        "userAgent": source,
        "requestParameters": None,
        "responseElements": None,
        "eventID": ids.uuid4(),
        "readOnly": read_only,
    }
    if entries:
        record["resources"] = entries
    record["eventType"] = "AwsServiceEvent"
    record["managementEvent"] = True
    record["recipientAccountId"] = account_id
    if details:
        record["serviceEventDetails"] = _plain(details, 0)
    record["eventCategory"] = "Management"
    return bound(record)


def console_login_record(
    identity: dict[str, Any],
    account_id: str,
    *,
    success: bool,
    mfa_used: bool,
    source_ip: str,
    user_agent: str,
    login_to: str,
    at: datetime,
    mfa_serial: str | None = None,
) -> dict[str, Any]:
    """An AwsConsoleSignIn ``ConsoleLogin`` record, as signin.amazonaws.com writes it for an IAM user.

    A failure carries ``errorMessage: "Failed authentication"``; for a user name that does not exist AWS records
    ``HIDDEN_DUE_TO_SECURITY_REASONS`` instead of what was typed (it may be a password typed in the wrong box),
    which ``identity`` already holds then.
    """
    extra: dict[str, Any] = {"LoginTo": login_to, "MobileVersion": "No", "MFAUsed": "Yes" if mfa_used else "No"}
    if mfa_serial:
        extra["MFAIdentifier"] = mfa_serial
    record: dict[str, Any] = {
        "eventVersion": EVENT_VERSION,
        "userIdentity": identity,
        "eventTime": iso_time(at),
        "eventSource": "signin.amazonaws.com",
        "eventName": "ConsoleLogin",
        "awsRegion": "us-east-1",
        "sourceIPAddress": source_ip,
        "userAgent": user_agent,
        "requestParameters": None,
        "responseElements": {"ConsoleLogin": "Success" if success else "Failure"},
        "additionalEventData": extra,
        "eventID": ids.uuid4(),
        "readOnly": False,
        "eventType": "AwsConsoleSignIn",
        "managementEvent": True,
        "recipientAccountId": account_id,
        "eventCategory": "Management",
    }
    if not success:
        record["errorMessage"] = "Failed authentication"
    return bound(record)
