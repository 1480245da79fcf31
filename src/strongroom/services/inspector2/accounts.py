"""Enable / Disable scanning per resource type, BatchGetAccountStatus, BatchGetFreeTrialInfo.

LAMBDA (standard scanning: packages) and LAMBDA_CODE (code scanning, which needs LAMBDA, as in AWS) start the
account's scanner (``scanning.py``); EC2, ECR and CODE_REPOSITORY enable as AWS answers, with nothing to scan (there
are no such resources here). The transitions AWS reports (ENABLING, DISABLING) complete within the call. Disabling a
scan type removes its coverage and findings, as AWS does. Other accounts' ids answer as AWS does for an account
that is not the caller's member (``ACCESS_DENIED`` in ``failedAccounts``): there are no members without a
delegated administrator.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update

from strongroom.core.clock import clock
from strongroom.services.inspector2.base import (
    LAMBDA_RESOURCE,
    RESOURCE_TYPES,
    SCAN_JOB,
    SCAN_TYPES,
    InspectorBase,
)
from strongroom.services.inspector2.errors import validation
from strongroom.services.inspector2.model import account_state, coverage, findings

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy import Connection

    from strongroom.services.base.runtime import RequestContext

FREE_TRIAL_DAYS = 15
_NOT_MEMBER = "The request was rejected because the account is not a member of your organization."


class AccountOperations(InspectorBase):
    def _others(self, ctx: RequestContext, ids: list[str]) -> list[dict[str, Any]]:
        return [
            {"accountId": account, "errorCode": "ACCESS_DENIED", "errorMessage": _NOT_MEMBER}
            for account in ids
            if account != ctx.account_id
        ]

    def enable(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        wanted = list(dict.fromkeys(request["resourceTypes"]))
        ids = list(request.get("accountIds") or [ctx.account_id])
        now = clock.now()
        with self.runtime.store.write() as conn:
            current = self.statuses(conn, ctx.account_id, ctx.region)
            if "LAMBDA_CODE" in wanted and "LAMBDA" not in wanted and current["LAMBDA"] != "ENABLED":
                raise validation("Lambda code scanning requires Lambda standard scanning to be enabled.")
            if ctx.account_id in ids:
                for kind in wanted:
                    self._set(conn, ctx.account_id, ctx.region, kind, "ENABLED", now)
                    current[kind] = "ENABLED"
                if any(kind in SCAN_TYPES for kind in wanted):
                    # The scanner runs at once and then every RECONCILE_SECONDS (scanning.py).
                    self.runtime.scheduler.schedule(SCAN_JOB, f"{ctx.account_id}:{ctx.region}", now, conn=conn)
        accounts = (
            [
                {
                    "accountId": ctx.account_id,
                    "status": self.account_status(current),
                    "resourceStatus": self.resource_status(current),
                }
            ]
            if ctx.account_id in ids
            else []
        )
        return {"accounts": accounts, "failedAccounts": self._others(ctx, ids)}

    def disable(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        wanted = list(dict.fromkeys(request.get("resourceTypes") or RESOURCE_TYPES))
        ids = list(request.get("accountIds") or [ctx.account_id])
        now = clock.now()
        with self.runtime.store.write() as conn:
            current = self.statuses(conn, ctx.account_id, ctx.region)
            if ctx.account_id in ids:
                if "LAMBDA" in wanted and "LAMBDA_CODE" not in wanted and current["LAMBDA_CODE"] == "ENABLED":
                    wanted.append("LAMBDA_CODE")  # code scanning cannot outlive standard scanning
                for kind in wanted:
                    self._set(conn, ctx.account_id, ctx.region, kind, "DISABLED", now)
                    current[kind] = "DISABLED"
                    if kind in SCAN_TYPES:
                        self._forget(conn, ctx.account_id, ctx.region, SCAN_TYPES[kind])
                if all(current[kind] != "ENABLED" for kind in SCAN_TYPES):
                    self.runtime.scheduler.cancel(SCAN_JOB, f"{ctx.account_id}:{ctx.region}", conn=conn)
        accounts = (
            [
                {
                    "accountId": ctx.account_id,
                    "status": self.account_status(current),
                    "resourceStatus": self.resource_status(current),
                }
            ]
            if ctx.account_id in ids
            else []
        )
        return {"accounts": accounts, "failedAccounts": self._others(ctx, ids)}

    @staticmethod
    def _set(conn: Connection, account_id: str, region: str, kind: str, status: str, now: datetime) -> None:
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
    def _forget(conn: Connection, account_id: str, region: str, scan_type: str) -> None:
        finding_type = "PACKAGE_VULNERABILITY" if scan_type == "PACKAGE" else "CODE_VULNERABILITY"
        conn.execute(
            delete(coverage).where(
                coverage.c.account_id == account_id,
                coverage.c.region == region,
                coverage.c.scan_type == scan_type,
                coverage.c.resource_type == LAMBDA_RESOURCE,
            )
        )
        conn.execute(
            delete(findings).where(
                findings.c.account_id == account_id, findings.c.region == region, findings.c.type == finding_type
            )
        )

    def batch_get_account_status(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        ids = list(request.get("accountIds") or [ctx.account_id])
        accounts = []
        if ctx.account_id in ids:
            with self.runtime.store.read() as conn:
                current = self.statuses(conn, ctx.account_id, ctx.region)
            status = self.account_status(current)
            accounts.append(
                {
                    "accountId": ctx.account_id,
                    "state": {"status": status, "errorCode": "ALREADY_ENABLED", "errorMessage": "-"}
                    if status == "ENABLED"
                    else {"status": status, "errorCode": "RESOURCE_NOT_FOUND", "errorMessage": "-"},
                    "resourceState": {
                        member: {"status": value, "errorCode": "ALREADY_ENABLED", "errorMessage": "-"}
                        if value == "ENABLED"
                        else {"status": value, "errorCode": "RESOURCE_NOT_FOUND", "errorMessage": "-"}
                        for member, value in self.resource_status(current).items()
                    },
                }
            )
        failed = [
            {"accountId": a, "errorCode": "ACCESS_DENIED", "errorMessage": _NOT_MEMBER}
            for a in ids
            if a != ctx.account_id
        ]
        return {"accounts": accounts, "failedAccounts": failed}

    def batch_get_free_trial_info(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        """The trial starts when a scan type is first enabled and lasts 15 days (AWS's free trial)."""
        ids = list(dict.fromkeys(request["accountIds"]))
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(account_state).where(
                    account_state.c.account_id == ctx.account_id, account_state.c.region == ctx.region
                )
            ).all()
        now = clock.now()
        infos = []
        for row in rows:
            if row.resource_type == "CODE_REPOSITORY":
                continue
            end = row.updated_at + timedelta(days=FREE_TRIAL_DAYS)
            infos.append(
                {
                    "type": row.resource_type,
                    "start": row.updated_at,
                    "end": end,
                    "status": "ACTIVE" if row.status == "ENABLED" and now < end else "INACTIVE",
                }
            )
        accounts = [{"accountId": ctx.account_id, "freeTrialInfo": infos}] if ctx.account_id in ids else []
        failed = [{"accountId": a, "code": "ACCESS_DENIED", "message": _NOT_MEMBER} for a in ids if a != ctx.account_id]
        return {"accounts": accounts, "failedAccounts": failed}
