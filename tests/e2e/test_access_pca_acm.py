"""Access control on ACM Private CA and ACM, end to end with boto3: account isolation of CAs, cross-account issuance
through a CA's resource policy, and Deny statements on a CA's or a certificate's ARN."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.e2e.access_support import allow, client_for, deny, make_user, second_account
from tests.e2e.acm_support import wait_status
from tests.e2e.pca_support import TEMPLATE, issue_leaf, leaf_csr, make_root
from tests.support.errors import error_of_call as _error
from tests.support.server import ServerProcess


@pytest.fixture(scope="module")
def other(server: ServerProcess) -> tuple[str, dict[str, Any]]:
    """A second account and its root user's access key."""
    return second_account(server)


@pytest.fixture
def ca(server: ServerProcess) -> tuple[str, str]:
    """An ACTIVE root CA of the server's first account and the serial of a leaf it issued: (CA ARN, serial)."""
    pca = server.client("acm-pca")
    arn, _ = make_root(pca)
    leaf = issue_leaf(pca, arn, signing="SHA256WITHRSA")
    serial = x509.load_pem_x509_certificate(leaf["Certificate"].encode()).serial_number
    return arn, f"{serial:x}"


def _share_policy(ca_arn: str, account: str) -> str:
    """AWS's documented cross-account policy: reads, plus issuance with EndEntityCertificate/V1 only."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "read",
                    "Effect": "Allow",
                    "Principal": {"AWS": account},
                    "Action": [
                        "acm-pca:DescribeCertificateAuthority",
                        "acm-pca:GetCertificate",
                        "acm-pca:GetCertificateAuthorityCertificate",
                        "acm-pca:ListPermissions",
                        "acm-pca:ListTags",
                    ],
                    "Resource": ca_arn,
                },
                {
                    "Sid": "issue",
                    "Effect": "Allow",
                    "Principal": {"AWS": account},
                    "Action": "acm-pca:IssueCertificate",
                    "Resource": ca_arn,
                    "Condition": {"StringEquals": {"acm-pca:TemplateArn": TEMPLATE + "EndEntityCertificate/V1"}},
                },
                {
                    # an owner cannot give away its CA: PCA's resource policies share only issuance and reads
                    "Sid": "too-much",
                    "Effect": "Allow",
                    "Principal": {"AWS": account},
                    "Action": ["acm-pca:UpdateCertificateAuthority", "acm-pca:DeleteCertificateAuthority"],
                    "Resource": ca_arn,
                },
            ],
        }
    )


def test_another_account_cannot_touch_a_ca_without_its_policy(
    server: ServerProcess, ca: tuple[str, str], other: tuple[str, dict[str, Any]]
) -> None:
    ca_arn, serial = ca
    owner = server.client("acm-pca")
    owner.put_policy(ResourceArn=ca_arn, Policy=json.dumps({"Version": "2012-10-17", "Statement": []}))
    _, root = other
    attacker = client_for(server, "acm-pca", root)
    csr, _ = leaf_csr("evil.example.com")
    calls = {
        "IssueCertificate": lambda: attacker.issue_certificate(
            CertificateAuthorityArn=ca_arn,
            Csr=csr,
            SigningAlgorithm="SHA256WITHRSA",
            Validity={"Value": 1, "Type": "DAYS"},
        ),
        "RevokeCertificate": lambda: attacker.revoke_certificate(
            CertificateAuthorityArn=ca_arn, CertificateSerial=serial, RevocationReason="KEY_COMPROMISE"
        ),
        "UpdateCertificateAuthority": lambda: attacker.update_certificate_authority(
            CertificateAuthorityArn=ca_arn, Status="DISABLED"
        ),
        "DeleteCertificateAuthority": lambda: attacker.delete_certificate_authority(
            CertificateAuthorityArn=ca_arn, PermanentDeletionTimeInDays=7
        ),
        "DeletePolicy": lambda: attacker.delete_policy(ResourceArn=ca_arn),
        "DescribeCertificateAuthority": lambda: attacker.describe_certificate_authority(CertificateAuthorityArn=ca_arn),
        "GetCertificateAuthorityCsr": lambda: attacker.get_certificate_authority_csr(CertificateAuthorityArn=ca_arn),
    }
    for operation, call in calls.items():
        code, message, _ = _error(call)
        assert code == "AccessDeniedException", operation
        assert message == (
            f"User: arn:aws:iam::{other[0]}:root is not authorized to perform: acm-pca:{operation} on resource: "
            f"{ca_arn} because no resource-based policy allows the acm-pca:{operation} action"
        )
    # nothing changed: the CA is ACTIVE, keeps its policy, and its certificate is not revoked
    assert owner.describe_certificate_authority(CertificateAuthorityArn=ca_arn)["CertificateAuthority"]["Status"] == (
        "ACTIVE"
    )
    assert owner.get_policy(ResourceArn=ca_arn)["Policy"]
    owner.revoke_certificate(CertificateAuthorityArn=ca_arn, CertificateSerial=serial, RevocationReason="SUPERSEDED")
    # a CA that does not exist is refused the same way: its existence is not revealed to another account
    missing = ca_arn.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000"
    code, message, _ = _error(lambda: attacker.describe_certificate_authority(CertificateAuthorityArn=missing))
    assert code == "AccessDeniedException" and missing in message


def test_cross_account_issuance_through_the_ca_policy(
    server: ServerProcess, ca: tuple[str, str], other: tuple[str, dict[str, Any]]
) -> None:
    ca_arn, _ = ca
    owner = server.client("acm-pca")
    account, root = other
    owner.put_policy(ResourceArn=ca_arn, Policy=_share_policy(ca_arn, account))
    consumer = client_for(server, "acm-pca", root)

    leaf = issue_leaf(consumer, ca_arn, signing="SHA256WITHRSA")
    assert x509.load_pem_x509_certificate(leaf["Certificate"].encode()).subject.rfc4514_string() == (
        "CN=svc.example.com"
    )
    described = consumer.describe_certificate_authority(CertificateAuthorityArn=ca_arn)["CertificateAuthority"]
    assert described["Arn"] == ca_arn and described["OwnerAccount"] != account
    assert consumer.get_certificate_authority_certificate(CertificateAuthorityArn=ca_arn)["Certificate"]

    # the policy's condition holds: only end-entity certificates
    csr, _ = leaf_csr("sub.example.com")
    code, message, _ = _error(
        lambda: consumer.issue_certificate(
            CertificateAuthorityArn=ca_arn,
            Csr=csr,
            SigningAlgorithm="SHA256WITHRSA",
            TemplateArn=TEMPLATE + "SubordinateCACertificate_PathLen0/V1",
            Validity={"Value": 1, "Type": "DAYS"},
        )
    )
    assert code == "AccessDeniedException" and "because no resource-based policy allows" in message
    # a policy cannot hand over the owner's operations, even when it names them
    for call in (
        lambda: consumer.update_certificate_authority(CertificateAuthorityArn=ca_arn, Status="DISABLED"),
        lambda: consumer.delete_certificate_authority(CertificateAuthorityArn=ca_arn),
        lambda: consumer.get_policy(ResourceArn=ca_arn),
    ):
        assert _error(call)[0] == "AccessDeniedException"
    # both sides must allow: a user of the other account without an identity policy is refused
    other_iam = client_for(server, "iam", root)
    nobody = client_for(server, "acm-pca", make_user(other_iam))
    code, message, _ = _error(lambda: nobody.describe_certificate_authority(CertificateAuthorityArn=ca_arn))
    assert code == "AccessDeniedException" and "because no identity-based policy allows" in message
    # withdrawing the policy withdraws the access
    owner.delete_policy(ResourceArn=ca_arn)
    assert _error(lambda: issue_leaf(consumer, ca_arn, signing="SHA256WITHRSA"))[0] == "AccessDeniedException"
    assert owner.describe_certificate_authority(CertificateAuthorityArn=ca_arn)["CertificateAuthority"]["Status"] == (
        "ACTIVE"
    )


def test_deny_on_the_ca_arn_wins_over_allow_all(server: ServerProcess, ca: tuple[str, str]) -> None:
    ca_arn, _ = ca
    iam = server.client("iam")
    user = make_user(iam, allow("*"), deny("acm-pca:IssueCertificate", ca_arn))
    pca = client_for(server, "acm-pca", user)
    code, message, _ = _error(lambda: issue_leaf(pca, ca_arn, signing="SHA256WITHRSA"))
    assert (code, message) == (
        "AccessDeniedException",
        f"User: {user['Arn']} is not authorized to perform: acm-pca:IssueCertificate on resource: {ca_arn} "
        "with an explicit deny in an identity-based policy",
    )
    # the rest of the CA, and issuing from another CA, stay allowed
    assert pca.describe_certificate_authority(CertificateAuthorityArn=ca_arn)["CertificateAuthority"]["Arn"] == ca_arn
    other_ca, _ = make_root(server.client("acm-pca"))
    assert issue_leaf(pca, other_ca, signing="SHA256WITHRSA")["Certificate"]
    # tag conditions see the CA's tags
    server.client("acm-pca").tag_certificate_authority(
        CertificateAuthorityArn=other_ca, Tags=[{"Key": "tier", "Value": "prod"}]
    )
    tagged = make_user(
        iam, allow("*"), deny("acm-pca:*", "*", Condition={"StringEquals": {"aws:ResourceTag/tier": "prod"}})
    )
    code, _, _ = _error(
        lambda: client_for(server, "acm-pca", tagged).describe_certificate_authority(CertificateAuthorityArn=other_ca)
    )
    assert code == "AccessDeniedException"
    assert client_for(server, "acm-pca", tagged).describe_certificate_authority(CertificateAuthorityArn=ca_arn)


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
    pem_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), pem_key


def test_deny_on_a_certificate_arn(server: ServerProcess, other: tuple[str, dict[str, Any]]) -> None:
    admin = server.client("acm")
    cert, key = _self_signed("denied.example.com")
    arn = admin.import_certificate(Certificate=cert, PrivateKey=key, Tags=[{"Key": "team", "Value": "red"}])[
        "CertificateArn"
    ]
    cert2, key2 = _self_signed("allowed.example.com")
    other_arn = admin.import_certificate(Certificate=cert2, PrivateKey=key2)["CertificateArn"]
    user = make_user(server.client("iam"), allow("*"), deny(["acm:DescribeCertificate", "acm:DeleteCertificate"], arn))
    acm = client_for(server, "acm", user)
    for operation, call in (
        ("DescribeCertificate", lambda: acm.describe_certificate(CertificateArn=arn)),
        ("DeleteCertificate", lambda: acm.delete_certificate(CertificateArn=arn)),
    ):
        assert _error(call) == (
            "AccessDeniedException",
            f"User: {user['Arn']} is not authorized to perform: acm:{operation} on resource: {arn} "
            "with an explicit deny in an identity-based policy",
            400,
        )
    assert admin.describe_certificate(CertificateArn=arn)["Certificate"]["CertificateArn"] == arn  # not deleted
    assert acm.describe_certificate(CertificateArn=other_arn)["Certificate"]["CertificateArn"] == other_arn
    assert acm.get_certificate(CertificateArn=arn)["Certificate"]  # only the denied actions are denied
    # a Deny conditioned on the certificate's tags
    by_tag = make_user(
        server.client("iam"),
        allow("*"),
        deny("acm:GetCertificate", Condition={"StringEquals": {"aws:ResourceTag/team": "red"}}),
    )
    assert _error(lambda: client_for(server, "acm", by_tag).get_certificate(CertificateArn=arn))[0] == (
        "AccessDeniedException"
    )
    assert client_for(server, "acm", by_tag).get_certificate(CertificateArn=other_arn)["Certificate"]
    # another account reaches none of it: ACM certificates have no resource policies
    outsider = client_for(server, "acm", other[1])
    for call in (
        lambda: outsider.describe_certificate(CertificateArn=arn),
        lambda: outsider.delete_certificate(CertificateArn=other_arn),
        lambda: outsider.add_tags_to_certificate(CertificateArn=arn, Tags=[{"Key": "x", "Value": "y"}]),
    ):
        code, message, _ = _error(call)
        assert code == "AccessDeniedException" and "because no resource-based policy allows" in message
    assert admin.describe_certificate(CertificateArn=other_arn)["Certificate"]["Status"] == "ISSUED"


def test_acm_private_certificate_from_another_accounts_ca(
    server: ServerProcess, ca: tuple[str, str], other: tuple[str, dict[str, Any]]
) -> None:
    """ACM issues from a shared CA as the requesting account: it works only while the CA's policy allows it."""
    ca_arn, _ = ca
    account, root = other
    acm = client_for(server, "acm", root)
    refused = acm.request_certificate(DomainName="refused.internal.example", CertificateAuthorityArn=ca_arn)
    detail = wait_status(acm, refused["CertificateArn"], "FAILED")
    assert detail["FailureReason"] == "PCA_ACCESS_DENIED"
    server.client("acm-pca").put_policy(ResourceArn=ca_arn, Policy=_share_policy(ca_arn, account))
    shared = acm.request_certificate(DomainName="shared.internal.example", CertificateAuthorityArn=ca_arn)
    detail = wait_status(acm, shared["CertificateArn"], "ISSUED")
    assert detail["CertificateAuthorityArn"] == ca_arn and detail["Type"] == "PRIVATE"


def test_acm_request_condition_keys(server: ServerProcess) -> None:
    user = make_user(
        server.client("iam"),
        allow("*"),
        deny(
            "acm:RequestCertificate", Condition={"ForAnyValue:StringLike": {"acm:DomainNames": "*.forbidden.example"}}
        ),
        deny("acm:RequestCertificate", Condition={"StringEquals": {"acm:ValidationMethod": "EMAIL"}}),
    )
    acm = client_for(server, "acm", user)
    for kwargs in (
        {"DomainName": "ok.example", "SubjectAlternativeNames": ["www.forbidden.example"]},
        {"DomainName": "ok.example", "ValidationMethod": "EMAIL"},
    ):
        code, message, _ = _error(lambda kwargs=kwargs: acm.request_certificate(**kwargs))
        assert code == "AccessDeniedException" and "acm:RequestCertificate" in message, kwargs
    assert acm.request_certificate(DomainName="ok.example", ValidationMethod="DNS")["CertificateArn"]
