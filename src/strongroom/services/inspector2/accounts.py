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

from sqlalchemy import delete, select

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
    from sqlalchemy import Connection

    from strongroom.services.base.runtime import RequestContext

FREE_TRIAL_DAYS = 15
_NOT_MEMBER = "The request was rejected because the account is not a member of your organization."


class AccountOperations(InspectorBase):
    def _targets(self, conn: Connection, ctx: RequestContext, request: dict[str, Any]) -> tuple[list[str], list[str]]:
        """(accounts the caller may act for, the others): its own, and a delegated administrator's members."""
        ids = list(dict.fromkeys(request.get("accountIds") or [ctx.account_id]))
        allowed = {ctx.account_id, *self.members_of(conn, ctx.account_id, ctx.region)}
        return [a for a in ids if a in allowed], [a for a in ids if a not in allowed]

    @staticmethod
    def _failed(ids: list[str]) -> list[dict[str, Any]]:
        return [{"accountId": a, "errorCode": "ACCESS_DENIED", "errorMessage": _NOT_MEMBER} for a in ids]

    def _answer(self, account_id: str, current: dict[str, str]) -> dict[str, Any]:
        return {
            "accountId": account_id,
            "status": self.account_status(current),
            "resourceStatus": self.resource_status(current),
        }

    def enable(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        wanted = list(dict.fromkeys(request["resourceTypes"]))
        now = clock.now()
        accounts = []
        with self.runtime.store.write() as conn:
            mine, others = self._targets(conn, ctx, request)
            states = {account: self.statuses(conn, account, ctx.region) for account in mine}
            for current in states.values():
                if "LAMBDA_CODE" in wanted and "LAMBDA" not in wanted and current["LAMBDA"] != "ENABLED":
                    raise validation("Lambda code scanning requires Lambda standard scanning to be enabled.")
            for account, current in states.items():
                for kind in wanted:
                    self.set_state(conn, account, ctx.region, kind, "ENABLED", now)
                    current[kind] = "ENABLED"
                if any(kind in SCAN_TYPES for kind in wanted):
                    # The scanner runs at once and then every RECONCILE_SECONDS (scanning.py).
                    self.runtime.scheduler.schedule(SCAN_JOB, f"{account}:{ctx.region}", now, conn=conn)
                accounts.append(self._answer(account, current))
        return {"accounts": accounts, "failedAccounts": self._failed(others)}

    def disable(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        now = clock.now()
        accounts = []
        with self.runtime.store.write() as conn:
            mine, others = self._targets(conn, ctx, request)
            for account in mine:
                wanted = list(dict.fromkeys(request.get("resourceTypes") or RESOURCE_TYPES))
                current = self.statuses(conn, account, ctx.region)
                if "LAMBDA" in wanted and "LAMBDA_CODE" not in wanted and current["LAMBDA_CODE"] == "ENABLED":
                    wanted.append("LAMBDA_CODE")  # code scanning cannot outlive standard scanning
                for kind in wanted:
                    self.set_state(conn, account, ctx.region, kind, "DISABLED", now)
                    current[kind] = "DISABLED"
                    if kind in SCAN_TYPES:
                        self._forget(conn, account, ctx.region, SCAN_TYPES[kind])
                if all(current[kind] != "ENABLED" for kind in SCAN_TYPES):
                    self.runtime.scheduler.cancel(SCAN_JOB, f"{account}:{ctx.region}", conn=conn)
                accounts.append(self._answer(account, current))
        return {"accounts": accounts, "failedAccounts": self._failed(others)}

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
        with self.runtime.store.read() as conn:
            mine, others = self._targets(conn, ctx, request)
            states = {account: self.statuses(conn, account, ctx.region) for account in mine}
        accounts = []
        for account, current in states.items():
            accounts.append(
                {
                    "accountId": account,
                    "state": _state(self.account_status(current)),
                    "resourceState": {m: _state(v) for m, v in self.resource_status(current).items()},
                }
            )
        return {"accounts": accounts, "failedAccounts": self._failed(others)}

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


def _state(status: str) -> dict[str, str]:
    """A State as BatchGetAccountStatus answers it (AWS fills errorCode / errorMessage even when all is well)."""
    if status == "ENABLED":
        return {"status": status, "errorCode": "ALREADY_ENABLED", "errorMessage": "Already enabled."}
    return {"status": status, "errorCode": "RESOURCE_NOT_FOUND", "errorMessage": "Not enabled."}
