"""AddPermission, RemovePermission and GetPolicy: the function's resource-based policy, one per version."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import update

from strongroom.services.lambda_ import model
from strongroom.services.lambda_.base import LambdaBase, new_revision
from strongroom.services.lambda_.errors import (
    InvalidParameterValueException,
    PolicyLengthExceededException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from strongroom.services.lambda_.records import FunctionRecord, load, version_key

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext


POLICY_MAX = 20 * 1024
_ACCOUNT = re.compile(r"\d{12}")
_SERVICE = re.compile(r"[a-z0-9\-.]+\.amazonaws\.com(\.cn)?|[a-z0-9\-.]+\.amazon\.com")


def principal_block(principal: str) -> Any:
    if principal == "*":
        return "*"
    if _ACCOUNT.fullmatch(principal):
        return {"AWS": f"arn:aws:iam::{principal}:root"}
    if principal.startswith("arn:aws") and ":iam::" in principal:
        return {"AWS": principal}
    if _SERVICE.fullmatch(principal):
        return {"Service": principal}
    raise InvalidParameterValueException(
        "The provided principal was invalid. Please check the principal and try again."
    )


def _conditions(request: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, dict[str, str]] = {}
    if "SourceArn" in request:
        out.setdefault("ArnLike", {})["AWS:SourceArn"] = request["SourceArn"]
    equals = {
        "SourceAccount": "AWS:SourceAccount",
        "PrincipalOrgID": "aws:PrincipalOrgID",
        "EventSourceToken": "lambda:EventSourceToken",
        "FunctionUrlAuthType": "lambda:FunctionUrlAuthType",
    }
    for field, key in equals.items():
        if field in request:
            out.setdefault("StringEquals", {})[key] = request[field]
    if "InvokedViaFunctionUrl" in request:
        out.setdefault("Bool", {})["lambda:InvokedViaFunctionUrl"] = str(bool(request["InvokedViaFunctionUrl"])).lower()
    return out


def _statements(record: FunctionRecord) -> list[dict[str, Any]]:
    if not record.policy:
        return []
    return list(json.loads(record.policy).get("Statement", []))


def _document(statements: list[dict[str, Any]]) -> str | None:
    if not statements:
        return None
    return json.dumps({"Version": "2012-10-17", "Id": "default", "Statement": statements}, separators=(",", ":"))


class PermissionOperations(LambdaBase):
    def add_permission(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        ref = self.ref(ctx, request, request.get("Qualifier"))
        principal = principal_block(request["Principal"])
        with self.runtime.store.write() as conn:
            record = load(conn, self.runtime.seal, ref)
            self.check_revision(record.revision_id, request, "GetPolicy")
            statements = _statements(record)
            sid = request["StatementId"]
            if any(s.get("Sid") == sid for s in statements):
                raise ResourceConflictException(
                    f"The statement id ({sid}) provided already exists. "
                    "Please provide a new statement id, or remove the existing statement."
                )
            statement: dict[str, Any] = {
                "Sid": sid,
                "Effect": "Allow",
                "Principal": principal,
                "Action": request["Action"],
                "Resource": ref.display(),
            }
            condition = _conditions(request)
            if condition:
                statement["Condition"] = condition
            document = _document([*statements, statement])
            if document is not None and len(document) > POLICY_MAX:
                raise PolicyLengthExceededException(
                    f"The final policy size ({len(document)}) is bigger than the limit ({POLICY_MAX})."
                )
            self._save(conn, record, document)
        return {"Statement": json.dumps(statement, separators=(",", ":"))}

    def remove_permission(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        ref = self.ref(ctx, request, request.get("Qualifier"))
        with self.runtime.store.write() as conn:
            record = load(conn, self.runtime.seal, ref)
            self.check_revision(record.revision_id, request, "GetPolicy")
            statements = _statements(record)
            if not statements:
                raise ResourceNotFoundException("No policy is associated with the given resource.")
            sid = request["StatementId"]
            remaining = [s for s in statements if s.get("Sid") != sid]
            if len(remaining) == len(statements):
                raise ResourceNotFoundException(f"Statement {sid} is not found in resource policy.")
            self._save(conn, record, _document(remaining))
        return {}

    def get_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        ref = self.ref(ctx, request, request.get("Qualifier"))
        with self.runtime.store.read() as conn:
            record = load(conn, self.runtime.seal, ref)
        if not record.policy:
            raise ResourceNotFoundException("The resource you requested does not exist.")
        return {"Policy": record.policy, "RevisionId": record.revision_id}

    @staticmethod
    def _save(conn: Any, record: FunctionRecord, document: str | None) -> None:
        conn.execute(
            update(model.versions)
            .where(version_key(record, record.version))
            .values(policy=document, revision_id=new_revision())
        )
