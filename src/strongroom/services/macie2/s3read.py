"""Reading S3 as Macie does: in the bucket owner's account on Macie's own behalf (``core.context.service_context``,
standing for the service-linked role ``AWSServiceRoleForAmazonMacie``), through S3's own operations in-process —
so SSE-KMS objects are decrypted through KMS with the key policy deciding, as on AWS, and a denial is the object's
classification error rather than the caller's.

Objects stream into a spooled temporary file (in memory up to ``SPOOL_BYTES``, on disk beyond): the engine needs
random access for zip, XLSX and Parquet, and the job's memory stays flat whatever the object's size.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING, Any, BinaryIO, cast

from strongroom.core import context

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext, ServiceRuntime

SERVICE = "macie2"
SPOOL_BYTES = 8 * 1024 * 1024
SPOOL_READ = 1 << 16


def as_service(runtime: ServiceRuntime, account_id: str, region: str, operation: str) -> RequestContext:
    return context.service_context(runtime, SERVICE, operation, region, account_id)


def call(ctx: RequestContext, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    return ctx.call("s3", operation, params, via=SERVICE)


def body_bytes(body: Any, limit: int) -> bytes:
    """A GetObject body (bytes or an iterator of pieces) read whole, up to ``limit`` bytes (ValueError beyond)."""
    if isinstance(body, bytes | bytearray):
        if len(body) > limit:
            raise ValueError("oversize")
        return bytes(body)
    out = bytearray()
    for piece in body or ():
        out += piece
        if len(out) > limit:
            raise ValueError("oversize")
    return bytes(out)


def spool(body: Any) -> BinaryIO:
    """A GetObject body in a rewound spooled temporary file; the caller closes it."""
    out: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - handed to the caller
    pieces: Iterable[bytes] = (bytes(body),) if isinstance(body, bytes | bytearray) else (body or ())
    for piece in pieces:
        out.write(piece)
    out.seek(0)
    # Buffered for the engine's reads (it peeks at the head to sniff the format); sizeClassified is the object's
    # size, whatever the stream.
    return cast(BinaryIO, io.BufferedReader(cast(Any, out), SPOOL_READ))
