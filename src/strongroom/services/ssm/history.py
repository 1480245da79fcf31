"""GetParameterHistory and version labels (LabelParameterVersion, UnlabelParameterVersion)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, update

from strongroom.services.ssm import model, policies
from strongroom.services.ssm.base import SsmBase
from strongroom.services.ssm.errors import (
    ParameterNotFound,
    ParameterVersionLabelLimitExceeded,
    ParameterVersionNotFound,
)
from strongroom.services.ssm.refs import Ref
from strongroom.services.ssm.rules import MAX_LABELS_PER_VERSION, label_is_valid

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

HISTORY_PAGE = 50


class HistoryOperations(SsmBase):
    def get_parameter_history(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.throttle(ctx)
        ref = self.ref(ctx, request["Name"])
        if ref.selector is not None:
            raise ParameterNotFound("")
        self.check_shared(ctx, ref)
        decrypt = bool(request.get("WithDecryption"))
        limit = int(request.get("MaxResults") or HISTORY_PAGE)
        after = int(self.decode_token(request["NextToken"])) if request.get("NextToken") else 0
        with self.runtime.store.read() as conn:
            self.require(conn, ref)
            rows = [r for r in self.version_rows(conn, ref) if r.version > after]
        page = rows[:limit]
        out: dict[str, Any] = {"Parameters": [self._history_item(ctx, ref, r, decrypt) for r in page]}
        if len(rows) > limit:
            out["NextToken"] = self.encode_token(str(page[-1].version))
        return out

    def _history_item(self, ctx: RequestContext, ref: Ref, row: Row[Any], decrypt: bool) -> dict[str, Any]:
        item: dict[str, Any] = {
            "Name": ref.shown,
            "Type": row.type,
            "LastModifiedDate": row.modified_at,
            "LastModifiedUser": row.modified_user,
            "Value": self.value_of(ctx, ref.arn, row, decrypt),
            "Version": row.version,
            "Labels": json.loads(row.labels),
            "Tier": row.tier,
            "Policies": policies.describe(json.loads(row.policies or "[]")),
            "DataType": row.data_type,
        }
        if row.key_id:
            item["KeyId"] = row.key_id
        if row.description is not None:
            item["Description"] = row.description
        if row.allowed_pattern is not None:
            item["AllowedPattern"] = row.allowed_pattern
        return item

    def _target(self, conn: Connection, ref: Ref, version: int | None) -> tuple[Row[Any], list[Row[Any]], Row[Any]]:
        current = self.require(conn, ref, f"Parameter {ref.name} not found.")
        rows = self.version_rows(conn, ref)
        number = current.version if version is None else version
        target = next((r for r in rows if r.version == number), None)
        if target is None:
            raise ParameterVersionNotFound(
                f"Systems Manager could not find version {number} of {ref.name}. Verify the version and try again."
            )
        return current, rows, target

    def _own(self, ctx: RequestContext, name: str) -> Ref:
        ref = self.ref(ctx, name)
        if ref.account_id != ctx.account_id or ref.selector is not None:
            raise ParameterNotFound(f"Parameter {name} not found.")
        return ref

    def _set_labels(self, conn: Connection, ref: Ref, version: int, labels: list[str]) -> None:
        v = model.versions
        conn.execute(
            update(v)
            .where(v.c.account_id == ref.account_id, v.c.region == ref.region, v.c.name == ref.name)
            .where(v.c.version == version)
            .values(labels=json.dumps(labels))
        )

    def label_parameter_version(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        ref = self._own(ctx, request["Name"])
        requested = list(dict.fromkeys(request["Labels"]))
        invalid = [label for label in requested if not label_is_valid(label)]
        valid = [label for label in requested if label_is_valid(label)]
        with self.runtime.store.write() as conn:
            current, rows, target = self._target(conn, ref, request.get("ParameterVersion"))
            existing = json.loads(target.labels)
            merged = existing + [label for label in valid if label not in existing]
            if len(merged) > MAX_LABELS_PER_VERSION:
                raise ParameterVersionLabelLimitExceeded(
                    "A parameter version can have maximum 10 labels.Move one or more labels to another version and "
                    "try again."
                )
            for row in rows:
                if row.version == target.version:
                    continue
                labels = json.loads(row.labels)
                kept = [label for label in labels if label not in valid]
                if kept != labels:  # a label is unique per parameter: attaching it here moves it
                    self._set_labels(conn, ref, row.version, kept)
            self._set_labels(conn, ref, target.version, merged)
        if valid:
            self.changed(ref, "LabelParameterVersion", current.type, current.description)
        return {"InvalidLabels": invalid, "ParameterVersion": target.version}

    def unlabel_parameter_version(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        ref = self._own(ctx, request["Name"])
        requested = list(dict.fromkeys(request["Labels"]))
        with self.runtime.store.write() as conn:
            _, _, target = self._target(conn, ref, request["ParameterVersion"])
            existing = json.loads(target.labels)
            removed = [label for label in requested if label in existing]
            self._set_labels(conn, ref, target.version, [label for label in existing if label not in removed])
        return {"RemovedLabels": removed, "InvalidLabels": [label for label in requested if label not in removed]}
