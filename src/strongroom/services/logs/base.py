"""What every family of CloudWatch Logs operations shares: names and ARNs, finding groups and streams, data keys."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from strongroom.core.clock import clock
from strongroom.services.base.family import ServiceBase
from strongroom.services.logs.errors import InvalidParameterException, ResourceNotFoundException
from strongroom.services.logs.keys import DataKeys
from strongroom.services.logs.model import data_keys, groups, streams

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext, ServiceRuntime

Row = Any

# PutRetentionPolicy's allowed values (the model documents them; it does not enforce them).
RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
RETENTION_JOB = "logs-retention"
_GROUP_ARN = re.compile(r"^arn:aws[a-z-]*:logs:([a-z0-9-]+):(\d{12}):log-group:([^:]+)(:\*)?$")


def now_ms() -> int:
    return int(clock.time() * 1000)


def group_arn(region: str, account: str, name: str) -> str:
    """The log group's ARN without the trailing ``:*`` (``logGroupArn``; ``arn`` adds ``:*``)."""
    return f"arn:aws:logs:{region}:{account}:log-group:{name}"


def stream_arn(group: str, stream: str) -> str:
    return f"{group}:log-stream:{stream}"


def parse_group_arn(arn: str) -> tuple[str, str, str] | None:
    """(region, account, name) of a log group ARN (with or without ``:*``), or None."""
    m = _GROUP_ARN.match(arn)
    return (m.group(1), m.group(2), m.group(3)) if m else None


class LogsBase(ServiceBase):
    """Shared state (the data keys); families declare ``scheduled_jobs = {"logs-kind": "method"}``."""

    keys: DataKeys

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.keys = DataKeys(runtime)
        super().__init__(runtime)

    def reset(self) -> None:
        """Test-mode reset: the tables were wiped, so cached data keys name nothing."""
        self.keys.forget()

    # -- finding groups and streams ---------------------------------------------------------------------------

    @staticmethod
    def group_name(ctx: RequestContext, request: dict[str, Any]) -> str:
        """The group a request names: ``logGroupName``, or ``logGroupIdentifier`` (a name or an ARN of the caller's
        account and region: cross-account observability is not implemented)."""
        name = request.get("logGroupName")
        ident = request.get("logGroupIdentifier")
        if name is not None and ident is not None:
            raise InvalidParameterException("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
        if name is None and ident is None:
            raise InvalidParameterException("Should provide either name or ARN of the log group.")
        if name is not None:
            return str(name)
        if not str(ident).startswith("arn:"):
            return str(ident)
        parsed = parse_group_arn(str(ident))
        if parsed is None:
            raise InvalidParameterException(f"Invalid log group identifier: {ident}")
        if parsed[:2] != (ctx.region, ctx.account_id):
            raise ResourceNotFoundException("The specified log group does not exist.")
        return parsed[2]

    def find_group(self, conn: Connection, ctx: RequestContext, name: str) -> Row | None:
        return conn.execute(select(groups).where(groups.c.arn == group_arn(ctx.region, ctx.account_id, name))).first()

    def require_group(self, conn: Connection, ctx: RequestContext, name: str) -> Row:
        row = self.find_group(conn, ctx, name)
        if row is None:
            raise ResourceNotFoundException("The specified log group does not exist.")
        return row

    @staticmethod
    def require_stream(conn: Connection, group: Row, name: str) -> Row:
        row = conn.execute(select(streams).where(streams.c.group_arn == group.arn, streams.c.name == name)).first()
        if row is None:
            raise ResourceNotFoundException("The specified log stream does not exist.")
        return row

    @staticmethod
    def key_rows(conn: Connection, group: Row) -> dict[str, Row]:
        rows = conn.execute(select(data_keys).where(data_keys.c.group_arn == group.arn)).all()
        return {row.key_id: row for row in rows}
