"""Bounds on what a request can make the server hold: body sizes, and a brake on failed authentication.

Body sizes (AWS documents them per service and per operation, not as one rule): a request may carry at most its
operation's ``body_limit`` (its row in ``services/<svc>/operations.py``), else its service's entry below, else
``DEFAULT_BODY_LIMIT``. A request that has not shown a credential the server knows may carry at most
``Config.unauthenticated_body_limit`` bytes, so an unsigned client cannot make the server buffer a Lambda-sized
body. Every figure is the largest request the
operation's documented quotas allow, with room for the encoding (base64 blobs: 4/3; JSON strings escaped
``\\uXXXX``: up to 6 bytes a character; form encoding: up to 3 bytes a byte).

Authentication failures are counted per source address with a token bucket: ``auth_failure_burst`` failures
in a row are answered normally, then at most ``auth_failure_rate`` a second; beyond that every request from
the address is refused with the service's throttling error *before* its signature is checked, until the bucket
refills. Successful requests do not refill it faster.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from strongroom.core.errors import AwsError
from strongroom.core.operations import Operation

KIB = 1024
MIB = 1024 * KIB

DEFAULT_BODY_LIMIT = 1 * MIB

# service -> largest body any of its operations takes (a request whose operation is not known yet gets this).
SERVICE_BODY_LIMITS: dict[str, int] = {
    # key policies 32 KB (JSON-escaped: 192 KB), plaintexts 4 KB, ciphertexts 6 KB, imported material 6 KB
    "kms": 512 * KIB,
    # SecretString / SecretBinary at most 65,536 bytes (escaped or base64), resource policies 20 KB
    "secretsmanager": 512 * KIB,
    # advanced parameter values 8 KB, standard 4 KB, policies 4 KB
    "ssm": 256 * KIB,
    # ImportCertificate: certificate 32 KB, private key 5 KB, chain 2 MB (base64: 2.7 MB)
    "acm": 4 * MIB,
    # ImportCertificateAuthorityCertificate: certificate 32 KB, chain 2 MB (base64: 2.7 MB)
    "acm-pca": 4 * MIB,
    # managed policies 6,144 characters, role trust policies up to 131,072 (form-encoded), SAML metadata 10 MB
    "iam": 32 * MIB,
    # synchronous Invoke payloads 6 MB; deployment packages below
    "lambda": 70_167_211,
    # ImportRestApi / PutRestApi: OpenAPI definitions up to 6 MB (the raw body); every other call a small document
    "apigateway": 6 * MIB,
    # XML documents (DeleteObjects of 1,000 keys, lifecycle rules, policies of 20 KB); object bodies stream
    # (PutObject and UploadPart say their own limit in their rows, and are never held in memory)
    "s3": 16 * MIB,
    # PutLogEvents: 1,048,576 bytes of messages (26 bytes counted per event), JSON-escaped and framed
    "logs": 8 * MIB,
}

# Operations without a row (not implemented) whose documented quota differs from their service's: a 50 MB .zip,
# base64-encoded, inside the JSON request. (Rows say their own: ``Operation.body_limit``.)
_NO_ROW_BODY_LIMITS: dict[tuple[str, str], int] = {("lambda", "PublishLayerVersion"): 70_167_211}
# Lambda operations that do not say take small JSON documents.
_LAMBDA_DEFAULT = DEFAULT_BODY_LIMIT

# The front-end error for an oversized request, and the name AWS's message uses for the operation.
_TOO_LARGE = {("lambda", "Invoke"): ("RequestTooLargeException", "InvokeFunction")}

# The throttling error each protocol's services answer; per-service where the model names its own.
_THROTTLING_BY_PROTOCOL = {
    "query": ("Throttling", 400),
    "json": ("ThrottlingException", 400),
    "rest-json": ("ThrottlingException", 400),
    "smithy-rpc-v2-cbor": ("ThrottlingException", 400),
    "rest-xml": ("SlowDown", 503),
}
_THROTTLING_BY_SERVICE = {"lambda": ("TooManyRequestsException", 429)}


def body_limit(service: str | None, operation: str | None = None, spec: Operation | None = None) -> int:
    """The largest body ``operation`` of ``service`` accepts: its row's (``spec``) ``body_limit`` when it says, else
    the service's (the service's largest when the operation is None)."""
    if service is None:
        return DEFAULT_BODY_LIMIT
    if spec is not None and spec.body_limit is not None:
        return spec.body_limit
    if operation is not None:
        found = _NO_ROW_BODY_LIMITS.get((service, operation)) if spec is None else None
        if found is not None:
            return found
        if service == "lambda":
            return _LAMBDA_DEFAULT
    return SERVICE_BODY_LIMITS.get(service, DEFAULT_BODY_LIMIT)


def largest_body_limit() -> int:
    """The largest body any request may carry (a service's entry bounds its operations' ``body_limit``)."""
    return max(DEFAULT_BODY_LIMIT, *SERVICE_BODY_LIMITS.values(), *_NO_ROW_BODY_LIMITS.values())


def too_large(limit: int, service: str | None, operation: str | None) -> AwsError:
    """HTTP 413 as AWS's front ends answer it: ``Request must be smaller than N bytes for the X operation.``"""
    if service == "s3":  # S3 answers oversized uploads as a 400 of its own
        return AwsError(
            "Your proposed upload exceeds the maximum allowed size",
            code="EntityTooLarge",
            status=400,
            MaxSizeAllowed=str(limit),
        )
    code, name = _TOO_LARGE.get((service or "", operation or ""), ("RequestEntityTooLargeException", operation))
    where = f" for the {name} operation" if name else ""
    return AwsError(f"Request must be smaller than {limit} bytes{where}.", code=code, status=413)


def throttled(service: str | None, protocol: str) -> AwsError:
    code, status = _THROTTLING_BY_SERVICE.get(service or "", _THROTTLING_BY_PROTOCOL.get(protocol, ("Throttling", 400)))
    return AwsError("Rate exceeded", code=code, status=status)


class AuthFailureLimiter:
    """Token buckets of authentication failures, one per source address (bounded: least recent evicted)."""

    def __init__(self, burst: int, rate: float, max_sources: int = 100_000) -> None:
        self.burst = max(1, burst)
        self.rate = max(0.0, rate)
        self.max_sources = max_sources
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # source -> (tokens, at)
        self._lock = threading.Lock()

    def _tokens(self, source: str, now: float) -> float:
        found = self._buckets.get(source)
        if found is None:
            return float(self.burst)
        tokens, at = found
        return min(float(self.burst), tokens + (now - at) * self.rate)

    def blocked(self, source: str) -> bool:
        """Whether requests from ``source`` are refused unchecked now (its failures used up the bucket)."""
        if source not in self._buckets:  # the common case, without the lock
            return False
        with self._lock:
            return self._tokens(source, time.monotonic()) < 1.0

    def failure(self, source: str) -> None:
        now = time.monotonic()
        with self._lock:
            tokens = self._tokens(source, now) - 1.0
            self._buckets[source] = (max(tokens, 0.0), now)
            self._buckets.move_to_end(source)
            while len(self._buckets) > self.max_sources:
                self._buckets.popitem(last=False)
