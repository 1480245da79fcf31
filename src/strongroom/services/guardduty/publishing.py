"""Publishing destinations and the detector's publication schedule.

* Create/Describe/Update/Delete/ListPublishingDestinations: an S3 bucket (``arn:aws:s3:::bucket[/prefix/]``) and a
  KMS key ARN.
* Exports: JSON lines of AWS's finding JSON, gzipped, put by GuardDuty itself (the service principal
  ``guardduty.amazonaws.com``, ``aws:SourceAccount`` / ``aws:SourceArn`` the detector) into
  ``[prefix/]AWSLogs/<account>/GuardDuty/<region>/<yyyy>/<mm>/<dd>/<uuid>.jsonl.gz``, SSE-KMS under the
  destination's key — so the bucket policy and the key policy must allow GuardDuty as AWS's "Exporting findings"
  page shows. New findings are exported within five minutes (``guardduty-export``), updated ones at the detector's
  ``FindingPublishingFrequency`` (``guardduty-publish``, which also sends the updates to EventBridge). A refused put
  sets the destination ``UNABLE_TO_PUBLISH_FIX_DESTINATION_PROPERTY`` with ``PublishingFailureStartTimestamp``; the
  findings stay pending and go with the next successful export.
"""

from __future__ import annotations

import gzip
import json
import re
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import delete, select, update

from strongroom.core import context, ids
from strongroom.core.clock import clock
from strongroom.core.errors import AwsError
from strongroom.scheduler.jobs import JobContext, JobResult
from strongroom.services.base import pages
from strongroom.services.guardduty import findingjson
from strongroom.services.guardduty.base import EXPORT_JOB, FREQUENCIES, PUBLISH_JOB, GuardDutyBase, new_id
from strongroom.services.guardduty.errors import bad_request
from strongroom.services.guardduty.model import destinations, detectors, findings

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.engine import Row

    from strongroom.services.base.runtime import RequestContext

SERVICE_PRINCIPAL = "guardduty.amazonaws.com"
_BUCKET_ARN = re.compile(r"^arn:aws[a-z-]*:s3:::([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(/.*)?$")
_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")


def _check(props: dict[str, Any]) -> tuple[str, str]:
    arn, key = props.get("DestinationArn") or "", props.get("KmsKeyArn") or ""
    if not _BUCKET_ARN.match(arn):
        raise bad_request("The request is rejected because the destinationArn is invalid.")
    if not _KEY_ARN.match(key):
        raise bad_request("The request is rejected because the kmsKeyArn is invalid.")
    return arn, key


def export_key(destination_arn: str, account_id: str, region: str, now: datetime) -> tuple[str, str]:
    """(bucket, key) of one export file, in AWS's layout."""
    found = _BUCKET_ARN.match(destination_arn)
    assert found is not None
    prefix = (found.group(2) or "").strip("/")
    folder = f"{prefix}/" if prefix else ""
    key = f"{folder}AWSLogs/{account_id}/GuardDuty/{region}/{now:%Y/%m/%d}/{uuid.uuid4()}.jsonl.gz"
    return found.group(1), key


