"""The server's own TLS (``strongroom server --tls``): a certificate from the internal CA, renewed in place.

The leaf is reloaded into the same ``SSLContext`` uvicorn listens with (``load_cert_chain`` on the live
object), so new connections get the new certificate without a restart. Renewal is per node (each node has its
own leaf), so it runs on a small thread of its own rather than as a cluster-wide scheduler job; it reads
``core.clock`` and so follows the test-mode clock too. The key file on disk is encrypted with a random
passphrase held only in memory: no plaintext private key at rest.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import ssl
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from strongroom.core.clock import clock
from strongroom.keyring.seal import Seal
from strongroom.services.acm import certs
from strongroom.services.acm.internal_ca import InternalCA
from strongroom.store.engine import Store

log = logging.getLogger(__name__)

LEAF_VALIDITY = timedelta(days=30)
RENEW_BEFORE = timedelta(days=10)


class ServerTls:
    def __init__(self, store: Store, seal: Seal, data_dir: Path, host: str, extra: dict[str, Any]) -> None:
        self.store = store
        self.seal = seal
        self.directory = data_dir / "tls"
        self.host = host
        self.extra_names = [str(n) for n in extra.get("tls_hostnames", [])]
        self.context: ssl.SSLContext | None = None
        self.certificate: x509.Certificate | None = None
        self._password = secrets.token_hex(32).encode()  # ASCII: uvicorn passes it on as str
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def cert_file(self) -> Path:
        return self.directory / "server.pem"

    @property
    def key_file(self) -> Path:
        return self.directory / "server.key"

    def names(self) -> list[str]:
        names = ["localhost", "127.0.0.1", "::1", socket.gethostname(), *self.extra_names]
        if self.host not in ("0.0.0.0", "::", ""):
            names.insert(0, self.host)
        return list(dict.fromkeys(names))

    def issue(self) -> None:
        """Write a fresh leaf (chain included) and its encrypted key; reload the live context if there is one."""
        ca = InternalCA.load_or_create(self.store, self.seal)
        key = ec.generate_private_key(ec.SECP256R1())
        cert = ca.issue(
            key.public_key(), self.names(), not_before=clock.now() - timedelta(minutes=5), validity=LEAF_VALIDITY
        )
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        self._write(self.cert_file, (certs.pem(cert) + ca.pem).encode())
        encrypted = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(self._password),
        )
        self._write(self.key_file, encrypted)
        self.certificate = cert
        if self.context is not None:
            self.context.load_cert_chain(str(self.cert_file), str(self.key_file), password=self._password)
        log.info(
            "server TLS certificate issued",
            extra={"serial": f"{cert.serial_number:x}", "not_after": str(cert.not_valid_after_utc)},
        )

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)

    @property
    def password(self) -> bytes:
        return self._password

    def attach(self, context: ssl.SSLContext) -> None:
        """Adopt uvicorn's live context and start the renewal thread."""
        self.context = context
        self._thread = threading.Thread(target=self._loop, name="server-tls-renewal", daemon=True)
        self._thread.start()

    def due(self) -> bool:
        return self.certificate is None or clock.now() >= self.certificate.not_valid_after_utc - RENEW_BEFORE

    def _loop(self) -> None:
        while not self._stop.wait(1.0):
            try:
                if self.due():
                    self.issue()
            except Exception:
                log.exception("server TLS renewal failed; retrying")

    def stop(self) -> None:
        self._stop.set()
