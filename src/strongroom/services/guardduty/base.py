"""What GuardDuty's operation families share: the detector lookup, ARNs, tags, and storing findings.

``ingest`` is the one path every finding takes into the store — the live detector's drafts and
CreateSampleFindings alike: a draft whose ``dedup_key`` matches a stored finding updates it (``Service.Count``,
``EventLastSeen``, ``UpdatedAt``) and is marked for the next publication at the detector's
``FindingPublishingFrequency``; a new one is archived at once when an ARCHIVE filter (suppression rule) matches it,
else sent to the account's default event bus immediately as ``GuardDuty Finding`` from ``aws.guardduty``. As AWS
documents, findings a suppression rule archives are not sent to EventBridge.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from botocore.model import Shape
from sqlalchemy import Connection, delete, or_, select, tuple_, update

from strongroom.core.clock import clock
from strongroom.detection.contract import FindingDraft
from strongroom.events.bus import build_event, ensure_default_bus, route
from strongroom.services.base.family import ServiceBase
from strongroom.services.guardduty import criteria, findingjson
from strongroom.services.guardduty.errors import bad_request
from strongroom.services.guardduty.live import LiveDetector
from strongroom.services.guardduty.model import detectors, filters, findings, members, tags

if TYPE_CHECKING:
    from sqlalchemy.engine import Row

    from strongroom.services.base.runtime import RequestContext, ServiceRuntime

SOURCE = "aws.guardduty"
DETAIL_TYPE = "GuardDuty Finding"
EXPORT_JOB = "guardduty-export"
PUBLISH_JOB = "guardduty-publish"
FREQUENCIES = {"FIFTEEN_MINUTES": 15 * 60, "ONE_HOUR": 3600, "SIX_HOURS": 6 * 3600}
SUPPORTED_FEATURES = ("CLOUD_TRAIL", "S3_DATA_EVENTS")
NEW_FINDING_EXPORT_SECONDS = 5 * 60  # AWS: new findings are exported within 5 minutes


def new_id() -> str:
    return uuid.uuid4().hex


def not_owned(what: str = "detectorId") -> Exception:
    return bad_request(f"The request is rejected because the input {what} is not owned by the current account.")


class GuardDutyBase(ServiceBase):
    """Shared helpers; the families declare ``scheduled_jobs``."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.live = LiveDetector(self, runtime)
        super().__init__(runtime)

    @cached_property
    def finding_shape(self) -> Shape:
        return self.runtime.catalog.service("guardduty").shape_for("Finding")

    # -- detectors ----------------------------------------------------------------------------------------

    def detector(self, ctx: RequestContext, detector_id: str, conn: Connection | None = None) -> Row[Any]:
        """The caller's detector ``detector_id`` in the request's Region, else AWS's BadRequestException."""
        query = select(detectors).where(
            detectors.c.detector_id == detector_id,
            detectors.c.account_id == ctx.account_id,
            detectors.c.region == ctx.region,
        )
        if conn is not None:
            row = conn.execute(query).first()
        else:
            with self.runtime.store.read() as own:
                row = own.execute(query).first()
        if row is None:
            raise not_owned()
        return row

    def insert_detector(
        self,
        conn: Connection,
        account_id: str,
        region: str,
        *,
        enabled: bool = True,
        frequency: str = "SIX_HOURS",
        features: dict[str, Any] | None = None,
        client_token: str | None = None,
    ) -> str:
        """A new detector row (CreateDetector, and the organization's auto-enable), with its publication job."""
        now = clock.now()
        if features is None:
            features = {name: {"status": "ENABLED", "updated_at": now.isoformat()} for name in SUPPORTED_FEATURES}
        detector_id = new_id()
        conn.execute(
            detectors.insert().values(
                detector_id=detector_id,
                account_id=account_id,
                region=region,
                status="ENABLED" if enabled else "DISABLED",
                frequency=frequency,
                features=json.dumps(features),
                version=1,
                client_token=client_token,
                created_at=now,
                updated_at=now,
            )
        )
        self.runtime.scheduler.schedule(
            PUBLISH_JOB, detector_id, now + timedelta(seconds=FREQUENCIES[frequency]), conn=conn
        )
        return detector_id

    @staticmethod
    def detector_arn(row: Row[Any]) -> str:
        return f"arn:aws:guardduty:{row.region}:{row.account_id}:detector/{row.detector_id}"

    @staticmethod
    def bump(conn: Connection, detector_id: str) -> None:
        """The live engine rebuilds a detector's settings when its version moves (lists, features, status)."""
        conn.execute(
            update(detectors)
            .where(detectors.c.detector_id == detector_id)
            .values(version=detectors.c.version + 1, updated_at=clock.now())
        )

    # -- tags ---------------------------------------------------------------------------------------------

    @staticmethod
    def write_tags(conn: Connection, arn: str, items: dict[str, str] | None) -> None:
        for key, value in (items or {}).items():
            if key.lower().startswith("aws:"):
                raise bad_request("The request is rejected because tag keys with the 'aws:' prefix are reserved.")
            conn.execute(delete(tags).where(tags.c.arn == arn, tags.c.key == key))
            conn.execute(tags.insert().values(arn=arn, key=key, value=value))

    def tags_of(self, arn: str, conn: Connection | None = None) -> dict[str, str]:
        query = select(tags.c.key, tags.c.value).where(tags.c.arn == arn).order_by(tags.c.key)
        if conn is not None:
            return {r.key: r.value for r in conn.execute(query)}
        with self.runtime.store.read() as own:
            return {r.key: r.value for r in own.execute(query)}

    @staticmethod
    def drop_tags(conn: Connection, arn: str, *, exact: bool = False) -> None:
        """Drop the tags of ``arn`` (and, unless ``exact``, of every resource under it: a detector's)."""
        conn.execute(delete(tags).where(tags.c.arn == arn))
        if not exact:
            conn.execute(delete(tags).where(tags.c.arn.startswith(arn + "/", autoescape=True)))

    # -- findings -----------------------------------------------------------------------------------------

    def archive_rules(self, conn: Connection, detector_id: str) -> list[dict[tuple[str, ...], Any]]:
        rows = conn.execute(
            select(filters.c.criteria)
            .where(filters.c.detector_id == detector_id, filters.c.action == "ARCHIVE")
            .order_by(filters.c.rank)
        ).all()
        out = []
        for row in rows:
            try:
                out.append(criteria.check(json.loads(row.criteria).get("Criterion") or {}, self.finding_shape))
            except Exception:
                continue
        return out

    def ingest(
        self,
        detector: Row[Any],
        drafts: Sequence[FindingDraft],
        now: datetime | None = None,
    ) -> list[str]:
        """Store ``drafts`` as findings of ``detector`` (see the module's docstring); returns the finding ids, one
        per draft. Drafts of one finding (the same dedup key) are folded in memory and the finding is written once:
        a busy principal's repeats cost one read and one write per batch, not per record."""
        moment = now or clock.now()
        with self.runtime.store.write() as conn:
            ids, new_findings = self.ingest_in(conn, detector, drafts, moment)
        if new_findings:
            self.export_soon(detector.detector_id, moment)
        return ids

    def ingest_in(
        self, conn: Connection, detector: Row[Any], drafts: Sequence[FindingDraft], moment: datetime
    ) -> tuple[list[str], bool]:
        """``ingest`` in ``conn``'s transaction; answers the ids and whether a new finding wants ``export_soon``
        (called once the transaction committed: the scheduler writes in a transaction of its own)."""
        folded: dict[str, list[FindingDraft]] = {}
        for draft in drafts:
            folded.setdefault(draft.dedup_key, []).append(draft)
        ids: dict[str, str] = {}
        new_findings = False
        rules = self.archive_rules(conn, detector.detector_id)
        for dedup_key, group in folded.items():
            # FOR UPDATE: on PostgreSQL, another worker folding into the same finding waits (no lost Count);
            # SQLite's write transactions are serialized already (and the clause is not rendered there).
            existing = conn.execute(
                select(findings)
                .where(findings.c.detector_id == detector.detector_id, findings.c.dedup_key == dedup_key)
                .with_for_update()
            ).first()
            if existing is not None:
                stored = findingjson.load(self.finding_shape, existing.body)
                body = findingjson.repeat_many(self.finding_shape, stored, group, moment)
                conn.execute(
                    update(findings)
                    .where(findings.c.finding_id == existing.finding_id)
                    .values(body=findingjson.dump(body), updated_at=moment, publish_pending=not existing.archived)
                )
                ids[dedup_key] = existing.finding_id
                continue
            finding_id = new_id()
            body = findingjson.new(
                self.finding_shape,
                draft=group[0],
                detector_id=detector.detector_id,
                finding_id=finding_id,
                now=moment,
            )
            archived = any(criteria.matches(body, rule) for rule in rules)
            body["Service"]["Archived"] = archived
            if not archived:  # the event carries the finding as first seen; its repeats follow on the cadence
                new_findings = True
                self.send_event(conn, detector.account_id, detector.region, body, moment)
            if len(group) > 1:
                body = findingjson.repeat_many(self.finding_shape, body, group[1:], moment)
            conn.execute(
                findings.insert().values(
                    finding_id=finding_id,
                    detector_id=detector.detector_id,
                    account_id=detector.account_id,
                    region=detector.region,
                    type=group[0].type,
                    severity=float(group[0].severity),
                    archived=archived,
                    dedup_key=dedup_key[:256],
                    body=findingjson.dump(body),
                    created_at=moment,
                    updated_at=moment,
                    publish_pending=len(group) > 1 and not archived,
                )
            )
            ids[dedup_key] = finding_id
        return [ids[draft.dedup_key] for draft in drafts], new_findings

    def send_event(self, conn: Connection, account_id: str, region: str, body: dict[str, Any], at: datetime) -> None:
        wire = findingjson.to_wire(self.finding_shape, body)
        event = build_event(account_id, region, SOURCE, DETAIL_TYPE, wire, [], at)
        ensure_default_bus(conn, account_id, region)
        route(conn, event, account_id, region, "default")

    def export_soon(self, detector_id: str, now: datetime) -> None:
        """New findings reach the publishing destinations within five minutes (one job per detector)."""
        if self.runtime.scheduler.get_job(EXPORT_JOB, detector_id) is None:
            self.runtime.scheduler.schedule(
                EXPORT_JOB, detector_id, now + timedelta(seconds=NEW_FINDING_EXPORT_SECONDS)
            )

    def load_findings(self, conn: Connection, detector: Row[Any], ids: Iterable[str] | None = None) -> list[Any]:
        """The findings ``detector``'s account sees: its own, and (an administrator) its enabled members'."""
        member_detectors = select(detectors.c.detector_id).where(
            tuple_(detectors.c.account_id, detectors.c.region).in_(
                select(members.c.account_id, members.c.region).where(
                    members.c.admin_account == detector.account_id,
                    members.c.region == detector.region,
                    members.c.status == "Enabled",
                )
            )
        )
        query = select(findings).where(
            or_(findings.c.detector_id == detector.detector_id, findings.c.detector_id.in_(member_detectors))
        )
        if ids is not None:
            query = query.where(findings.c.finding_id.in_(list(ids)))
        return list(conn.execute(query).all())
