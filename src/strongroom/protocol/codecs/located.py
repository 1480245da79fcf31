"""The members the rest protocols carry outside the body: URI labels, query string, headers, header-prefix maps
and the response status. rest-json and rest-xml (S3) place and spell them alike, so both codecs read and write
them here and keep only their bodies and error documents to themselves.

Which member sits where is fixed by the model, so it is worked out once per operation (a ``RequestPlan``, a
``ResponsePlan``) rather than on every request: S3 GetObject has ~25 located input members and ~45 output header
members, and walking ``shape.members`` with its ``serialization`` lookups was most of the codecs' time. A request
is then read location by location (no query string: the query members are not visited at all), so when several of
its values are malformed the one reported is the first met in URI, query, header order.

Spelling follows botocore and Smithy: URI and query timestamps iso8601, header timestamps rfc822 (http-date),
header lists comma-separated with quoted items, ``jsonvalue`` headers base64-encoded JSON. A value that does not
convert is a ``SerializationException``; S3's codec answers it as its own ``InvalidArgument``.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any, NamedTuple
from urllib.parse import unquote

import orjson
from botocore.model import OperationModel, Shape

from strongroom.protocol.catalog import UriTemplate, compile_uri
from strongroom.protocol.codecs import values
from strongroom.protocol.codecs.json import serialization_error, timestamp_format
from strongroom.protocol.http import HttpRequest

# ---------------------------------------------------------------------------------------------------- the plans


@dataclass(frozen=True, slots=True, eq=False)
class Dialect:
    """Where the rest protocols differ in reading a request's located members. One instance per codec: compared
    and hashed by identity, so it is a cheap part of the plan cache's key."""

    # query keys that are never members nor entries of a query map, besides the requestUri's own literals
    claimed: frozenset[str] = frozenset()
    # a non-greedy URI also matches with one trailing slash (S3: ``GET /bucket/`` is ListObjects on ``bucket``)
    trailing_slash: bool = False
    # a header-prefix map member is decoded as ``{}`` when no header carries its prefix (rest-json does; S3 leaves
    # the member out)
    empty_prefix_maps: bool = True


REST_JSON = Dialect()


class Located(NamedTuple):
    """One member outside the body. A tuple, so the per-request loops unpack it without attribute lookups."""

    name: str  # the member's name in the input/output dict
    key: str  # on the wire: the URI label, query key, header name or header prefix (lower-cased on requests)
    shape: Shape  # the member's shape; for a header-prefix map on a response, the map's value shape


class Label(NamedTuple):
    group: int  # the label's group in the template's regex
    name: str
    shape: Shape


class Header(NamedTuple):
    """A response header member, or (``prefix``) a map whose entries are headers named ``key + entry key``."""

    name: str
    key: str
    shape: Shape  # for a header-prefix map, the map's value shape
    prefix: bool
    text: Callable[[Any], str]  # ``header_text`` bound to ``shape``; plain ``str`` for plain strings


@dataclass(frozen=True, slots=True)
class RequestPlan:
    template: UriTemplate
    dialect: Dialect
    labels: tuple[Label, ...]
    query: tuple[Located, ...]  # scalar and list query members
    query_map: Located | None  # the member taking every unclaimed query key (Smithy allows one)
    headers: tuple[Located, ...]
    prefix_headers: tuple[Located, ...]
    claimed: frozenset[str]  # query keys a query map never takes
    body_members: bool  # whether any member is carried in the body


@dataclass(frozen=True, slots=True)
class ResponsePlan:
    headers: tuple[Header, ...]  # in model order, which is the order they are written in
    positions: dict[str, int]  # member name -> its index in ``headers``
    status: tuple[str, ...]  # the statusCode member(s)
    body_members: bool


@lru_cache(maxsize=4096)
def request_plan(operation: OperationModel, dialect: Dialect) -> RequestPlan | None:
    """Where each input member of ``operation`` sits; None for an operation without input. Computed once per
    operation and dialect (``lru_cache`` is thread-safe; a plan is immutable, so a race only builds it twice)."""
    shape = operation.input_shape
    if shape is None:
        return None
    template = compile_uri(operation)
    # the last group wins for a label named twice, as a dict built over the groups would have it
    groups = {label: i + 1 for i, label in enumerate(template.labels)}
    labels: list[Label] = []
    query: list[Located] = []
    query_map: Located | None = None
    headers: list[Located] = []
    prefix_headers: list[Located] = []
    body_members = False
    for name, member in shape.members.items():
        serialization = member.serialization
        location = serialization.get("location")
        key = str(serialization.get("name", name))
        if location is None:
            body_members = True
        elif location == "uri":
            if key in groups:
                labels.append(Label(groups[key], name, member))
        elif location == "querystring":
            if member.type_name == "map":
                query_map = query_map or Located(name, key, member)
            else:
                query.append(Located(name, key, member))
        elif location == "header":
            headers.append(Located(name, key.lower(), member))
        elif location == "headers":
            prefix_headers.append(Located(name, key.lower(), member))
    claimed = frozenset(name for name, _ in template.required_query) | {m.key for m in query} | dialect.claimed
    return RequestPlan(
        template=template,
        dialect=dialect,
        labels=tuple(labels),
        query=tuple(query),
        query_map=query_map,
        headers=tuple(headers),
        prefix_headers=tuple(prefix_headers),
        claimed=claimed,
        body_members=body_members,
    )


