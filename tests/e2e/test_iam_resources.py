"""The rest of IAM: instance profiles, account alias, server and signing certificates, SSH keys, service-specific
credentials, service-linked roles, the account summary, the credential report, access advisor from the audit
trail, context keys; and STS's GetFederationToken, GetWebIdentityToken, AssumeRoot and DecodeAuthorizationMessage."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from tests.support.errors import code_of, status_of
from tests.support.server import ServerProcess


def _creds_client(server: ServerProcess, service: str, creds: dict[str, Any]) -> Any:
    return server.client(
        service,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds.get("SessionToken"),
    )


def _cert(cn: str) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=90))
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return cert.public_bytes(serialization.Encoding.PEM).decode(), pem_key


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_instance_profiles(server: ServerProcess) -> None:
    iam = server.client("iam")
    role = _name("ec2")
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
    name = _name("profile")
    created = iam.create_instance_profile(InstanceProfileName=name, Path="/app/", Tags=[{"Key": "a", "Value": "b"}])
    assert created["InstanceProfile"]["Arn"].endswith(f":instance-profile/app/{name}")
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=role)
    with pytest.raises(ClientError) as exc:
        iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=role)
    assert code_of(exc) == "EntityAlreadyExists"
    got = iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
    assert [r["RoleName"] for r in got["Roles"]] == [role] and got["Tags"] == [{"Key": "a", "Value": "b"}]
    assert [
        p["InstanceProfileName"] for p in iam.list_instance_profiles_for_role(RoleName=role)["InstanceProfiles"]
    ] == [name]
    with pytest.raises(ClientError) as exc:
        iam.delete_role(RoleName=role)
    assert code_of(exc) == "DeleteConflict"
    with pytest.raises(ClientError) as exc:
        iam.delete_instance_profile(InstanceProfileName=name)
    assert code_of(exc) == "DeleteConflict"
    details = iam.get_account_authorization_details(Filter=["Role"])["RoleDetailList"]
    mine = next(r for r in details if r["RoleName"] == role)
    assert [p["InstanceProfileName"] for p in mine["InstanceProfileList"]] == [name]
    iam.remove_role_from_instance_profile(InstanceProfileName=name, RoleName=role)
    iam.delete_instance_profile(InstanceProfileName=name)
    with pytest.raises(ClientError) as exc:
        iam.get_instance_profile(InstanceProfileName=name)
    assert (code_of(exc), status_of(exc)) == ("NoSuchEntity", 404)


def test_alias_certificates_keys_and_service_credentials(server: ServerProcess) -> None:
    iam = server.client("iam")
    alias = f"acme-{uuid.uuid4().hex[:8]}"
    iam.create_account_alias(AccountAlias=alias)
    assert iam.list_account_aliases()["AccountAliases"] == [alias]
    iam.delete_account_alias(AccountAlias=alias)
    with pytest.raises(ClientError) as exc:
        iam.delete_account_alias(AccountAlias=alias)
    assert code_of(exc) == "NoSuchEntity"

    body, key = _cert("www.example.test")
    other_body, other_key = _cert("other.example.test")
    name = _name("web")
    with pytest.raises(ClientError) as exc:
        iam.upload_server_certificate(ServerCertificateName=name, CertificateBody=body, PrivateKey=other_key)
    assert code_of(exc) == "KeyPairMismatch"
    meta = iam.upload_server_certificate(ServerCertificateName=name, CertificateBody=body, PrivateKey=key)[
        "ServerCertificateMetadata"
    ]
    assert meta["Arn"].endswith(f":server-certificate/{name}")
    got = iam.get_server_certificate(ServerCertificateName=name)["ServerCertificate"]
    assert got["CertificateBody"] == body.strip() and "PrivateKey" not in got
    iam.update_server_certificate(ServerCertificateName=name, NewServerCertificateName=name + "-2", NewPath="/x/")
    listed = iam.list_server_certificates(PathPrefix="/x/")["ServerCertificateMetadataList"]
    assert [m["ServerCertificateName"] for m in listed] == [name + "-2"]
    iam.delete_server_certificate(ServerCertificateName=name + "-2")

    user = _name("dev")
    iam.create_user(UserName=user)
    cert = iam.upload_signing_certificate(UserName=user, CertificateBody=other_body)["Certificate"]
    assert cert["Status"] == "Active"
    with pytest.raises(ClientError) as exc:
        iam.upload_signing_certificate(UserName=user, CertificateBody=other_body)
    assert code_of(exc) == "DuplicateCertificate"
    iam.update_signing_certificate(UserName=user, CertificateId=cert["CertificateId"], Status="Inactive")
    assert iam.list_signing_certificates(UserName=user)["Certificates"][0]["Status"] == "Inactive"
    iam.delete_signing_certificate(UserName=user, CertificateId=cert["CertificateId"])

    ssh = (
        rsa.generate_private_key(65537, 2048)
        .public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )
    uploaded = iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=ssh)["SSHPublicKey"]
    assert uploaded["Fingerprint"].count(":") == 15
    pem = iam.get_ssh_public_key(UserName=user, SSHPublicKeyId=uploaded["SSHPublicKeyId"], Encoding="PEM")
    assert pem["SSHPublicKey"]["SSHPublicKeyBody"].startswith("-----BEGIN PUBLIC KEY-----")
    with pytest.raises(ClientError) as exc:
        iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody="ssh-rsa not-a-key")
    assert code_of(exc) == "InvalidPublicKey"
    iam.delete_ssh_public_key(UserName=user, SSHPublicKeyId=uploaded["SSHPublicKeyId"])

    cred = iam.create_service_specific_credential(UserName=user, ServiceName="codecommit.amazonaws.com")[
        "ServiceSpecificCredential"
    ]
    assert cred["ServicePassword"] and cred["ServiceUserName"].startswith(user)
    reset = iam.reset_service_specific_credential(
        UserName=user, ServiceSpecificCredentialId=cred["ServiceSpecificCredentialId"]
    )
    assert reset["ServiceSpecificCredential"]["ServicePassword"] != cred["ServicePassword"]
    listed_creds = iam.list_service_specific_credentials(UserName=user)["ServiceSpecificCredentials"]
    assert [c["ServiceSpecificCredentialId"] for c in listed_creds] == [cred["ServiceSpecificCredentialId"]]
    assert "ServicePassword" not in listed_creds[0]
    with pytest.raises(ClientError) as exc:
        iam.create_service_specific_credential(UserName=user, ServiceName="ec2.amazonaws.com")
    assert code_of(exc) == "NotSupportedService"
    iam.delete_service_specific_credential(
        UserName=user, ServiceSpecificCredentialId=cred["ServiceSpecificCredentialId"]
    )


def test_service_linked_role(server: ServerProcess) -> None:
    iam = server.client("iam")
    suffix = uuid.uuid4().hex[:6]
    role = iam.create_service_linked_role(AWSServiceName="ssm.amazonaws.com", CustomSuffix=suffix)["Role"]
    assert role["Path"] == "/aws-service-role/ssm.amazonaws.com/"
    attached = iam.list_attached_role_policies(RoleName=role["RoleName"])["AttachedPolicies"]
    assert attached[0]["PolicyArn"] == "arn:aws:iam::aws:policy/aws-service-role/AmazonSSMServiceRolePolicy"
    with pytest.raises(ClientError) as exc:
        iam.delete_role(RoleName=role["RoleName"])
    assert code_of(exc) == "UnmodifiableEntity"
    task = iam.delete_service_linked_role(RoleName=role["RoleName"])["DeletionTaskId"]
    assert iam.get_service_linked_role_deletion_status(DeletionTaskId=task)["Status"] == "SUCCEEDED"
    with pytest.raises(ClientError) as exc:
        iam.create_service_linked_role(AWSServiceName="ec2.amazonaws.com")
    assert code_of(exc) == "InvalidInput"


def test_summary_report_and_access_advisor(server: ServerProcess) -> None:
    iam = server.client("iam")
    user = _name("audited")
    iam.create_user(UserName=user)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["kms:ListKeys", "iam:ListUsers"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}},
            }
        ],
    }
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    _creds_client(server, "kms", key).list_keys()

    summary = iam.get_account_summary()["SummaryMap"]
    assert summary["Users"] >= 1 and summary["UsersQuota"] == 5000

    with pytest.raises(ClientError) as exc:
        iam.get_credential_report()
    assert code_of(exc) in ("ReportNotPresent", "ReportExpired")
    iam.generate_credential_report()
    report = iam.get_credential_report()
    rows = list(csv.DictReader(io.StringIO(report["Content"].decode())))
    assert rows[0]["user"] == "<root_account>"
    mine = next(r for r in rows if r["user"] == user)
    assert mine["access_key_1_active"] == "true" and mine["password_enabled"] == "false"

    arn = iam.get_user(UserName=user)["User"]["Arn"]
    job = iam.generate_service_last_accessed_details(Arn=arn)["JobId"]
    details = iam.get_service_last_accessed_details(JobId=job)
    assert details["JobStatus"] == "COMPLETED"
    by_ns = {s["ServiceNamespace"]: s for s in details["ServicesLastAccessed"]}
    assert set(by_ns) == {"kms", "iam"}
    assert by_ns["kms"]["LastAuthenticatedEntity"] == arn and by_ns["kms"]["TotalAuthenticatedEntities"] == 1
    assert "LastAuthenticated" not in by_ns["iam"]
    entities = iam.get_service_last_accessed_details_with_entities(JobId=job, ServiceNamespace="kms")
    assert entities["EntityDetailsList"][0]["EntityInfo"]["Name"] == user
    with pytest.raises(ClientError) as exc:
        iam.get_service_last_accessed_details(JobId=str(uuid.uuid4()))
    assert code_of(exc) == "NoSuchEntity"
    granting = iam.list_policies_granting_service_access(Arn=arn, ServiceNamespaces=["kms", "s3"])
    assert [len(g["Policies"]) for g in granting["PoliciesGrantingServiceAccess"]] == [1, 0]

    keys = iam.get_context_keys_for_principal_policy(PolicySourceArn=arn)["ContextKeyNames"]
    assert keys == ["aws:RequestedRegion"]
    custom = iam.get_context_keys_for_custom_policy(
        PolicyInputList=[
            json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "s3:*",
                            "Resource": "arn:aws:s3:::b/${aws:username}/*",
                            "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
                        }
                    ],
                }
            )
        ]
    )["ContextKeyNames"]
    assert custom == ["aws:SourceIp", "aws:username"]


def test_sts_other_operations(server: ServerProcess) -> None:
    iam = server.client("iam")
    user = _name("fed")
    iam.create_user(UserName=user)
    iam.put_user_policy(
        UserName=user,
        PolicyName="p",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": ["iam:List*", "sts:GetFederationToken"], "Resource": "*"}],
            }
        ),
    )
    key = iam.create_access_key(UserName=user)["AccessKey"]
    sts = _creds_client(server, "sts", key)
    session_policy = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]}
    )
    fed = sts.get_federation_token(Name="bob", Policy=session_policy, DurationSeconds=900)
    assert fed["FederatedUser"]["Arn"].endswith(":federated-user/bob")
    as_bob = _creds_client(server, "iam", fed["Credentials"])
    as_bob.list_users(MaxItems=1)  # user's policy ∩ session policy
    with pytest.raises(ClientError) as exc:
        as_bob.list_roles()  # the user may, the session policy does not
    assert code_of(exc) == "AccessDenied"
    assert _creds_client(server, "sts", fed["Credentials"]).get_caller_identity()["Arn"].endswith(":federated-user/bob")
    with pytest.raises(ClientError) as exc:
        _creds_client(server, "sts", fed["Credentials"]).get_federation_token(Name="again")
    assert code_of(exc) == "AccessDenied"

    root_sts = server.client("sts")
    with pytest.raises(ClientError) as exc:
        root_sts.get_web_identity_token(Audience=["https://example.test"], SigningAlgorithm="RS256")
    assert (code_of(exc), status_of(exc)) == ("OutboundWebIdentityFederationDisabledException", 403)
    issuer = iam.enable_outbound_web_identity_federation()["IssuerIdentifier"]
    try:
        token = root_sts.get_web_identity_token(Audience=["https://example.test"], SigningAlgorithm="ES384")
        payload = token["WebIdentityToken"].split(".")[1]
        claims = json.loads(__import__("base64").urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        assert claims["iss"] == issuer and claims["aud"] == "https://example.test"
        assert iam.get_outbound_web_identity_federation_info()["JwtVendingEnabled"] is True
    finally:
        iam.disable_outbound_web_identity_federation()

    with pytest.raises(ClientError) as exc:
        root_sts.decode_authorization_message(EncodedMessage="bm90LWEtbWVzc2FnZQ")
    assert code_of(exc) == "InvalidAuthorizationMessageException"
    with pytest.raises(ClientError) as exc:
        sts.assume_root(
            TargetPrincipal="111122223333",
            TaskPolicyArn={"arn": "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"},
        )
    assert code_of(exc) == "AccessDenied"
    with pytest.raises(ClientError) as exc:
        iam.list_organizations_features()
    assert code_of(exc) == "OrganizationNotFoundException"
    assert iam.list_delegation_requests()["DelegationRequests"] == []
    with pytest.raises(ClientError) as exc:
        iam.get_delegation_request(DelegationRequestId="d-" + uuid.uuid4().hex[:20])
    assert code_of(exc) == "NoSuchEntity"


def test_access_advisor_shows_what_a_role_used(server: ServerProcess) -> None:
    iam = server.client("iam")
    me = server.client("sts").get_caller_identity()["Account"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{me}:root"}, "Action": "sts:AssumeRole"}],
    }
    name = _name("advised")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    iam.put_role_policy(
        RoleName=name,
        PolicyName="p",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["kms:*", "ssm:*"], "Resource": "*"}]}
        ),
    )
    user = _name("assumer")
    iam.create_user(UserName=user)
    iam.put_user_policy(
        UserName=user,
        PolicyName="p",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}
        ),
    )
    key = iam.create_access_key(UserName=user)["AccessKey"]
    creds = _creds_client(server, "sts", key).assume_role(RoleArn=role["Arn"], RoleSessionName="s1")["Credentials"]
    _creds_client(server, "kms", creds).list_keys()
    job = iam.generate_service_last_accessed_details(Arn=role["Arn"], Granularity="ACTION_LEVEL")["JobId"]
    services = {
        s["ServiceNamespace"]: s for s in iam.get_service_last_accessed_details(JobId=job)["ServicesLastAccessed"]
    }
    assert set(services) == {"kms", "ssm"}
    assert services["kms"]["LastAuthenticatedEntity"] == role["Arn"]
    assert services["kms"]["TrackedActionsLastAccessed"][0]["ActionName"] == "ListKeys"
    assert "LastAuthenticated" not in services["ssm"]
    # a user with credentials left cannot be deleted
    iam.create_login_profile(UserName=user, Password="Pa55word!Pa55word")
    iam.delete_access_key(UserName=user, AccessKeyId=key["AccessKeyId"])
    iam.delete_user_policy(UserName=user, PolicyName="p")
    with pytest.raises(ClientError) as exc:
        iam.delete_user(UserName=user)
    assert code_of(exc) == "DeleteConflict"
    iam.delete_login_profile(UserName=user)
    iam.delete_user(UserName=user)


def test_centralized_root_access_and_assume_root(make_server: Any) -> None:
    """An organization with trusted access for IAM and RootSessions: the management account's admin gets a root
    session of a member account (a fresh server: an organization changes what every other test would see)."""
    srv: ServerProcess = make_server("--test-mode")
    srv.start()
    org = srv.client("organizations")
    org.create_organization(FeatureSet="ALL")
    iam = srv.client("iam")
    with pytest.raises(ClientError) as exc:
        iam.enable_organizations_root_sessions()
    assert code_of(exc) == "ServiceAccessNotEnabledException"
    org.enable_aws_service_access(ServicePrincipal="iam.amazonaws.com")
    assert iam.enable_organizations_root_sessions()["EnabledFeatures"] == ["RootSessions"]
    assert iam.list_organizations_features()["EnabledFeatures"] == ["RootSessions"]
    status = org.create_account(Email="member@example.test", AccountName="member")["CreateAccountStatus"]
    while status["State"] == "IN_PROGRESS":
        status = org.describe_create_account_status(CreateAccountRequestId=status["Id"])["CreateAccountStatus"]
    member = status["AccountId"]
    admin = _name("admin")
    iam.create_user(UserName=admin)
    iam.put_user_policy(
        UserName=admin,
        PolicyName="p",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        ),
    )
    key = iam.create_access_key(UserName=admin)["AccessKey"]
    sts = _creds_client(srv, "sts", key)
    task = {"arn": "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"}
    creds = sts.assume_root(TargetPrincipal=member, TaskPolicyArn=task, DurationSeconds=900)["Credentials"]
    assert _creds_client(srv, "sts", creds).get_caller_identity()["Arn"] == f"arn:aws:iam::{member}:root"
    with pytest.raises(ClientError) as exc:
        sts.assume_root(TargetPrincipal=member, TaskPolicyArn={"arn": "arn:aws:iam::aws:policy/AdministratorAccess"})
    assert code_of(exc) == "ValidationError"
    iam.disable_organizations_root_sessions()
    with pytest.raises(ClientError) as exc:
        sts.assume_root(TargetPrincipal=member, TaskPolicyArn=task)
    assert code_of(exc) == "AccessDenied"