class PublishingOperations(GuardDutyBase):
    scheduled_jobs: ClassVar[dict[str, str]] = {PUBLISH_JOB: "publish_job", EXPORT_JOB: "export_job"}

    def _destination(self, conn: Connection, detector_id: str, destination_id: str) -> Row[Any]:
        row = conn.execute(
            select(destinations).where(
                destinations.c.detector_id == detector_id, destinations.c.destination_id == destination_id
            )
        ).first()
        if row is None:
            raise bad_request(
                "The request is rejected because the input destinationId is not owned by the current account."
            )
        return row

    def create_publishing_destination(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn, key = _check(request["DestinationProperties"])
        now = clock.now()
        with self.runtime.store.write() as conn:
            detector = self.detector(ctx, request["DetectorId"], conn)
            if conn.execute(
                select(destinations.c.destination_id).where(destinations.c.detector_id == detector.detector_id)
            ).first():
                raise bad_request("The request is rejected because a publishing destination already exists.")
            destination_id = new_id()
            conn.execute(
                destinations.insert().values(
                    destination_id=destination_id,
                    detector_id=detector.detector_id,
                    destination_type=request["DestinationType"],
                    destination_arn=arn,
                    kms_key_arn=key,
                    status="PUBLISHING",
                    failure_start=None,
                    exported_until=None,
                    created_at=now,
                )
            )
            self.write_tags(
                conn, f"{self.detector_arn(detector)}/publishingDestination/{destination_id}", request.get("Tags")
            )
        self.export_soon(detector.detector_id, now)
        return {"DestinationId": destination_id}

    def describe_publishing_destination(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            detector = self.detector(ctx, request["DetectorId"], conn)
            row = self._destination(conn, detector.detector_id, request["DestinationId"])
            tags = self.tags_of(f"{self.detector_arn(detector)}/publishingDestination/{row.destination_id}", conn)
        return {
            "DestinationId": row.destination_id,
            "DestinationType": row.destination_type,
            "Status": row.status,
            "PublishingFailureStartTimestamp": row.failure_start or 0,
            "DestinationProperties": {"DestinationArn": row.destination_arn, "KmsKeyArn": row.kms_key_arn},
            "Tags": tags,
        }

    def update_publishing_destination(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            detector = self.detector(ctx, request["DetectorId"], conn)
            row = self._destination(conn, detector.detector_id, request["DestinationId"])
            props = {
                "DestinationArn": row.destination_arn,
                "KmsKeyArn": row.kms_key_arn,
                **(request.get("DestinationProperties") or {}),
            }
            arn, key = _check(props)
            conn.execute(
                update(destinations)
                .where(destinations.c.destination_id == row.destination_id)
                .values(destination_arn=arn, kms_key_arn=key, status="PUBLISHING", failure_start=None)
            )
        return {}

    def delete_publishing_destination(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            detector = self.detector(ctx, request["DetectorId"], conn)
            row = self._destination(conn, detector.detector_id, request["DestinationId"])
            conn.execute(delete(destinations).where(destinations.c.destination_id == row.destination_id))
            self.drop_tags(
                conn, f"{self.detector_arn(detector)}/publishingDestination/{row.destination_id}", exact=True
            )
        return {}

    def list_publishing_destinations(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            detector = self.detector(ctx, request["DetectorId"], conn)
            rows = conn.execute(select(destinations).where(destinations.c.detector_id == detector.detector_id)).all()
        items = [
            {"DestinationId": r.destination_id, "DestinationType": r.destination_type, "Status": r.status} for r in rows
        ]
        page, token = pages.offset_page(items, request.get("NextToken"), request.get("MaxResults") or 50, bad_request)
        return {"Destinations": page, **({"NextToken": token} if token else {})}

    # -- scheduled work ------------------------------------------------------------------------------------

    def publish_job(self, job: JobContext) -> JobResult | None:
        """Every FindingPublishingFrequency: updated findings to EventBridge, and the export."""
        with self.runtime.store.write() as conn:
            detector = conn.execute(select(detectors).where(detectors.c.detector_id == job.key)).first()
            if detector is None:
                return None
            pending = conn.execute(
                select(findings).where(
                    findings.c.detector_id == job.key,
                    findings.c.publish_pending.is_(True),
                    findings.c.archived.is_(False),
                )
            ).all()
            for row in pending:
                self.send_event(
                    conn, detector.account_id, detector.region, findingjson.load(self.finding_shape, row.body), job.now
                )
            if pending:
                conn.execute(
                    update(findings)
                    .where(findings.c.finding_id.in_([r.finding_id for r in pending]))
                    .values(publish_pending=False)
                )
        self.export(detector)
        return JobResult.again(job.now + timedelta(seconds=FREQUENCIES.get(detector.frequency, 6 * 3600)))

    def export_job(self, job: JobContext) -> JobResult | None:
        with self.runtime.store.read() as conn:
            detector = conn.execute(select(detectors).where(detectors.c.detector_id == job.key)).first()
        if detector is not None:
            self.export(detector)
        return None

    def export(self, detector: Row[Any]) -> int:
        """Write the findings updated since each destination's last export; returns the files written."""
        with self.runtime.store.read() as conn:
            targets = conn.execute(select(destinations).where(destinations.c.detector_id == detector.detector_id)).all()
        written = 0
        for target in targets:
            query = select(findings).where(
                findings.c.detector_id == detector.detector_id, findings.c.archived.is_(False)
            )
            if target.exported_until is not None:
                query = query.where(findings.c.updated_at > target.exported_until)
            with self.runtime.store.read() as conn:
                rows = conn.execute(query.order_by(findings.c.updated_at)).all()
            if not rows:
                continue
            lines = [
                json.dumps(findingjson.to_wire(self.finding_shape, findingjson.load(self.finding_shape, r.body)))
                for r in rows
            ]
            body = gzip.compress(("\n".join(lines) + "\n").encode())
            now = clock.now()
            bucket, key = export_key(target.destination_arn, detector.account_id, detector.region, now)
            principal = context.Principal("AWSService", detector.account_id, SERVICE_PRINCIPAL, SERVICE_PRINCIPAL)
            ctx: RequestContext = context.RequestContext(
                self.runtime,
                ids.request_id(),
                "guardduty",
                "PublishFindings",
                detector.region,
                principal,
                extras={"source_account": detector.account_id, "source_arn": self.detector_arn(detector)},
            )
            params = {
                "Bucket": bucket,
                "Key": key,
                "Body": body,
                "ContentType": "application/x-ndjson",
                "ServerSideEncryption": "aws:kms",
                "SSEKMSKeyId": target.kms_key_arn,
            }
            values: dict[str, Any]
            try:
                ctx.call("s3", "PutObject", params, via="guardduty")
            except AwsError:
                values = {"status": "UNABLE_TO_PUBLISH_FIX_DESTINATION_PROPERTY"}
                if target.failure_start is None:
                    values["failure_start"] = int(now.timestamp() * 1000)
            else:
                written += 1
                values = {"status": "PUBLISHING", "failure_start": None, "exported_until": rows[-1].updated_at}
            with self.runtime.store.write() as conn:
                conn.execute(
                    update(destinations).where(destinations.c.destination_id == target.destination_id).values(**values)
                )
        return written
