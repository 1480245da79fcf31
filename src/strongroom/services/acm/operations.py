"""ACM's operations table: per implemented operation, the request member naming the certificate (None: "*").

Authorization reads ``access.py`` (the same members; ImportCertificate names one only when re-importing);
the read-only and on-loop classes follow CloudTrail's prefix rule (no exceptions in ACM).
"""

from __future__ import annotations

from collections.abc import Mapping

from strongroom.core.operations import Operation
from strongroom.services.base.operations import operations

OPERATIONS: Mapping[str, Operation] = operations(
    Operation("AddTagsToCertificate", resource="CertificateArn"),
    Operation("DeleteCertificate", resource="CertificateArn"),
    Operation("DescribeCertificate", resource="CertificateArn"),
    Operation("ExportCertificate", resource="CertificateArn"),
    Operation("GetAccountConfiguration"),
    Operation("GetCertificate", resource="CertificateArn"),
    Operation("ImportCertificate", resource="CertificateArn"),
    Operation("ListCertificateDomainValidations", resource="CertificateArn"),
    Operation("ListCertificates"),
    Operation("ListTagsForCertificate", resource="CertificateArn"),
    Operation("ListTagsForResource", resource="ResourceArn"),
    Operation("PutAccountConfiguration"),
    Operation("RemoveTagsFromCertificate", resource="CertificateArn"),
    Operation("RenewCertificate", resource="CertificateArn"),
    Operation("RequestCertificate"),
    Operation("ResendValidationEmail", resource="CertificateArn"),
    Operation("RevokeCertificate", resource="CertificateArn"),
    Operation("SearchCertificates"),
    Operation("TagResource", resource="ResourceArn"),
    Operation("UntagResource", resource="ResourceArn"),
    Operation("UpdateCertificateOptions", resource="CertificateArn"),
)
