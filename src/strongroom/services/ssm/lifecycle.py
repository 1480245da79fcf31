"""Parameter policies in action: the scheduler job that expires parameters and sends policy notifications."""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import update

from strongroom.events.bus import iso_time
from strongroom.scheduler.jobs import JobContext, JobResult
from strongroom.services.ssm import model, policies
from strongroom.services.ssm.base import POLICY_EVENT, SsmBase
from strongroom.services.ssm.refs import Ref

log = logging.getLogger("strongroom.ssm")


class ParameterPolicyOperations(SsmBase):
    """Parameter policies (Expiration, ExpirationNotification, NoChangeNotification) coming due."""

    scheduled_jobs = {policies.JOB_KIND: "run_policies"}

    def run_policies(self, job: JobContext) -> JobResult | None:
        """Act on every policy of one parameter that has come due; idempotent, as scheduler handlers must be."""
        ref = Ref(job.payload["account"], job.payload["region"], job.payload["name"])
        with self.runtime.store.read() as conn:
            row = self.row(conn, ref)
        if row is None:
            return None
        stored: list[dict[str, Any]] = json.loads(row.policies or "[]")
        now = job.now
        for policy in stored:
            moment = policies.moment_of(policy, stored, row.modified_at)
            if policy["status"] != "Pending" or moment is None or moment > now:
                continue
            if policy["type"] == "Expiration":
                self._expire(ref, row.version, policy, row.type, moment)
                return None
            policy["status"] = "Finished"
            if policy["type"] == "ExpirationNotification":
                expires = policies.expiration(stored)
                reason = f"Parameter {ref.name} will expire at {iso_time(expires) if expires else 'an unknown time'}."
            else:
                reason = f"Parameter {ref.name} has not been modified since {iso_time(row.modified_at)}."
            self._policy_event(ref, row.type, policy, reason)
        p = model.parameters
        with self.runtime.store.write() as conn:
            conn.execute(
                update(p).where(*self._where(p, ref), p.c.version == row.version).values(policies=json.dumps(stored))
            )
        due = policies.next_due(stored, row.modified_at)
        return None if due is None else JobResult.again(due)

    def _expire(self, ref: Ref, version: int, policy: dict[str, Any], parameter_type: str, moment: Any) -> None:
        with self.runtime.store.write() as conn:
            current = self.row(conn, ref)
            if current is None or current.version != version:
                return  # changed meanwhile; the change rescheduled this job
            self.remove(conn, ref)
        self.runtime.audit.service_event(
            "ssm", "DeleteParameter", ref.account_id, ref.region, [ref.arn], {"name": ref.name}, at=moment
        )
        self._policy_event(ref, parameter_type, {**policy, "status": "Finished"}, f"Parameter {ref.name} expired.")
        self.changed(ref, "Delete", parameter_type, current.description)

    def _policy_event(self, ref: Ref, parameter_type: str, policy: dict[str, Any], reason: str) -> None:
        detail = {
            "parameter-name": ref.name,
            "parameter-type": parameter_type,
            "policy-type": policy["type"],
            "policy-content": policy["text"],
            "action-status": "Finished",
            "action-reason": reason,
        }
        self.announce(ref.account_id, ref.region, POLICY_EVENT, detail, ref.arn)
