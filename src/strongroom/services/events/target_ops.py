"""PutTargets, RemoveTargets, ListTargetsByRule."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from strongroom.events import model
from strongroom.events.targets import target_kind, unsupported_reason
from strongroom.events.transform import valid_json_path
from strongroom.services.events.base import EventsBase
from strongroom.services.events.errors import LimitExceededException, ValidationException

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

MAX_TARGETS_PER_RULE = 5


def check_target(target: dict[str, Any]) -> None:
    """Request-level checks AWS makes on a Target's input settings."""
    given = [k for k in ("Input", "InputPath", "InputTransformer") if target.get(k) is not None]
    if len(given) > 1:
        raise ValidationException("Only one of Input, InputPath, or InputTransformer must be provided.")
    if target.get("Input") is not None:
        try:
            json.loads(target["Input"])
        except ValueError:
            raise ValidationException(f"Input for target {target['Id']} is not a valid JSON text.") from None
    if target.get("InputPath") and not valid_json_path(target["InputPath"]):
        raise ValidationException(f"InputPath for target {target['Id']} is invalid.")
    transformer = target.get("InputTransformer")
    if transformer:
        for key, path in (transformer.get("InputPathsMap") or {}).items():
            if key.startswith("aws.events."):
                raise ValidationException(f"InputPathsMap key {key} is reserved.")
            if not valid_json_path(path):
                raise ValidationException(f"{path} is an invalid JSONPath in InputPathsMap.")


class TargetOperations(EventsBase):
    def put_targets(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        bus = self.bus_name(ctx, request.get("EventBusName"))
        targets = request["Targets"]
        for target in targets:
            check_target(target)
        failed: list[dict[str, Any]] = []
        with self.runtime.store.write() as conn:
            rule = self.require_rule(conn, ctx, request["Rule"], bus)
            existing = set(
                conn.execute(select(model.targets.c.target_id).where(model.targets.c.rule_arn == rule.arn)).scalars()
            )
            new_ids = {t["Id"] for t in targets if target_kind(t["Arn"]) is not None}
            if len(existing | new_ids) > MAX_TARGETS_PER_RULE:
                raise LimitExceededException("The requested resource exceeds the maximum number allowed.")
            for target in targets:
                if target_kind(target["Arn"]) is None:
                    failed.append(
                        {
                            "TargetId": target["Id"],
                            "ErrorCode": "ValidationException",
                            "ErrorMessage": unsupported_reason(target["Arn"]),
                        }
                    )
                    continue
                conn.execute(
                    delete(model.targets).where(
                        model.targets.c.rule_arn == rule.arn, model.targets.c.target_id == target["Id"]
                    )
                )
                conn.execute(
                    model.targets.insert().values(
                        rule_arn=rule.arn,
                        target_id=target["Id"],
                        arn=target["Arn"],
                        spec=json.dumps(target, sort_keys=True),
                    )
                )
        return {"FailedEntryCount": len(failed), "FailedEntries": failed}

    def remove_targets(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        bus = self.bus_name(ctx, request.get("EventBusName"))
        with self.runtime.store.write() as conn:
            rule = self.require_rule(conn, ctx, request["Rule"], bus)
            conn.execute(
                delete(model.targets).where(
                    model.targets.c.rule_arn == rule.arn, model.targets.c.target_id.in_(request["Ids"])
                )
            )
        return {"FailedEntryCount": 0, "FailedEntries": []}

    def list_targets_by_rule(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        bus = self.bus_name(ctx, request.get("EventBusName"))
        with self.runtime.store.write() as conn:
            rule = self.require_rule(conn, ctx, request["Rule"], bus)
            rows = conn.execute(
                select(model.targets).where(model.targets.c.rule_arn == rule.arn).order_by(model.targets.c.target_id)
            ).all()
        chunk, token = self.page(rows, request, lambda r: r.target_id)
        out: dict[str, Any] = {"Targets": [json.loads(r.spec) for r in chunk]}
        if token:
            out["NextToken"] = token
        return out


__all__ = ["TargetOperations"]
