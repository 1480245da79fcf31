"""AWS Private CA: the index of every operation Strongroom serves, grouped by family file."""

from __future__ import annotations

from strongroom.services.acm_pca.authorities import AuthorityOperations
from strongroom.services.acm_pca.issuance import IssuanceOperations
from strongroom.services.acm_pca.revocation import RevocationOperations
from strongroom.services.acm_pca.sharing import SharingOperations


class Provider(RevocationOperations, IssuanceOperations, AuthorityOperations, SharingOperations):
    """RevocationOperations comes first: it supplies the CRL hooks AuthorityOperations declares."""

    # revocation.py
    revoke_certificate = RevocationOperations.revoke_certificate

    # issuance.py
    get_certificate = IssuanceOperations.get_certificate
    issue_certificate = IssuanceOperations.issue_certificate

    # authorities.py
    create_certificate_authority = AuthorityOperations.create_certificate_authority
    delete_certificate_authority = AuthorityOperations.delete_certificate_authority
    describe_certificate_authority = AuthorityOperations.describe_certificate_authority
    get_certificate_authority_certificate = AuthorityOperations.get_certificate_authority_certificate
    get_certificate_authority_csr = AuthorityOperations.get_certificate_authority_csr
    import_certificate_authority_certificate = AuthorityOperations.import_certificate_authority_certificate
    list_certificate_authorities = AuthorityOperations.list_certificate_authorities
    restore_certificate_authority = AuthorityOperations.restore_certificate_authority
    update_certificate_authority = AuthorityOperations.update_certificate_authority

    # sharing.py
    create_certificate_authority_audit_report = SharingOperations.create_certificate_authority_audit_report
    create_permission = SharingOperations.create_permission
    delete_permission = SharingOperations.delete_permission
    delete_policy = SharingOperations.delete_policy
    describe_certificate_authority_audit_report = SharingOperations.describe_certificate_authority_audit_report
    get_policy = SharingOperations.get_policy
    list_permissions = SharingOperations.list_permissions
    list_tags = SharingOperations.list_tags
    put_policy = SharingOperations.put_policy
    tag_certificate_authority = SharingOperations.tag_certificate_authority
    untag_certificate_authority = SharingOperations.untag_certificate_authority
