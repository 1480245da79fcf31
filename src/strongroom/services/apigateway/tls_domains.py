"""What a TLS listener reads about custom domain names: which domain a server name (SNI) belongs to, and its TLS facts.

``deployed.find_domain`` serves the data plane, which knows the region from the request's route; a TLS handshake
knows only the server name, so this looks in every account and region. A name matches its own domain first, then
a wildcard domain one label up (``*.example.com`` covers ``api.example.com``, as a wildcard certificate does, not
``a.b.example.com``). Should two regions hold the same name, the first region in sort order wins: on AWS DNS
decides, and one server cannot tell. Read-only, no AWS errors, one query per lookup.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from strongroom.services.apigateway.model import domain_names

if TYPE_CHECKING:
    from strongroom.store.engine import Store


@dataclass(frozen=True, slots=True)
class TlsDomain:
    name: str  # the domain name as created (``*.example.com`` for a wildcard)
    region: str
    account_id: str
    certificate_arn: str  # regionalCertificateArn, or certificateArn for an EDGE domain
    security_policy: str  # TLS_1_0 | TLS_1_2
    truststore_uri: str | None  # mutualTlsAuthentication.truststoreUri (s3://bucket/key)
    truststore_version: str | None
    fingerprint: str  # changes whenever the domain's document does (UpdateDomainName), for caches


def candidates(server_name: str) -> list[str]:
    """The domain names that could serve ``server_name``, most specific first."""
    name = server_name.lower().rstrip(".")
    found = [name]
    if "." in name:
        found.append("*." + name.split(".", 1)[1])
    return found


def find_tls_domain(store: Store, server_name: str) -> TlsDomain | None:
    names = candidates(server_name)
    with store.read() as conn:
        rows = conn.execute(
            select(domain_names).where(domain_names.c.name.in_(names)).order_by(domain_names.c.region)
        ).all()
    for wanted in names:
        for row in rows:
            if row.name != wanted:
                continue
            doc = json.loads(row.doc)
            arn = doc.get("regionalCertificateArn") or doc.get("certificateArn")
            if not arn:
                continue
            mtls = doc.get("mutualTlsAuthentication") or {}
            return TlsDomain(
                name=row.name,
                region=row.region,
                account_id=row.account_id,
                certificate_arn=str(arn),
                security_policy=str(doc.get("securityPolicy") or "TLS_1_2"),
                truststore_uri=mtls.get("truststoreUri") or None,
                truststore_version=mtls.get("truststoreVersion") or None,
                fingerprint=hashlib.sha256(f"{row.region}\0{row.name}\0{row.doc}".encode()).hexdigest(),
            )
    return None
