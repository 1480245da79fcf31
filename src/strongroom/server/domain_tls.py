"""API Gateway custom domain names on the server's TLS listener (``strongroom server --tls``): SNI picks the context.

On AWS a custom domain name terminates TLS with its ACM certificate. Here the listening ``SSLContext`` (``listener``)
only negotiates; its ``sni_callback`` switches every connection to one of:

- a **domain's context** when the server name is an API Gateway custom domain name (any account and region; a
  wildcard domain ``*.example.com`` covers one label): the domain's ACM certificate with its chain (the ACM PCA
  chain for a private certificate) and private key, the cipher list of its ``securityPolicy``, and for mutual TLS
  the truststore from S3 with client certificates required;
- the **server's own context** (the one ``ServerTls`` renews in place) for any other name, and without SNI.

**Caching.** Contexts are built on first use and cached per server name. Each entry is re-checked after ``TTL``
seconds (two point reads: the domain's row, the certificate's serial/expiry/status), and rebuilt only when one
changed: UpdateDomainName (certificate, securityPolicy, truststore), DeleteDomainName, or a renewal/re-import of
the certificate take effect on new connections within ``TTL``. Names that are no domain are cached the same way,
in a bounded table (clients choose the names). The truststore is read when the context is built, as AWS reads it
when the domain is created or updated: a changed object needs a new ``truststoreVersion`` (UpdateDomainName).

**Keys.** The private key is unsealed in memory by ACM (``services.acm.served``). ``load_cert_chain`` reads only
files, so the key is written as encrypted PKCS#8 under a random password held in memory, in a fresh 0700
directory under ``DATA_DIR/tls/domains``, and the files are removed as soon as the context has loaded them.

**Versions.** OpenSSL negotiates the protocol version before the SNI callback, so the listener accepts TLS 1.0
(where this OpenSSL can: ``tls10_available``) and the callback refuses what the chosen context's policy does not
allow with a ``protocol_version`` alert: TLS 1.2 for TLS_1_2 domains and for the server's own name, TLS 1.0 for
TLS_1_0 domains. Their cipher lists are AWS's for each policy. OpenSSL 3 refuses TLS 1.0/1.1 at security level 1
and above (their handshake signatures use SHA-1), so TLS_1_0 contexts (and the listener) use ``@SECLEVEL=0``;
TLS_1_2 contexts keep the default level.

**Fingerprints.** The listener also reads every ClientHello (``server/tls_hello.py``, a client hello callback that
runs before this one); the SNI callback hands the fields to ``tls_facts`` so requests carry the client's JA3/JA4
for WAF's ``JA3Fingerprint`` / ``JA4Fingerprint``.

The callback runs on the event loop during the handshake: a cached hit costs a dictionary lookup; a re-check two
point reads every ``TTL`` per name; a build (unseal, one S3 read for mutual TLS) once per change.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import ssl
import tempfile
import time
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import serialization

from strongroom.core import context
from strongroom.core.errors import AwsError
from strongroom.server import tls_facts, tls_hello, tls_native
from strongroom.services.acm.served import served_certificate, served_version
from strongroom.services.apigateway.tls_domains import TlsDomain, find_tls_domain

if TYPE_CHECKING:
    from strongroom.server.runtime import Runtime

log = logging.getLogger(__name__)

TTL = 2.0  # seconds between re-checks of a cached name against the tables
MAX_NAMES = 4096

# AWS's ciphers for the legacy security policies of REST API custom domains (TLS 1.3 suites are OpenSSL's
# defaults, the same three AWS lists: TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256).
TLS_1_2_CIPHERS = ":".join(
    (
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES128-SHA256",
        "ECDHE-RSA-AES128-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-AES256-SHA384",
        "ECDHE-RSA-AES256-SHA384",
        "AES128-GCM-SHA256",
        "AES128-SHA256",
        "AES256-GCM-SHA384",
        "AES256-SHA256",
    )
)
TLS_1_0_CIPHERS = (
    TLS_1_2_CIPHERS
    + ":"
    + ":".join(
        (
            "ECDHE-ECDSA-AES128-SHA",
            "ECDHE-RSA-AES128-SHA",
            "ECDHE-ECDSA-AES256-SHA",
            "ECDHE-RSA-AES256-SHA",
            "AES128-SHA",
            "AES256-SHA",
        )
    )
)
TLS1_0, TLS1_2 = 0x0301, 0x0303
MINIMUM = {"TLS_1_0": TLS1_0, "TLS_1_2": TLS1_2}


def _allow_tls10(ctx: ssl.SSLContext) -> bool:
    """Let ``ctx`` negotiate TLS 1.0 with AWS's TLS_1_0 ciphers; False when this OpenSSL cannot."""
    if not ssl.HAS_TLSv1:
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # ssl.TLSVersion.TLSv1: deliberate, AWS's TLS_1_0
            ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.set_ciphers(TLS_1_0_CIPHERS + ":@SECLEVEL=0")
    except (ValueError, ssl.SSLError):
        return False
    return True


