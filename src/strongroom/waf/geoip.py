"""Country, region and ASN of an IP address from a MaxMind-format (``.mmdb``) database, for GeoMatch / AsnMatch.

Pure: a file path in, answers out; no database ships with Strongroom (docs/waf-engine.md says where operators get
one). Records are read the GeoIP2 way, which the free DB-IP Lite and GeoLite2 databases share:

- country: ``country.iso_code`` (the address's location), else ``registered_country.iso_code`` (where the block is
  registered: some ranges, anycast and satellite ones for example, have no location), as AWS labels "country of
  origin";
- region: ``<country>-<subdivisions[0].iso_code>`` (ISO 3166-2, ``US-CA``) when the database has subdivisions (City
  editions); Country editions have none, so no region label;
- ASN: ``autonomous_system_number`` (GeoLite2-ASN, DB-IP ASN Lite).

Lookups are cached in a bounded LRU per database (an address's answer is a few small values; the cache holds
``cache_size`` addresses), so a client's repeated requests cost one tree walk. A malformed address, an IPv6 address
in an IPv4-only database, or an address the database does not cover answers None.
"""

from __future__ import annotations

import functools
import ipaddress
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import maxminddb
from maxminddb import InvalidDatabaseError

__all__ = ["DEFAULT_CACHE_SIZE", "InvalidDatabaseError", "IpFacts", "IpResolvers", "MmdbResolver", "open_resolvers"]

DEFAULT_CACHE_SIZE = 65_536


@dataclass(frozen=True, slots=True)
class IpFacts:
    country: str | None = None  # ISO 3166-1 alpha-2
    region: str | None = None  # ISO 3166-2: country + "-" + subdivision
    asn: int | None = None


def _facts(record: Any) -> IpFacts:
    if not isinstance(record, dict):
        return IpFacts()
    country = None
    for key in ("country", "registered_country"):
        node = record.get(key)
        if isinstance(node, dict) and isinstance(node.get("iso_code"), str):
            country = node["iso_code"].upper()
            break
    region = None
    subs = record.get("subdivisions")
    if country and isinstance(subs, list) and subs and isinstance(subs[0], dict):
        code = subs[0].get("iso_code")
        if isinstance(code, str) and code:
            region = f"{country}-{code.upper()}"
    asn = record.get("autonomous_system_number")
    return IpFacts(country, region, asn if isinstance(asn, int) and not isinstance(asn, bool) else None)


class MmdbResolver:
    """One opened ``.mmdb`` file. Thread-safe: the reader is read-only (memory-mapped) and the cache is
    ``functools.lru_cache``."""

    def __init__(self, path: str | os.PathLike[str], *, cache_size: int = DEFAULT_CACHE_SIZE) -> None:
        self.path = os.fspath(path)
        # MODE_AUTO: the C extension over a memory map when it is built, else the pure-Python reader
        self._reader = maxminddb.open_database(self.path, maxminddb.MODE_AUTO)
        self.database_type: str = str(self._reader.metadata().database_type)
        self.lookup: Callable[[str], IpFacts] = functools.lru_cache(maxsize=cache_size)(self._lookup)

    def _lookup(self, ip: str) -> IpFacts:
        try:
            address = ipaddress.ip_address(ip.strip())
        except ValueError:
            return IpFacts()
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped  # an IPv4 client seen on a dual-stack socket
        try:
            return _facts(self._reader.get(address))
        except (ValueError, InvalidDatabaseError):
            return IpFacts()  # IPv6 in an IPv4-only database, or a corrupt node: unknown, never an error

    def country(self, ip: str) -> str | None:
        return self.lookup(ip).country

    def region(self, ip: str) -> str | None:
        return self.lookup(ip).region

    def asn(self, ip: str) -> int | None:
        return self.lookup(ip).asn

    def close(self) -> None:
        self._reader.close()


@dataclass(frozen=True, slots=True)
class IpResolvers:
    """What an enforcement point passes to ``WafRequest``: ``country_resolver=r.country`` and so on. Each is None
    when no database is configured (GeoMatch then matches nothing and labels nothing; AsnMatch matches nothing)."""

    country: Callable[[str], str | None] | None = None
    region: Callable[[str], str | None] | None = None
    asn: Callable[[str], int | None] | None = None


def open_resolvers(
    geoip_db: str | os.PathLike[str] | None,
    asn_db: str | os.PathLike[str] | None,
    *,
    cache_size: int = DEFAULT_CACHE_SIZE,
) -> IpResolvers:
    """Resolvers from a country/city database and an ASN database (either may be None, or the same file)."""
    geo = MmdbResolver(geoip_db, cache_size=cache_size) if geoip_db else None
    same = geoip_db and asn_db and os.path.realpath(geoip_db) == os.path.realpath(asn_db)
    asn = geo if same else (MmdbResolver(asn_db, cache_size=cache_size) if asn_db else None)
    return IpResolvers(
        country=geo.country if geo else None,
        region=geo.region if geo else None,
        asn=asn.asn if asn else None,
    )
