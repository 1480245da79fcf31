"""DNS: ACM's validation CNAMEs (stable per domain and account), resolving them, and DNS providers for ACME DNS-01.

Configuration (``DATA_DIR/strongroom.toml``, top-level keys, kept in ``Config.extra``):

- ``acm_dns_resolver = "127.0.0.1:8053"``: the resolver validation CNAMEs are looked up through
  (default: the system's resolvers).
- ``acm_dns_provider = "pebble-challtestsrv" | "rfc2136"``: where DNS-01 TXT records are written.
- ``acm_challtestsrv_url = "http://127.0.0.1:8055"``: pebble-challtestsrv's management API.
- ``acm_rfc2136_server = "127.0.0.1:53"``, ``acm_rfc2136_zone``, ``acm_rfc2136_tsig_name``,
  ``acm_rfc2136_tsig_secret`` (base64), ``acm_rfc2136_tsig_algorithm`` (default hmac-sha256).
"""

from __future__ import annotations

import json
import secrets
import string
import urllib.request
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from strongroom.services.acm.model import validation_records
from strongroom.store.engine import Store

if TYPE_CHECKING:
    import dns.resolver
    import dns.update


def base_domain(domain: str) -> str:
    """``*.example.com`` and ``example.com`` share one validation record."""
    return domain[2:] if domain.startswith("*.") else domain


def validation_record(store: Store, account_id: str, domain: str) -> dict[str, str]:
    """The CNAME ResourceRecord for a domain, created on first use and stable afterwards."""
    base = base_domain(domain).lower().rstrip(".")
    query = select(validation_records).where(
        validation_records.c.account_id == account_id, validation_records.c.domain == base
    )
    with store.read() as conn:
        row = conn.execute(query).one_or_none()
    if row is None:
        try:
            with store.write() as conn:
                conn.execute(
                    validation_records.insert().values(
                        account_id=account_id,
                        domain=base,
                        name_label=secrets.token_hex(16),
                        value_label=secrets.token_hex(16),
                        random_label="".join(secrets.choice(string.ascii_lowercase) for _ in range(10)),
                    )
                )
        except IntegrityError:
            pass  # created concurrently: read the winner's
        with store.read() as conn:
            row = conn.execute(query).one()
    return {
        "Name": f"_{row.name_label}.{base}.",
        "Type": "CNAME",
        "Value": f"_{row.value_label}.{row.random_label}.acm-validations.aws.",
    }


def _host_port(value: str, default_port: int) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        return value, default_port
    return host.strip("[]"), int(port)


def resolver_for(extra: dict[str, Any]) -> dns.resolver.Resolver:
    # dnspython is imported where it is used (~3 MB in every server process, which validates no certificate
    # until someone requests one).
    import dns.resolver

    configured = extra.get("acm_dns_resolver")
    if not configured:
        return dns.resolver.Resolver()
    resolver = dns.resolver.Resolver(configure=False)
    host, port = _host_port(str(configured), 53)
    resolver.nameservers = [host]
    resolver.port = port
    resolver.lifetime = 3.0
    return resolver


def cname_matches(resolver: dns.resolver.Resolver, record: dict[str, str]) -> bool:
    """True when the validation CNAME exists and points where ACM said it must."""
    import dns.exception
    import dns.resolver

    try:
        answer = resolver.resolve(record["Name"], "CNAME", raise_on_no_answer=False)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoNameservers, dns.exception.Timeout, dns.resolver.NoAnswer):
        return False
    want = record["Value"].lower().rstrip(".")
    if answer.rrset is None:
        return False
    return any(str(rr.target).lower().rstrip(".") == want for rr in answer.rrset)


class DnsProvider(Protocol):
    """Where ACME DNS-01 TXT records go."""

    def set_txt(self, name: str, value: str) -> None: ...

    def clear_txt(self, name: str) -> None: ...


class ChallTestSrvProvider:
    """pebble-challtestsrv's management API (tests and local development)."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def _post(self, path: str, body: dict[str, str]) -> None:
        request = urllib.request.Request(
            self.url + path, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    def set_txt(self, name: str, value: str) -> None:
        self._post("/set-txt", {"host": name.rstrip(".") + ".", "value": value})

    def clear_txt(self, name: str) -> None:
        self._post("/clear-txt", {"host": name.rstrip(".") + "."})


class Rfc2136Provider:
    """RFC 2136 dynamic updates (BIND, Knot, PowerDNS), optionally TSIG-signed."""

    def __init__(self, extra: dict[str, Any]) -> None:
        self.server, self.port = _host_port(str(extra.get("acm_rfc2136_server", "127.0.0.1:53")), 53)
        self.zone = str(extra["acm_rfc2136_zone"])
        name, secret = extra.get("acm_rfc2136_tsig_name"), extra.get("acm_rfc2136_tsig_secret")
        import dns.tsigkeyring

        self.keyring = dns.tsigkeyring.from_text({str(name): str(secret)}) if name and secret else None
        self.algorithm = str(extra.get("acm_rfc2136_tsig_algorithm", "hmac-sha256"))

    def _send(self, update: dns.update.Update) -> None:
        import dns.query
        import dns.rcode

        response = dns.query.tcp(update, self.server, port=self.port, timeout=10)
        if response.rcode() != dns.rcode.NOERROR:
            raise RuntimeError(f"RFC 2136 update refused: {dns.rcode.to_text(response.rcode())}")

    def _update(self) -> dns.update.Update:
        import dns.update

        if self.keyring is None:
            return dns.update.Update(self.zone)
        return dns.update.Update(self.zone, keyring=self.keyring, keyalgorithm=self.algorithm)

    def set_txt(self, name: str, value: str) -> None:
        import dns.name

        update = self._update()
        update.add(dns.name.from_text(name), 60, "TXT", f'"{value}"')
        self._send(update)

    def clear_txt(self, name: str) -> None:
        import dns.name

        update = self._update()
        update.delete(dns.name.from_text(name), "TXT")
        self._send(update)


def dns_provider(extra: dict[str, Any]) -> DnsProvider:
    kind = str(extra.get("acm_dns_provider", "pebble-challtestsrv"))
    if kind == "rfc2136":
        return Rfc2136Provider(extra)
    if kind == "pebble-challtestsrv":
        return ChallTestSrvProvider(str(extra.get("acm_challtestsrv_url", "http://127.0.0.1:8055")))
    raise ValueError(f"unknown acm_dns_provider {kind!r}")
