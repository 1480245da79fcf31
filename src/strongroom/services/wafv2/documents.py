"""Stored entity documents: JSON, with blobs kept.

Requests arrive decoded (a ``ByteMatchStatement``'s ``SearchString`` is bytes), which JSON cannot hold; a blob is
stored as ``{"$blob": "<base64>"}`` and read back as bytes, so GetWebACL / GetRuleGroup answer the same blob and the
engine gets the bytes boto3 sent.
"""

from __future__ import annotations

import base64
import json
from typing import Any

_MARK = "$blob"


def _default(value: object) -> object:
    if isinstance(value, bytes | bytearray | memoryview):
        return {_MARK: base64.b64encode(bytes(value)).decode("ascii")}
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _hook(obj: dict[str, Any]) -> object:
    if len(obj) == 1 and _MARK in obj and isinstance(obj[_MARK], str):
        return base64.b64decode(obj[_MARK])
    return obj


def dumps(document: object) -> str:
    return json.dumps(document, default=_default)


def loads(text: str) -> Any:
    return json.loads(text, object_hook=_hook)
