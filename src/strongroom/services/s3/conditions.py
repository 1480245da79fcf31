"""HTTP preconditions and ranges as S3 applies them (RFC 9110 with S3's documented combinations).

S3's rules: ``If-Match`` true and ``If-Unmodified-Since`` false → 200 (If-Match wins); ``If-None-Match`` false
and ``If-Modified-Since`` true → 304 (If-None-Match wins). A failed If-Match / If-Unmodified-Since answers 412
PreconditionFailed; a failed If-None-Match / If-Modified-Since on a read answers 304 Not Modified.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from strongroom.services.s3.errors import error

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _etag_matches(header: str, etag: str) -> bool:
    bare = etag.strip('"')
    for item in header.split(","):
        item = item.strip()
        if item == "*" or item.strip('"') == bare:
            return True
    return False


def _not_modified(headers: dict[str, str]) -> Exception:
    exc = error("NotModified", "Not Modified")
    exc.headers = headers  # type: ignore[attr-defined]
    return exc


def check_read(params: dict[str, Any], etag: str, last_modified: datetime, prefix: str = "") -> None:
    """Raise PreconditionFailed (412) or NotModified (304) for a read (``prefix`` "CopySource" for copies)."""
    if_match = params.get(f"{prefix}IfMatch")
    if_none = params.get(f"{prefix}IfNoneMatch")
    if_modified = params.get(f"{prefix}IfModifiedSince")
    if_unmodified = params.get(f"{prefix}IfUnmodifiedSince")
    failed = "x-amz-copy-source-If-Match" if prefix else "If-Match"
    if if_match is not None:
        if not _etag_matches(str(if_match), etag):
            raise error(
                "PreconditionFailed", "At least one of the pre-conditions you specified did not hold", Condition=failed
            )
    elif isinstance(if_unmodified, datetime) and last_modified > if_unmodified:
        raise error(
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
            Condition="x-amz-copy-source-If-Unmodified-Since" if prefix else "If-Unmodified-Since",
        )
    if if_none is not None:
        if _etag_matches(str(if_none), etag):
            if prefix:
                raise error(
                    "PreconditionFailed",
                    "At least one of the pre-conditions you specified did not hold",
                    Condition="x-amz-copy-source-If-None-Match",
                )
            raise _not_modified({"ETag": etag})
    elif isinstance(if_modified, datetime) and last_modified <= if_modified:
        if prefix:
            raise error(
                "PreconditionFailed",
                "At least one of the pre-conditions you specified did not hold",
                Condition="x-amz-copy-source-If-Modified-Since",
            )
        raise _not_modified({"ETag": etag})


def check_write(params: dict[str, Any], current_etag: str | None) -> None:
    """Conditional writes (PutObject, CompleteMultipartUpload, CopyObject): ``If-None-Match: *`` refuses to
    overwrite; ``If-Match`` requires the current ETag (and an object: NoSuchKey otherwise)."""
    if_none = params.get("IfNoneMatch")
    if_match = params.get("IfMatch")
    if if_none is not None:
        if str(if_none).strip() != "*":
            raise error(
                "NotImplemented",
                "A header you provided implies functionality that is not implemented",
                Header="If-None-Match",
            )
        if current_etag is not None:
            raise error(
                "PreconditionFailed",
                "At least one of the pre-conditions you specified did not hold",
                Condition="If-None-Match",
            )
    if if_match is not None:
        if current_etag is None:
            raise error("NoSuchKey", "The specified key does not exist.")
        if not _etag_matches(str(if_match), current_etag):
            raise error(
                "PreconditionFailed",
                "At least one of the pre-conditions you specified did not hold",
                Condition="If-Match",
            )


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``Range: bytes=a-b`` → [start, end) within the object; None for the whole object.

    As S3: a syntactically invalid or multi-range header is ignored (the whole object); a range starting at or
    past the end is InvalidRange (416), except on an empty object where S3 answers the (empty) object.
    """
    if header is None:
        return None
    m = _RANGE.match(header.strip())
    if m is None:
        return None
    first, last = m.group(1), m.group(2)
    if first == "" and last == "":
        return None
    if first == "":
        suffix = int(last)
        if suffix == 0:
            raise _invalid_range(header, size)
        return max(0, size - suffix), size
    start = int(first)
    end = size if last == "" else min(int(last) + 1, size)
    if last != "" and int(last) < start:
        return None
    if start >= size:
        if size == 0:
            return None
        raise _invalid_range(header, size)
    return start, end


def _invalid_range(header: str, size: int) -> Exception:
    return error(
        "InvalidRange", "The requested range is not satisfiable", RangeRequested=header, ActualObjectSize=str(size)
    )