@lru_cache(maxsize=4096)
def response_plan(operation: OperationModel) -> ResponsePlan | None:
    """The located members of ``operation``'s output; None for an operation without output."""
    shape = operation.output_shape
    return None if shape is None else shape_plan(shape)


def shape_plan(shape: Shape) -> ResponsePlan:
    """The located members of an output (or error) structure. Not cached: error shapes are rare and small."""
    headers: list[Header] = []
    status: list[str] = []
    body_members = False
    for name, member in shape.members.items():
        serialization = member.serialization
        location = serialization.get("location")
        key = str(serialization.get("name", name))
        if location is None:
            body_members = True
        elif location == "header":
            headers.append(Header(name, key, member, False, _header_writer(member)))
        elif location == "headers":
            headers.append(Header(name, key, member.value, True, _header_writer(member.value)))
        elif location == "statusCode":
            status.append(name)
    return ResponsePlan(
        headers=tuple(headers),
        positions={h.name: i for i, h in enumerate(headers)},
        status=tuple(status),
        body_members=body_members,
    )


def _header_writer(shape: Shape) -> Callable[[Any], str]:
    """``header_text`` for one shape, decided once: most headers are plain strings, written as ``str`` is."""
    if shape.type_name == "string" and not shape.serialization.get("jsonvalue"):
        return str
    return partial(header_text, shape)


# ----------------------------------------------------------------------------------------------------- requests


def match_path(template: UriTemplate, path: str, trailing_slash: bool = False) -> re.Match[str] | None:
    """The template's match over the raw path; with ``trailing_slash``, ``/a/b/`` also matches a non-greedy
    ``/{A}/{B}``."""
    m = template.regex.fullmatch(path)
    if m is None and trailing_slash and not template.greedy and len(path) > 1 and path.endswith("/"):
        m = template.regex.fullmatch(path[:-1])
    return m


def decode_located(plan: RequestPlan, request: HttpRequest) -> dict[str, Any]:
    """The input members carried in the URI, query string and headers (read in that order)."""
    out: dict[str, Any] = {}
    if plan.labels:
        m = match_path(plan.template, request.path, plan.dialect.trailing_slash)
        if m is not None:
            for group, name, shape in plan.labels:
                out[name] = text_value(shape, unquote(m.group(group)), values.ISO8601, name)
    # no query string: neither the members nor the map can find anything
    if request.query_string and (plan.query or plan.query_map is not None):
        query = request.query_params()
        if plan.query:
            by_key: dict[str, list[str]] = {}
            for k, v in query:
                by_key.setdefault(k, []).append(v)
            for name, key, shape in plan.query:
                found = by_key.get(key)
                if found:
                    out[name] = query_value(shape, found, name)
        if plan.query_map is not None:
            name, _, shape = plan.query_map
            entries = query_map_value(shape, query, plan.claimed, name)
            if entries:
                out[name] = entries
    headers = request.headers
    for name, key, shape in plan.headers:
        raw = headers.get(key)
        if raw is not None:
            out[name] = header_value(shape, raw, name)
    for name, prefix, _ in plan.prefix_headers:
        # header names arrive lower-cased, so the keys are too (AWS stores user metadata that way)
        entries = {h[len(prefix) :]: v for h, v in headers.items() if h.startswith(prefix)}
        if entries or plan.dialect.empty_prefix_maps:
            out[name] = entries
    return out


def text_value(shape: Shape, text: str, default_ts: str, name: str) -> Any:
    """A scalar carried as text (URI label, query value, header); ``name`` is the member the error names."""
    kind = shape.type_name
    try:
        if kind == "string":
            return text
        if kind in ("integer", "long", "short", "byte"):
            return values.parse_int(text)
        if kind in ("float", "double"):
            return values.parse_float(text)
        if kind == "boolean":
            return values.parse_bool(text)
        if kind == "timestamp":
            return values.parse_timestamp(text, timestamp_format(shape, default_ts))
        if kind == "blob":
            return values.decode_blob(text)
    except ValueError:
        raise serialization_error(f"Value '{text}' for '{name}' is not a valid {kind}") from None
    raise serialization_error(f"'{name}' of type {kind} cannot be carried outside the body")


