"""Issuing through an ACME CA (RFC 8555) with the ``acme`` package, answering DNS-01 through a DNS provider.

Configuration: ``acm_acme_directory`` (the directory URL; without it the internal CA issues),
``acm_acme_ca_bundle`` (CA file trusted for the ACME server's own HTTPS), ``acm_acme_email``.
The ACME account key is created once per directory and stored sealed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from acme import challenges, client, errors, messages
from cryptography.hazmat.primitives.asymmetric import rsa
from josepy.jwk import JWKRSA
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from strongroom.keyring.seal import Seal
from strongroom.services.acm import certs
from strongroom.services.acm.dns import DnsProvider, dns_provider
from strongroom.services.acm.model import acme_account_aad, acme_accounts
from strongroom.store.engine import Store


class AcmeIssuer:
    def __init__(self, store: Store, seal: Seal, extra: dict[str, Any]) -> None:
        self.store = store
        self.seal = seal
        self.directory_url = str(extra["acm_acme_directory"])
        bundle = extra.get("acm_acme_ca_bundle")
        self.verify: bool | str = str(bundle) if bundle else True
        self.email = extra.get("acm_acme_email")
        self.provider: DnsProvider = dns_provider(extra)

    def _account_key(self) -> tuple[rsa.RSAPrivateKey, str | None]:
        query = select(acme_accounts).where(acme_accounts.c.directory_url == self.directory_url)
        with self.store.read() as conn:
            row = conn.execute(query).one_or_none()
        if row is None:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            sealed = self.seal.wrap(certs.key_der(key), acme_account_aad(self.directory_url))
            try:
                with self.store.write() as conn:
                    conn.execute(acme_accounts.insert().values(directory_url=self.directory_url, sealed_key=sealed))
            except IntegrityError:
                pass
            with self.store.read() as conn:
                row = conn.execute(query).one()
        loaded = certs.load_key_der(self.seal.unwrap(row.sealed_key, acme_account_aad(self.directory_url)))
        assert isinstance(loaded, rsa.RSAPrivateKey)
        return loaded, row.account_url

    def _client(self) -> tuple[client.ClientV2, JWKRSA]:
        key, _url = self._account_key()
        jwk = JWKRSA(key=key)
        net = client.ClientNetwork(jwk, user_agent="strongroom-acm", verify_ssl=self.verify)  # type: ignore[arg-type]  # a CA file path is passed on to requests' verify
        acme = client.ClientV2(client.ClientV2.get_directory(self.directory_url, net), net)
        registration = messages.NewRegistration.from_data(email=self.email, terms_of_service_agreed=True)
        try:
            regr = acme.new_account(registration)
        except errors.ConflictError as exc:  # the key already has an account: use it
            regr = messages.RegistrationResource(uri=exc.location, body=messages.Registration())
            net.account = regr
        with self.store.write() as conn:
            conn.execute(
                update(acme_accounts)
                .where(acme_accounts.c.directory_url == self.directory_url)
                .values(account_url=regr.uri)
            )
        return acme, jwk

    def issue(self, key: certs.PrivateKey, names: list[str]) -> tuple[str, str]:
        """(certificate PEM, chain PEM) for ``names``; raises on any ACME failure (the caller retries)."""
        acme, jwk = self._client()
        order = acme.new_order(certs.csr_pem(key, names))
        written: set[str] = set()
        try:
            for authz in order.authorizations:
                if authz.body.status == messages.STATUS_VALID:
                    continue
                chall = next(c for c in authz.body.challenges if isinstance(c.chall, challenges.DNS01))
                dns01 = chall.chall
                assert isinstance(dns01, challenges.DNS01)
                record = dns01.validation_domain_name(authz.body.identifier.value)
                self.provider.set_txt(record, dns01.validation(jwk))
                written.add(record)
            for authz in order.authorizations:
                if authz.body.status == messages.STATUS_VALID:
                    continue
                chall = next(c for c in authz.body.challenges if isinstance(c.chall, challenges.DNS01))
                acme.answer_challenge(chall, chall.chall.response(jwk))
            done = acme.poll_and_finalize(order, deadline=datetime.now() + timedelta(seconds=90))
        finally:
            for record in written:
                try:
                    self.provider.clear_txt(record)
                except Exception:  # a stale TXT record is harmless; the issuance result matters
                    pass
        chain = certs.split_pem(done.fullchain_pem)
        return certs.pem(chain[0]), "".join(certs.pem(c) for c in chain[1:])
