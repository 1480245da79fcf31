"""SAML 2.0 for AssumeRoleWithSAML: the IdP's metadata document and the signed assertion a browser posts.

The XML signature is verified with ``signxml`` against the signing certificates of the provider's metadata, and
only what the signature covers is read afterwards (``VerifyResult.signed_xml``), so an assertion wrapped around or
beside the signed one is never trusted. Parsing refuses DTDs, entities and network access.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lxml import etree

# lxml and signxml are imported with the first SAML document read: ~4.5 MB in every server process (STS is always
# loaded), and most deployments never federate through SAML.

NS = {
    "md": "urn:oasis:names:tc:SAML:2.0:metadata",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
}
AWS_AUDIENCE = "https://signin.aws.amazon.com/saml"
ATTR = "https://aws.amazon.com/SAML/Attributes/"
_NAMEID_FORMAT = "urn:oasis:names:tc:SAML:2.0:nameid-format:"


class SamlError(Exception):
    """The document is not what SAML requires; the message says why."""


def _parser() -> etree.XMLParser:
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _parse_xml(data: bytes) -> Any:
    from lxml import etree

    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise SamlError(f"not well-formed XML ({exc.msg})") from None
    if root is None:
        raise SamlError("empty document")
    if root.getroottree().docinfo.internalDTD is not None or b"<!DOCTYPE" in data[:1024]:
        raise SamlError("document type declarations are not allowed")
    return root


def parse_time(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Metadata:
    entity_id: str
    certificates: list[str]  # base64 DER of the IdP's signing certificates
    valid_until: datetime | None


def parse_metadata(document: str) -> Metadata:
    root = _parse_xml(document.encode())
    descriptors = [root] if root.tag == f"{{{NS['md']}}}EntityDescriptor" else root.findall("md:EntityDescriptor", NS)
    if not descriptors:
        raise SamlError("no EntityDescriptor")
    entity = descriptors[0]
    idp = entity.find("md:IDPSSODescriptor", NS)
    if idp is None:
        raise SamlError("no IDPSSODescriptor")
    certs: list[str] = []
    for key in idp.findall("md:KeyDescriptor", NS):
        if key.get("use", "signing") != "signing":
            continue
        for cert in key.findall(".//ds:X509Certificate", NS):
            text = "".join((cert.text or "").split())
            try:
                base64.b64decode(text, validate=True)
            except binascii.Error:
                raise SamlError("an X509Certificate is not base64") from None
            certs.append(text)
    if not certs:
        raise SamlError("no signing certificate in the IDPSSODescriptor")
    until = entity.get("validUntil") or root.get("validUntil")
    return Metadata(entity.get("entityID", ""), certs, parse_time(until) if until else None)


@dataclass(slots=True)
class Assertion:
    issuer: str
    subject: str
    subject_format: str
    audiences: list[str]
    recipient: str | None
    not_before: datetime | None
    not_on_or_after: datetime | None
    attributes: dict[str, list[str]] = field(default_factory=dict)

    @property
    def subject_type(self) -> str:
        """AWS's SubjectType: ``persistent``/``transient`` for those formats, else the full format URI."""
        if self.subject_format.startswith(_NAMEID_FORMAT):
            short = self.subject_format[len(_NAMEID_FORMAT) :]
            if short in ("persistent", "transient"):
                return short
        return self.subject_format or "unspecified"

    def roles(self) -> list[tuple[str, str]]:
        """(role ARN, provider ARN) pairs of the Role attribute, in either order as AWS accepts."""
        out = []
        for value in self.attributes.get(ATTR + "Role", []):
            parts = [p.strip() for p in value.split(",")]
            if len(parts) != 2:
                continue
            role, provider = (parts[0], parts[1]) if ":role/" in parts[0] else (parts[1], parts[0])
            out.append((role, provider))
        return out


def name_qualifier(issuer: str, account_id: str, provider_name: str) -> str:
    digest = hashlib.sha1(f"{issuer}{account_id}/{provider_name}".encode()).digest()  # AWS's formula
    return base64.b64encode(digest).decode()


def _pem(cert_b64: str) -> str:
    lines = [cert_b64[i : i + 64] for i in range(0, len(cert_b64), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


def verify(encoded: str, certificates: list[str]) -> Assertion:
    """Decode the base64 SAMLResponse, verify its signature with one of ``certificates`` and read the assertion."""
    try:
        raw = base64.b64decode(encoded, validate=False)
    except (binascii.Error, ValueError):
        raise SamlError("the SAML response is not base64") from None
    from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature
    from signxml.verifier import XMLVerifier

    root = _parse_xml(raw)
    signed = None
    for cert in certificates:
        try:
            result = XMLVerifier().verify(
                root, x509_cert=_pem(cert), expect_references=1, ignore_ambiguous_key_info=True
            )
        except (InvalidSignature, InvalidDigest, InvalidCertificate, InvalidInput):
            continue
        if isinstance(result, list):
            continue  # expect_references=1 answers one result; several signed parts are refused
        signed = result.signed_xml
        break
    if signed is None:
        raise SamlError("the signature does not verify with the provider's certificates")
    assertion = signed if signed.tag == f"{{{NS['saml']}}}Assertion" else signed.find("saml:Assertion", NS)
    if assertion is None:
        raise SamlError("no Assertion under the signature")
    return _read(assertion)


def _time_attr(element: Any, name: str) -> datetime | None:
    if element is None or element.get(name) is None:
        return None
    return parse_time(element.get(name))


def _read(assertion: Any) -> Assertion:
    issuer = (assertion.findtext("saml:Issuer", default="", namespaces=NS) or "").strip()
    name_id = assertion.find("saml:Subject/saml:NameID", NS)
    confirmation = assertion.find("saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData", NS)
    conditions = assertion.find("saml:Conditions", NS)
    audiences = [
        (a.text or "").strip() for a in assertion.findall("saml:Conditions/saml:AudienceRestriction/saml:Audience", NS)
    ]
    attributes: dict[str, list[str]] = {}
    for attribute in assertion.findall("saml:AttributeStatement/saml:Attribute", NS):
        values = [(v.text or "").strip() for v in attribute.findall("saml:AttributeValue", NS)]
        attributes.setdefault(attribute.get("Name", ""), []).extend(values)
    not_after = _time_attr(conditions, "NotOnOrAfter")
    confirm_after = _time_attr(confirmation, "NotOnOrAfter")
    if confirm_after is not None and (not_after is None or confirm_after < not_after):
        not_after = confirm_after
    return Assertion(
        issuer=issuer,
        subject=(name_id.text or "").strip() if name_id is not None else "",
        subject_format=name_id.get("Format", "") if name_id is not None else "",
        audiences=audiences,
        recipient=confirmation.get("Recipient") if confirmation is not None else None,
        not_before=_time_attr(conditions, "NotBefore"),
        not_on_or_after=not_after,
        attributes=attributes,
    )
