"""AWS Private CA: one method per operation, grouped by family in the modules imported here."""

from __future__ import annotations

from strongroom.services.acm_pca.authorities import AuthorityOperations
from strongroom.services.acm_pca.issuance import IssuanceOperations
from strongroom.services.acm_pca.revocation import RevocationOperations
from strongroom.services.acm_pca.sharing import SharingOperations


class Provider(RevocationOperations, IssuanceOperations, AuthorityOperations, SharingOperations):
    """RevocationOperations comes first: it supplies the CRL hooks AuthorityOperations declares."""
