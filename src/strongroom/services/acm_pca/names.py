"""AWS's ASN1Subject and GeneralName shapes to and from cryptography's x509 names."""

from __future__ import annotations

import ipaddress
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID, ObjectIdentifier

from strongroom.services.acm_pca.errors import InvalidArgsException

# ASN1Subject members in the order AWS writes them into a distinguished name.
SUBJECT_FIELDS: tuple[tuple[str, ObjectIdentifier], ...] = (
    ("Country", NameOID.COUNTRY_NAME),
    ("Organization", NameOID.ORGANIZATION_NAME),
    ("OrganizationalUnit", NameOID.ORGANIZATIONAL_UNIT_NAME),
    ("DistinguishedNameQualifier", NameOID.DN_QUALIFIER),
    ("State", NameOID.STATE_OR_PROVINCE_NAME),
    ("CommonName", NameOID.COMMON_NAME),
    ("SerialNumber", NameOID.SERIAL_NUMBER),
    ("Locality", NameOID.LOCALITY_NAME),
    ("Title", NameOID.TITLE),
    ("Surname", NameOID.SURNAME),
    ("GivenName", NameOID.GIVEN_NAME),
    ("Initials", NameOID.INITIALS),
    ("Pseudonym", NameOID.PSEUDONYM),
    ("GenerationQualifier", NameOID.GENERATION_QUALIFIER),
)


def subject_name(subject: dict[str, Any]) -> x509.Name:
    """AWS rejects mixing CustomAttributes with the standard members."""
    custom = subject.get("CustomAttributes") or []
    standard = [(oid, subject[key]) for key, oid in SUBJECT_FIELDS if subject.get(key)]
    if custom and standard:
        raise InvalidArgsException("CustomAttributes cannot be combined with other subject attributes.")
    try:
        if custom:
            return x509.Name([x509.NameAttribute(ObjectIdentifier(a["ObjectIdentifier"]), a["Value"]) for a in custom])
        return x509.Name([x509.NameAttribute(oid, value) for oid, value in standard])
    except ValueError as exc:
        raise InvalidArgsException(f"The subject is not valid: {exc}") from None


def subject_dict(name: x509.Name) -> dict[str, Any]:
    by_oid = {oid: key for key, oid in SUBJECT_FIELDS}
    out: dict[str, Any] = {}
    custom = []
    for attr in name:
        key = by_oid.get(attr.oid)
        if key and key not in out:
            out[key] = str(attr.value)
        else:
            custom.append({"ObjectIdentifier": attr.oid.dotted_string, "Value": str(attr.value)})
    if custom:
        out["CustomAttributes"] = custom
    return out


def general_name(item: dict[str, Any]) -> x509.GeneralName:
    try:
        if item.get("DnsName"):
            return x509.DNSName(item["DnsName"])
        if item.get("Rfc822Name"):
            return x509.RFC822Name(item["Rfc822Name"])
        if item.get("UniformResourceIdentifier"):
            return x509.UniformResourceIdentifier(item["UniformResourceIdentifier"])
        if item.get("IpAddress"):
            return x509.IPAddress(ipaddress.ip_address(item["IpAddress"]))
        if item.get("DirectoryName"):
            return x509.DirectoryName(subject_name(item["DirectoryName"]))
        if item.get("RegisteredId"):
            return x509.RegisteredID(ObjectIdentifier(item["RegisteredId"]))
        if item.get("OtherName"):
            other = item["OtherName"]
            value = other.get("Value", "").encode()
            # the value is carried as a DER UTF8String, the common form for UPNs and similar names
            return x509.OtherName(ObjectIdentifier(other["TypeId"]), _der_utf8(value))
    except ValueError as exc:
        raise InvalidArgsException(f"The general name is not valid: {exc}") from None
    if item.get("EdiPartyName"):
        raise InvalidArgsException("EdiPartyName general names are not supported.")
    raise InvalidArgsException("A general name must set exactly one member.")


def _der_utf8(value: bytes) -> bytes:
    length = len(value)
    if length < 0x80:
        header = bytes([0x0C, length])
    else:
        size = (length.bit_length() + 7) // 8
        header = bytes([0x0C, 0x80 | size]) + length.to_bytes(size, "big")
    return header + value
