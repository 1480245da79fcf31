"""Resource matching (precedence, ANY, decoding, hostile paths) and invoke URL / base path parsing."""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strongroom.services.apigateway.dataplane import paths
from strongroom.services.apigateway.dataplane.paths import BasePathMapping, InvokeTarget, NoRoute, ResourceMatcher


def resource(rid: str, path: str, *methods: str) -> dict[str, Any]:
    return {"id": rid, "path": path, "resourceMethods": {m: {"httpMethod": m, "rid": rid} for m in methods}}


RESOURCES = [
    resource("root", "/", "GET"),
    resource("pets", "/pets", "GET"),
    resource("pet", "/pets/{petId}", "GET", "DELETE"),
    resource("petmine", "/pets/mine", "GET"),
    resource("petphotos", "/pets/{petId}/photos/{photoId}", "ANY"),
    resource("petproxy", "/pets/{petId}/{proxy+}", "GET"),
    resource("proxy", "/{proxy+}", "ANY"),
    resource("store", "/store/inventory", "POST"),
    resource("noproxy", "/files/{name}", "PUT"),
]
MATCHER = ResourceMatcher(RESOURCES)


@pytest.mark.parametrize(
    ("method", "path", "rid", "http_method", "params"),
    [
        ("GET", "/", "root", "GET", {}),
        ("GET", "/pets", "pets", "GET", {}),
        ("GET", "/pets/", "pets", "GET", {}),
        ("GET", "/pets/mine", "petmine", "GET", {}),  # literal beats {petId}
        ("GET", "/pets/42", "pet", "GET", {"petId": "42"}),  # {param} beats {proxy+}
        ("DELETE", "/pets/42", "pet", "DELETE", {"petId": "42"}),
        ("POST", "/pets/42", "proxy", "ANY", {"proxy": "pets/42"}),  # no POST on /pets/{petId}: the ANY proxy
        ("POST", "/pets", "proxy", "ANY", {"proxy": "pets"}),
        ("PATCH", "/pets/1/photos/2", "petphotos", "ANY", {"petId": "1", "photoId": "2"}),
        ("GET", "/pets/1/a/b/c", "petproxy", "GET", {"petId": "1", "proxy": "a/b/c"}),
        ("GET", "/pets/1/photos", "petproxy", "GET", {"petId": "1", "proxy": "photos"}),
        ("GET", "/anything/else", "proxy", "ANY", {"proxy": "anything/else"}),
        ("POST", "/store/inventory", "store", "POST", {}),
        ("GET", "/store/inventory", "proxy", "ANY", {"proxy": "store/inventory"}),
        ("GET", "/pets/a%20b", "pet", "GET", {"petId": "a b"}),  # decoded
        ("GET", "/pets/a%2Fb", "pet", "GET", {"petId": "a/b"}),  # an encoded slash stays in one parameter
        ("GET", "/pets/%E2%9C%93", "pet", "GET", {"petId": "✓"}),
        ("GET", "/pets/1/../../etc/passwd", "petproxy", "GET", {"petId": "1", "proxy": "../../etc/passwd"}),
        ("GET", "/pets?x=1", "pets", "GET", {}),
    ],
)
def test_precedence_and_parameters(method: str, path: str, rid: str, http_method: str, params: dict[str, str]) -> None:
    match = MATCHER.match(method, path)
    assert (match.resource_id, match.http_method, dict(match.path_parameters)) == (rid, http_method, params)
    assert match.method["rid"] == rid


def test_no_route_is_missing_authentication_token() -> None:
    matcher = ResourceMatcher([resource("root", "/", "GET"), resource("pets", "/pets", "GET")])
    for method, path in [("GET", "/nope"), ("POST", "/pets"), ("GET", "/pets/1"), ("DELETE", "/")]:
        with pytest.raises(NoRoute) as raised:
            matcher.match(method, path)
        assert (raised.value.status, raised.value.message) == (403, "Missing Authentication Token")
        assert raised.value.response_type == "MISSING_AUTHENTICATION_TOKEN"


def test_greedy_needs_at_least_one_segment_and_root_is_its_own_resource() -> None:
    matcher = ResourceMatcher([resource("proxy", "/{proxy+}", "ANY")])
    with pytest.raises(NoRoute):
        matcher.match("GET", "/")
    assert matcher.match("GET", "/a").path_parameters == {"proxy": "a"}


def test_empty_segment_does_not_fill_a_parameter() -> None:
    matcher = ResourceMatcher([resource("pet", "/pets/{petId}/x", "GET")])
    with pytest.raises(NoRoute):
        matcher.match("GET", "/pets//x")


