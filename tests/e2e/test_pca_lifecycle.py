"""CA lifecycle, errors with AWS's codes, permissions, policies, tags, audit reports; keys sealed at rest."""

from __future__ import annotations

import base64
import csv
import io
import json
import sqlite3
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.pca_support import (
    NO_CHECKS,
    TEMPLATE,
    create_ca,
    issue_leaf,
    leaf_csr,
    make_root,
    subject,
    wait_issued,
)
from tests.support.errors import code_of as code


def test_lifecycle_pending_active_disabled_deleted_restored(server: Any) -> None:
    pca = server.client("acm-pca")
    arn = create_ca(pca, "SUBORDINATE", "pending")
    ca = pca.describe_certificate_authority(CertificateAuthorityArn=arn)["CertificateAuthority"]
    assert ca["Status"] == "PENDING_CERTIFICATE" and ca["Type"] == "SUBORDINATE"
    assert ca["RevocationConfiguration"] == {
        "CrlConfiguration": {"Enabled": False},
        "OcspConfiguration": {"Enabled": False},
    }
    csr, _ = leaf_csr("x.example.com")
    with pytest.raises(ClientError) as err:
        pca.issue_certificate(
            CertificateAuthorityArn=arn,
            Csr=csr,
            SigningAlgorithm="SHA256WITHRSA",
            Validity={"Value": 1, "Type": "DAYS"},
        )
    assert code(err) == "InvalidStateException"
    with pytest.raises(ClientError) as err:
        pca.get_certificate_authority_certificate(CertificateAuthorityArn=arn)
    assert code(err) == "InvalidStateException"

    root, _ = make_root(pca)
    with pytest.raises(ClientError) as err:
        pca.delete_certificate_authority(CertificateAuthorityArn=root)
    assert code(err) == "InvalidStateException"  # an ACTIVE CA must be disabled first
    pca.update_certificate_authority(CertificateAuthorityArn=root, Status="DISABLED")
    with pytest.raises(ClientError) as err:
        issue_leaf(pca, root, signing="SHA256WITHRSA")
    assert code(err) == "InvalidStateException"
    pca.delete_certificate_authority(CertificateAuthorityArn=root, PermanentDeletionTimeInDays=7)
    ca = pca.describe_certificate_authority(CertificateAuthorityArn=root)["CertificateAuthority"]
    assert ca["Status"] == "DELETED" and "RestorableUntil" in ca
    pca.restore_certificate_authority(CertificateAuthorityArn=root)
    assert (
        pca.describe_certificate_authority(CertificateAuthorityArn=root)["CertificateAuthority"]["Status"] == "DISABLED"
    )
    pca.update_certificate_authority(CertificateAuthorityArn=root, Status="ACTIVE")
    issue_leaf(pca, root, signing="SHA256WITHRSA")
    with pytest.raises(ClientError) as err:
        pca.restore_certificate_authority(CertificateAuthorityArn=root)
    assert code(err) == "InvalidStateException"

    pca.delete_certificate_authority(CertificateAuthorityArn=arn, PermanentDeletionTimeInDays=7)
    server.advance(8 * 86400)
    with pytest.raises(ClientError) as err:
        pca.describe_certificate_authority(CertificateAuthorityArn=arn)
    assert code(err) == "ResourceNotFoundException"


