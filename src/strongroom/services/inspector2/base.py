"""What Inspector's operation families share: the account's enablement, ARNs, stored findings, events.

Findings are stored in the API's member form as JSON text (timestamps as ISO 8601) and revived by the model's
``Finding`` shape when answered. Events go to the account's default bus from ``aws.inspector2`` as AWS sends them:
``Inspector2 Finding`` when a finding is created or changes state (not while suppressed), ``Inspector2 Coverage``
when a resource's scan status changes, ``Inspector2 Scan`` when a scan of a resource completes.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from botocore.model import Shape
from sqlalchemy import Connection, select, update

from strongroom.events.bus import build_event, ensure_default_bus, route
from strongroom.services.base.family import ServiceBase
from strongroom.services.inspector2 import criteria
from strongroom.services.inspector2.model import account_state, filters, members

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

SOURCE = "aws.inspector2"
SCAN_JOB = "inspector2-scan"
RECONCILE_SECONDS = 60  # how often each enabled account's functions are compared with what was scanned
RESOURCE_TYPES = ("EC2", "ECR", "LAMBDA", "LAMBDA_CODE", "CODE_REPOSITORY")
# ResourceStatus member for each resource type.
STATUS_MEMBERS = {
    "EC2": "ec2",
    "ECR": "ecr",
    "LAMBDA": "lambda",
    "LAMBDA_CODE": "lambdaCode",
    "CODE_REPOSITORY": "codeRepository",
}
SCAN_TYPES = {"LAMBDA": "PACKAGE", "LAMBDA_CODE": "CODE"}
LAMBDA_RESOURCE = "AWS_LAMBDA_FUNCTION"


def new_id() -> str:
    return uuid.uuid4().hex


def iso(moment: datetime) -> str:
    return moment.isoformat()


def revive(shape: Any, value: Any) -> Any:
    """Stored JSON to the member form: ISO text in ``timestamp`` members back to datetimes."""
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        members = shape.members
        return {k: (revive(members[k], v) if k in members else v) for k, v in value.items()}
    if kind == "list" and isinstance(value, list):
        return [revive(shape.member, v) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: revive(shape.value, v) for k, v in value.items()}
    if kind == "timestamp" and isinstance(value, str):
        return criteria.as_datetime(value) or value
    return value


class InspectorBase(ServiceBase):
    """Shared helpers; the families declare ``scheduled_jobs``."""

    @cached_property
    def finding_shape(self) -> Shape:
        return self.runtime.catalog.service("inspector2").shape_for("Finding")

    def member_finding(self, body: str) -> dict[str, Any]:
        out: dict[str, Any] = revive(self.finding_shape, json.loads(body))
        return out

    # -- enablement ---------------------------------------------------------------------------------------

    @staticmethod
    def statuses(conn: Connection, account_id: str, region: str) -> dict[str, str]:
        """Resource type -> ENABLED | DISABLED for the account in the Region (DISABLED when never enabled)."""
        rows = conn.execute(
            select(account_state.c.resource_type, account_state.c.status).where(
                account_state.c.account_id == account_id, account_state.c.region == region
            )
        ).all()
        out = dict.fromkeys(RESOURCE_TYPES, "DISABLED")
        out.update({r.resource_type: r.status for r in rows})
        return out

    @staticmethod
    def account_status(statuses: Mapping[str, str]) -> str:
        return "ENABLED" if any(s == "ENABLED" for s in statuses.values()) else "DISABLED"

    @staticmethod
    def resource_status(statuses: Mapping[str, str]) -> dict[str, str]:
        return {STATUS_MEMBERS[kind]: statuses.get(kind, "DISABLED") for kind in RESOURCE_TYPES}

    @staticmethod
    def set_state(conn: Connection, account_id: str, region: str, kind: str, status: str, now: datetime) -> None:
        done = conn.execute(
            update(account_state)
            .where(
                account_state.c.account_id == account_id,
                account_state.c.region == region,
                account_state.c.resource_type == kind,
            )
            .values(status=status, updated_at=now)
        )
        if done.rowcount == 0:
            conn.execute(
                account_state.insert().values(
                    account_id=account_id, region=region, resource_type=kind, status=status, updated_at=now
                )
            )

    @staticmethod
    def members_of(conn: Connection, admin_account: str, region: str) -> list[str]:
        """The accounts the delegated administrator ``admin_account`` manages in ``region`` (members.py)."""
        rows = conn.execute(
            select(members.c.account_id).where(
                members.c.admin_account == admin_account, members.c.region == region, members.c.status == "ENABLED"
            )
        ).all()
        return [r.account_id for r in rows]

    def visible_accounts(self, ctx: RequestContext) -> list[str]:
        """The caller's account and, for a delegated administrator, its members' (whose findings it sees)."""
        with self.runtime.store.read() as conn:
            return [ctx.account_id, *self.members_of(conn, ctx.account_id, ctx.region)]

    # -- ARNs ---------------------------------------------------------------------------------------------

    @staticmethod
    def finding_arn(account_id: str, region: str) -> str:
        return f"arn:aws:inspector2:{region}:{account_id}:finding/{new_id()}"

    @staticmethod
    def filter_arn(account_id: str, region: str) -> str:
        return f"arn:aws:inspector2:{region}:{account_id}:owner/{account_id}/filter/{new_id()[:16]}"

    # -- suppression rules --------------------------------------------------------------------------------

    @staticmethod
    def suppression_rules(conn: Connection, account_id: str, region: str) -> list[dict[str, Any]]:
        rows = conn.execute(
            select(filters.c.criteria).where(
                filters.c.account_id == account_id, filters.c.region == region, filters.c.action == "SUPPRESS"
            )
        ).all()
        return [json.loads(r.criteria) for r in rows]

    @staticmethod
    def suppressed(finding: Mapping[str, Any], rules: Iterable[Mapping[str, Any]]) -> bool:
        return any(criteria.matches(finding, rule) for rule in rules)

    # -- events -------------------------------------------------------------------------------------------

    @staticmethod
    def send_event(
        conn: Connection,
        account_id: str,
        region: str,
        detail_type: str,
        detail: Mapping[str, Any],
        resources: list[str],
        at: datetime,
    ) -> None:
        event = build_event(account_id, region, SOURCE, detail_type, dict(detail), resources, at)
        ensure_default_bus(conn, account_id, region)
        route(conn, event, account_id, region, "default")