def tls10_available() -> bool:
    return _allow_tls10(ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER))


@dataclass(slots=True)
class _Entry:
    checked: float
    key: tuple[str, str | None] | None  # (domain fingerprint, certificate version); None: not a domain
    context: ssl.SSLContext | None  # None with a key: the domain cannot be served (fail closed)
    minimum: int
    mutual: bool


class DomainTls:
    def __init__(self, runtime: Runtime, own: ssl.SSLContext, work_dir: Path, ttl: float = TTL) -> None:
        self.runtime = runtime
        self.own = own
        self.work_dir = work_dir
        self.ttl = ttl
        self._names: OrderedDict[str, _Entry] = OrderedDict()  # by server name
        self._domains: OrderedDict[tuple[str, str], _Entry] = OrderedDict()  # by (region, domain name)
        self._cache_off = False
        self.listener = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        if not _allow_tls10(self.listener):
            self.listener.minimum_version = ssl.TLSVersion.TLSv1_2
            self.listener.set_ciphers(TLS_1_2_CIPHERS)
        # No resumption: a session set up for one name (without a client certificate) must not be resumed under
        # another (a mutual TLS domain). TLS 1.3 resumes only with tickets; TLS 1.2 also from the session cache,
        # which is turned off on the first handshake (tls_native.disable_session_cache).
        self.listener.options |= ssl.OP_NO_TICKET
        self.listener.num_tickets = 0
        self.listener.sni_callback = self._select
        # JA3/JA4 for the WAF: the ClientHello is read before SNI selection (server/tls_hello.py).
        self.fingerprints = tls_hello.install(self.listener)

    # -- the handshake --------------------------------------------------------------------------------------

    def _select(self, connection: ssl.SSLObject, server_name: str | None, _listener: ssl.SSLContext) -> int | None:
        try:
            if not self._cache_off:
                self._cache_off = tls_native.disable_session_cache(connection)
            if server_name:
                tls_facts.note_server_name(connection, server_name)
            hello = tls_hello.take(connection) if self.fingerprints else None
            if hello is not None:
                tls_facts.note_client_hello(connection, hello)
            entry = self.entry(server_name) if server_name else None
            if entry is None or entry.key is None:
                target, minimum, mutual = self.own, TLS1_2, False
            elif entry.context is None:
                return ssl.ALERT_DESCRIPTION_HANDSHAKE_FAILURE
            else:
                target, minimum, mutual = entry.context, entry.minimum, entry.mutual
            version = tls_native.negotiated_version(connection)
            if version is not None and version < minimum:
                return ssl.ALERT_DESCRIPTION_PROTOCOL_VERSION
            connection.context = target
            if mutual and not tls_native.require_client_certificate(connection):
                log.error("cannot require a client certificate on this interpreter; refusing the handshake")
                return ssl.ALERT_DESCRIPTION_INTERNAL_ERROR
        except Exception:
            log.exception("TLS server name selection failed", extra={"server_name": server_name})
            return ssl.ALERT_DESCRIPTION_INTERNAL_ERROR
        return None

    def entry(self, server_name: str) -> _Entry:
        """The cached entry for ``server_name``, re-checked against the tables once ``ttl`` has passed."""
        name = server_name.lower().rstrip(".")
        now = time.monotonic()
        entry = self._names.get(name)
        if entry is not None and now - entry.checked < self.ttl:
            return entry
        domain = find_tls_domain(self.runtime.store, name)
        key = (
            None if domain is None else (domain.fingerprint, served_version(self.runtime.store, domain.certificate_arn))
        )
        if entry is not None and entry.key == key:
            entry.checked = now
            self._names.move_to_end(name)
            return entry
        entry = self._build(domain, key, now)
        self._names[name] = entry
        self._names.move_to_end(name)
        while len(self._names) > MAX_NAMES:
            self._names.popitem(last=False)
        return entry

    # -- building a domain's context --------------------------------------------------------------------------

    def _build(self, domain: TlsDomain | None, key: tuple[str, str | None] | None, now: float) -> _Entry:
        if domain is None or key is None:
            return _Entry(now, None, None, TLS1_2, False)
        # The names under one wildcard domain share its context: a client choosing many names builds it once.
        shared = self._domains.get((domain.region, domain.name))
        if shared is not None and shared.key == key:
            return _Entry(now, key, shared.context, shared.minimum, shared.mutual)
        minimum = MINIMUM.get(domain.security_policy, TLS1_2)
        mutual = domain.truststore_uri is not None
        try:
            built = self.domain_context(domain)
        except Exception:
            log.exception("cannot serve custom domain name", extra={"domain": domain.name, "region": domain.region})
            built = None
        if built is not None:
            log.info(
                "custom domain TLS context loaded",
                extra={"domain": domain.name, "region": domain.region, "certificate": domain.certificate_arn},
            )
        self._domains[(domain.region, domain.name)] = _Entry(now, key, built, minimum, mutual)
        while len(self._domains) > MAX_NAMES:
            self._domains.popitem(last=False)
        return _Entry(now, key, built, minimum, mutual)

    def domain_context(self, domain: TlsDomain) -> ssl.SSLContext | None:
        served = served_certificate(self.runtime.store, self.runtime.seal, domain.certificate_arn)
        if served is None:
            log.warning("custom domain's certificate is not servable", extra={"domain": domain.name})
            return None
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        if domain.security_policy == "TLS_1_0" and _allow_tls10(ctx):
            pass
        else:
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
            ctx.set_ciphers(TLS_1_2_CIPHERS)
        password = secrets.token_bytes(32)
        encrypted = served.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(password),
        )
        chain = served.certificate_pem.rstrip("\n") + "\n" + served.chain_pem
        self.work_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.work_dir, 0o700)
        scratch = Path(tempfile.mkdtemp(prefix="domain-", dir=self.work_dir))  # mode 0700
        try:
            cert_file, key_file = scratch / "chain.pem", scratch / "key.pem"
            for path, data in ((cert_file, chain.encode()), (key_file, encrypted)):
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
            ctx.load_cert_chain(str(cert_file), str(key_file), password=password)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        if domain.truststore_uri is not None:
            truststore = self.truststore(domain)
            if not truststore:
                return None
            ctx.load_verify_locations(cadata=truststore)
            ctx.verify_mode = ssl.CERT_REQUIRED
        return ctx

    def truststore(self, domain: TlsDomain) -> str | None:
        """The truststore's PEM bundle, read from S3 in-process as the domain's account (audited as its call)."""
        assert domain.truststore_uri is not None
        bucket, _, key = domain.truststore_uri.removeprefix("s3://").partition("/")
        params: dict[str, Any] = {"Bucket": bucket, "Key": key}
        if domain.truststore_version:
            params["VersionId"] = domain.truststore_version
        ctx = context.service_context(self.runtime, "apigateway", "GetDomainName", domain.region, domain.account_id)
        try:
            out = self.runtime.call(ctx, "s3", "GetObject", params, via="apigateway")
        except AwsError as exc:
            log.warning(
                "custom domain's truststore cannot be read",
                extra={"domain": domain.name, "truststore": domain.truststore_uri, "error": exc.code},
            )
            return None
        body = out.get("Body")
        data = body if isinstance(body, bytes) else b"".join(body or ())
        text = data.decode("ascii", errors="replace")
        return text if "-----BEGIN CERTIFICATE-----" in text else None