def test_any_is_a_fallback_not_a_preference() -> None:
    matcher = ResourceMatcher([resource("r", "/r", "ANY", "GET")])
    assert matcher.match("GET", "/r").http_method == "GET"
    assert matcher.match("put", "/r").http_method == "ANY"


def test_greedy_must_be_last() -> None:
    with pytest.raises(paths.InvalidResourcePath):
        ResourceMatcher([resource("bad", "/{proxy+}/x", "GET")])


def test_hostile_paths_are_cheap() -> None:
    many = "/" + "/".join(["a"] * 100_000)
    started = time.monotonic()
    with pytest.raises(NoRoute):
        ResourceMatcher([resource("p", "/a/{x}", "GET")]).match("GET", many)
    assert MATCHER.match("GET", "/x/" + "/".join(["y"] * 400)).resource_id == "proxy"
    deep = ResourceMatcher([resource(f"r{i}", "/" + "/".join(["{p}"] * i), "GET") for i in range(1, 60)])
    with pytest.raises(NoRoute):
        deep.match("POST", "/" + "/".join(["v"] * 59))
    assert time.monotonic() - started < 2


@given(st.lists(st.text(alphabet="abc%2F/.{}+", min_size=0, max_size=6), max_size=8), st.sampled_from(["GET", "PUT"]))
def test_any_path_matches_or_is_no_route(segments: list[str], method: str) -> None:
    try:
        match = MATCHER.match(method, "/" + "/".join(segments))
    except NoRoute:
        return
    assert match.http_method in (method, "ANY")


# --- invoke URLs ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/restapis/abc123/prod/_user_request_/pets/1", InvokeTarget("abc123", "prod", "/pets/1")),
        ("/restapis/abc123/prod/_user_request_/", InvokeTarget("abc123", "prod", "/")),
        ("/restapis/abc123/prod/_user_request_", InvokeTarget("abc123", "prod", "/")),
        ("/restapis/abc123/prod/_user_request_/a/b/", InvokeTarget("abc123", "prod", "/a/b/")),
        ("/restapis/abc123/prod/pets", None),
        ("/restapis//prod/_user_request_/x", None),
        ("/other/abc/prod/_user_request_/x", None),
    ],
)
def test_user_request_path(path: str, expected: InvokeTarget | None) -> None:
    assert paths.parse_user_request_path(path) == expected


@pytest.mark.parametrize(
    ("host", "path", "expected"),
    [
        ("abc123.execute-api.us-east-1.amazonaws.com", "/prod/pets/1", InvokeTarget("abc123", "prod", "/pets/1")),
        ("ABC123.execute-api.localhost:4566", "/dev", InvokeTarget("abc123", "dev", "/")),
        ("abc123.execute-api.strongroom.internal", "/dev/", InvokeTarget("abc123", "dev", "/")),
        ("abc123.execute-api.x", "/", None),
        ("abc123.lambda.us-east-1.amazonaws.com", "/prod/x", None),
        ("execute-api.us-east-1.amazonaws.com", "/prod/x", None),
        ("[::1]:8080", "/prod/x", None),
    ],
)
def test_execute_api_host(host: str, path: str, expected: InvokeTarget | None) -> None:
    assert paths.parse_execute_api(host, path) == expected


MAPPINGS = paths.base_path_mappings(
    [
        {"basePath": "(none)", "restApiId": "root-api", "stage": "prod"},
        {"basePath": "orders", "restApiId": "orders-api", "stage": "v1"},
        {"basePath": "orders/v2", "restApiId": "orders-v2", "stage": "live"},
        {"basePath": "nostage", "restApiId": "ns-api"},
    ]
)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/orders/v2/items/1", InvokeTarget("orders-v2", "live", "/items/1")),  # longest base path
        ("/orders/v2", InvokeTarget("orders-v2", "live", "/")),
        ("/orders/v3/items", InvokeTarget("orders-api", "v1", "/v3/items")),
        ("/orders", InvokeTarget("orders-api", "v1", "/")),
        ("/ordersx/1", InvokeTarget("root-api", "prod", "/ordersx/1")),  # whole segments only
        ("/", InvokeTarget("root-api", "prod", "/")),
        ("/nostage/beta/x", InvokeTarget("ns-api", "beta", "/x")),  # the stage from the path
        ("/nostage", None),
    ],
)
def test_base_path_mapping(path: str, expected: InvokeTarget | None) -> None:
    assert paths.resolve_base_path(MAPPINGS, path) == expected


def test_no_empty_mapping_means_unmatched_paths_have_no_api() -> None:
    mappings = [BasePathMapping("orders", "a", "s")]
    assert paths.resolve_base_path(mappings, "/other") is None
