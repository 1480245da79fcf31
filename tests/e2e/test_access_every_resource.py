"""Every operation that names a resource, of every service: a Deny on that resource's ARN denies it, and another
account cannot reach the resource without a resource policy.

The operations come from botocore's models: every operation Strongroom implements whose input has a member that
names a resource (:data:`RESOURCE_MEMBERS`), minus the short :data:`SKIP` table. For each one the test

(a) gives a user ``Allow *`` plus ``Deny <action>`` on the resource's ARN and expects the explicit-deny answer naming
    exactly that action and ARN (so the check is made on the resource, not on ``*``), and
(b) sends the same request, naming the resource by ARN where the API accepts one, as the root user of a second
    account (full identity permissions, no resource policy) and expects a refusal or "not found", never a success.

Requests are built from one table of member values per service (:func:`values`); a member an operation requires that
the table lacks fails the test loudly, so a new operation in the model is noticed.
"""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from strongroom.services.registry import package_name, snake_case
from tests.e2e.access_support import allow, client_for, deny, make_user, policy, second_account
from tests.e2e.pca_support import make_root
from tests.support.server import ServerProcess

# Input members that name a resource, per service: an operation with one of them is "an operation on a resource".
RESOURCE_MEMBERS: dict[str, tuple[str, ...]] = {
    "kms": ("KeyId", "SourceKeyId", "DestinationKeyId", "TargetKeyId"),
    "secretsmanager": ("SecretId",),
    "ssm": ("Name", "Names", "Path", "ResourceId", "ResourceArn"),
    "lambda": ("FunctionName",),
    "events": ("Name", "Rule", "EventBusName", "ResourceARN"),
    "cloudtrail": ("Name", "TrailName", "ResourceId", "ResourceIdList"),
    "iam": ("UserName", "RoleName", "GroupName", "PolicyArn"),
    "acm": ("CertificateArn", "ResourceArn"),
    "acm-pca": ("CertificateAuthorityArn", "ResourceArn"),
    "wafv2": ("Id", "ARN", "ResourceARN", "ResourceArn", "WebACLArn", "WebAclArn", "WebACLId"),
}

# Operations this test does not drive, with why.
SKIP: dict[tuple[str, str], str] = {
    ("kms", "ListAliases"): "account-wide listing (KeyId only filters): AWS authorizes it on '*'",
    ("kms", "RetireGrant"): "authorized by the grant itself (its retiring principal or grantee), not by the key",
    ("events", "ListRules"): "a listing of a bus's rules, not an operation on one resource (checked on '*')",
    ("events", "ListRuleNamesByTarget"): "a listing of a bus's rules by target, not on one resource (checked on '*')",
    ("secretsmanager", "ValidateResourcePolicy"): "validates a policy document; SecretId is optional context",
    ("wafv2", "DisassociateWebACL"): "names the protected resource; checked on the web ACL associated with it",
    ("wafv2", "GetWebACLForResource"): "names the protected resource; checked on the web ACL associated with it",
    **{
        ("events", op): "partner event sources: Name is an aws.partner/... source, which no account here has"
        for op in (
            "ActivateEventSource",
            "DeactivateEventSource",
            "DescribeEventSource",
            "CreatePartnerEventSource",
            "DeletePartnerEventSource",
            "DescribePartnerEventSource",
        )
    },
    **{
        ("events", op): "global endpoints: the shared world makes none (tests/e2e/test_events_archives.py covers them)"
        for op in ("CreateEndpoint", "DeleteEndpoint", "DescribeEndpoint", "UpdateEndpoint")
    },
    **{
        (
            "cloudtrail",
            op,
        ): "CloudTrail Lake resources are authorized on '*'; Name is the new resource's (docs/cloudtrail.md)"
        for op in ("CreateChannel", "CreateDashboard", "CreateEventDataStore", "UpdateChannel", "UpdateEventDataStore")
    },
}

# Where the action is not <prefix>:<Operation> (Service Authorization Reference).
ACTIONS: dict[tuple[str, str], str] = {
    ("lambda", "Invoke"): "lambda:InvokeFunction",
    ("kms", "ReEncrypt"): "kms:ReEncryptFrom",
}

