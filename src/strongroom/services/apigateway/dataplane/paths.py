"""Which resource and method of a deployment a request reaches, and which API and stage an invoke URL names.

`ResourceMatcher` is built once per deployment snapshot from GetResources' items (`id`, `path`,
`resourceMethods`) into a trie of path segments. A request walks it preferring, at every segment, a literal part over
`{param}` over `{proxy+}` (which takes one or more remaining segments), backing off to the next candidate when the
more specific resource has neither the request's method nor `ANY` — so `POST /pets` reaches `/{proxy+}`'s ANY when
`/pets` only has GET. No resource and method: 403 `{"message":"Missing Authentication Token"}`, AWS's answer for
unknown paths (`NoRoute`).

Path parameters are percent-decoded after splitting on `/`, so `%2F` stays inside one parameter. `.` and `..`
segments are kept as they are (AWS does not resolve them); `lambda_proxy.http_proxy_request` re-encodes them before
they reach an upstream URL.

Invoke URLs: `/restapis/{api_id}/{stage}/_user_request_/{path}` (`parse_user_request_path`), a Host
`{api_id}.execute-api.{anything}` with `/{stage}/{path}` (`parse_execute_api`), and custom domains through their base
path mappings (`resolve_base_path`: the longest matching base path; `(none)` is the empty one).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

ANY = "ANY"
NONE_BASE_PATH = "(none)"
MAX_SEGMENTS = 512  # a request path with more segments than this matches nothing (and costs nothing)


class NoRoute(Exception):
    """No resource/method matches: AWS answers 403 Missing Authentication Token (MISSING_AUTHENTICATION_TOKEN)."""

    status = 403
    message = "Missing Authentication Token"
    response_type = "MISSING_AUTHENTICATION_TOKEN"


@dataclass(frozen=True)
class Match:
    resource_id: str
    resource_path: str
    http_method: str  # the method key that matched: the request's method or ANY
    path_parameters: Mapping[str, str]
    method: Mapping[str, Any]  # the GetMethod-shaped dict of that method


@dataclass
class _Node:
    literals: dict[str, _Node] = field(default_factory=dict)
    param: _Node | None = None
    param_name: str = ""
    greedy: _ResourceEntry | None = None
    greedy_name: str = ""
    entry: _ResourceEntry | None = None


@dataclass(frozen=True)
class _ResourceEntry:
    resource_id: str
    path: str
    methods: Mapping[str, Mapping[str, Any]]

    def method_for(self, method: str) -> tuple[str, Mapping[str, Any]] | None:
        if method in self.methods:
            return method, self.methods[method]
        if ANY in self.methods:
            return ANY, self.methods[ANY]
        return None


class InvalidResourcePath(ValueError):
    pass


def _parts(path: str) -> list[str]:
    stripped = path.strip("/")
    return stripped.split("/") if stripped else []


class ResourceMatcher:
    """A deployment's resources compiled for matching; immutable after construction, safe across threads."""

    def __init__(self, resources: Iterable[Mapping[str, Any]]) -> None:
        self._root = _Node()
        for resource in resources:
            self._add(resource)

    def _add(self, resource: Mapping[str, Any]) -> None:
        path = str(resource.get("path") or "/")
        methods = {str(k).upper(): v for k, v in (resource.get("resourceMethods") or {}).items()}
        entry = _ResourceEntry(str(resource["id"]), path, methods)
        node = self._root
        parts = _parts(path)
        for i, part in enumerate(parts):
            if part.startswith("{") and part.endswith("+}"):
                if i != len(parts) - 1:
                    raise InvalidResourcePath(f"A greedy parameter must end the path: {path}")
                node.greedy, node.greedy_name = entry, part[1:-2]
                return
            if part.startswith("{") and part.endswith("}"):
                if node.param is None:
                    node.param, node.param_name = _Node(), part[1:-1]
                node = node.param
            else:
                node = node.literals.setdefault(part, _Node())
        node.entry = entry

    def match(self, method: str, path: str) -> Match:
        """The resource and method for a request path (raw, percent-encoded, without the stage); else `NoRoute`."""
        raw = path.split("?", 1)[0]
        segments = _parts(raw)
        if len(segments) > MAX_SEGMENTS:
            raise NoRoute()
        decoded = [urllib.parse.unquote(s) for s in segments]
        found = self._walk(self._root, decoded, 0, method.upper(), {})
        if found is None:
            raise NoRoute()
        return found

    def _walk(self, node: _Node, segs: list[str], i: int, method: str, params: dict[str, str]) -> Match | None:
        # Depth-first in precedence order. A trie node sits at one depth, so each is visited at most once: the cost
        # is bounded by the deployment's resources, whatever the request path.
        if i == len(segs):
            if node.entry is not None and (chosen := node.entry.method_for(method)) is not None:
                return Match(node.entry.resource_id, node.entry.path, chosen[0], dict(params), chosen[1])
            return None
        segment = segs[i]
        child = node.literals.get(segment)
        if child is not None and (found := self._walk(child, segs, i + 1, method, params)) is not None:
            return found
        if node.param is not None and segment != "":
            previous = params.get(node.param_name)
            params[node.param_name] = segment
            found = self._walk(node.param, segs, i + 1, method, params)
            if previous is None:
                params.pop(node.param_name, None)
            else:
                params[node.param_name] = previous
            if found is not None:
                return found
        if node.greedy is not None and (chosen := node.greedy.method_for(method)) is not None:
            value = "/".join(segs[i:])
            entry = node.greedy
            return Match(entry.resource_id, entry.path, chosen[0], {**params, node.greedy_name: value}, chosen[1])
        return None


