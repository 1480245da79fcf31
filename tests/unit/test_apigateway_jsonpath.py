"""The JSONPath subset of `$input.path` / `$input.json`."""

from __future__ import annotations

from typing import Any

import pytest

from strongroom.services.apigateway.dataplane import jsonpath
from strongroom.services.apigateway.dataplane.jsonpath import MISSING, JsonPathError

DOC = {
    "a": {"b": [{"c": 1}, {"c": 2}, {"d": 3}], "e": "x"},
    "odd key": True,
    "list": [[1, 2], [3]],
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$", DOC),
        ("$.a.e", "x"),
        ("$.a.b[0]", {"c": 1}),
        ("$.a.b[-1]", {"d": 3}),
        ("$.a.b[9]", MISSING),
        ("$['odd key']", True),
        ('$["a"]["e"]', "x"),
        ("$.a.b[*].c", [1, 2]),
        ("$.list[*][0]", [1, 3]),
        ("$.a.*", [[{"c": 1}, {"c": 2}, {"d": 3}], "x"]),
        ("$..c", [1, 2]),
        ("$.nope", MISSING),
        ("$.a.e.f", MISSING),
        ("$.nope[*]", []),
    ],
)
def test_paths(path: str, expected: Any) -> None:
    assert jsonpath.evaluate(DOC, path) == expected


@pytest.mark.parametrize("path", ["", "a.b", "$.", "$[", "$[abc]", "$.a[1", "$" + ".a" * 600])
def test_invalid(path: str) -> None:
    with pytest.raises(JsonPathError):
        jsonpath.evaluate(DOC, path)


def test_deep_scan_of_a_deep_document_does_not_recurse() -> None:
    doc: Any = {"x": 1}
    for _ in range(50_000):
        doc = {"n": doc}
    assert jsonpath.evaluate(doc, "$..x") == [1]
