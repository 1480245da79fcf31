"""EventBridge input transformation: what a target receives (Input, InputPath, InputTransformer).

Pure functions on the event and the target's spec; the outbox (``delivery.enqueue``) applies them when an event is
accepted, and PutTargets checks paths with :func:`valid_json_path`.
"""

from __future__ import annotations

import json
import re
from typing import Any


class TransformError(Exception):
    """Input, InputPath or InputTransformer cannot be applied to this event."""


_PATH_STEP = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")


def json_path(document: Any, path: str) -> tuple[bool, Any]:
    """The JSONPath subset AWS documents for InputPath/InputPathsMap: ``$``, ``$.a.b``, ``$.a[0]``, ``$['a-b']``."""
    if not path.startswith("$"):
        raise TransformError(f"Invalid JSONPath {path}")
    rest, current = path[1:], document
    while rest:
        m = _PATH_STEP.match(rest)
        if not m:
            raise TransformError(f"Invalid JSONPath {path}")
        key, index = m.group(1) or m.group(3) or m.group(4), m.group(2)
        if index is not None:
            if not isinstance(current, list) or int(index) >= len(current):
                return False, None
            current = current[int(index)]
        else:
            if not isinstance(current, dict) or key not in current:
                return False, None
            current = current[key]
        rest = rest[m.end() :]
    return True, current


def valid_json_path(path: str) -> bool:
    try:
        json_path({}, path)
    except TransformError:
        return False
    return True


def _render(template: str, values: dict[str, Any]) -> str:
    """Fill ``<name>`` placeholders: raw text inside a JSON string, JSON outside (AWS's InputTemplate rules)."""
    out: list[str] = []
    in_string = False
    i = 0
    while i < len(template):
        ch = template[i]
        if ch == "\\" and in_string:
            out.append(template[i : i + 2])
            i += 2
            continue
        if ch == '"':
            in_string = not in_string
        if ch == "<":
            end = template.find(">", i)
            name = template[i + 1 : end] if end > 0 else ""
            if end > 0 and name in values:
                value = values[name]
                if in_string:
                    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
                    out.append(json.dumps(text)[1:-1])
                else:
                    out.append(json.dumps(value, separators=(",", ":")))
                i = end + 1
                continue
        out.append(ch)
        i += 1
    return "".join(out)


def transform(event: dict[str, Any], spec: dict[str, Any], rule_arn: str) -> str:
    """What the target receives: Input verbatim, InputPath's selection, InputTransformer's template, or the event."""
    if spec.get("Input") is not None:
        return str(spec["Input"])
    if spec.get("InputPath"):
        found, value = json_path(event, spec["InputPath"])
        return json.dumps(value if found else None, separators=(",", ":"))
    transformer = spec.get("InputTransformer")
    if transformer:
        values: dict[str, Any] = {}
        for name, path in (transformer.get("InputPathsMap") or {}).items():
            found, value = json_path(event, path)
            values[name] = value if found else None
        values.setdefault("aws.events.rule-arn", rule_arn)
        values.setdefault("aws.events.rule-name", rule_arn.rsplit("/", 1)[-1])
        values.setdefault("aws.events.event.ingestion-time", event.get("time"))
        values.setdefault("aws.events.event", event)
        values.setdefault("aws.events.event.json", event)
        return _render(transformer["InputTemplate"], values)
    return json.dumps(event, separators=(",", ":"))
