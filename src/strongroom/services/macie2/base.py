"""What Macie's operation families share: the session check, ids and ARNs, tags, settings, and storing findings.

``store_finding`` is the one path every finding takes into the store (classification jobs' sensitive-data findings
and the bucket watch's policy findings): a policy finding whose bucket and type match a stored one updates it
(``count``, ``updatedAt``); a new finding is archived at once when an ARCHIVE findings filter (suppression rule)
matches it, else it is sent to the account's default event bus as ``Macie Finding`` from ``aws.macie``. As AWS
documents, suppressed findings are not published to EventBridge.
"""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Table, delete, select, update

from strongroom.core.clock import clock
from strongroom.events.bus import build_event, ensure_default_bus, route
from strongroom.services.base.family import ServiceBase
from strongroom.services.macie2 import criteria
from strongroom.services.macie2.errors import not_enabled, not_found, validation
from strongroom.services.macie2.model import filters, findings, members, samples_aad, sessions, settings, tags, usage

if TYPE_CHECKING:
    from sqlalchemy import Select
    from sqlalchemy.engine import Row

    from strongroom.services.base.runtime import RequestContext

SOURCE = "aws.macie"
DETAIL_TYPE = "Macie Finding"
SCHEMA_VERSION = "1.0"
DISCOVERY_JOB = "macie2-discovery"  # automated sensitive data discovery's daily pass (discovery.py)
ASSOCIATED = ("Enabled", "Paused")  # a member's relationship statuses while it is associated with its administrator
SEVERITIES = {1: "Low", 2: "Medium", 3: "High"}
SEVERITY_SCORES = {"LOW": 1, "MEDIUM": 2, "HIGH": 3}
_ALPHANUM = "abcdefghijklmnopqrstuvwxyz0123456789"


def hex_id() -> str:
    return uuid.uuid4().hex


def allow_list_id() -> str:
    """Allow-list ids are 22 lowercase letters and digits."""
    return "".join(secrets.choice(_ALPHANUM) for _ in range(22))


