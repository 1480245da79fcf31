"""AWS Private CA's certificate templates as one table, and the extensions a template yields.

Template definitions follow AWS's "AWS Private CA template definitions" page. Order of operations, as AWS
documents it: extensions copied from the CSR (CSRPassthrough) < extensions from ApiPassthrough (APIPassthrough)
< the template's own definition; the key identifiers and the CRL/OCSP pointers are always the CA's.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, ObjectIdentifier

from strongroom.services.acm_pca.errors import InvalidArgsException
from strongroom.services.acm_pca.names import general_name

TEMPLATE_PREFIX = "arn:aws:acm-pca:::template/"
DEFAULT_TEMPLATE = "EndEntityCertificate/V1"

KEY_USAGE_FIELDS = {
    "DigitalSignature": "digital_signature",
    "NonRepudiation": "content_commitment",
    "KeyEncipherment": "key_encipherment",
    "DataEncipherment": "data_encipherment",
    "KeyAgreement": "key_agreement",
    "KeyCertSign": "key_cert_sign",
    "CRLSign": "crl_sign",
    "EncipherOnly": "encipher_only",
    "DecipherOnly": "decipher_only",
}

EKU_OIDS: dict[str, ObjectIdentifier] = {
    "SERVER_AUTH": ExtendedKeyUsageOID.SERVER_AUTH,
    "CLIENT_AUTH": ExtendedKeyUsageOID.CLIENT_AUTH,
    "CODE_SIGNING": ExtendedKeyUsageOID.CODE_SIGNING,
    "EMAIL_PROTECTION": ExtendedKeyUsageOID.EMAIL_PROTECTION,
    "TIME_STAMPING": ExtendedKeyUsageOID.TIME_STAMPING,
    "OCSP_SIGNING": ExtendedKeyUsageOID.OCSP_SIGNING,
    "SMART_CARD_LOGIN": ExtendedKeyUsageOID.SMARTCARD_LOGON,
    "DOCUMENT_SIGNING": ObjectIdentifier("1.3.6.1.4.1.311.10.3.12"),
    "CERTIFICATE_TRANSPARENCY": ObjectIdentifier("1.3.6.1.4.1.11129.2.4.4"),
}

_CA_KU = frozenset({"DigitalSignature", "KeyCertSign", "CRLSign"})


@dataclass(frozen=True)
class Template:
    name: str  # e.g. EndEntityCertificate/V1
    kind: str  # END_ENTITY | ROOT | SUBORDINATE
    path_len: int | None = None
    key_usage: frozenset[str] | None = None  # None: the template does not define Key Usage
    eku: tuple[ObjectIdentifier, ...] | None = None
    eku_critical: bool = False
    bc_critical: bool = True
    api: bool = False  # ApiPassthrough honoured
    csr: bool = False  # CSR extensions copied

    @property
    def is_ca(self) -> bool:
        return self.kind != "END_ENTITY"


def _variants(base: str, suffixes: tuple[str, ...], **fields: Any) -> dict[str, Template]:
    out = {}
    for suffix in suffixes:
        name = f"{base}{suffix}/V1"
        out[name] = Template(name, api="API" in suffix, csr="CSR" in suffix, **fields)
    return out


_ALL = ("", "_APIPassthrough", "_APICSRPassthrough", "_CSRPassthrough")
_PASS = ("_APIPassthrough", "_APICSRPassthrough", "_CSRPassthrough")


def _build() -> dict[str, Template]:
    table: dict[str, Template] = {}
    server, client = ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH
    end_entity = {
        "EndEntityCertificate": (frozenset({"DigitalSignature", "KeyEncipherment"}), (server, client), False),
        "EndEntityClientAuthCertificate": (frozenset({"DigitalSignature", "KeyAgreement"}), (client,), False),
        "EndEntityServerAuthCertificate": (frozenset({"DigitalSignature", "KeyEncipherment"}), (server,), False),
        "CodeSigningCertificate": (frozenset({"DigitalSignature"}), (ExtendedKeyUsageOID.CODE_SIGNING,), True),
        "OCSPSigningCertificate": (frozenset({"DigitalSignature"}), (ExtendedKeyUsageOID.OCSP_SIGNING,), True),
    }
    for base, (ku, eku, eku_critical) in end_entity.items():
        table |= _variants(base, _ALL, kind="END_ENTITY", key_usage=ku, eku=eku, eku_critical=eku_critical)
    table |= _variants("RootCACertificate", ("", "_APIPassthrough"), kind="ROOT", key_usage=_CA_KU)
    for n in range(4):
        table |= _variants(
            f"SubordinateCACertificate_PathLen{n}", _ALL, kind="SUBORDINATE", path_len=n, key_usage=_CA_KU
        )
        table |= _variants(
            f"BlankSubordinateCACertificate_PathLen{n}", _PASS, kind="SUBORDINATE", path_len=n, key_usage=_CA_KU
        )
        table |= _variants(
            f"BlankRootCACertificate_PathLen{n}", ("_APIPassthrough",), kind="ROOT", path_len=n, key_usage=_CA_KU
        )
    table |= _variants("BlankRootCACertificate", ("_APIPassthrough",), kind="ROOT", key_usage=_CA_KU)
    table |= _variants(
        "BlankEndEntityCertificate", ("_APIPassthrough", "_APICSRPassthrough"), kind="END_ENTITY", bc_critical=False
    )
    table |= _variants("BlankEndEntityCertificate_CriticalBasicConstraints", _PASS, kind="END_ENTITY")
    return table


TEMPLATES: dict[str, Template] = _build()
_BY_LOWER = {name.lower(): t for name, t in TEMPLATES.items()}


def template_for(template_arn: str | None) -> Template:
    if not template_arn:
        return TEMPLATES[DEFAULT_TEMPLATE]
    if not template_arn.startswith(TEMPLATE_PREFIX):
        raise InvalidArgsException(f"The template ARN {template_arn} is not valid.")
    found = _BY_LOWER.get(template_arn[len(TEMPLATE_PREFIX) :].lower())
    if found is None:
        raise InvalidArgsException(f"The template {template_arn} does not exist.")
    return found


def template_arn(template: Template) -> str:
    return TEMPLATE_PREFIX + template.name


def key_usage(members: set[str] | frozenset[str]) -> x509.KeyUsage:
    args = {field: member in members for member, field in KEY_USAGE_FIELDS.items()}
    return x509.KeyUsage(**args)


def _api_extensions(api: dict[str, Any]) -> dict[ObjectIdentifier, x509.Extension[Any]]:
    out: dict[ObjectIdentifier, x509.Extension[Any]] = {}
    if api.get("KeyUsage"):
        members = {k for k, v in api["KeyUsage"].items() if v}
        ext: Any = key_usage(members)
        out[ExtensionOID.KEY_USAGE] = x509.Extension(ExtensionOID.KEY_USAGE, True, ext)
    if api.get("ExtendedKeyUsage"):
        oids = []
        for item in api["ExtendedKeyUsage"]:
            if item.get("ExtendedKeyUsageType"):
                oids.append(EKU_OIDS[item["ExtendedKeyUsageType"]])
            elif item.get("ExtendedKeyUsageObjectIdentifier"):
                oids.append(ObjectIdentifier(item["ExtendedKeyUsageObjectIdentifier"]))
        out[ExtensionOID.EXTENDED_KEY_USAGE] = x509.Extension(
            ExtensionOID.EXTENDED_KEY_USAGE, False, x509.ExtendedKeyUsage(oids)
        )
    if api.get("SubjectAlternativeNames"):
        sans = x509.SubjectAlternativeName([general_name(g) for g in api["SubjectAlternativeNames"]])
        out[ExtensionOID.SUBJECT_ALTERNATIVE_NAME] = x509.Extension(ExtensionOID.SUBJECT_ALTERNATIVE_NAME, False, sans)
    if api.get("CertificatePolicies"):
        policies = []
        for policy in api["CertificatePolicies"]:
            qualifiers: list[str | x509.UserNotice] = [
                q["Qualifier"]["CpsUri"] for q in policy.get("PolicyQualifiers") or [] if q.get("Qualifier")
            ]
            policies.append(x509.PolicyInformation(ObjectIdentifier(policy["CertPolicyId"]), qualifiers or None))
        out[ExtensionOID.CERTIFICATE_POLICIES] = x509.Extension(
            ExtensionOID.CERTIFICATE_POLICIES, False, x509.CertificatePolicies(policies)
        )
    for custom in api.get("CustomExtensions") or []:
        oid = ObjectIdentifier(custom["ObjectIdentifier"])
        try:
            value = base64.b64decode(custom["Value"], validate=True)
        except (binascii.Error, ValueError):
            raise InvalidArgsException("A custom extension value is not valid base64.") from None
        out[oid] = x509.Extension(oid, bool(custom.get("Critical")), x509.UnrecognizedExtension(oid, value))
    return out


_OID_PATTERN = re.compile(r"^([0-2])\.([0-9]|([0-3][0-9]))((\.([0-9]+)){0,126})$")


def build_extensions(
    template: Template,
    csr: x509.CertificateSigningRequest,
    api: dict[str, Any] | None,
    issuer_public_key: Any,
    issuer_ski: x509.SubjectKeyIdentifier | None,
    crl_url: str | None,
    ocsp_url: str | None,
) -> list[x509.Extension[Any]]:
    """Everything but subject and validity: the extensions of the certificate to sign, in a stable order."""
    exts: dict[ObjectIdentifier, x509.Extension[Any]] = {}
    if template.csr:
        for ext in csr.extensions:
            exts[ext.oid] = ext
    elif template.kind == "END_ENTITY":
        try:
            san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName)
            exts[san.oid] = san
        except x509.ExtensionNotFound:
            pass
    if api and api.get("Extensions"):
        if not template.api:
            raise InvalidArgsException(f"The template {template.name} does not allow API passthrough extensions.")
        exts |= _api_extensions(api["Extensions"])
    ca = template.is_ca
    exts[ExtensionOID.BASIC_CONSTRAINTS] = x509.Extension(
        ExtensionOID.BASIC_CONSTRAINTS,
        template.bc_critical,
        x509.BasicConstraints(ca=ca, path_length=template.path_len if ca else None),
    )
    if template.key_usage is not None:
        exts[ExtensionOID.KEY_USAGE] = x509.Extension(ExtensionOID.KEY_USAGE, True, key_usage(template.key_usage))
    if template.eku is not None:
        exts[ExtensionOID.EXTENDED_KEY_USAGE] = x509.Extension(
            ExtensionOID.EXTENDED_KEY_USAGE, template.eku_critical, x509.ExtendedKeyUsage(list(template.eku))
        )
    ski = x509.SubjectKeyIdentifier.from_public_key(csr.public_key())
    exts[ExtensionOID.SUBJECT_KEY_IDENTIFIER] = x509.Extension(ExtensionOID.SUBJECT_KEY_IDENTIFIER, False, ski)
    if template.kind == "ROOT":
        exts.pop(ExtensionOID.AUTHORITY_KEY_IDENTIFIER, None)
        exts.pop(ExtensionOID.CRL_DISTRIBUTION_POINTS, None)
        exts.pop(ExtensionOID.AUTHORITY_INFORMATION_ACCESS, None)
    else:
        aki = (
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski)
            if issuer_ski is not None
            else x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public_key)
        )
        exts[ExtensionOID.AUTHORITY_KEY_IDENTIFIER] = x509.Extension(ExtensionOID.AUTHORITY_KEY_IDENTIFIER, False, aki)
        if crl_url:
            point = x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)
            exts[ExtensionOID.CRL_DISTRIBUTION_POINTS] = x509.Extension(
                ExtensionOID.CRL_DISTRIBUTION_POINTS, False, x509.CRLDistributionPoints([point])
            )
        if ocsp_url:
            access = x509.AccessDescription(
                x509.oid.AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url)
            )
            exts[ExtensionOID.AUTHORITY_INFORMATION_ACCESS] = x509.Extension(
                ExtensionOID.AUTHORITY_INFORMATION_ACCESS, False, x509.AuthorityInformationAccess([access])
            )
    return list(exts.values())


def validate_oid(value: str) -> None:
    if not _OID_PATTERN.match(value):
        raise InvalidArgsException(f"{value} is not a valid object identifier.")
