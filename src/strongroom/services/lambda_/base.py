"""What every family of Lambda operations shares: resolving functions, storing packages, revision checks."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, exists, insert, select

from strongroom.core.clock import clock
from strongroom.core.errors import AwsError
from strongroom.services.base.family import ServiceBase
from strongroom.services.lambda_ import model
from strongroom.services.lambda_.code_url import forget_key
from strongroom.services.lambda_.errors import PreconditionFailedException
from strongroom.services.lambda_.log_delivery import LogDelivery
from strongroom.services.lambda_.records import FunctionRecord, FunctionRef, parse_function_name
from strongroom.services.lambda_.runner import Outcome, Runner

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext, ServiceRuntime


def new_revision() -> str:
    return str(uuid.uuid4())


class LambdaBase(ServiceBase):
    """Shared state; families declare ``scheduled_jobs = {"kind": "method"}`` to be registered at start."""

    runner: Runner
    log_delivery: LogDelivery

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runner = Runner(runtime)
        self.log_delivery = LogDelivery(runtime)
        super().__init__(runtime)

    def ship_logs(self, record: FunctionRecord, outcome: Outcome) -> None:
        """Hand the invocation's log to CloudWatch Logs (in the background; never failing the invocation)."""
        try:
            principal = self.runner.role_principal(record)
        except AwsError:
            return
        self.log_delivery.submit(record, principal, outcome)

    def reset(self) -> None:
        """Test-mode reset: cached credentials belong to sessions that are gone, and the settings table (the
        function URL signing key) was wiped."""
        self.runner.forget()
        forget_key(self.runtime)

    @staticmethod
    def ref(ctx: RequestContext, request: dict[str, Any], qualifier: str | None = None) -> FunctionRef:
        return parse_function_name(request["FunctionName"], ctx.account_id, ctx.region, qualifier)

    @staticmethod
    def check_revision(current: str, request: dict[str, Any], api: str = "GetFunction") -> None:
        wanted = request.get("RevisionId")
        if wanted is not None and wanted != current:
            raise PreconditionFailedException(
                "The Revision Id provided does not match the latest Revision Id. "
                f"Call the {api}/GetAlias API to retrieve the latest Revision Id"
            )

    @staticmethod
    def store_code(conn: Connection, digest: str, data: bytes) -> None:
        """Packages are content-addressed: a second function with the same zip shares the row."""
        if conn.execute(select(model.code.c.sha256).where(model.code.c.sha256 == digest)).first() is None:
            conn.execute(insert(model.code).values(sha256=digest, zip=data, size=len(data), created_at=clock.now()))

    @staticmethod
    def collect_code(conn: Connection) -> None:
        """Drop packages no version refers to any more."""
        used = exists().where(model.versions.c.code_sha256 == model.code.c.sha256)
        conn.execute(delete(model.code).where(~used))