def iso(moment: datetime) -> str:
    """Macie's timestamp form in finding bodies: ``2024-07-31T13:06:24.123Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def arn(region: str, account_id: str, kind: str, resource_id: str) -> str:
    return f"arn:aws:macie2:{region}:{account_id}:{kind}/{resource_id}"


def max_results(request: dict[str, Any], default: int = 25, ceiling: int = 25) -> int:
    value = request.get("maxResults")
    if value is None:
        return default
    if not isinstance(value, int) or value < 1 or value > ceiling:
        raise validation(f"maxResults must be between 1 and {ceiling}.")
    return value


class MacieBase(ServiceBase):
    """Shared helpers; the families declare ``scheduled_jobs``."""

    # -- reads -----------------------------------------------------------------------------------------------

    def first(self, query: Select[Any], conn: Connection | None = None) -> Row[Any] | None:
        """The first row of ``query``: on ``conn`` (inside the caller's transaction), else on a read of our own."""
        if conn is not None:
            return conn.execute(query).first()
        with self.runtime.store.read() as own:
            return own.execute(query).first()

    def rows(self, query: Select[Any], conn: Connection | None = None) -> list[Row[Any]]:
        """Every row of ``query``, on ``conn`` or a read of our own (as ``first``)."""
        if conn is not None:
            return list(conn.execute(query).all())
        with self.runtime.store.read() as own:
            return list(own.execute(query).all())

    def one(self, query: Select[Any], conn: Connection | None = None, message: str | None = None) -> Row[Any]:
        """``first``, else ResourceNotFoundException (AWS's wording unless ``message``)."""
        row = self.first(query, conn)
        if row is None:
            raise not_found(message) if message else not_found()
        return row

    def owned(
        self, ctx: RequestContext, table: Table, column: str, value: str, conn: Connection | None = None
    ) -> Row[Any]:
        """The row of ``table`` whose ``column`` is ``value`` in the caller's account and Region (ids of another
        account or Region are not found, as on AWS), else ResourceNotFoundException."""
        query = select(table).where(
            table.c[column] == value, table.c.account_id == ctx.account_id, table.c.region == ctx.region
        )
        return self.one(query, conn)

    # -- the session ------------------------------------------------------------------------------------------

    def session(self, ctx: RequestContext, conn: Connection | None = None) -> Row[Any]:
        """The caller's Macie session in the request's Region, else AWS's "Macie is not enabled." (401)."""
        return self.session_of(ctx.account_id, ctx.region, conn)

    def session_of(self, account_id: str, region: str, conn: Connection | None = None) -> Row[Any]:
        row = self.first(select(sessions).where(sessions.c.account_id == account_id, sessions.c.region == region), conn)
        if row is None:
            raise not_enabled()
        return row

    def member_accounts(self, account_id: str, region: str, conn: Connection | None = None) -> list[str]:
        """The associated members (``Enabled`` or ``Paused``) of administrator ``account_id`` in ``region``."""
        query = select(members.c.account_id).where(
            members.c.admin_account == account_id, members.c.region == region, members.c.status.in_(ASSOCIATED)
        )
        return [r.account_id for r in self.rows(query, conn)]

    # -- tags -------------------------------------------------------------------------------------------------

    @staticmethod
    def write_tags(conn: Connection, resource_arn: str, items: dict[str, str] | None) -> None:
        for key, value in (items or {}).items():
            if key.lower().startswith("aws:"):
                raise validation("Tag keys can't start with aws:.")
            conn.execute(delete(tags).where(tags.c.arn == resource_arn, tags.c.key == key))
            conn.execute(tags.insert().values(arn=resource_arn, key=key, value=value))

    def tags_of(self, resource_arn: str, conn: Connection | None = None) -> dict[str, str]:
        query = select(tags.c.key, tags.c.value).where(tags.c.arn == resource_arn).order_by(tags.c.key)
        return {r.key: r.value for r in self.rows(query, conn)}

    @staticmethod
    def drop_tags(conn: Connection, resource_arn: str) -> None:
        conn.execute(delete(tags).where(tags.c.arn == resource_arn))

    # -- settings (reveal, export, automated discovery, bucket scores) ----------------------------------------

    def setting(self, account_id: str, region: str, name: str, conn: Connection | None = None) -> Any:
        query = select(settings.c.value).where(
            settings.c.account_id == account_id, settings.c.region == region, settings.c.name == name
        )
        row = self.first(query, conn)
        return None if row is None else json.loads(row.value)

    def bucket_scores(self, account_id: str, region: str) -> dict[str, int]:
        """Each bucket's sensitivity score: its resource profile's override (UpdateResourceProfile) when there is
        one, else what automated discovery and jobs computed (``scores``); a bucket not in it scores 50."""
        scores = dict(self.setting(account_id, region, "scores") or {})
        for name, profile in (self.setting(account_id, region, "profiles") or {}).items():
            if profile.get("override") is not None:
                scores[name] = int(profile["override"])
        return scores

    @staticmethod
    def put_setting(conn: Connection, account_id: str, region: str, name: str, value: Any) -> None:
        where = (settings.c.account_id == account_id, settings.c.region == region, settings.c.name == name)
        conn.execute(delete(settings).where(*where))
        conn.execute(settings.insert().values(account_id=account_id, region=region, name=name, value=json.dumps(value)))

    def set_discovery(
        self, conn: Connection, account_id: str, region: str, status: str, extra: dict[str, Any] | None = None
    ) -> None:
        """Turn automated sensitive data discovery on or off for an account (its own
        UpdateAutomatedDiscoveryConfiguration, or its administrator's BatchUpdateAutomatedDiscoveryAccounts): the
        configuration's dates, the flag the daily pass reads, and the pass itself (first run at once)."""
        now = clock.now().isoformat()
        current = self.setting(account_id, region, "discovery_config", conn) or {}
        value = {**current, **(extra or {}), "status": status, "lastUpdatedAt": now}
        if status == "ENABLED":
            value.setdefault("firstEnabledAt", now)
            value.pop("disabledAt", None)
        else:
            value["disabledAt"] = now
        self.put_setting(conn, account_id, region, "discovery_config", value)
        self.put_setting(conn, account_id, region, "discovery", status == "ENABLED")
        key = f"{account_id}:{region}"
        if status == "ENABLED":
            if current.get("status") != "ENABLED":  # the first daily pass starts now (discovery.py)
                self.runtime.scheduler.schedule(DISCOVERY_JOB, key, clock.now(), conn=conn)
        else:
            self.runtime.scheduler.cancel(DISCOVERY_JOB, key, conn=conn)

    # -- usage ------------------------------------------------------------------------------------------------

    def record_usage(self, account_id: str, region: str, usage_type: str, size: int, objects: int) -> None:
        """What one run classified (usage.py sums it): one row per run, never updated."""
        if not size and not objects:
            return
        with self.runtime.store.write() as conn:
            conn.execute(
                usage.insert().values(
                    usage_id=hex_id(),
                    account_id=account_id,
                    region=region,
                    usage_type=usage_type,
                    bytes=size,
                    objects=objects,
                    at=clock.now(),
                )
            )

    # -- findings ---------------------------------------------------------------------------------------------

    @staticmethod
    def archive_rules(conn: Connection, account_id: str, region: str) -> list[criteria.Rule]:
        rows = conn.execute(
            select(filters.c.criteria)
            .where(filters.c.account_id == account_id, filters.c.region == region, filters.c.action == "ARCHIVE")
            .order_by(filters.c.position)
        ).all()
        out = []
        for row in rows:
            try:
                out.append(criteria.compile_criteria((json.loads(row.criteria) or {}).get("criterion")))
            except Exception:  # a stored filter that no longer compiles archives nothing
                continue
        return out

    def store_finding(
        self,
        conn: Connection,
        body: dict[str, Any],
        *,
        samples: dict[str, list[str]] | None = None,
        dedup_key: str | None = None,
        sample: bool = False,
        owner: str | None = None,
    ) -> str:
        """Store one finding (``body`` without id/timestamps/archived); see the module docstring. Answers its id.
        ``owner``: the account the finding belongs to when not the resource's (an administrator's job over a
        member's bucket)."""
        account_id, region = owner or body["accountId"], body["region"]
        now = clock.now()
        if dedup_key is not None:
            existing = conn.execute(
                select(findings).where(
                    findings.c.account_id == account_id,
                    findings.c.region == region,
                    findings.c.dedup_key == dedup_key,
                )
            ).first()
            if existing is not None:
                stored = json.loads(existing.body)
                stored.update({k: v for k, v in body.items() if k not in ("id", "createdAt", "archived")})
                stored["count"] = int(stored.get("count") or 1) + 1
                stored["updatedAt"] = iso(now)
                conn.execute(
                    update(findings)
                    .where(findings.c.finding_id == existing.finding_id)
                    .values(body=json.dumps(stored), updated_at=now)
                )
                return str(existing.finding_id)
        finding_id = hex_id()
        body = {
            **body,
            "id": finding_id,
            "createdAt": iso(now),
            "updatedAt": iso(now),
            "count": body.get("count", 1),
            "partition": "aws",
            "schemaVersion": SCHEMA_VERSION,
            "sample": sample,
        }
        archived = any(rule(body) for rule in self.archive_rules(conn, account_id, region))
        body["archived"] = archived
        sealed = None
        if samples:
            sealed = self.runtime.seal.wrap(json.dumps(samples).encode(), samples_aad(finding_id))
        conn.execute(
            findings.insert().values(
                finding_id=finding_id,
                account_id=account_id,
                region=region,
                type=body["type"],
                category=body["category"],
                severity=int(body["severity"]["score"]),
                archived=archived,
                dedup_key=dedup_key,
                body=json.dumps(body),
                samples=sealed,
                created_at=now,
                updated_at=now,
            )
        )
        if not archived:
            self.send_event(conn, account_id, region, body, now)
        return finding_id

    @staticmethod
    def send_event(conn: Connection, account_id: str, region: str, body: dict[str, Any], at: datetime) -> None:
        resources: list[str] = []
        event = build_event(account_id, region, SOURCE, DETAIL_TYPE, body, resources, at)
        ensure_default_bus(conn, account_id, region)
        route(conn, event, account_id, region, "default")
