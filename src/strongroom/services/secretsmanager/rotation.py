"""Rotation: RotateSecret, CancelRotateSecret, the four-step protocol through Lambda, and scheduled rotations.

A rotation invokes the function four times (``createSecret``, ``setSecret``, ``testSecret``, ``finishSecret``)
with ``{"Step", "SecretId", "ClientRequestToken", "RotationToken"}``. Unlike AWS, where RotateSecret returns
and the steps run asynchronously, the steps run before RotateSecret answers, so a caller (and a test) sees the
outcome at once; a failing function still does not fail the call, as on AWS: AWSCURRENT is untouched,
AWSPENDING stays where the function left it, ``RotationFailed`` is recorded and the rotation is retried at the
next window (with the same token, so AWS-style functions resume). Scheduled rotations are scheduler jobs on the
server clock, invoked as the service principal ``secretsmanager.amazonaws.com`` (whose access the function's
resource policy grants, as on AWS).
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from datetime import datetime, timedelta
from typing import Any, ClassVar

from strongroom.core import context, ids
from strongroom.core.errors import AwsError
from strongroom.events import schedule_expressions
from strongroom.scheduler.jobs import JobContext, JobResult
from strongroom.services.base.runtime import RequestContext
from strongroom.services.secretsmanager import events, model
from strongroom.services.secretsmanager.base import (
    CURRENT,
    PENDING,
    SERVICE_PRINCIPAL,
    Secret,
    SecretsBase,
    find_secret,
    job_key,
    load_versions,
    move_labels,
    write_stages,
)
from strongroom.services.secretsmanager.deletion import ROTATE_JOB
from strongroom.services.secretsmanager.errors import (
    AccessDeniedException,
    InvalidParameterException,
    InvalidRequestException,
)
from strongroom.services.secretsmanager.writes import insert_row

log = logging.getLogger("strongroom.secretsmanager")

STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")
_DURATION = re.compile(r"^([1-9]|1[0-9]|2[0-4])h$")
_RATE_DAYS_OR_HOURS = re.compile(r"^rate\(\s*(\d+)\s+(hours?|days?)\s*\)$")
INVOKE_DENIED = (
    "Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access "
    "to the principal secretsmanager.amazonaws.com."
)
PREVIOUS_INCOMPLETE = "A previous rotation isn't complete. That rotation will be reattempted."


class RotationFailed(Exception):
    """A step failed; the message is safe to record (never a secret value)."""


def validate_rules(rules: dict[str, Any]) -> None:
    days, expr, duration = rules.get("AutomaticallyAfterDays"), rules.get("ScheduleExpression"), rules.get("Duration")
    if days is not None and expr is not None:
        raise InvalidParameterException("You can't specify both AutomaticallyAfterDays and ScheduleExpression.")
    if days is None and expr is None:
        raise InvalidParameterException("You must specify AutomaticallyAfterDays or ScheduleExpression.")
    if duration is not None and not _DURATION.match(str(duration)):
        raise InvalidParameterException("The rotation window Duration must be between 1h and 24h.")
    if expr is not None:
        text = str(expr).strip()
        if text.startswith("rate("):
            m = _RATE_DAYS_OR_HOURS.match(text)
            if not m:
                raise InvalidParameterException("Invalid rate expression: use rate(N hours) or rate(N days).")
            n, unit = int(m.group(1)), m.group(2)
            hours = n if unit.startswith("hour") else n * 24
            if not 4 <= hours <= 1000 * 24:
                raise InvalidParameterException("The rotation rate must be between 4 hours and 1000 days.")
        try:
            schedule_expressions.parse(text)
        except schedule_expressions.InvalidSchedule:
            raise InvalidParameterException(f"Invalid ScheduleExpression: {text}") from None


def next_rotation(rules: dict[str, Any] | None, after: datetime) -> datetime | None:
    """When the next rotation window opens after ``after`` (AWS picks a time inside it; this is its start)."""
    if not rules:
        return None
    days = rules.get("AutomaticallyAfterDays")
    if days is not None:
        return after + timedelta(days=int(days))
    expr = rules.get("ScheduleExpression")
    return schedule_expressions.next_fire(str(expr), after, after) if expr else None


def normalized_rules(rules: dict[str, Any]) -> dict[str, Any]:
    """What DescribeSecret shows: AWS reports rate(N days) also as AutomaticallyAfterDays."""
    out = {k: v for k, v in rules.items() if v is not None}
    expr = out.get("ScheduleExpression")
    m = _RATE_DAYS_OR_HOURS.match(str(expr).strip()) if expr else None
    if m and m.group(2).startswith("day"):
        out["AutomaticallyAfterDays"] = int(m.group(1))
    return out


class RotationOperations(SecretsBase):
    scheduled_jobs: ClassVar[dict[str, str]] = {ROTATE_JOB: "_rotate_job"}

    def rotate_secret(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        secret = self.secret(ctx, request.get("SecretId"), write=True)
        if request.get("ExternalSecretRotationMetadata") or request.get("ExternalSecretRotationRoleArn"):
            raise InvalidRequestException("Strongroom does not support managed external secret rotation.")
        lambda_arn = request.get("RotationLambdaARN") or secret.rotation_lambda_arn
        if not lambda_arn:
            raise InvalidRequestException("No Lambda rotation function ARN is associated with this secret.")
        rules = request.get("RotationRules")
        if rules is not None:
            validate_rules(rules)
            rules = normalized_rules(rules)
        else:
            rules = secret.rotation_rules
        pending = self.pending_version(secret)
        if pending is not None:
            raise InvalidRequestException(PREVIOUS_INCOMPLETE)
        token = str(request.get("ClientRequestToken") or uuid.uuid4())
        with self.runtime.store.read() as conn:
            labels_before = {v.version_id: list(v.stages) for v in load_versions(conn, secret.arn)}
        now = self.now()
        immediately = request.get("RotateImmediately", True) is not False
        nxt = next_rotation(rules, now)
        with self.runtime.store.write() as conn:
            conn.execute(
                model.secrets.update()
                .where(model.secrets.c.arn == secret.arn)
                .values(
                    rotation_enabled=True,
                    rotation_lambda_arn=lambda_arn,
                    rotation_rules=json.dumps(rules) if rules else None,
                    next_rotation_at=nxt,
                    last_changed_at=now,
                )
            )
            self._schedule(conn, secret, nxt)
        steps = STEPS if immediately else ("testSecret",)
        if not immediately and request.get("ClientRequestToken") is None:
            # testSecret alone checks the configuration against the version in use, which a function accepts
            token = self.current_version(secret) or token
        try:
            self.run_rotation(ctx, secret.arn, lambda_arn, token, steps, caller_facing=True)
        except AwsError:
            # the function could not be invoked at all (missing, or the caller may not): AWS refuses such a
            # RotateSecret without changing the secret, so the configuration and the placeholder are undone
            self._undo_rotate(secret, labels_before)
            raise
        finally:
            self.after_write(ctx, secret.arn)
        return {"ARN": secret.arn, "Name": secret.name, "VersionId": token}

    def _undo_rotate(self, secret: Secret, labels: dict[str, list[str]]) -> None:
        """Put back what RotateSecret changed before its function refused: rotation settings, versions, labels."""
        with self.runtime.store.write() as conn:
            conn.execute(
                model.secrets.update()
                .where(model.secrets.c.arn == secret.arn)
                .values(
                    rotation_enabled=secret.rotation_enabled,
                    rotation_lambda_arn=secret.rotation_lambda_arn,
                    rotation_rules=json.dumps(secret.rotation_rules) if secret.rotation_rules else None,
                    next_rotation_at=secret.next_rotation_at,
                    rotation_failed=secret.rotation_failed,
                    last_changed_at=secret.last_changed_at,
                )
            )
            v = model.versions.c
            for ver in load_versions(conn, secret.arn):
                if ver.version_id not in labels:
                    conn.execute(
                        model.versions.delete().where((v.arn == secret.arn) & (v.version_id == ver.version_id))
                    )
            write_stages(conn, secret.arn, labels)
            self._schedule(conn, secret, secret.next_rotation_at if secret.rotation_enabled else None)

    def cancel_rotate_secret(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        secret = self.secret(ctx, request.get("SecretId"), write=True)
        if not secret.rotation_enabled:
            raise InvalidRequestException(
                "Secrets Manager can't cancel rotation because rotation isn't enabled for this secret."
            )
        pending = self.pending_version(secret)
        with self.runtime.store.write() as conn:
            conn.execute(
                model.secrets.update()
                .where(model.secrets.c.arn == secret.arn)
                .values(rotation_enabled=False, next_rotation_at=None, rotation_failed=False)
            )
            self.runtime.scheduler.cancel(ROTATE_JOB, job_key(secret.arn), conn)
        self.after_write(ctx, secret.arn)
        out: dict[str, Any] = {"ARN": secret.arn, "Name": secret.name}
        if pending is not None:
            out["VersionId"] = pending
        return out

    # -- the protocol -----------------------------------------------------------------------------------------

    def pending_version(self, secret: Secret) -> str | None:
        """The version AWSPENDING is on when that is not the AWSCURRENT version: a rotation left incomplete."""
        with self.runtime.store.read() as conn:
            versions = load_versions(conn, secret.arn)
        for v in versions:
            if PENDING in v.stages and CURRENT not in v.stages:
                return v.version_id
        return None

    def current_version(self, secret: Secret) -> str | None:
        with self.runtime.store.read() as conn:
            return next((v.version_id for v in load_versions(conn, secret.arn) if CURRENT in v.stages), None)

    def run_rotation(
        self,
        invoker: RequestContext,
        arn: str,
        lambda_arn: str,
        token: str,
        steps: tuple[str, ...],
        *,
        caller_facing: bool = False,
    ) -> bool:
        """Run ``steps``; record the outcome. Only a caller-facing invocation refusal is raised (as AWS does)."""
        account, region = arn.split(":")[4], arn.split(":")[3]
        events.service_event(self.runtime, "RotationStarted", account, region, arn)
        rotation_token = str(uuid.uuid4())
        if steps == STEPS:
            self._placeholder(arn, token)
        try:
            for step in steps:
                self._invoke(invoker, lambda_arn, step, arn, token, rotation_token, caller_facing=caller_facing)
            if steps == STEPS:
                self._check_finished(arn, token)
        except RotationFailed as exc:
            self._record_failure(arn, account, region, str(exc))
            return False
        now = self.now()
        with self.runtime.store.write() as conn:
            found = find_secret(conn, account, region, arn)
            if found is None:
                return False
            values: dict[str, Any] = {"rotation_failed": False}
            if steps == STEPS:
                values.update(last_rotated_at=now, next_rotation_at=next_rotation(found.rotation_rules, now))
                # AWS leaves AWSPENDING on no version, or on the AWSCURRENT one; it drops it there.
                versions = {v.version_id: list(v.stages) for v in load_versions(conn, arn)}
                for stages in versions.values():
                    if PENDING in stages and CURRENT in stages:
                        stages.remove(PENDING)
                write_stages(conn, arn, versions)
            conn.execute(model.secrets.update().where(model.secrets.c.arn == arn).values(**values))
            if steps == STEPS and found.rotation_enabled:
                self._schedule(conn, found, values["next_rotation_at"])
        events.service_event(self.runtime, "RotationSucceeded", account, region, arn)
        return True

    def _invoke(
        self,
        invoker: RequestContext,
        lambda_arn: str,
        step: str,
        arn: str,
        token: str,
        rotation_token: str,
        *,
        caller_facing: bool,
    ) -> None:
        payload = {"Step": step, "SecretId": arn, "ClientRequestToken": token, "RotationToken": rotation_token}
        try:
            out = invoker.call(
                "lambda",
                "Invoke",
                {
                    "FunctionName": lambda_arn,
                    "InvocationType": "RequestResponse",
                    "Payload": json.dumps(payload).encode(),
                },
            )
        except AwsError as exc:
            if exc.code in ("AccessDeniedException", "AccessDenied") and caller_facing:
                raise AccessDeniedException(INVOKE_DENIED) from None
            if exc.code == "ResourceNotFoundException" and caller_facing:
                raise InvalidRequestException(
                    f"Secrets Manager can't find the specified Lambda function: {lambda_arn}"
                ) from None
            raise RotationFailed(f"{step}: {exc.code}") from None
        if out.get("FunctionError"):
            raise RotationFailed(f"{step}: the rotation function reported an error ({out['FunctionError']})")

    def _placeholder(self, arn: str, token: str) -> None:
        """AWS creates the new version, empty and labeled AWSPENDING, before createSecret fills it."""
        with self.runtime.store.write() as conn:
            if any(v.version_id == token for v in load_versions(conn, arn)):
                return
            insert_row(conn, arn, token, "", b"", b"", False, self.now())
            move_labels(conn, arn, token, [PENDING])

    def _check_finished(self, arn: str, token: str) -> None:
        with self.runtime.store.read() as conn:
            versions = load_versions(conn, arn)
        if not any(v.version_id == token and CURRENT in v.stages for v in versions):
            raise RotationFailed("finishSecret: the new version was not marked AWSCURRENT")

    def _record_failure(self, arn: str, account: str, region: str, reason: str) -> None:
        log.warning("rotation of %s failed: %s", arn, reason)
        now = self.now()
        with self.runtime.store.write() as conn:
            found = find_secret(conn, account, region, arn)
            if found is None:
                return
            nxt = next_rotation(found.rotation_rules, now) if found.rotation_enabled else None
            conn.execute(
                model.secrets.update()
                .where(model.secrets.c.arn == arn)
                .values(rotation_failed=True, next_rotation_at=nxt)
            )
            self._schedule(conn, found, nxt)
        events.service_event(self.runtime, "RotationFailed", account, region, arn, {"reason": reason})

    def _schedule(self, conn: Any, secret: Secret, when: datetime | None) -> None:
        if when is None:
            self.runtime.scheduler.cancel(ROTATE_JOB, job_key(secret.arn), conn)
            return
        payload = {"arn": secret.arn, "account": secret.account_id, "region": secret.region}
        self.runtime.scheduler.schedule(ROTATE_JOB, job_key(secret.arn), when, payload, conn)

    # -- scheduled rotations ----------------------------------------------------------------------------------

    def service_context(self, account_id: str, region: str) -> RequestContext:
        """Scheduled rotations have no caller: Secrets Manager itself invokes the function."""
        principal = context.Principal("AWSService", account_id, SERVICE_PRINCIPAL, SERVICE_PRINCIPAL)
        return context.RequestContext(
            self.runtime, ids.request_id(), "secretsmanager", "RotateSecret", region, principal
        )

    def _rotate_job(self, job: JobContext) -> JobResult | None:
        account, region, arn = str(job.payload["account"]), str(job.payload["region"]), str(job.payload["arn"])
        with self.runtime.store.read() as conn:
            secret = find_secret(conn, account, region, arn)
        if secret is None or secret.deleted or not secret.rotation_enabled or not secret.rotation_lambda_arn:
            return None
        if secret.next_rotation_at is not None and secret.next_rotation_at > job.now:
            return JobResult.again(secret.next_rotation_at)
        token = self.pending_version(secret) or str(uuid.uuid4())  # a retry resumes the incomplete rotation
        ctx = self.service_context(account, region)
        self.run_rotation(ctx, arn, secret.rotation_lambda_arn, token, STEPS)
        with self.runtime.store.read() as conn:
            after = find_secret(conn, account, region, arn)
        # sync replicas as the service: the function's own writes already synced them as its role
        if after is None or not after.rotation_enabled or after.next_rotation_at is None:
            return None
        return JobResult.again(after.next_rotation_at)