def query_value(shape: Shape, found: list[str], name: str) -> Any:
    """A scalar or list query member from the values its key was given (in order; a scalar takes the first)."""
    if shape.type_name == "list":
        item_shape: Shape = shape.member
        return [text_value(item_shape, v, values.ISO8601, name) for v in found]
    return text_value(shape, found[0], values.ISO8601, name)


def query_map_value(shape: Shape, query: list[tuple[str, str]], claimed: frozenset[str], name: str) -> dict[str, Any]:
    """A query map member: every key no member or requestUri literal claims (the first value of a repeated key,
    or all of them when the map's values are lists)."""
    value_shape: Shape = shape.value
    result: dict[str, Any] = {}
    for k, v in query:
        if k in claimed:
            continue
        if value_shape.type_name == "list":
            item = text_value(value_shape.member, v, values.ISO8601, name)
            result.setdefault(k, []).append(item)
        else:
            result.setdefault(k, text_value(value_shape, v, values.ISO8601, name))
    return result


def header_value(shape: Shape, raw: str, name: str) -> Any:
    if shape.type_name == "list":
        item_shape: Shape = shape.member
        return [text_value(item_shape, item, values.RFC822, name) for item in split_header_list(raw)]
    if shape.type_name == "string" and shape.serialization.get("jsonvalue"):
        try:
            return orjson.loads(base64.b64decode(raw.strip(), validate=True))
        except (binascii.Error, ValueError, orjson.JSONDecodeError, RecursionError):
            raise serialization_error(f"Header for '{name}' is not base64-encoded JSON") from None
    return text_value(shape, raw.strip(), values.RFC822, name)


def split_header_list(text: str) -> list[str]:
    """Split a comma-separated header, honouring the double quotes botocore adds around items with commas."""
    items: list[str] = []
    current: list[str] = []
    quoted = False
    was_quoted = False
    i = 0
    while i < len(text):
        ch = text[i]
        if quoted:
            if ch == "\\" and i + 1 < len(text):
                current.append(text[i + 1])
                i += 1
            elif ch == '"':
                quoted = False
            else:
                current.append(ch)
        elif was_quoted and ch != ",":
            pass  # whitespace between a closing quote and the next comma
        elif ch == '"' and not "".join(current).strip():
            quoted = True
            was_quoted = True
            current = []
        elif ch == ",":
            item = "".join(current)
            items.append(item if was_quoted else item.strip())
            current = []
            was_quoted = False
        else:
            current.append(ch)
        i += 1
    item = "".join(current)
    items.append(item if was_quoted else item.strip())
    return items


# ---------------------------------------------------------------------------------------------------- responses


def response_status(plan: ResponsePlan, output: dict[str, Any], default: int) -> int:
    """The status a statusCode member sets, else ``default``."""
    for name in plan.status:
        value = output.get(name)
        if value is not None:
            status = int(value)
            # a provider bug must not produce an unparseable HTTP status line
            return status if 100 <= status <= 599 else default
    return default


def located_headers(plan: ResponsePlan, data: dict[str, Any]) -> list[tuple[str, str]]:
    """The header and header-prefix members of ``data``, in model order; empty header lists are not sent."""
    entries: Sequence[Header] = plan.headers
    if len(data) < len(entries):
        # S3 outputs model ~45 headers and a response sets ~8: finding the members given and putting them back in
        # model order costs less than looking every header member up
        positions = plan.positions
        entries = [entries[i] for i in sorted(positions[name] for name in data if name in positions)]
    headers: list[tuple[str, str]] = []
    for name, key, shape, prefix, text in entries:
        value = data.get(name)
        if value is None:
            continue
        if prefix:
            headers.extend((key + k, text(v)) for k, v in value.items())
        elif value or shape.type_name != "list":
            headers.append((key, text(value)))
    return headers


def header_text(shape: Shape, value: Any) -> str:
    kind = shape.type_name
    if kind == "string":
        # most headers: checked first, as it is by far the most common kind
        if shape.serialization.get("jsonvalue"):
            return base64.b64encode(orjson.dumps(value)).decode("ascii")
        return str(value)
    if kind == "list":
        item_shape: Shape = shape.member
        if item_shape.type_name == "string":
            return ",".join(_escape_header_item(str(v)) for v in value if v is not None)
        return ",".join(header_text(item_shape, v) for v in value if v is not None)
    if kind == "timestamp":
        return str(values.format_timestamp(value, timestamp_format(shape, values.RFC822)))
    if kind == "boolean":
        return "true" if value else "false"
    if kind in ("float", "double"):
        return values.text_float(value)
    if kind == "blob":
        return values.encode_blob(value)
    return str(value)


def _escape_header_item(value: str) -> str:
    if '"' in value or "," in value:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return value
