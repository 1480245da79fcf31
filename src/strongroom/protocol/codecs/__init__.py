"""One codec per AWS protocol: decode a request into the operation's input dict, encode output and errors.

Values inside dicts use the model's member names; timestamps are timezone-aware ``datetime`` (encoders
also accept epoch numbers), blobs are ``bytes``. Streaming/event-stream members are out of scope.
"""

from __future__ import annotations

from typing import Any, Protocol

from botocore.model import OperationModel, ServiceModel

from strongroom.core.errors import AwsError
from strongroom.protocol.http import HttpRequest, HttpResponse


class Codec(Protocol):
    def decode(self, operation: OperationModel, request: HttpRequest) -> dict[str, Any]:
        """Parse the request into the input dict. Malformed bodies raise an ``AwsError``."""
        ...

    def encode(self, operation: OperationModel, output: dict[str, Any], request_id: str) -> HttpResponse: ...

    def encode_error(
        self, service: ServiceModel, operation: OperationModel | None, err: AwsError, request_id: str
    ) -> HttpResponse: ...


def codec_for(protocol: str) -> Codec:
    """The codec for a botocore protocol name (``json``, ``rest-json``, ``query``, ``smithy-rpc-v2-cbor``)."""
    return _CODECS[protocol]


# The codec modules import Codec's neighbours from here, so they are imported after it is defined. A codec holds no
# per-request state: one of each serves every request.
from strongroom.protocol.codecs import cbor, json, query, restjson, restxml  # noqa: E402

_CODECS: dict[str, Codec] = {
    "json": json.JsonCodec(),
    "rest-json": restjson.RestJsonCodec(),
    "query": query.QueryCodec(),
    "smithy-rpc-v2-cbor": cbor.CborCodec(),
    "rest-xml": restxml.RestXmlCodec(),
}
