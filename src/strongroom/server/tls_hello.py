"""The client's JA3/JA4 fingerprints, read from its ClientHello with OpenSSL's own accessors through ``ctypes``.

**Where.** OpenSSL keeps the parsed ClientHello (``s->clienthello``) until the end of
``tls_early_post_process_client_hello``, so ``SSL_client_hello_get1_extensions_present`` still answers in the SNI
callback — but by then the extension parsers and the cipher list cache have consumed the ``PACKET``s: there
``SSL_client_hello_get0_ciphers`` gives 0 bytes and ``SSL_client_hello_get0_ext`` empty bodies (tried on OpenSSL
3.0). So the fields are read in the **client hello callback** (``SSL_CTX_set_client_hello_cb``), which OpenSSL runs
before any of that processing, registered on the listening context through ``ctypes``. It notes the fields under the
connection's ``SSL*``; the SNI callback (which has the Python connection) takes them over
(``take``), and ``tls_facts`` computes the fingerprints once per connection.

**Layout check, fail closed.** The listener's ``SSL_CTX*`` is read from the ``_ssl._SSLContext`` object (the field
after ``PyObject_HEAD``) and used only if a throwaway connection made from that context (whose own ``SSL*`` passes
``tls_native``'s check) reports that very ``SSL_CTX*`` (``SSL_get_SSL_CTX``). When anything is unavailable no
fields are noted and both fingerprints are None: the WAF's ``FallbackBehavior`` then decides, never a guess.
"""

from __future__ import annotations

import ctypes
import logging
import ssl
import threading
from collections import OrderedDict
from typing import Any

from strongroom.server import tls_native
from strongroom.waf import fingerprints as fp

log = logging.getLogger(__name__)

SSL_CLIENT_HELLO_SUCCESS = 1
MAX_PENDING = 4096  # ClientHellos whose handshake never reached the SNI callback are forgotten past this many
_EXTENSIONS = (
    fp.EXT_SUPPORTED_GROUPS,
    fp.EXT_EC_POINT_FORMATS,
    fp.EXT_SIGNATURE_ALGORITHMS,
    fp.EXT_ALPN,
    fp.EXT_SUPPORTED_VERSIONS,
)
_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(ctypes.c_int), ctypes.c_void_p)


def _load() -> Any:
    lib = tls_native._LIB
    if lib is None:
        return None
    try:
        lib.SSL_client_hello_get0_legacy_version.argtypes = [ctypes.c_void_p]
        lib.SSL_client_hello_get0_legacy_version.restype = ctypes.c_uint
        lib.SSL_client_hello_get0_ciphers.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]
        lib.SSL_client_hello_get0_ciphers.restype = ctypes.c_size_t
        lib.SSL_client_hello_get1_extensions_present.argtypes = [
            ctypes.c_void_p,
            ctypes.POINTER(ctypes.POINTER(ctypes.c_int)),
            ctypes.POINTER(ctypes.c_size_t),
        ]
        lib.SSL_client_hello_get1_extensions_present.restype = ctypes.c_int
        lib.SSL_client_hello_get0_ext.argtypes = [
            ctypes.c_void_p,
            ctypes.c_uint,
            ctypes.POINTER(ctypes.c_void_p),
            ctypes.POINTER(ctypes.c_size_t),
        ]
        lib.SSL_client_hello_get0_ext.restype = ctypes.c_int
        lib.SSL_CTX_set_client_hello_cb.argtypes = [ctypes.c_void_p, _CALLBACK, ctypes.c_void_p]
        lib.SSL_CTX_set_client_hello_cb.restype = None
        lib.CRYPTO_free.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        lib.CRYPTO_free.restype = None
    except AttributeError:
        log.warning("this libssl has no client hello accessors: JA3/JA4 fingerprints are unavailable")
        return None
    return lib


_LIB = _load()
_PENDING: OrderedDict[int, fp.ClientHello] = OrderedDict()  # by SSL*, from the client hello callback to SNI's
_LOCK = threading.Lock()


def _ext(lib: Any, pointer: int, kind: int) -> bytes | None:
    data, size = ctypes.c_void_p(), ctypes.c_size_t()
    if not lib.SSL_client_hello_get0_ext(pointer, kind, ctypes.byref(data), ctypes.byref(size)):
        return None
    return ctypes.string_at(data, size.value) if size.value and data.value else b""


