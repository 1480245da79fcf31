"""The AWS ``rest-xml`` protocol (S3): members spread over the URI path, query string and headers as in
rest-json, with an XML body.

Where a member sits (``location``), and how URI, query and header values are spelled, is shared with rest-json:
both codecs read and write those members with ``located``, and this one has only the XML body and the error
document of its own. S3's own answers differ from rest-json's: value errors are ``InvalidArgument`` and bodies that
do not parse are ``MalformedXML`` (both HTTP 400), every response carries ``x-amz-request-id`` and
``x-amz-id-2``, and errors are a bare ``<Error>`` document without a namespace (botocore recognises S3 errors by
that root).

Request bodies are parsed with defusedxml with DTDs refused outright, so entity expansion (billion laughs) and
external entities never happen. Streaming payloads (``PutObject.Body``) are handed over as the request's body
stream, never read here.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
from collections.abc import Iterator
from datetime import datetime
from functools import lru_cache
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeElementTree
from botocore.model import OperationModel, ServiceModel, Shape
from defusedxml import DefusedXmlException

from strongroom.core.errors import AwsError, SerializationError
from strongroom.protocol.codecs import values
from strongroom.protocol.codecs.json import timestamp_format
from strongroom.protocol.codecs.located import (
    Dialect,
    decode_located,
    located_headers,
    request_plan,
    response_plan,
    response_status,
)
from strongroom.protocol.http import HttpRequest, HttpResponse

MALFORMED_XML = "MalformedXML"
MALFORMED_XML_MESSAGE = "The XML you provided was not well-formed or did not validate against our published schema"
INVALID_ARGUMENT = "InvalidArgument"
XML_CONTENT_TYPE = "application/xml"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'

_NO_BODY_STATUS = frozenset({204, 205, 304})
_INTEGER_TYPES = frozenset({"integer", "long", "short", "byte"})
# XML 1.0 cannot carry these code points even as character references; a parser would reject the document.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_XML_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
# Elements of the error document itself; fields of the same names must not repeat them.
_ERROR_RESERVED = frozenset({"Code", "Message", "RequestId", "HostId", "message"})
_STREAM_CHUNK = 64 * 1024

# The root element AWS names for S3 outputs that have no payload member. botocore's JSON model drops the
# Smithy ``xmlName`` of output shapes (and S3 does not always follow it: CreateSession, GetObjectAttributes,
# ListDirectoryBuckets); botocore ignores the root, but SDKs that check it (Rust, Java v1) need AWS's name.
# Anything not listed falls back to the shape name with "Output" replaced by "Result".
_ROOT_ELEMENTS = {
    "CompleteMultipartUpload": "CompleteMultipartUploadResult",
    "CreateMultipartUpload": "InitiateMultipartUploadResult",
    "CreateSession": "CreateSessionResult",
    "DeleteObjects": "DeleteResult",
    "GetBucketAccelerateConfiguration": "AccelerateConfiguration",
    "GetBucketAcl": "AccessControlPolicy",
    "GetBucketCors": "CORSConfiguration",
    "GetBucketLifecycle": "LifecycleConfiguration",
    "GetBucketLifecycleConfiguration": "LifecycleConfiguration",
    "GetBucketLogging": "BucketLoggingStatus",
    "GetBucketNotification": "NotificationConfiguration",
    "GetBucketNotificationConfiguration": "NotificationConfiguration",
    "GetBucketRequestPayment": "RequestPaymentConfiguration",
    "GetBucketTagging": "Tagging",
    "GetBucketVersioning": "VersioningConfiguration",
    "GetBucketWebsite": "WebsiteConfiguration",
    "GetObjectAcl": "AccessControlPolicy",
    "GetObjectAttributes": "GetObjectAttributesResponse",
    "GetObjectTagging": "Tagging",
    "ListBucketAnalyticsConfigurations": "ListBucketAnalyticsConfigurationResult",
    "ListBucketIntelligentTieringConfigurations": "ListBucketIntelligentTieringConfigurationsOutput",
    "ListBucketInventoryConfigurations": "ListInventoryConfigurationsResult",
    "ListBucketMetricsConfigurations": "ListMetricsConfigurationsResult",
    "ListBuckets": "ListAllMyBucketsResult",
    "ListDirectoryBuckets": "ListAllMyDirectoryBucketsResult",
    "ListMultipartUploads": "ListMultipartUploadsResult",
    "ListObjectVersions": "ListVersionsResult",
    "ListObjects": "ListBucketResult",
    "ListObjectsV2": "ListBucketResult",
    "ListParts": "ListPartsResult",
}
# Outputs the model cannot describe: the document is one element whose text is the member
# (``<LocationConstraint xmlns="...">eu-west-1</LocationConstraint>``); botocore reads it with a handler.
_ROOT_TEXT_MEMBER = {"GetBucketLocation": "LocationConstraint"}


def malformed_xml() -> AwsError:
    return AwsError(MALFORMED_XML_MESSAGE, code=MALFORMED_XML, status=400)


def invalid_argument(message: str) -> AwsError:
    return AwsError(message, code=INVALID_ARGUMENT, status=400)


def host_id(request_id: str) -> str:
    """The ``x-amz-id-2`` / ``HostId`` of a response: opaque base64, derived from the request id so a client's
    log lines for one request agree."""
    return base64.b64encode(hashlib.sha256(request_id.encode("utf-8")).digest()).decode("ascii")


def _escape(text: str) -> str:
    """XML text; ``\\r`` as a reference because parsers fold a bare CR into LF (S3 keys may hold one)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    return _XML_INVALID.sub("\ufffd", text)