# Operations that create the resource they name in the caller's own account: by name, another account creates its own
# (PutParameter and CreateFunction take ARNs too, and another account's ARN must be refused: they are not listed).
CREATES = frozenset(
    {
        ("iam", "CreateUser"),
        ("iam", "CreateRole"),
        ("iam", "CreateGroup"),
        ("events", "CreateEventBus"),
        ("events", "CreateConnection"),
        ("events", "CreateApiDestination"),
        ("events", "PutRule"),
        ("cloudtrail", "CreateTrail"),
    }
)

# What another account may legitimately be answered without an error: nothing of the owner's in it.
EMPTY_ANSWERS: dict[tuple[str, str], Callable[[dict[str, Any]], bool]] = {
    ("ssm", "GetParameters"): lambda out: not out.get("Parameters"),
    ("ssm", "DeleteParameters"): lambda out: not out.get("DeletedParameters"),
    ("ssm", "GetParametersByPath"): lambda out: not out.get("Parameters"),
}

# Refusals and not-found answers: the other account learns nothing and changes nothing.
REFUSED = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "NotFoundException",
        "NoSuchEntity",
        "ResourceNotFoundException",
        "ParameterNotFound",
        "InvalidResourceId",
        "TrailNotFoundException",
        "WAFNonexistentItemException",
    }
)

# Operation-specific refusals of another account's ARN.
REFUSED_BY: dict[tuple[str, str], str] = {
    ("ssm", "PutParameter"): "ValidationException",  # a parameter is created by name; an ARN is not a name
    ("cloudtrail", "ListInsightsMetricData"): "InvalidTrailNameException",  # its only modeled trail error
}

_BOTOCORE = botocore.session.get_session()
# An SSH public key for UploadSSHPublicKey (IAM parses it before looking the user up).
SSH_KEY = (
    rsa.generate_private_key(65537, 2048)
    .public_key()
    .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    .decode()
)


def _provider(service: str) -> type:
    module = __import__(f"strongroom.services.{package_name(service)}.provider", fromlist=["Provider"])
    return module.Provider  # type: ignore[no-any-return]


def resource_operations() -> list[tuple[str, str]]:
    out = []
    for service, members in RESOURCE_MEMBERS.items():
        model = _BOTOCORE.get_service_model(service)
        provider = _provider(service)
        for op in model.operation_names:
            shape = model.operation_model(op).input_shape
            if shape is None or not hasattr(provider, snake_case(op)) or (service, op) in SKIP:
                continue
            if any(m in shape.members for m in members):
                out.append((service, op))
    return out


# --- the resources ----------------------------------------------------------------------------------------------


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return 1\n")
    return buf.getvalue()


def _self_signed(cn: str) -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=90))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(cn)]), False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM), pem


