"""Two OpenSSL calls Python's ``ssl`` does not expose, made on the connection's own ``SSL*`` during SNI selection.

Switching ``SSLObject.context`` in an ``sni_callback`` is OpenSSL's ``SSL_set_SSL_CTX``: it swaps the certificate,
key, chain, security level, cipher list and trust store, but not what ``SSL_new`` already copied into the
connection: the verify mode and the protocol version, which OpenSSL negotiates before the callback runs. nginx
calls ``SSL_set_verify`` in its SNI callback for the same reason. So, through ``ctypes`` on the very ``libssl``
Python's ``_ssl`` module is linked against:

- ``require_client_certificate``: ``SSL_set_verify(PEER | FAIL_IF_NO_PEER_CERT)`` for a mutual TLS domain, so its
  CertificateRequest goes out and a client without a certificate fails the handshake;
- ``disable_session_cache``: ``SSL_CTX_set_session_cache_mode(OFF)`` on the listening context (reached through a
  connection that still has it), so no TLS 1.2 session is resumed under another server name;
- ``negotiated_version``: ``SSL_version``, the version already chosen, so a TLS_1_2 domain can refuse TLS 1.0
  with a ``protocol_version`` alert (its cipher list alone would refuse it too, with ``handshake_failure``).

The ``SSL*`` is the field after ``PyObject_HEAD`` and the ``Socket`` weakref in CPython's ``PySSLSocket``. That
layout is CPython's, not an API, so every use checks it first: Python stores the ``_ssl._SSLSocket`` as the
``SSL``'s app data (``SSL_set_app_data``), and the pointer is used only if ``SSL_get_ex_data(ssl, 0)`` gives that
very object back. When the check fails (another interpreter, another layout) ``available`` is False and callers
fail closed: a mutual TLS domain then refuses every handshake rather than serving without client authentication.
"""

from __future__ import annotations

import ctypes
import logging
import ssl
from typing import Any

log = logging.getLogger(__name__)

SSL_VERIFY_PEER = 0x01
SSL_VERIFY_FAIL_IF_NO_PEER_CERT = 0x02
SSL_CTRL_SET_SESS_CACHE_MODE = 44  # SSL_CTX_set_session_cache_mode() is this macro
SSL_SESS_CACHE_OFF = 0
_POINTER = ctypes.sizeof(ctypes.c_void_p)
_SSL_OFFSET = object.__basicsize__ + _POINTER  # PyObject_HEAD, then PyObject *Socket, then SSL *ssl


def _load() -> Any:
    try:
        lib = ctypes.CDLL(ssl._ssl.__file__)  # type: ignore[attr-defined]  # dlsym also searches its libssl
        lib.SSL_set_verify.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
        lib.SSL_set_verify.restype = None
        lib.SSL_get_ex_data.argtypes = [ctypes.c_void_p, ctypes.c_int]
        lib.SSL_get_ex_data.restype = ctypes.c_void_p
        lib.SSL_version.argtypes = [ctypes.c_void_p]
        lib.SSL_version.restype = ctypes.c_int
        lib.SSL_get_SSL_CTX.argtypes = [ctypes.c_void_p]
        lib.SSL_get_SSL_CTX.restype = ctypes.c_void_p
        lib.SSL_CTX_ctrl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_long, ctypes.c_void_p]
        lib.SSL_CTX_ctrl.restype = ctypes.c_long
    except (OSError, AttributeError):
        log.warning("libssl is not reachable through ctypes: mutual TLS domains will refuse handshakes")
        return None
    return lib


_LIB = _load()


def _ssl_pointer(connection: ssl.SSLObject | ssl.SSLSocket) -> int | None:
    """The connection's ``SSL*``, or None when the layout check fails."""
    if _LIB is None:
        return None
    inner = getattr(connection, "_sslobj", None)
    if inner is None or type(inner).__name__ != "_SSLSocket":
        return None
    pointer = ctypes.c_void_p.from_address(id(inner) + _SSL_OFFSET).value
    if not pointer or _LIB.SSL_get_ex_data(pointer, 0) != id(inner):
        return None
    return int(pointer)


def available(connection: ssl.SSLObject | ssl.SSLSocket) -> bool:
    return _ssl_pointer(connection) is not None


def require_client_certificate(connection: ssl.SSLObject | ssl.SSLSocket) -> bool:
    """Make this handshake request a client certificate and fail without one; False when that cannot be done."""
    pointer = _ssl_pointer(connection)
    if pointer is None:
        return False
    _LIB.SSL_set_verify(pointer, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, None)
    return True


def negotiated_version(connection: ssl.SSLObject | ssl.SSLSocket) -> int | None:
    """The protocol version OpenSSL chose (0x0301 TLS 1.0 ... 0x0304 TLS 1.3), or None when it cannot be read."""
    pointer = _ssl_pointer(connection)
    return None if pointer is None else int(_LIB.SSL_version(pointer))


def disable_session_cache(connection: ssl.SSLObject | ssl.SSLSocket) -> bool:
    """Turn off the server session cache of the context ``connection`` was created from (call before switching)."""
    pointer = _ssl_pointer(connection)
    if pointer is None:
        return False
    _LIB.SSL_CTX_ctrl(_LIB.SSL_get_SSL_CTX(pointer), SSL_CTRL_SET_SESS_CACHE_MODE, SSL_SESS_CACHE_OFF, None)
    return True
