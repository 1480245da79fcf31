"""ACM PCA's operations table: per implemented operation, the request member naming the CA (None: "*").

Authorization reads ``access.py`` (the same members); the read-only and on-loop classes follow CloudTrail's
prefix rule (no exceptions in ACM PCA).
"""

from __future__ import annotations

from collections.abc import Mapping

from strongroom.core.operations import Operation
from strongroom.services.base.operations import operations

OPERATIONS: Mapping[str, Operation] = operations(
    Operation("CreateCertificateAuthority"),
    Operation("CreateCertificateAuthorityAuditReport", resource="CertificateAuthorityArn"),
    Operation("CreatePermission", resource="CertificateAuthorityArn"),
    Operation("DeleteCertificateAuthority", resource="CertificateAuthorityArn"),
    Operation("DeletePermission", resource="CertificateAuthorityArn"),
    Operation("DeletePolicy", resource="ResourceArn"),
    Operation("DescribeCertificateAuthority", resource="CertificateAuthorityArn"),
    Operation("DescribeCertificateAuthorityAuditReport", resource="CertificateAuthorityArn"),
    Operation("GetCertificate", resource="CertificateAuthorityArn"),
    Operation("GetCertificateAuthorityCertificate", resource="CertificateAuthorityArn"),
    Operation("GetCertificateAuthorityCsr", resource="CertificateAuthorityArn"),
    Operation("GetPolicy", resource="ResourceArn"),
    Operation("ImportCertificateAuthorityCertificate", resource="CertificateAuthorityArn"),
    Operation("IssueCertificate", resource="CertificateAuthorityArn"),
    Operation("ListCertificateAuthorities"),
    Operation("ListPermissions", resource="CertificateAuthorityArn"),
    Operation("ListTags", resource="CertificateAuthorityArn"),
    Operation("PutPolicy", resource="ResourceArn"),
    Operation("RestoreCertificateAuthority", resource="CertificateAuthorityArn"),
    Operation("RevokeCertificate", resource="CertificateAuthorityArn"),
    Operation("TagCertificateAuthority", resource="CertificateAuthorityArn"),
    Operation("UntagCertificateAuthority", resource="CertificateAuthorityArn"),
    Operation("UpdateCertificateAuthority", resource="CertificateAuthorityArn"),
)
