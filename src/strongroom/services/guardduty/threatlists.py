"""The list formats GuardDuty reads trusted IP lists and threat lists in (``IpSetFormat`` / ``ThreatIntelSetFormat``).

Each parser turns a file's bytes into entries: single IPv4/IPv6 addresses, CIDR blocks, or domain names. As AWS
documents the formats ("Working with trusted IP lists and threat lists"):

* ``TXT``: one address, CIDR or domain per line;
* ``STIX``: STIX 1.x XML; the ``AddressObj:Address_Value`` and ``DomainNameObj:Value`` (any namespace prefix)
  elements' text, comma/``##comma##`` separated lists included;
* ``OTX_CSV``: AlienVault OTX CSV export, ``Indicator type,Indicator,Description`` (IPv4, IPv6, CIDR, domain,
  hostname rows);
* ``ALIEN_VAULT``: the AlienVault reputation feed, ``ip#reliability#risk#activity#country#city#latlon#...``;
* ``FIRE_EYE``: FireEye iSIGHT CSV, the ``ip``/``ipAddress``/``domain``/``networkIdentifier`` columns;
* ``PROOF_POINT``: ProofPoint ET Intelligence CSV, ``ip,category,score,...`` or ``domain,category,score,...``.

A line that is neither an address, a CIDR nor a domain is skipped; a file with nothing usable is an error (the
list's status becomes ``ERROR``, as AWS reports a list it cannot read).
"""

from __future__ import annotations

import csv
import io
import ipaddress
import re
import xml.etree.ElementTree as ET

_DOMAIN = re.compile(r"^(?=.{1,253}$)(?:\*\.)?(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}\.?$")
MAX_BYTES = 35 * 1024 * 1024  # AWS: "The file size can't exceed 35 MB"


class ListFormatError(ValueError):
    """The file holds no entry GuardDuty can use, or is not in the format it claims."""


def entry(text: str) -> str | None:
    """The normalized entry for one candidate string, or None."""
    value = text.strip().strip('"').strip()
    if not value:
        return None
    try:
        if "/" in value:
            return str(ipaddress.ip_network(value, strict=False))
        return str(ipaddress.ip_address(value))
    except ValueError:
        pass
    if _DOMAIN.match(value):
        return value.rstrip(".").lower()
    return None


def _collect(candidates: list[str]) -> frozenset[str]:
    found = {e for e in (entry(c) for c in candidates) if e is not None}
    if not found:
        raise ListFormatError("no IP address, CIDR or domain found")
    return frozenset(found)


def parse_txt(text: str) -> frozenset[str]:
    return _collect([line.split("#", 1)[0] for line in text.splitlines()])


def parse_stix(text: str) -> frozenset[str]:
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise ListFormatError("document type declarations are not accepted")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise ListFormatError(f"not XML: {exc}") from None
    candidates: list[str] = []
    for element in root.iter():
        local = element.tag.rsplit("}", 1)[-1]
        if local in ("Address_Value", "Value") and element.text:
            candidates += re.split(r"##comma##|,", element.text)
    return _collect(candidates)


def _rows(text: str) -> list[list[str]]:
    return [row for row in csv.reader(io.StringIO(text)) if row and not row[0].lstrip().startswith("#")]


def parse_otx_csv(text: str) -> frozenset[str]:
    rows = _rows(text)
    kinds = {"ipv4", "ipv6", "cidr", "domain", "hostname"}
    if rows and rows[0][0].strip().lower() == "indicator type":
        rows = rows[1:]
    return _collect([row[1] for row in rows if len(row) > 1 and row[0].strip().lower() in kinds])


def parse_alien_vault(text: str) -> frozenset[str]:
    return _collect([line.split("#", 1)[0] for line in text.splitlines() if line.strip()])


def parse_fire_eye(text: str) -> frozenset[str]:
    rows = _rows(text)
    if not rows:
        raise ListFormatError("empty file")
    header = [h.strip().lower() for h in rows[0]]
    columns = [i for i, h in enumerate(header) if h in ("ip", "ipaddress", "ip_address", "domain", "networkidentifier")]
    if not columns:
        raise ListFormatError("no ip or domain column")
    return _collect([row[i] for row in rows[1:] for i in columns if i < len(row)])


def parse_proof_point(text: str) -> frozenset[str]:
    rows = _rows(text)
    if rows and rows[0][0].strip().lower() in ("ip", "domain"):
        rows = rows[1:]
    return _collect([row[0] for row in rows])


PARSERS = {
    "TXT": parse_txt,
    "STIX": parse_stix,
    "OTX_CSV": parse_otx_csv,
    "ALIEN_VAULT": parse_alien_vault,
    "FIRE_EYE": parse_fire_eye,
    "PROOF_POINT": parse_proof_point,
}


def parse(fmt: str, data: bytes) -> frozenset[str]:
    if len(data) > MAX_BYTES:
        raise ListFormatError("the file is larger than 35 MB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ListFormatError("not UTF-8 text") from None
    return PARSERS[fmt](text)