def test_errors_for_bad_input(server: Any) -> None:
    pca = server.client("acm-pca")
    raw = server.client("acm-pca", config=NO_CHECKS)
    with pytest.raises(ClientError) as err:
        create_ca(pca, "ROOT", "mismatch", "EC_prime256v1", "SHA256WITHRSA")
    assert code(err) == "InvalidArgsException"
    with pytest.raises(ClientError) as err:
        pca.describe_certificate_authority(CertificateAuthorityArn="arn:aws:acm-pca:us-east-1:123456789012:nope")
    assert code(err) == "InvalidArnException"
    missing = (
        f"arn:aws:acm-pca:us-east-1:{server.client('sts').get_caller_identity()['Account']}:certificate-authority/"
        + "0" * 8
        + "-0000-0000-0000-"
        + "0" * 12
    )
    with pytest.raises(ClientError) as err:
        pca.describe_certificate_authority(CertificateAuthorityArn=missing)
    assert code(err) == "ResourceNotFoundException"
    foreign = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/" + missing.rsplit("/", 1)[1]
    with pytest.raises(ClientError) as err:  # another account's CA: refused, whether or not it exists
        pca.describe_certificate_authority(CertificateAuthorityArn=foreign)
    assert code(err) == "AccessDeniedException"
    root, root_pem = make_root(pca)
    with pytest.raises(ClientError) as err:
        pca.issue_certificate(
            CertificateAuthorityArn=root,
            Csr=b"not a csr",
            SigningAlgorithm="SHA256WITHRSA",
            Validity={"Value": 1, "Type": "DAYS"},
        )
    assert code(err) == "MalformedCSRException"
    csr, _ = leaf_csr("y.example.com")
    for template, expected in (("NoSuchTemplate/V1", "InvalidArgsException"), ("EndEntityCertificate/V1", None)):
        kwargs = {"SigningAlgorithm": "SHA256WITHECDSA"} if expected is None else {"SigningAlgorithm": "SHA256WITHRSA"}
        with pytest.raises(ClientError) as err:
            pca.issue_certificate(
                CertificateAuthorityArn=root,
                Csr=csr,
                TemplateArn=TEMPLATE + template,
                Validity={"Value": 1, "Type": "DAYS"},
                **kwargs,
            )
        assert code(err) == "InvalidArgsException"
    with pytest.raises(ClientError) as err:  # ApiPassthrough needs a passthrough template
        pca.issue_certificate(
            CertificateAuthorityArn=root,
            Csr=csr,
            SigningAlgorithm="SHA256WITHRSA",
            Validity={"Value": 1, "Type": "DAYS"},
            ApiPassthrough={"Subject": {"CommonName": "x"}},
        )
    assert code(err) == "InvalidArgsException"
    with pytest.raises(ClientError) as err:  # the root template issues only the root's own certificate
        pca.issue_certificate(
            CertificateAuthorityArn=root,
            Csr=csr,
            SigningAlgorithm="SHA256WITHRSA",
            Validity={"Value": 1, "Type": "DAYS"},
            TemplateArn=TEMPLATE + "RootCACertificate/V1",
        )
    assert code(err) == "InvalidArgsException"
    other = create_ca(pca, "ROOT", "other")
    with pytest.raises(ClientError) as err:
        pca.import_certificate_authority_certificate(CertificateAuthorityArn=other, Certificate=root_pem.encode())
    assert code(err) == "CertificateMismatchException"
    with pytest.raises(ClientError) as err:
        pca.import_certificate_authority_certificate(CertificateAuthorityArn=other, Certificate=b"garbage")
    assert code(err) == "MalformedCertificateException"
    sub = create_ca(pca, "SUBORDINATE", "nochain")
    with pytest.raises(ClientError) as err:
        pca.import_certificate_authority_certificate(CertificateAuthorityArn=sub, Certificate=root_pem.encode())
    assert code(err) == "CertificateMismatchException"
    with pytest.raises(ClientError) as err:
        raw.delete_certificate_authority(CertificateAuthorityArn=sub, PermanentDeletionTimeInDays=3)
    assert code(err) == "ValidationException"
    with pytest.raises(ClientError) as err:
        pca.update_certificate_authority(CertificateAuthorityArn=sub, Status="ACTIVE")
    assert code(err) == "InvalidStateException"
    with pytest.raises(ClientError) as err:
        pca.list_certificate_authorities(NextToken="bogus!")
    assert code(err) == "InvalidNextTokenException"


def test_get_certificate_is_asynchronous_and_idempotent(server: Any) -> None:
    pca = server.client("acm-pca")
    root, _ = make_root(pca)
    csr, _ = leaf_csr("z.example.com")
    args = {
        "CertificateAuthorityArn": root,
        "Csr": csr,
        "SigningAlgorithm": "SHA256WITHRSA",
        "Validity": {"Value": 1, "Type": "DAYS"},
    }
    first = pca.issue_certificate(IdempotencyToken="tok-1", **args)["CertificateArn"]
    assert pca.issue_certificate(IdempotencyToken="tok-1", **args)["CertificateArn"] == first
    assert pca.issue_certificate(IdempotencyToken="tok-2", **args)["CertificateArn"] != first
    wait_issued(pca, root, first)
    other, _ = make_root(pca)
    with pytest.raises(ClientError) as err:
        pca.get_certificate(CertificateAuthorityArn=other, CertificateArn=first)
    assert code(err) == "ResourceNotFoundException"
    assert (
        pca.create_certificate_authority(
            CertificateAuthorityConfiguration={
                "KeyAlgorithm": "EC_prime256v1",
                "SigningAlgorithm": "SHA256WITHECDSA",
                "Subject": subject("i"),
            },
            CertificateAuthorityType="ROOT",
            IdempotencyToken="ca-token-1",
        )["CertificateAuthorityArn"]
        == pca.create_certificate_authority(
            CertificateAuthorityConfiguration={
                "KeyAlgorithm": "EC_prime256v1",
                "SigningAlgorithm": "SHA256WITHECDSA",
                "Subject": subject("i"),
            },
            CertificateAuthorityType="ROOT",
            IdempotencyToken="ca-token-1",
        )["CertificateAuthorityArn"]
    )