TRUST = policy({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"})


class World:
    """One resource of every type, owned by the server's first account; a denied user; a second account's root."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        uid = uuid.uuid4().hex[:8]
        self.uid = uid
        self.account = server.client("sts").get_caller_identity()["Account"]
        region = "us-east-1"
        iam = server.client("iam")
        self.user = iam.create_user(UserName=f"target-{uid}")["User"]
        self.role = iam.create_role(RoleName=f"target-{uid}", AssumeRolePolicyDocument=TRUST)["Role"]
        self.group = iam.create_group(GroupName=f"target-{uid}")["Group"]
        self.policy = iam.create_policy(PolicyName=f"target-{uid}", PolicyDocument=policy(allow("s3:Get*")))["Policy"]

        kms = server.client("kms")
        self.key = kms.create_key(Description="every-resource")["KeyMetadata"]["Arn"]
        self.ciphertext = kms.encrypt(KeyId=self.key, Plaintext=b"p")["CiphertextBlob"]

        sm = server.client("secretsmanager")
        self.secret = sm.create_secret(Name=f"every/{uid}", SecretString="s")["ARN"]

        self.parameter = f"/every-{uid}/p"
        server.client("ssm").put_parameter(Name=self.parameter, Value="v", Type="String")
        self.parameter_arn = f"arn:aws:ssm:{region}:{self.account}:parameter{self.parameter}"

        self.function = f"every-{uid}"
        self.function_arn = server.client("lambda").create_function(
            FunctionName=self.function,
            Runtime="python3.12",
            Role=self.role["Arn"],
            Handler="index.handler",
            Code={"ZipFile": _zip()},
        )["FunctionArn"]

        events = server.client("events")
        self.bus = f"every-{uid}"
        self.bus_arn = events.create_event_bus(Name=self.bus)["EventBusArn"]
        self.rule = f"rule-{uid}"
        self.rule_arn = events.put_rule(Name=self.rule, EventBusName=self.bus, EventPattern='{"source":["x"]}')[
            "RuleArn"
        ]
        self.connection = f"conn-{uid}"
        auth = {"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}}
        self.connection_arn = events.create_connection(
            Name=self.connection, AuthorizationType="API_KEY", AuthParameters=auth
        )["ConnectionArn"]
        self.destination = f"dest-{uid}"
        self.destination_arn = events.create_api_destination(
            Name=self.destination,
            ConnectionArn=self.connection_arn,
            InvocationEndpoint="https://example.com/x",
            HttpMethod="POST",
        )["ApiDestinationArn"]

        self.trail = f"every-{uid}"
        self.trail_arn = server.client("cloudtrail").create_trail(Name=self.trail, S3BucketName=f"every-{uid}")[
            "TrailARN"
        ]

        cert, key = _self_signed(f"every-{uid}.example.com")
        self.cert_pem, self.key_pem = cert, key
        self.certificate = server.client("acm").import_certificate(Certificate=cert, PrivateKey=key)["CertificateArn"]

        self.ca, _ = make_root(server.client("acm-pca"))

        waf = server.client("wafv2")
        vis = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "m"}
        self.waf: dict[str, dict[str, Any]] = {
            "ipset": waf.create_ip_set(Name=f"e-{uid}", Scope="REGIONAL", IPAddressVersion="IPV4", Addresses=[])[
                "Summary"
            ],
            "regexpatternset": waf.create_regex_pattern_set(
                Name=f"e-{uid}", Scope="REGIONAL", RegularExpressionList=[]
            )["Summary"],
            "rulegroup": waf.create_rule_group(Name=f"e-{uid}", Scope="REGIONAL", Capacity=10, VisibilityConfig=vis)[
                "Summary"
            ],
            "webacl": waf.create_web_acl(
                Name=f"e-{uid}", Scope="REGIONAL", DefaultAction={"Allow": {}}, VisibilityConfig=vis
            )["Summary"],
        }
        managed_id = str(uuid.uuid4())
        self.waf["managedruleset"] = {
            "Name": f"e-{uid}",
            "Id": managed_id,
            "ARN": f"arn:aws:wafv2:{region}:{self.account}:regional/managedruleset/e-{uid}/{managed_id}",
            "LockToken": str(uuid.uuid4()),
        }

        self.denied = make_user(iam, allow("*"))
        self.other_account, self.other_root = second_account(server)
        # the other account has a user, role and group of the same names: IAM takes names, so its requests act on
        # these, and only the owner's policy ARN crosses the account line (attaching it must be refused)
        other_iam = client_for(server, "iam", self.other_root)
        other_iam.create_user(UserName=self.user["UserName"])
        other_iam.create_role(RoleName=self.role["RoleName"], AssumeRolePolicyDocument=TRUST)
        other_iam.create_group(GroupName=self.group["GroupName"])


@pytest.fixture(scope="module")
def world(server: ServerProcess) -> World:
    return World(server)


# --- requests ---------------------------------------------------------------------------------------------------


def values(w: World, service: str, op: str, cross: bool) -> tuple[dict[str, Any], str]:
    """The member values of ``service``'s requests and the ARN ``op`` is expected to be authorized on.

    ``cross``: name the resource as another account must, by ARN where the API accepts one.
    """
    tags = [{"Key": "a", "Value": "b"}]
    if service == "kms":
        arn = w.key
        v: dict[str, Any] = {
            **dict.fromkeys(("KeyId", "SourceKeyId", "DestinationKeyId", "TargetKeyId"), w.key),
            "AliasName": f"alias/every-{w.uid}",
            "Operations": ["Encrypt"],
            "GranteePrincipal": f"arn:aws:iam::{w.account}:root",
            "Plaintext": b"p",
            "CiphertextBlob": w.ciphertext,
            "KeyAgreementAlgorithm": "ECDH",
            "PublicKey": b"k",
            "KeyPairSpec": "RSA_2048",
            "Message": b"m",
            "MacAlgorithm": "HMAC_SHA_256",
            "Mac": b"m",
            "Signature": b"s",
            "SigningAlgorithm": "RSASSA_PSS_SHA_256",
            "EncapsulationAlgorithm": "ML_KEM",
            "SharedSecretCiphertextBlob": b"c",
            "WrappingAlgorithm": "RSAES_OAEP_SHA_256",
            "WrappingKeySpec": "RSA_2048",
            "ImportToken": b"t",
            "EncryptedKeyMaterial": b"e",
            "Policy": "{}",
            "ReplicaRegion": "us-west-2",
            "PrimaryRegion": "us-west-2",
            "GrantId": "0" * 64,
            "Tags": [{"TagKey": "a", "TagValue": "b"}],
            "TagKeys": ["a"],
            "Description": "d",
        }
        return v, arn
    if service == "secretsmanager":
        return {
            "SecretId": w.secret,
            "ResourcePolicy": policy(),
            "RemoveReplicaRegions": ["us-west-2"],
            "AddReplicaRegions": [{"Region": "us-west-2"}],
            "Tags": tags,
            "TagKeys": ["a"],
            "VersionStage": "STAGE",
        }, w.secret
    if service == "ssm":
        name = w.parameter_arn if cross else w.parameter
        path = w.parameter.rsplit("/", 1)[0]
        arn = w.parameter_arn if op != "GetParametersByPath" else w.parameter_arn.rsplit("/", 1)[0]
        return {
            "Name": name,
            "Names": [name],
            "Path": path,
            "ResourceType": "Parameter",
            "ResourceId": name,
            "ResourceArn": w.parameter_arn,
            "Tags": tags,
            "TagKeys": ["a"],
            "Value": "v",
            "Labels": ["l1"],
            "ParameterVersion": 1,
            "Policy": policy(),
            "PolicyId": "x",
            "PolicyHash": "x",
        }, arn
    if service == "lambda":
        return {
            "FunctionName": w.function_arn if cross else w.function,
            "Role": w.role["Arn"],
            "Code": {"ZipFile": _zip()},
            "StatementId": "s1",
            "Action": "lambda:InvokeFunction",
            "Principal": "s3.amazonaws.com",
        }, w.function_arn
    if service == "events":
        from strongroom.services.events.access import NAMED

        kind = NAMED.get(op, ("rule", ""))[0]
        name, arn = {
            "rule": (w.rule, w.rule_arn),
            "event-bus": (w.bus, w.bus_arn),
            "connection": (w.connection, w.connection_arn),
            "api-destination": (w.destination, w.destination_arn),
        }[kind]
        if op in ("TagResource", "UntagResource", "ListTagsForResource"):
            name, arn = w.rule, w.rule_arn
        return {
            "Name": w.bus_arn if cross and kind == "event-bus" else name,
            "Rule": name,
            "EventBusName": w.bus_arn if cross else w.bus,
            "ResourceARN": arn,
            "Targets": [{"Id": "t", "Arn": w.function_arn}],
            "Ids": ["t"],
            "ConnectionArn": w.connection_arn,
            "InvocationEndpoint": "https://example.com/y",
            "HttpMethod": "POST",
            "AuthorizationType": "API_KEY",
            "AuthParameters": {"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}},
            "Tags": tags,
            "TagKeys": ["a"],
        }, arn
    if service == "cloudtrail":
        name = w.trail_arn if cross else w.trail
        return {
            "Name": name,
            "TrailName": name,
            "ResourceId": w.trail_arn,
            "ResourceIdList": [w.trail_arn],
            "TagsList": tags,
            "S3BucketName": f"every-{w.uid}",
            "InsightSelectors": [{"InsightType": "ApiCallRateInsight"}],
            "EventSelectors": [{"ReadWriteType": "All"}],
            "EventSource": "kms.amazonaws.com",
            "EventName": "Encrypt",
            "InsightType": "ApiCallRateInsight",
        }, w.trail_arn
    if service == "iam":
        member_arn = {
            "RoleName": w.role["Arn"],
            "GroupName": w.group["Arn"],
            "UserName": w.user["Arn"],
            "PolicyArn": w.policy["Arn"],
        }
        shape = _BOTOCORE.get_service_model("iam").operation_model(op).input_shape
        # the entity an operation acts on, as IAM's resource-type table gives it (roles and groups before users)
        first = next(m for m in ("RoleName", "GroupName", "UserName", "PolicyArn") if m in shape.members)
        return {
            "UserName": w.user["UserName"],
            "RoleName": w.role["RoleName"],
            "GroupName": w.group["GroupName"],
            "PolicyArn": w.policy["Arn"],
            "PolicyName": "p",
            "PolicyDocument": TRUST if op == "UpdateAssumeRolePolicy" else policy(allow("s3:Get*")),
            "AssumeRolePolicyDocument": TRUST,
            "PermissionsBoundary": w.policy["Arn"],
            "AccessKeyId": "AKIAAAAAAAAAAAAAAAAA",
            "Status": "Inactive",
            "VersionId": "v1",
            "Tags": tags,
            "TagKeys": ["a"],
            "Description": "d",
            # login profiles, MFA, keys, certificates, service credentials, instance profiles (issue 24)
            "InstanceProfileName": f"every-{w.uid}",
            "Password": "Every-Pa55word!",
            "SerialNumber": f"arn:aws:iam::{w.account}:mfa/every-{w.uid}",
            "AuthenticationCode1": "123456",
            "AuthenticationCode2": "654321",
            "SSHPublicKeyId": "APKA" + "A" * 17,
            "SSHPublicKeyBody": SSH_KEY,
            "Encoding": "SSH",
            "CertificateId": "C" * 40,
            "CertificateBody": w.cert_pem.decode() if isinstance(w.cert_pem, bytes) else w.cert_pem,
            "ServiceName": "codecommit.amazonaws.com",
            "ServiceSpecificCredentialId": "ACCA" + "A" * 17,
        }, member_arn[first]
    if service == "acm":
        return {
            "CertificateArn": w.certificate,
            "ResourceArn": w.certificate,
            "Certificate": w.cert_pem,
            "PrivateKey": w.key_pem,
            "Tags": tags,
            "TagKeys": ["a"],
            "Passphrase": b"passphrase-1234",
            "Domain": f"every-{w.uid}.example.com",
            "ValidationDomain": "example.com",
            "RevocationReason": "SUPERSEDED",
            "Options": {"CertificateTransparencyLoggingPreference": "DISABLED"},
        }, w.certificate
    if service == "acm-pca":
        return {
            "CertificateAuthorityArn": w.ca,
            "ResourceArn": w.ca,
            "S3BucketName": f"every-{w.uid}",
            "AuditReportResponseFormat": "JSON",
            "AuditReportId": str(uuid.uuid4()),
            "Principal": "acm.amazonaws.com",
            "Actions": ["IssueCertificate"],
            "CertificateArn": f"{w.ca}/certificate/{'0' * 32}",
            "Certificate": b"-",
            "Csr": b"-",
            "SigningAlgorithm": "SHA256WITHRSA",
            "Validity": {"Value": 1, "Type": "DAYS"},
            "Policy": policy(),
            "CertificateSerial": "01",
            "RevocationReason": "SUPERSEDED",
            "Tags": tags,
        }, w.ca
    if service == "wafv2":
        kind = next(
            (k for part, k in _WAF_KINDS if part in op),
            "webacl",
        )
        entity = w.waf[kind]
        vis = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "m"}
        acl = w.waf["webacl"]
        now = datetime.now(UTC)
        return {
            "Name": entity["Name"],
            "Scope": "REGIONAL",
            "Id": entity["Id"],
            "ARN": entity["ARN"],
            "LockToken": entity["LockToken"],
            "ResourceARN": entity["ARN"],
            "ResourceArn": f"arn:aws:apigateway:us-east-1::/restapis/a{w.uid}/stages/s"
            if op == "AssociateWebACL"
            else entity["ARN"],
            "WebACLArn": acl["ARN"],
            "WebAclArn": acl["ARN"],
            "WebACLName": acl["Name"],
            "WebACLId": acl["Id"],
            "RuleName": "r",
            "RuleMetricName": "m",
            "TimeWindow": {"StartTime": now - timedelta(minutes=5), "EndTime": now},
            "MaxItems": 10,
            "Addresses": [],
            "RegularExpressionList": [],
            "VisibilityConfig": vis,
            "DefaultAction": {"Allow": {}},
            "Policy": policy(),
            "Tags": tags,
            "TagKeys": ["a"],
            "VersionToExpire": "v1",
            "ExpiryTimestamp": now + timedelta(days=30),
        }, entity["ARN"] if op not in _WAF_BY_ACL else acl["ARN"]
    raise AssertionError(service)


# WAF v2: the entity kind an operation's name implies, and operations that name the web ACL by WebACL* members.
_WAF_KINDS = (
    ("IPSet", "ipset"),
    ("RegexPatternSet", "regexpatternset"),
    ("RuleGroup", "rulegroup"),
    ("PermissionPolicy", "rulegroup"),
    ("ManagedRuleSet", "managedruleset"),
)
_WAF_BY_ACL = frozenset(
    {"AssociateWebACL", "ListResourcesForWebACL", "GetSampledRequests", "GetRateBasedStatementManagedKeys"}
)


def _fits(shape: Any, value: Any) -> bool:
    pattern = getattr(shape, "metadata", {}).get("pattern")
    if not isinstance(value, str) or not pattern:
        return True
    try:
        return re.fullmatch(pattern, value) is not None
    except re.error:
        return True


def request(w: World, service: str, op: str, cross: bool = False) -> tuple[dict[str, Any], str]:
    """The request for ``op``: its required members and the members naming the resource.

    Across accounts a member takes the resource's ARN where its pattern allows one, else the plain name.
    """
    table, arn = values(w, service, op, cross)
    plain, _ = values(w, service, op, False)
    shape = _BOTOCORE.get_service_model(service).operation_model(op).input_shape
    wanted = [m for m in shape.members if m in shape.required_members or m in RESOURCE_MEMBERS[service]]
    missing = [m for m in wanted if m not in table]
    assert not missing, f"{service}:{op} needs values for {missing}"
    return {m: table[m] if _fits(shape.members[m], table[m]) else plain[m] for m in wanted}, arn


def call(client: Any, op: str, params: dict[str, Any]) -> tuple[str | None, str, dict[str, Any]]:
    try:
        out = getattr(client, snake_case(op))(**params)
    except ClientError as exc:
        err = exc.response["Error"]
        return err["Code"], err.get("Message", ""), {}
    return None, "", dict(out)


@pytest.mark.parametrize(("service", "op"), resource_operations(), ids=lambda v: str(v))
def test_deny_on_the_resource_and_no_reach_from_another_account(
    server: ServerProcess, world: World, service: str, op: str
) -> None:
    action = ACTIONS.get((service, op), f"{service}:{op}")
    params, arn = request(world, service, op)

    # (a) Allow * and a Deny of exactly this action on exactly this resource
    admin_iam = server.client("iam")
    admin_iam.put_user_policy(
        UserName=world.denied["Name"], PolicyName="p", PolicyDocument=policy(allow("*"), deny(action, arn))
    )
    code, message, _ = call(client_for(server, service, world.denied), op, params)
    assert code in ("AccessDenied", "AccessDeniedException"), f"{service}:{op} answered {code}: {message}"
    assert f"perform: {action} on resource: {arn} with an explicit deny" in message, message

    # (b) another account, all permissions on its side, no resource policy on ours
    if (service, op) in CREATES:
        return  # by name it creates its own; the Deny above covers the owner's resource
    params, _ = request(world, service, op, cross=True)
    named = [params[m] for m in RESOURCE_MEMBERS[service] if m in params]
    if not any(f":{world.account}:" in str(v) for v in named):
        return  # the API takes only names here, and a name means the caller's own account's resource
    outsider = client_for(server, service, world.other_root)
    code, message, out = call(outsider, op, params)
    if code is None:
        empty = EMPTY_ANSWERS.get((service, op))
        assert empty is not None and empty(out), f"another account reached {arn} with {service}:{op}: {out}"
    else:
        refused = code in REFUSED or code == REFUSED_BY.get((service, op))
        assert refused, f"{service}:{op} from another account answered {code}: {message}"
