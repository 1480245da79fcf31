"""AWS's ClassificationResult JSON for one object (the shape a sensitive-data finding's
``classificationDetails.result`` and the exported discovery results use), shared by the macie2 service and
``strongroom macie scan`` so that both print the same thing for the same bytes. Samples are never part of it."""

from __future__ import annotations

from typing import Any

from strongroom.sensitive.contract import ObjectResult


def classification_result(result: ObjectResult) -> dict[str, Any]:
    by_category: dict[str, list[dict[str, Any]]] = {}
    custom: list[dict[str, Any]] = []
    for d in result.detections:
        item = {"type": d.type, "count": d.count, "occurrences": d.occurrences}
        if d.category == "CUSTOM_IDENTIFIER":
            custom.append({"arn": None, "name": d.type, "count": d.count, "occurrences": d.occurrences})
        else:
            by_category.setdefault(d.category, []).append(item)
    sensitive = [
        {"category": cat, "totalCount": sum(i["count"] for i in items), "detections": items}
        for cat, items in sorted(by_category.items())
    ]
    status: dict[str, Any] = {"code": result.status}
    if result.reason:
        status["reason"] = result.reason
    return {
        "additionalOccurrences": result.additional_occurrences,
        "customDataIdentifiers": {"detections": custom, "totalCount": sum(c["count"] for c in custom)},
        "mimeType": result.mime_type,
        "sensitiveData": sensitive,
        "sizeClassified": result.size_classified,
        "status": status,
    }