def test_permissions_policies_tags_and_listing(server: Any) -> None:
    pca = server.client("acm-pca", region="eu-west-3")
    arn = create_ca(pca, "ROOT", "shared", "EC_prime256v1", "SHA256WITHECDSA", Tags=[{"Key": "team", "Value": "sec"}])
    pca.create_permission(
        CertificateAuthorityArn=arn, Principal="acm.amazonaws.com", Actions=["IssueCertificate", "GetCertificate"]
    )
    with pytest.raises(ClientError) as err:
        pca.create_permission(CertificateAuthorityArn=arn, Principal="acm.amazonaws.com", Actions=["ListPermissions"])
    assert code(err) == "PermissionAlreadyExistsException"
    perms = pca.list_permissions(CertificateAuthorityArn=arn)["Permissions"]
    assert perms[0]["Principal"] == "acm.amazonaws.com" and sorted(perms[0]["Actions"]) == [
        "GetCertificate",
        "IssueCertificate",
    ]
    pca.delete_permission(CertificateAuthorityArn=arn, Principal="acm.amazonaws.com")
    with pytest.raises(ClientError) as err:
        pca.delete_permission(CertificateAuthorityArn=arn, Principal="acm.amazonaws.com")
    assert code(err) == "ResourceNotFoundException"

    with pytest.raises(ClientError) as err:
        pca.get_policy(ResourceArn=arn)
    assert code(err) == "ResourceNotFoundException"
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "111122223333"},
                    "Action": "acm-pca:IssueCertificate",
                    "Resource": arn,
                }
            ],
        }
    )
    pca.put_policy(ResourceArn=arn, Policy=policy)
    assert pca.get_policy(ResourceArn=arn)["Policy"] == policy
    with pytest.raises(ClientError) as err:
        pca.put_policy(ResourceArn=arn, Policy="{not json")
    assert code(err) == "InvalidPolicyException"
    pca.delete_policy(ResourceArn=arn)

    pca.tag_certificate_authority(
        CertificateAuthorityArn=arn, Tags=[{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "ops"}]
    )
    pca.untag_certificate_authority(CertificateAuthorityArn=arn, Tags=[{"Key": "env"}])
    assert pca.list_tags(CertificateAuthorityArn=arn)["Tags"] == [{"Key": "team", "Value": "ops"}]
    with pytest.raises(ClientError) as err:
        pca.tag_certificate_authority(CertificateAuthorityArn=arn, Tags=[{"Key": "aws:x", "Value": "y"}])
    assert code(err) == "InvalidTagException"
    with pytest.raises(ClientError) as err:
        pca.tag_certificate_authority(
            CertificateAuthorityArn=arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)]
        )
    assert code(err) == "TooManyTagsException"

    for i in range(2):
        create_ca(pca, "ROOT", f"page{i}", "EC_prime256v1", "SHA256WITHECDSA")
    pages = list(pca.get_paginator("list_certificate_authorities").paginate(PaginationConfig={"PageSize": 2}))
    arns = [ca["Arn"] for page in pages for ca in page["CertificateAuthorities"]]
    assert len(pages) >= 2 and arn in arns and len(arns) == len(set(arns))
    assert pca.list_certificate_authorities(ResourceOwner="OTHER_ACCOUNTS")["CertificateAuthorities"] == []


def test_audit_reports_written_as_json_and_csv(server: Any) -> None:
    pca = server.client("acm-pca")
    root, _ = make_root(pca)
    leaf = issue_leaf(pca, root, signing="SHA256WITHRSA")
    serial = leaf["CertificateArn"].rsplit("/", 1)[1]
    pca.revoke_certificate(CertificateAuthorityArn=root, CertificateSerial=serial, RevocationReason="SUPERSEDED")
    for fmt in ("JSON", "CSV"):
        out = pca.create_certificate_authority_audit_report(
            CertificateAuthorityArn=root, S3BucketName="audit-bucket", AuditReportResponseFormat=fmt
        )
        described = pca.describe_certificate_authority_audit_report(
            CertificateAuthorityArn=root, AuditReportId=out["AuditReportId"]
        )
        assert described["AuditReportStatus"] == "SUCCESS" and described["S3Key"] == out["S3Key"]
        body = (server.data_dir / "pca" / "audit-reports" / "audit-bucket" / out["S3Key"]).read_text()
        rows = json.loads(body) if fmt == "JSON" else list(csv.DictReader(io.StringIO(body)))
        revoked = [r for r in rows if r["certificateArn"] == leaf["CertificateArn"]]
        assert revoked and revoked[0]["revocationReason"] == "SUPERSEDED"
    with pytest.raises(ClientError) as err:
        pca.describe_certificate_authority_audit_report(
            CertificateAuthorityArn=root, AuditReportId="00000000-0000-0000-0000-000000000000"
        )
    assert code(err) == "ResourceNotFoundException"


def test_ca_private_keys_are_never_stored_in_plaintext(server: Any, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("reads the SQLite file directly")
    from cryptography.hazmat.primitives.serialization import load_der_private_key

    from strongroom.keyring.seal import FileSeal

    pca = server.client("acm-pca")
    root, _ = make_root(pca, key="EC_secp384r1", signing="SHA384WITHECDSA")
    db = next(server.data_dir.glob("*.db"))
    with sqlite3.connect(db) as conn:
        sealed = conn.execute("SELECT sealed_key FROM pca_authorities WHERE arn = ?", (root,)).fetchone()[0]
    der = FileSeal(server.data_dir / "root.key").unwrap(sealed, root.encode())
    scalar = load_der_private_key(der, None).private_numbers().private_value.to_bytes(48, "big")  # type: ignore[union-attr]
    needles = [der, scalar, base64.b64encode(der)[:64], base64.b64encode(scalar)[:32]]
    for path in server.data_dir.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not any(n in data for n in needles), path
