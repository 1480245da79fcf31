"""What a request knows about its TLS connection: ASGI's TLS extension, plus the facts API Gateway's data plane uses.

``server/httpproto.py`` puts ``tls_scope(transport)`` into every HTTPS request's ``scope["extensions"]["tls"]``
(computed once per connection, after the handshake):

- the ASGI TLS extension's keys (``tls_version`` as an int, ``client_cert_chain`` as PEM strings (the leaf only:
  Python's ``ssl`` does not expose the rest before 3.13), ``client_cert_name``, ``client_cert_error``,
  ``cipher_suite`` (None: Python names the suite but does not give its number), ``server_cert`` (None));
- ``server_name``: the SNI name the client asked for (None without SNI);
- ``ja3_fingerprint`` / ``ja4_fingerprint``: the client's TLS fingerprints (``waf/fingerprints.py``) from the
  ClientHello the listener read (``server/tls_hello.py``); None when it could not be read;
- ``client_cert``: for a verified client certificate (mutual TLS custom domain names), the object AWS puts in
  ``$context.identity.clientCert`` (``clientCertPem``, ``subjectDN``, ``issuerDN``, ``serialNumber``,
  ``validity.notBefore``/``notAfter``), else None.
"""

from __future__ import annotations

import ssl
import weakref
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from strongroom.waf import fingerprints

# The SNI name of each live connection, noted by the listener's SNI callback (server-side ``SSLObject``s do not
# keep it: ``server_hostname`` is the client side's).
_SERVER_NAMES: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()

# (JA3, JA4) of each live connection, noted by the SNI callback from the ClientHello the listener read.
_FINGERPRINTS: weakref.WeakKeyDictionary[Any, tuple[str, str]] = weakref.WeakKeyDictionary()

_VERSIONS = {"TLSv1": 0x0301, "TLSv1.1": 0x0302, "TLSv1.2": 0x0303, "TLSv1.3": 0x0304}


def _aws_time(moment: Any) -> str:
    return str(moment.strftime("%b %d %H:%M:%S %Y GMT"))  # as API Gateway prints them: "May 28 12:30:02 2019 GMT"


def client_cert_identity(der: bytes) -> dict[str, Any]:
    """``$context.identity.clientCert`` for a client certificate (DER)."""
    cert = x509.load_der_x509_certificate(der)
    serial = f"{cert.serial_number:x}"
    serial = serial if len(serial) % 2 == 0 else "0" + serial
    return {
        "clientCertPem": cert.public_bytes(serialization.Encoding.PEM).decode(),
        "subjectDN": cert.subject.rfc4514_string(),
        "issuerDN": cert.issuer.rfc4514_string(),
        "serialNumber": ":".join(serial[i : i + 2] for i in range(0, len(serial), 2)),
        "validity": {
            "notBefore": _aws_time(cert.not_valid_before_utc),
            "notAfter": _aws_time(cert.not_valid_after_utc),
        },
    }


def note_server_name(connection: ssl.SSLObject | ssl.SSLSocket, server_name: str) -> None:
    _SERVER_NAMES[connection] = server_name


def note_client_hello(connection: ssl.SSLObject | ssl.SSLSocket, hello: fingerprints.ClientHello) -> None:
    _FINGERPRINTS[connection] = (fingerprints.ja3(hello), fingerprints.ja4(hello))


def tls_scope(transport: Any) -> dict[str, Any] | None:
    """The ``extensions["tls"]`` entry for a connection; None for plain HTTP."""
    get = getattr(transport, "get_extra_info", None)
    connection = get("ssl_object") if get is not None else None
    if not isinstance(connection, ssl.SSLObject | ssl.SSLSocket):
        return None
    der = connection.getpeercert(binary_form=True)
    identity = client_cert_identity(der) if der else None
    prints = _FINGERPRINTS.get(connection)
    return {
        "server_cert": None,
        "client_cert_chain": [identity["clientCertPem"]] if identity else [],
        "client_cert_name": identity["subjectDN"] if identity else None,
        "client_cert_error": None,
        "tls_version": _VERSIONS.get(connection.version() or ""),
        "cipher_suite": None,
        "server_name": _SERVER_NAMES.get(connection),
        "client_cert": identity,
        "ja3_fingerprint": prints[0] if prints else None,
        "ja4_fingerprint": prints[1] if prints else None,
    }
