"""Federation: a CI-style OIDC flow (AssumeRoleWithWebIdentity against a loopback issuer) and SAML (AssumeRoleWithSAML
with an assertion signed by the IdP of the provider's metadata), their refusals, and the IAM provider operations."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.errors import code_of, status_of
from tests.support.idp import OidcIssuer, SamlIdp, SigningKey, oidc_issuer
from tests.support.server import ServerProcess


def server_now(server: ServerProcess) -> datetime:
    return datetime.fromisoformat(server.admin("GET", "clock")[1]["now"].replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def issuer() -> Iterator[OidcIssuer]:
    with oidc_issuer() as found:
        yield found


def _role(server: ServerProcess, statement: dict[str, Any]) -> dict[str, Any]:
    doc = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    name = f"fed-{uuid.uuid4().hex[:8]}"
    role = server.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=doc)["Role"]
    server.client("iam").put_role_policy(
        RoleName=name,
        PolicyName="who",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}]}
        ),
    )
    return dict(role)


@pytest.fixture(scope="module")
def oidc(server: ServerProcess, issuer: OidcIssuer) -> dict[str, Any]:
    iam = server.client("iam")
    arn = iam.create_open_id_connect_provider(
        Url=issuer.url, ClientIDList=["sts.amazonaws.com"], Tags=[{"Key": "team", "Value": "ci"}]
    )["OpenIDConnectProviderArn"]
    key = issuer.url.split("://", 1)[1]
    role = _role(
        server,
        {
            "Effect": "Allow",
            "Principal": {"Federated": arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {f"{key}:aud": "sts.amazonaws.com"},
                "StringLike": {f"{key}:sub": "repo:acme/app:ref:refs/heads/*"},
            },
        },
    )
    return {"arn": arn, "role": role, "key": key}


def test_oidc_provider_operations(server: ServerProcess, issuer: OidcIssuer, oidc: dict[str, Any]) -> None:
    iam = server.client("iam")
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=oidc["arn"])
    assert got["Url"] == oidc["key"] and got["ClientIDList"] == ["sts.amazonaws.com"]
    assert got["Tags"] == [{"Key": "team", "Value": "ci"}]
    assert {"Arn": oidc["arn"]} in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=oidc["arn"], ClientID="other")
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=oidc["arn"], ClientID="other")
    iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=oidc["arn"], ThumbprintList=["a" * 40])
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=oidc["arn"])["ThumbprintList"] == ["a" * 40]
    with pytest.raises(ClientError) as exc:
        iam.create_open_id_connect_provider(Url=issuer.url, ClientIDList=["x"])
    assert code_of(exc) == "EntityAlreadyExists"
    with pytest.raises(ClientError) as exc:
        iam.create_open_id_connect_provider(Url="http://idp.example.com", ClientIDList=["x"])
    assert code_of(exc) == "InvalidInput"
    with pytest.raises(ClientError) as exc:
        iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=oidc["arn"], ThumbprintList=["z" * 40])
    assert code_of(exc) == "InvalidInput"
    missing = oidc["arn"] + "nope"
    with pytest.raises(ClientError) as exc:
        iam.get_open_id_connect_provider(OpenIDConnectProviderArn=missing)
    assert code_of(exc) == "NoSuchEntity" and status_of(exc) == 404


def test_ci_flow_and_refusals(server: ServerProcess, issuer: OidcIssuer, oidc: dict[str, Any]) -> None:
    sts = server.client("sts")
    now = server_now(server)
    role_arn = oidc["role"]["Arn"]
    token = issuer.token(now, sub="repo:acme/app:ref:refs/heads/main", aud="sts.amazonaws.com")
    out = sts.assume_role_with_web_identity(RoleArn=role_arn, RoleSessionName="gha-1", WebIdentityToken=token)
    assert out["SubjectFromWebIdentityToken"] == "repo:acme/app:ref:refs/heads/main"
    assert out["Audience"] == "sts.amazonaws.com" and out["Provider"] == issuer.url
    creds = out["Credentials"]
    session = server.client(
        "iam",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    session.list_roles(MaxItems=1)  # the role's permissions apply
    ident = server.client(
        "sts",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    ).get_caller_identity()
    assert ident["Arn"].endswith(f":assumed-role/{oidc['role']['RoleName']}/gha-1")
    # CloudTrail records the call in the role's account as the web identity user
    cloudtrail = server.client("cloudtrail")
    identity: dict[str, Any] = {}
    for _ in range(50):
        events = cloudtrail.lookup_events(
            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "AssumeRoleWithWebIdentity"}]
        )["Events"]
        found = [json.loads(e["CloudTrailEvent"]) for e in events]
        found = [e for e in found if e.get("userIdentity", {}).get("userName") == "repo:acme/app:ref:refs/heads/main"]
        if found:
            identity = found[0]["userIdentity"]
            break
        time.sleep(0.1)
    assert identity["type"] == "WebIdentityUser" and identity["identityProvider"] == oidc["key"]

    def refused(tok: str, code: str, status: int = 400) -> None:
        with pytest.raises(ClientError) as exc:
            sts.assume_role_with_web_identity(RoleArn=role_arn, RoleSessionName="xx", WebIdentityToken=tok)
        assert (code_of(exc), status_of(exc)) == (code, status)

    refused(issuer.token(now, sub="repo:acme/app:ref:refs/heads/main", aud="someone-else"), "InvalidIdentityToken")
    refused(
        issuer.token(now, sub="repo:acme/app:ref:refs/heads/main", aud="sts.amazonaws.com", lifetime=-60),
        "ExpiredTokenException",
    )
    refused(
        issuer.token(now, sub="repo:acme/app:ref:refs/heads/main", aud="sts.amazonaws.com", key=SigningKey()),
        "InvalidIdentityToken",
    )
    # a branch the trust policy does not name: the trust policy refuses
    refused(issuer.token(now, sub="repo:evil/app:ref:refs/heads/main", aud="sts.amazonaws.com"), "AccessDenied", 403)
    refused("not-a-jwt", "InvalidIdentityToken")
    # a tampered payload: the signature no longer matches
    head, _payload, sig = token.split(".")
    forged = (
        base64.urlsafe_b64encode(
            json.dumps(
                {
                    "iss": issuer.url,
                    "sub": "repo:acme/app:ref:refs/heads/x",
                    "aud": "sts.amazonaws.com",
                    "exp": int(now.timestamp()) + 300,
                }
            ).encode()
        )
        .decode()
        .rstrip("=")
    )
    refused(f"{head}.{forged}.{sig}", "InvalidIdentityToken")


def test_unknown_issuer_refused(server: ServerProcess, oidc: dict[str, Any]) -> None:
    with oidc_issuer() as other:
        token = other.token(server_now(server), sub="repo:acme/app:ref:refs/heads/main", aud="sts.amazonaws.com")
        with pytest.raises(ClientError) as exc:
            server.client("sts").assume_role_with_web_identity(
                RoleArn=oidc["role"]["Arn"], RoleSessionName="xx", WebIdentityToken=token
            )
    assert code_of(exc) == "InvalidIdentityToken"


# --- SAML ----------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def idp() -> SamlIdp:
    return SamlIdp()


@pytest.fixture(scope="module")
def saml(server: ServerProcess, idp: SamlIdp) -> dict[str, Any]:
    iam = server.client("iam")
    name = f"corp-{uuid.uuid4().hex[:6]}"
    arn = iam.create_saml_provider(Name=name, SAMLMetadataDocument=idp.metadata())["SAMLProviderArn"]
    role = _role(
        server,
        {
            "Effect": "Allow",
            "Principal": {"Federated": arn},
            "Action": "sts:AssumeRoleWithSAML",
            "Condition": {"StringEquals": {"saml:aud": "https://signin.aws.amazon.com/saml"}},
        },
    )
    return {"arn": arn, "role": role, "name": name}


def test_saml_provider_operations(server: ServerProcess, idp: SamlIdp, saml: dict[str, Any]) -> None:
    iam = server.client("iam")
    got = iam.get_saml_provider(SAMLProviderArn=saml["arn"])
    assert got["SAMLMetadataDocument"] == idp.metadata() and len(got["SAMLKeyHashes"][0]["KeyHashes"]) == 1
    assert any(p["Arn"] == saml["arn"] for p in iam.list_saml_providers()["SAMLProviderList"])
    iam.tag_saml_provider(SAMLProviderArn=saml["arn"], Tags=[{"Key": "k", "Value": "v"}])
    assert iam.list_saml_provider_tags(SAMLProviderArn=saml["arn"])["Tags"] == [{"Key": "k", "Value": "v"}]
    with pytest.raises(ClientError) as exc:
        iam.create_saml_provider(Name="bad-" + uuid.uuid4().hex[:6], SAMLMetadataDocument="<x>" + " " * 1000 + "</x>")
    assert code_of(exc) == "InvalidInput"


def test_saml_signed_assertion_works_tampered_refused(
    server: ServerProcess, idp: SamlIdp, saml: dict[str, Any]
) -> None:
    sts = server.client("sts")
    now = server_now(server)
    pair = f"{saml['role']['Arn']},{saml['arn']}"
    xml = idp.response(now, subject="alice@example.test", roles=[pair], session_name="alice")
    out = sts.assume_role_with_saml(
        RoleArn=saml["role"]["Arn"], PrincipalArn=saml["arn"], SAMLAssertion=base64.b64encode(xml).decode()
    )
    assert out["Subject"] == "alice@example.test" and out["SubjectType"] == "persistent"
    assert out["Issuer"] == idp.entity_id and out["Audience"] == "https://signin.aws.amazon.com/saml"
    assert out["AssumedRoleUser"]["Arn"].endswith(f"/{saml['role']['RoleName']}/alice")

    tampered = xml.replace(b"alice@example.test", b"mallory@example.test")
    with pytest.raises(ClientError) as exc:
        sts.assume_role_with_saml(
            RoleArn=saml["role"]["Arn"], PrincipalArn=saml["arn"], SAMLAssertion=base64.b64encode(tampered).decode()
        )
    assert code_of(exc) == "InvalidIdentityToken"
    # signed by another IdP's key
    other = SamlIdp(idp.entity_id).response(now, subject="alice@example.test", roles=[pair], session_name="alice")
    with pytest.raises(ClientError) as exc:
        sts.assume_role_with_saml(
            RoleArn=saml["role"]["Arn"], PrincipalArn=saml["arn"], SAMLAssertion=base64.b64encode(other).decode()
        )
    assert code_of(exc) == "InvalidIdentityToken"
    # expired
    old = idp.response(now, subject="alice@example.test", roles=[pair], session_name="alice", lifetime=-10)
    with pytest.raises(ClientError) as exc:
        sts.assume_role_with_saml(
            RoleArn=saml["role"]["Arn"], PrincipalArn=saml["arn"], SAMLAssertion=base64.b64encode(old).decode()
        )
    assert code_of(exc) == "ExpiredTokenException"
