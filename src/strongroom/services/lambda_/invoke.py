"""Invoke: RequestResponse runs now; Event is queued durably and runs in the background; DryRun only checks.

Event invocations are scheduler jobs (``lambda-async``), so they survive a restart and run at least once
across nodes: the job is due only after the function's timeout plus a margin, and the node that accepted the
invocation runs it at once in a worker thread and cancels the job when done. A job that comes due means its
node died (or a retry is due): whichever node takes it runs it. Function errors are retried twice, one and
then two minutes later, as AWS does for asynchronous invocations.
"""

from __future__ import annotations

import base64
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from strongroom.core import ids
from strongroom.core.clock import clock
from strongroom.scheduler.jobs import JobContext, JobResult
from strongroom.services.lambda_.base import LambdaBase
from strongroom.services.lambda_.errors import (
    InvalidParameterValueException,
    InvalidRequestContentException,
    RequestTooLargeException,
    ResourceNotFoundException,
)
from strongroom.services.lambda_.records import LATEST, FunctionRecord, FunctionRef, load
from strongroom.services.lambda_.runner import Outcome

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

log = logging.getLogger("strongroom.lambda")

SYNC_PAYLOAD_MAX = 6 * 1024 * 1024
ASYNC_PAYLOAD_MAX = 1024 * 1024
LOG_TAIL = 4096
ASYNC_JOB = "lambda-async"
ASYNC_ATTEMPTS = 3  # the first try and AWS's two retries
ASYNC_MARGIN = timedelta(seconds=120)
ASYNC_WORKERS = 4


def _payload_aad(job_key: str) -> bytes:
    return f"lambda:async:{job_key}".encode()


class InvokeOperations(LambdaBase):
    scheduled_jobs: ClassVar[dict[str, str]] = {ASYNC_JOB: "_async_job"}
    _executor: ThreadPoolExecutor | None = None

    def invoke(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        ref = self.ref(ctx, request, request.get("Qualifier"))
        kind = request.get("InvocationType", "RequestResponse")
        payload = request.get("Payload") or b""
        if isinstance(payload, str):
            payload = payload.encode()
        limit = ASYNC_PAYLOAD_MAX if kind == "Event" else SYNC_PAYLOAD_MAX
        if len(payload) > limit:
            operation = "InvokeAsync" if kind == "Event" else "InvokeFunction"
            raise RequestTooLargeException(f"Request must be smaller than {limit} bytes for the {operation} operation")
        if payload.strip():
            try:
                json.loads(payload)
            except (ValueError, RecursionError) as exc:  # nested past the parser is unparseable too
                raise InvalidRequestContentException(
                    f"Could not parse request body into json: Could not parse payload into json: {exc}"
                ) from None
        with self.runtime.store.read() as conn:
            record = load(conn, self.runtime.seal, ref)
        invoked_arn = ref.display()
        if kind == "DryRun":
            return {"StatusCode": 204}
        if kind == "Event":
            self._enqueue(record, ref, payload, invoked_arn)
            return {"StatusCode": 202}
        if kind != "RequestResponse":
            raise InvalidParameterValueException(f"Unsupported InvocationType: {kind}")
        outcome = self.runner.invoke(record, payload, ctx.request_id, invoked_arn)
        self.ship_logs(record, outcome)
        out: dict[str, Any] = {"StatusCode": 200, "Payload": outcome.payload, "ExecutedVersion": record.version}
        if outcome.function_error:
            out["FunctionError"] = outcome.function_error
        if request.get("LogType") == "Tail":
            tail = outcome.log.encode()[-LOG_TAIL:]
            out["LogResult"] = base64.b64encode(tail).decode()
        return out

    # --- asynchronous invocations ---------------------------------------------------------------------

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=ASYNC_WORKERS, thread_name_prefix="lambda-async")
        return self._executor

    def _enqueue(self, record: FunctionRecord, ref: FunctionRef, payload: bytes, invoked_arn: str) -> None:
        job_key = ids.request_id()
        data = {
            "account": record.account_id,
            "region": record.region,
            "name": record.name,
            "qualifier": ref.qualifier or LATEST,
            "invoked_arn": invoked_arn,
            "payload": base64.b64encode(self.runtime.seal.wrap(payload, _payload_aad(job_key))).decode(),
            "attempt": 1,
        }
        due = clock.now() + timedelta(seconds=record.timeout) + ASYNC_MARGIN
        self.runtime.scheduler.schedule(ASYNC_JOB, job_key, due, data)
        self._pool().submit(self._run_async, job_key, data)

    def _async_job(self, job: JobContext) -> JobResult:
        """A queued invocation whose node never finished it, or a retry that came due: run it here."""
        self._pool().submit(self._run_async, job.key, job.payload)
        timeout = 900
        return JobResult.again(job.now + timedelta(seconds=timeout) + ASYNC_MARGIN)

    def _run_async(self, job_key: str, data: dict[str, Any]) -> None:
        try:
            ref = FunctionRef(data["account"], data["region"], data["name"], data["qualifier"])
            try:
                with self.runtime.store.read() as conn:
                    record = load(conn, self.runtime.seal, ref)
            except ResourceNotFoundException:
                log.info("asynchronous invocation dropped: function %s is gone", ref.display())
                self.runtime.scheduler.cancel(ASYNC_JOB, job_key)
                return
            payload = self.runtime.seal.unwrap(base64.b64decode(data["payload"]), _payload_aad(job_key))
            outcome: Outcome = self.runner.invoke(record, payload, job_key, data["invoked_arn"])
            self.ship_logs(record, outcome)
            attempt = int(data.get("attempt", 1))
            if outcome.function_error and attempt < ASYNC_ATTEMPTS:
                retry = dict(data, attempt=attempt + 1)
                due = clock.now() + timedelta(minutes=attempt)
                self.runtime.scheduler.schedule(ASYNC_JOB, job_key, due, retry)
                log.info("asynchronous invocation of %s failed; retry %d scheduled", record.name, attempt)
                return
            if outcome.function_error:
                log.warning("asynchronous invocation of %s failed %d times; discarded", record.name, attempt)
            self.runtime.scheduler.cancel(ASYNC_JOB, job_key)
        except Exception:
            # the job row stays: it comes due and is retried, so the invocation is not lost
            log.exception("asynchronous invocation %s could not run", job_key)