def read_client_hello(pointer: int) -> fp.ClientHello | None:
    """The ClientHello of the handshake in progress on ``pointer`` (an ``SSL*``), from the client hello callback."""
    lib = _LIB
    if lib is None:
        return None
    present, count = ctypes.POINTER(ctypes.c_int)(), ctypes.c_size_t()
    if not lib.SSL_client_hello_get1_extensions_present(pointer, ctypes.byref(present), ctypes.byref(count)):
        return None
    try:
        extensions = [int(present[i]) for i in range(count.value)]  # in the order the client sent them
    finally:
        lib.CRYPTO_free(ctypes.cast(present, ctypes.c_void_p), None, 0)
    raw = ctypes.c_void_p()
    n = lib.SSL_client_hello_get0_ciphers(pointer, ctypes.byref(raw))
    ciphers = fp.parse_ciphers(ctypes.string_at(raw, n)) if n and raw.value else []
    bodies = {kind: _ext(lib, pointer, kind) or b"" for kind in _EXTENSIONS}
    return fp.ClientHello(
        legacy_version=int(lib.SSL_client_hello_get0_legacy_version(pointer)),
        ciphers=ciphers,
        extensions=extensions,
        supported_groups=fp.parse_u16_vector(bodies[fp.EXT_SUPPORTED_GROUPS]),
        ec_point_formats=fp.parse_point_formats(bodies[fp.EXT_EC_POINT_FORMATS]),
        signature_algorithms=fp.parse_u16_vector(bodies[fp.EXT_SIGNATURE_ALGORITHMS]),
        alpn=fp.parse_alpn(bodies[fp.EXT_ALPN]),
        supported_versions=fp.parse_supported_versions(bodies[fp.EXT_SUPPORTED_VERSIONS]),
    )


def _on_client_hello(pointer: int | None, _alert: Any, _arg: Any) -> int:
    # Runs inside SSL_do_handshake (ctypes takes the GIL). It never refuses a handshake: a failure only means no
    # fingerprint for this connection.
    try:
        if pointer:
            hello = read_client_hello(pointer)
            if hello is not None:
                with _LOCK:
                    _PENDING[pointer] = hello  # a HelloRetryRequest's second ClientHello replaces the first
                    _PENDING.move_to_end(pointer)
                    while len(_PENDING) > MAX_PENDING:
                        _PENDING.popitem(last=False)
    except Exception:
        log.exception("cannot read the ClientHello")
    return SSL_CLIENT_HELLO_SUCCESS


_HOOK = _CALLBACK(_on_client_hello)  # held for the process's life: OpenSSL keeps the bare function pointer


def _context_pointer(context: ssl.SSLContext) -> int | None:
    """``context``'s ``SSL_CTX*``, checked against a connection made from it; None when the check fails."""
    if _LIB is None or type(context).__mro__[-2].__name__ != "_SSLContext":
        return None
    candidate = ctypes.c_void_p.from_address(id(context) + object.__basicsize__).value
    probe = context.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_side=True)
    connection = tls_native._ssl_pointer(probe)
    if not candidate or connection is None or _LIB.SSL_get_SSL_CTX(connection) != candidate:
        return None
    return int(candidate)


def install(context: ssl.SSLContext) -> bool:
    """Read every ClientHello ``context`` receives (before its SNI callback); False when this cannot be done here."""
    try:
        pointer = _context_pointer(context)
    except Exception:
        log.exception("cannot locate the listener's SSL_CTX")
        pointer = None
    if pointer is None or _LIB is None:
        log.warning("JA3/JA4 fingerprints are unavailable on this interpreter (FallbackBehavior applies)")
        return False
    _LIB.SSL_CTX_set_client_hello_cb(pointer, _HOOK, None)
    return True


def take(connection: ssl.SSLObject | ssl.SSLSocket) -> fp.ClientHello | None:
    """The ClientHello noted for ``connection``'s handshake (from its SNI callback), removed from the pending table."""
    pointer = tls_native._ssl_pointer(connection)
    if pointer is None:
        return None
    with _LOCK:
        return _PENDING.pop(pointer, None)
