"""API Gateway's patchOperations engine (services/apigateway/patch.py) and the stage's method-setting paths."""

from __future__ import annotations

from typing import Any

import pytest

from strongroom.core.errors import AwsError
from strongroom.services.apigateway import patch
from strongroom.services.apigateway.deployments import METHOD_SETTING_DEFAULTS, apply_stage_patch

RULES = patch.Rules(
    [
        patch.rule("/name"),
        patch.rule("/enabled", convert=patch.as_bool),
        patch.rule("/limit", "replace", "remove", convert=patch.as_int),
        patch.rule("/tags", "add", "remove", "replace", kind="map"),
        patch.rule("/types", "add", "remove", "replace", kind="set"),
    ]
)


def _op(op: str, path: str, value: Any = None) -> dict[str, Any]:
    return {"op": op, "path": path, **({"value": value} if value is not None else {})}


def test_values_maps_and_sets() -> None:
    doc: dict[str, Any] = {"types": ["a/b"]}
    patch.apply(
        doc,
        [
            _op("replace", "/name", "n"),
            _op("replace", "/enabled", "TRUE"),
            _op("replace", "/limit", "7"),
            _op("add", "/tags/x~1y", "1"),
            _op("add", "/types/c~1d"),
            _op("replace", "/types/a~1b", "e/f"),
        ],
        RULES,
    )
    assert doc == {"name": "n", "enabled": True, "limit": 7, "tags": {"x/y": "1"}, "types": ["c/d", "e/f"]}
    patch.apply(doc, [_op("remove", "/limit"), _op("remove", "/tags/x~1y"), _op("remove", "/types/c~1d")], RULES)
    assert doc == {"name": "n", "enabled": True, "types": ["e/f"]}


@pytest.mark.parametrize(
    ("operation", "message"),
    [
        (_op("replace", "/nope", "1"), "Invalid patch path  '/nope' specified for op 'replace'. Must be one of: ["),
        (
            _op("add", "/name", "1"),
            "Invalid patch path  '/name' specified for op 'add'. Please choose supported operations",
        ),
        (_op("replace", "/enabled", "maybe"), "Invalid boolean value"),
        (_op("replace", "/limit", "x"), "Invalid integer value"),
        (_op("remove", "/tags/missing"), "Invalid patch path  '/tags/missing' specified for op 'remove'"),
    ],
)
def test_refusals(operation: dict[str, Any], message: str) -> None:
    with pytest.raises(AwsError) as err:
        patch.apply({"tags": {}}, [operation], RULES)
    assert err.value.code == "BadRequestException" and str(err.value.message).startswith(message)


def test_stage_method_settings_and_variables() -> None:
    stage: dict[str, Any] = {}
    apply_stage_patch(
        stage,
        [
            _op("replace", "/*/*/metrics/enabled", "true"),
            _op("replace", "/~1a~1b/POST/caching/ttlInSeconds", "60"),
            _op("replace", "/variables/env", "prod"),
        ],
    )
    assert stage["methodSettings"]["*/*"] == {**METHOD_SETTING_DEFAULTS, "metricsEnabled": True}
    assert stage["methodSettings"]["a/b/POST"]["cacheTtlInSeconds"] == 60
    assert stage["variables"] == {"env": "prod"}
    apply_stage_patch(stage, [_op("remove", "/variables/env"), _op("remove", "/a~1b/POST")])
    assert "variables" not in stage and list(stage["methodSettings"]) == ["*/*"]
    with pytest.raises(AwsError, match="Invalid method setting path: /x"):
        apply_stage_patch(stage, [_op("replace", "/x", "1")])
    with pytest.raises(AwsError, match="Cannot remove method setting b/GET"):
        apply_stage_patch(stage, [_op("remove", "/b/GET")])