def _escape_attribute(text: str) -> str:
    """An attribute value: quotes escaped, and whitespace as references because parsers normalise it to spaces."""
    return _escape(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def _local(tag: Any) -> str | None:
    """An element's name without its ``{namespace}`` (namespaces are ignored on input), None for comments."""
    if not isinstance(tag, str):
        return None
    return tag.rsplit("}", 1)[-1]


def _is_streaming(shape: Shape) -> bool:
    return bool(shape.serialization.get("streaming") or shape.metadata.get("streaming"))


def _namespace_attribute(serialization: dict[str, Any]) -> str:
    ns = serialization.get("xmlNamespace")
    if isinstance(ns, dict):
        prefix = ns.get("prefix")
        name = f"xmlns:{prefix}" if prefix else "xmlns"
        return f' {name}="{_escape_attribute(str(ns.get("uri", "")))}"'
    if isinstance(ns, str):
        return f' xmlns="{_escape_attribute(ns)}"'
    return ""


@lru_cache(maxsize=64)
def service_namespace(service: ServiceModel) -> str:
    """The default XML namespace of a service's responses. botocore keeps it only on request payload members
    (S3: ``http://s3.amazonaws.com/doc/2006-03-01/``), so it is read from there."""
    ns = service.metadata.get("xmlNamespace")
    if isinstance(ns, dict):
        ns = ns.get("uri")
    if ns:
        return str(ns)
    for name in service.operation_names:
        shape = service.operation_model(name).input_shape
        payload = shape.serialization.get("payload") if shape is not None else None
        if payload is not None:
            found = shape.members[payload].serialization.get("xmlNamespace")
            if isinstance(found, dict) and found.get("uri") and not found.get("prefix"):
                return str(found["uri"])
    return f"http://{service.endpoint_prefix}.amazonaws.com/doc/{service.api_version}/"


def _member_tag(name: str, member: Shape) -> str:
    """The element name botocore's parser looks a member up by (a flattened list: its items' name)."""
    if member.type_name == "list" and member.serialization.get("flattened"):
        item_name = member.member.serialization.get("name")
        if item_name:
            return str(item_name)
    return str(member.serialization.get("name", name))


def _format_timestamp(shape: Shape, value: Any) -> str:
    """Body timestamps as S3 writes them: ISO 8601 with milliseconds (``2026-12-06T10:00:00.000Z``)."""
    fmt = timestamp_format(shape, values.ISO8601).lower()
    dt = values.to_datetime(value)
    if fmt == values.ISO8601:
        return _iso_millis(dt)
    if fmt == values.RFC822:
        return values.http_date(dt)
    return str(values.format_timestamp(dt, fmt))


def _iso_millis(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


# --------------------------------------------------------------------------------------------------- decoding


class _XmlDecoder:
    """XML elements -> model values along the shapes. Elements the model does not name are ignored."""

    def structure(self, shape: Shape, element: Element, skip_located: bool = False) -> dict[str, Any]:
        children: dict[str, list[Element]] = {}
        for child in element:
            tag = _local(child.tag)
            if tag is not None:
                children.setdefault(tag, []).append(child)
        out: dict[str, Any] = {}
        for name, member in shape.members.items():
            serialization = member.serialization
            if skip_located and "location" in serialization:
                continue
            if serialization.get("xmlAttribute"):
                text = _attribute(element, str(serialization.get("name", name)))
                if text is not None:
                    out[name] = self.scalar(member, text)
                continue
            flattened = member.type_name in ("list", "map") and serialization.get("flattened")
            tags = [str(serialization.get("name", name))]
            if flattened and member.type_name == "list":
                tags.append(_member_tag(name, member))
            if len(tags) > 1 and tags[0] != tags[1]:
                found = [c for c in element if _local(c.tag) in tags]
            else:
                found = children.get(tags[0], [])
            if not found:
                continue
            if flattened and member.type_name == "list":
                out[name] = [self.value(member.member, item) for item in found]
            elif flattened:
                out[name] = self.entries(member, found)
            else:
                out[name] = self.value(member, found[0])
        for name in shape.required_members:
            # S3 validates a body against its schema: an element the model requires (a Tagging's TagSet, a Delete's
            # Objects, a Tag's Value) missing is MalformedXML, as AWS answers, not an empty value taken for it
            if name not in out and not (skip_located and "location" in shape.members[name].serialization):
                raise malformed_xml()
        return out

    def value(self, shape: Shape, element: Element) -> Any:
        kind = shape.type_name
        if kind == "structure":
            return self.structure(shape, element)
        if kind == "list":
            item: Shape = shape.member
            tag = str(item.serialization.get("name", "member"))
            return [self.value(item, child) for child in element if _local(child.tag) == tag]
        if kind == "map":
            return self.entries(shape, [child for child in element if _local(child.tag) == "entry"])
        return self.scalar(shape, element.text or "")

    def entries(self, shape: Shape, entries: list[Element]) -> dict[str, Any]:
        key_shape: Shape = shape.key
        value_shape: Shape = shape.value
        key_tag = str(key_shape.serialization.get("name", "key"))
        value_tag = str(value_shape.serialization.get("name", "value"))
        out: dict[str, Any] = {}
        for entry in entries:
            key = value = None
            for child in entry:
                tag = _local(child.tag)
                if tag == key_tag:
                    key = child.text or ""
                elif tag == value_tag:
                    value = child
            if key is not None and value is not None:
                out[key] = self.value(value_shape, value)
        return out

    def scalar(self, shape: Shape, text: str) -> Any:
        kind = shape.type_name
        try:
            if kind in ("string", "character"):
                return text
            if kind in _INTEGER_TYPES:
                return values.parse_int(text)
            if kind in ("float", "double"):
                return values.parse_float(text.strip())
            if kind == "boolean":
                return values.parse_bool(text)
            if kind == "timestamp":
                return values.parse_timestamp(text, timestamp_format(shape, values.ISO8601))
            if kind == "blob":
                return values.decode_blob(text)
        except ValueError:
            raise malformed_xml() from None
        return text


def _attribute(element: Element, name: str) -> str | None:
    """An attribute by its local name: ``xsi:type`` arrives as ``{http://www.w3.org/...}type``."""
    local = name.rsplit(":", 1)[-1]
    for key, text in element.attrib.items():
        if key.rsplit("}", 1)[-1].rsplit(":", 1)[-1] == local:
            return str(text)
    return None


def parse_xml(body: bytes) -> Element | None:
    """The document's root, None for an empty body. DTDs are refused: S3 documents never need one, and refusing
    them rules out entity expansion and external entities before expat sees any."""
    text = body.lstrip()
    if not text:
        return None
    try:
        root: Element = SafeElementTree.fromstring(text, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError, LookupError, UnicodeError, RecursionError):
        raise malformed_xml() from None
    return root


# --------------------------------------------------------------------------------------------------- encoding


class _XmlWriter:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def element(self, tag: str, shape: Shape, value: Any, extra: str = "") -> None:
        """``<tag>value</tag>``, or the repeated elements of a flattened list or map."""
        kind = shape.type_name
        if kind == "structure":
            self.structure(tag, shape, value, extra)
        elif kind == "list":
            self.list(tag, shape, value, extra)
        elif kind == "map":
            self.map(tag, shape, value, extra)
        else:
            text = _escape(self.scalar(shape, value))
            self.parts.append(f"<{tag}{extra}{_namespace_attribute(shape.serialization)}>{text}</{tag}>")

    def structure(self, tag: str, shape: Shape, value: dict[str, Any], extra: str = "") -> None:
        attributes = extra + _namespace_attribute(shape.serialization)
        for name, member in shape.members.items():
            if member.serialization.get("xmlAttribute") and value.get(name) is not None:
                attr = str(member.serialization.get("name", name))
                attributes += f' {attr}="{_escape_attribute(self.scalar(member, value[name]))}"'
        self.parts.append(f"<{tag}{attributes}>")
        self.members(shape, value)
        self.parts.append(f"</{tag}>")

    def members(self, shape: Shape, value: dict[str, Any], skip_located: bool = False) -> None:
        for name, member in shape.members.items():
            item = value.get(name)
            serialization = member.serialization
            if item is None or serialization.get("xmlAttribute"):
                continue
            if skip_located and "location" in serialization:
                continue
            self.element(_member_tag(name, member), member, item)

    def list(self, tag: str, shape: Shape, value: list[Any], extra: str = "") -> None:
        item_shape: Shape = shape.member
        items = [item for item in value if item is not None]
        if shape.serialization.get("flattened"):
            for item in items:
                self.element(tag, item_shape, item)
            return
        item_tag = str(item_shape.serialization.get("name", "member"))
        self.parts.append(f"<{tag}{extra}{_namespace_attribute(shape.serialization)}>")
        for item in items:
            self.element(item_tag, item_shape, item)
        self.parts.append(f"</{tag}>")

    def map(self, tag: str, shape: Shape, value: dict[str, Any], extra: str = "") -> None:
        key_shape: Shape = shape.key
        value_shape: Shape = shape.value
        key_tag = str(key_shape.serialization.get("name", "key"))
        value_tag = str(value_shape.serialization.get("name", "value"))
        flattened = bool(shape.serialization.get("flattened"))
        if not flattened:
            self.parts.append(f"<{tag}{extra}{_namespace_attribute(shape.serialization)}>")
        entry_tag = tag if flattened else "entry"
        for key, item in value.items():
            if item is None:
                continue
            self.parts.append(f"<{entry_tag}>")
            self.element(key_tag, key_shape, key)
            self.element(value_tag, value_shape, item)
            self.parts.append(f"</{entry_tag}>")
        if not flattened:
            self.parts.append(f"</{tag}>")

    @staticmethod
    def scalar(shape: Shape, value: Any) -> str:
        kind = shape.type_name
        if kind == "boolean":
            return "true" if value else "false"
        if kind == "timestamp":
            return _format_timestamp(shape, value)
        if kind == "blob":
            return values.encode_blob(value)
        if kind in ("float", "double"):
            return values.text_float(value)
        if kind in _INTEGER_TYPES:
            return str(int(value))
        return str(value)

    def loose(self, tag: str, value: Any) -> None:
        """An error field with no model shape, written as best it can be."""
        if isinstance(value, dict):
            self.parts.append(f"<{tag}>")
            for key, item in value.items():
                if _XML_NAME.fullmatch(str(key)) and item is not None:
                    self.loose(str(key), item)
            self.parts.append(f"</{tag}>")
        elif isinstance(value, list | tuple):
            for item in value:
                self.loose(tag, item)
        elif isinstance(value, bool):
            self.parts.append(f"<{tag}>{'true' if value else 'false'}</{tag}>")
        elif isinstance(value, bytes | bytearray):
            self.parts.append(f"<{tag}>{values.encode_blob(value)}</{tag}>")
        elif isinstance(value, datetime):
            self.parts.append(f"<{tag}>{_iso_millis(values.to_datetime(value))}</{tag}>")
        elif value is not None:
            self.parts.append(f"<{tag}>{_escape(str(value))}</{tag}>")


def _stream_of(value: Any) -> Iterator[bytes]:
    """A streaming payload a provider returned: a file-like object is read in chunks, anything else iterated."""
    read = getattr(value, "read", None)
    if callable(read):
        return iter(lambda: bytes(read(_STREAM_CHUNK)), b"")
    return iter(value)


# --------------------------------------------------------------------------------------------------- the codec


# How S3 reads the members outside the body, where it differs from rest-json: newer SDKs add the operation's name
# (``x-id=GetObject``), which is never a member nor a query-map entry; ``GET /bucket/`` is ListObjects on ``bucket``;
# a metadata map no header fills is left out.
S3_DIALECT = Dialect(claimed=frozenset({"x-id"}), trailing_slash=True, empty_prefix_maps=False)


class RestXmlCodec:
    """rest-xml as S3 speaks it. URI, query and header members are ``located``'s, as rest-json's are."""

    def __init__(self) -> None:
        self._xml = _XmlDecoder()

    # ---- requests -------------------------------------------------------------------------------------

    def decode(self, operation: OperationModel, request: HttpRequest) -> dict[str, Any]:
        """The input dict. ``request.path`` must be the path-style path (``/bucket/key``), as the S3 router
        rewrites a virtual-hosted request's."""
        plan = request_plan(operation, S3_DIALECT)
        if plan is None:
            return {}
        try:
            out = decode_located(plan, request)
        except SerializationError as exc:  # rest-json's word for a value that does not convert; S3 says this
            raise invalid_argument(exc.message) from None
        out.update(self._decode_payload(operation.input_shape, plan.body_members, request))
        return out

    def _decode_payload(self, shape: Shape, body_members: bool, request: HttpRequest) -> dict[str, Any]:
        payload = shape.serialization.get("payload")
        if payload is None:
            if not body_members:
                return {}
            root = parse_xml(request.body)
            return {} if root is None else self._xml_structure(shape, root, skip_located=True)
        member: Shape = shape.members[payload]
        if member.type_name in ("blob", "string"):
            if _is_streaming(member):
                # the provider reads it as it arrives; an empty stream when nothing was sent
                stream = request.stream
                return {payload: stream if stream is not None else io.BytesIO(request.body)}
            if not request.body:
                return {}
            if member.type_name == "blob":
                return {payload: bytes(request.body)}
            try:
                return {payload: request.body.decode("utf-8")}
            except UnicodeDecodeError:
                raise invalid_argument(f"The {payload} document is not valid UTF-8") from None
        root = parse_xml(request.body)
        return {} if root is None else {payload: self._xml_structure(member, root)}

    def _xml_structure(self, shape: Shape, root: Element, skip_located: bool = False) -> dict[str, Any]:
        """The root element is the payload itself; its name is not checked (botocore does not either)."""
        try:
            return self._xml.structure(shape, root, skip_located)
        except RecursionError:
            raise malformed_xml() from None

    # ---- responses ------------------------------------------------------------------------------------

    def encode(self, operation: OperationModel, output: dict[str, Any], request_id: str) -> HttpResponse:
        """The response; a streaming payload given as an iterator (or file-like object) goes to
        ``response.stream``, whose ``Content-Length`` is the output's own ``ContentLength`` member."""
        shape = operation.output_shape
        output = output or {}
        # A provider answering a status the model cannot say (206 for a range) sets "__status__".
        override = output.pop("__status__", None) if "__status__" in output else None
        status = int(override or operation.http.get("responseCode", 200))
        response = HttpResponse(status, _id_headers(request_id))
        plan = response_plan(operation)
        if plan is None:
            return response
        response.status = status if override else response_status(plan, output, status)
        response.headers.extend(located_headers(plan, output))
        xml: str | None = None
        payload = shape.serialization.get("payload")
        if payload is not None:
            member: Shape = shape.members[payload]
            value = output.get(payload)
            if member.type_name in ("blob", "string"):
                _raw_payload(response, value)
            elif value is not None:
                root = str(member.serialization.get("name") or member.name)
                xml = self._document(root, member, value, operation.service_model)
        elif operation.name in _ROOT_TEXT_MEMBER:
            root = _ROOT_TEXT_MEMBER[operation.name]
            text = output.get(root)
            ns = _escape_attribute(service_namespace(operation.service_model))
            xml = f'<{root} xmlns="{ns}">{"" if text is None else _escape(str(text))}</{root}>'
        elif plan.body_members:
            root = str(shape.serialization.get("name") or _ROOT_ELEMENTS.get(operation.name) or _result_name(shape))
            xml = self._document(root, shape, output, operation.service_model, skip_located=True)
        if response.status in _NO_BODY_STATUS:
            response.body, response.stream = b"", None
        elif xml is not None:
            response.body = (XML_DECLARATION + xml).encode("utf-8")
            if response.header("Content-Type") is None:
                response.headers.append(("Content-Type", XML_CONTENT_TYPE))
        return response

    @staticmethod
    def _document(
        root: str, shape: Shape, value: dict[str, Any], service: ServiceModel, skip_located: bool = False
    ) -> str:
        writer = _XmlWriter()
        own = _namespace_attribute(shape.serialization)
        default = "" if ' xmlns="' in own else f' xmlns="{_escape_attribute(service_namespace(service))}"'
        if skip_located:  # the output shape itself: its header members are not elements
            writer.parts.append(f"<{root}{default}{own}>")
            writer.members(shape, value, skip_located=True)
            writer.parts.append(f"</{root}>")
        else:
            writer.structure(root, shape, value, default)
        return "".join(writer.parts)

    def encode_error(
        self,
        service: ServiceModel,
        operation: OperationModel | None,
        err: AwsError,
        request_id: str,
        *,
        head: bool = False,
    ) -> HttpResponse:
        """S3's ``<Error>`` document; the error's fields (``BucketName``, ``Key``, ...) follow ``Message`` in
        their order. A HEAD request's error (``head``, or an operation that is a HEAD) has no body, as S3's."""
        headers = _id_headers(request_id)
        # Some S3 errors carry headers too (a delete marker's 404: x-amz-delete-marker, x-amz-version-id).
        extra_headers = getattr(err, "headers", None)
        if isinstance(extra_headers, dict):
            headers.extend((str(k), str(v)) for k, v in extra_headers.items())
        if head or err.status in _NO_BODY_STATUS or (operation is not None and operation.http.get("method") == "HEAD"):
            return HttpResponse(err.status, headers)
        writer = _XmlWriter()
        writer.parts.append(f"{XML_DECLARATION}<Error><Code>{_escape(err.code)}</Code>")
        writer.parts.append(f"<Message>{_escape(err.message)}</Message>")
        extra = getattr(err, "extra", None)
        fields = {**(extra if isinstance(extra, dict) else {}), **err.fields}
        for name, value in fields.items():
            if value is not None and name not in _ERROR_RESERVED and _XML_NAME.fullmatch(name):
                writer.loose(name, value)
        writer.parts.append(f"<RequestId>{_escape(request_id)}</RequestId><HostId>{host_id(request_id)}</HostId>")
        writer.parts.append("</Error>")
        headers.append(("Content-Type", XML_CONTENT_TYPE))
        return HttpResponse(err.status, headers, "".join(writer.parts).encode("utf-8"))


def _result_name(shape: Shape) -> str:
    name = str(shape.name)
    return name[: -len("Output")] + "Result" if name.endswith("Output") else name


def _id_headers(request_id: str) -> list[tuple[str, str]]:
    return [("x-amz-request-id", request_id), ("x-amz-id-2", host_id(request_id))]


def _raw_payload(response: HttpResponse, value: Any) -> None:
    """A blob or string payload: bytes in the body, anything streamed in ``response.stream``."""
    if value is None:
        return
    if isinstance(value, bytes | bytearray | memoryview):
        response.body = bytes(value)
    elif isinstance(value, str):
        response.body = value.encode("utf-8")
    else:
        response.stream = _stream_of(value)
