"""AWS Private CA: certificate authorities, issuance, revocation (CRLs and OCSP), sharing and audit reports."""