# --- invoke URLs ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvokeTarget:
    api_id: str
    stage: str
    path: str  # what follows the stage (or base path), starting with "/"


_USER_REQUEST = "_user_request_"


def parse_user_request_path(path: str) -> InvokeTarget | None:
    """`/restapis/{api_id}/{stage}/_user_request_/{path}` -> the target, else None."""
    parts = path.split("/", 5)
    # ['', 'restapis', api_id, stage, '_user_request_', rest]
    if len(parts) < 5 or parts[0] != "" or parts[1] != "restapis" or parts[4] != _USER_REQUEST:
        return None
    if not parts[2] or not parts[3]:
        return None
    rest = parts[5] if len(parts) > 5 else ""
    return InvokeTarget(parts[2], parts[3], "/" + rest)


def parse_execute_api(host: str, path: str) -> InvokeTarget | None:
    """Host `{api_id}.execute-api.{anything}` with path `/{stage}/{path}` -> the target, else None."""
    if host.startswith("["):  # an IPv6 literal names no API
        return None
    labels = host.split(":", 1)[0].lower().split(".")
    if len(labels) < 3 or labels[1] != "execute-api" or not labels[0]:
        return None
    stripped = path.lstrip("/")
    if not stripped:
        return None
    stage, _, rest = stripped.partition("/")
    if not stage:
        return None
    return InvokeTarget(labels[0], stage, "/" + rest)


@dataclass(frozen=True)
class BasePathMapping:
    base_path: str  # "" for "(none)"
    rest_api_id: str
    stage: str | None


def base_path_mappings(items: Iterable[Mapping[str, Any]]) -> list[BasePathMapping]:
    """GetBasePathMappings items -> mappings, longest base path first (the order `resolve_base_path` wants)."""
    out = []
    for item in items:
        base = str(item.get("basePath") or "")
        base = "" if base == NONE_BASE_PATH else base.strip("/")
        out.append(BasePathMapping(base, str(item["restApiId"]), item.get("stage") or None))
    out.sort(key=lambda m: -len(_parts(m.base_path)))
    return out


def resolve_base_path(mappings: Iterable[BasePathMapping], path: str) -> InvokeTarget | None:
    """The mapping a custom-domain request path falls under (longest base path, whole segments), else None.

    A mapping without a stage takes the stage from the next path segment, as AWS does.
    """
    raw = path.split("?", 1)[0]
    segments = _parts(raw)
    best: tuple[int, BasePathMapping] | None = None
    for mapping in mappings:
        base = _parts(mapping.base_path)
        if segments[: len(base)] == base and (best is None or len(base) > best[0]):
            best = (len(base), mapping)
    if best is None:
        return None
    depth, mapping = best
    rest = segments[depth:]
    stage = mapping.stage
    if stage is None:
        if not rest:
            return None
        stage, rest = rest[0], rest[1:]
    trailing = "/" if raw.endswith("/") and rest else ""
    return InvokeTarget(mapping.rest_api_id, stage, "/" + "/".join(rest) + trailing)
