"""Detectors: CreateDetector, GetDetector, UpdateDetector, DeleteDetector, ListDetectors.

One detector per account and Region. Strongroom watches what it has: the audit trail's management events
(``CLOUD_TRAIL``, always on) and S3 data events (``S3_DATA_EVENTS``, on unless disabled). Every other feature
(EKS, runtime monitoring, malware protection, RDS, Lambda network logs, AI protection) is absent from the
answers, as AWS answers in a Region where a feature is not available, and asking to enable one is refused;
``DNS_LOGS`` and ``FLOW_LOGS`` data sources are reported DISABLED (Strongroom sees no DNS or VPC traffic).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from strongroom.core.clock import clock
from strongroom.detection.findings import iso
from strongroom.services.base import pages
from strongroom.services.guardduty.base import (
    EXPORT_JOB,
    FREQUENCIES,
    PUBLISH_JOB,
    SUPPORTED_FEATURES,
    GuardDutyBase,
)
from strongroom.services.guardduty.errors import bad_request
from strongroom.services.guardduty.model import (
    destinations,
    detectors,
    engine_state,
    filters,
    findings,
    lists,
    members,
)

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

SUPPORTED = SUPPORTED_FEATURES
DEFAULT_FREQUENCY = "SIX_HOURS"


def _features(requested: list[dict[str, Any]] | None, current: dict[str, Any], now: str) -> dict[str, Any]:
    out = dict(current)
    for item in requested or ():
        name, status = item.get("Name"), item.get("Status", "ENABLED")
        if name not in SUPPORTED:
            if status == "ENABLED":
                raise bad_request(
                    f"The request is rejected because the feature {name} is not available in this Region."
                )
            continue
        if name == "CLOUD_TRAIL" and status == "DISABLED":
            raise bad_request("The request is rejected because CLOUD_TRAIL is a foundational data source.")
        out[name] = {"status": status, "updated_at": now}
    return out


def _data_sources(requested: dict[str, Any] | None, current: dict[str, Any], now: str) -> dict[str, Any]:
    if not requested:
        return current
    out = dict(current)
    s3 = requested.get("S3Logs")
    if s3 is not None:
        out["S3_DATA_EVENTS"] = {"status": "ENABLED" if s3.get("Enable") else "DISABLED", "updated_at": now}
    for other in ("Kubernetes", "MalwareProtection"):
        if requested.get(other):
            raise bad_request(
                f"The request is rejected because the data source {other} is not available in this Region."
            )
    return out


class DetectorOperations(GuardDutyBase):
    def create_detector(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        now = clock.now()
        stamp = now.isoformat()
        base = {name: {"status": "ENABLED", "updated_at": stamp} for name in SUPPORTED}
        features = _features(request.get("Features"), _data_sources(request.get("DataSources"), base, stamp), stamp)
        frequency = request.get("FindingPublishingFrequency") or DEFAULT_FREQUENCY
        with self.runtime.store.write() as conn:
            existing = conn.execute(
                select(detectors).where(detectors.c.account_id == ctx.account_id, detectors.c.region == ctx.region)
            ).first()
            if existing is not None:
                if request.get("ClientToken") and existing.client_token == request.get("ClientToken"):
                    return {"DetectorId": existing.detector_id}
                raise bad_request("The request is rejected because a detector already exists for the current account.")
            detector_id = self.insert_detector(
                conn,
                ctx.account_id,
                ctx.region,
                enabled=request["Enable"],
                frequency=frequency,
                features=features,
                client_token=request.get("ClientToken"),
            )
            arn = f"arn:aws:guardduty:{ctx.region}:{ctx.account_id}:detector/{detector_id}"
            self.write_tags(conn, arn, request.get("Tags"))
        return {"DetectorId": detector_id}

    def get_detector(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.detector(ctx, request["DetectorId"])
        features = json.loads(row.features)
        s3 = features.get("S3_DATA_EVENTS", {}).get("status", "ENABLED")
        return {
            "CreatedAt": iso(row.created_at),
            "UpdatedAt": iso(row.updated_at),
            "FindingPublishingFrequency": row.frequency,
            "ServiceRole": f"arn:aws:iam::{row.account_id}:role/aws-service-role/guardduty.amazonaws.com/"
            "AWSServiceRoleForAmazonGuardDuty",
            "Status": row.status,
            "DataSources": {
                "CloudTrail": {"Status": "ENABLED"},
                "DNSLogs": {"Status": "DISABLED"},
                "FlowLogs": {"Status": "DISABLED"},
                "S3Logs": {"Status": s3},
            },
            "Features": [
                {
                    "Name": name,
                    "Status": features[name]["status"],
                    "UpdatedAt": datetime.fromisoformat(features[name]["updated_at"]),
                }
                for name in SUPPORTED
                if name in features
            ],
            "Tags": self.tags_of(self.detector_arn(row)),
        }

    def update_detector(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        now = clock.now()
        stamp = now.isoformat()
        with self.runtime.store.write() as conn:
            row = self.detector(ctx, request["DetectorId"], conn)
            features = _features(
                request.get("Features"),
                _data_sources(request.get("DataSources"), json.loads(row.features), stamp),
                stamp,
            )
            values: dict[str, Any] = {"features": json.dumps(features), "updated_at": now}
            if "Enable" in request:
                values["status"] = "ENABLED" if request["Enable"] else "DISABLED"
            frequency = request.get("FindingPublishingFrequency")
            if frequency:
                values["frequency"] = frequency
                self.runtime.scheduler.schedule(
                    PUBLISH_JOB, row.detector_id, now + timedelta(seconds=FREQUENCIES[frequency]), conn=conn
                )
            conn.execute(detectors.update().where(detectors.c.detector_id == row.detector_id).values(**values))
            self.bump(conn, row.detector_id)
        return {}

    def delete_detector(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            row = self.detector(ctx, request["DetectorId"], conn)
            detector_id = row.detector_id
            for table in (findings, filters, lists, destinations):
                conn.execute(delete(table).where(table.c.detector_id == detector_id))
            conn.execute(delete(members).where(members.c.admin_detector_id == detector_id))
            conn.execute(delete(engine_state).where(engine_state.c.account_id == row.account_id))
            conn.execute(delete(detectors).where(detectors.c.detector_id == detector_id))
            self.drop_tags(conn, self.detector_arn(row))
            self.runtime.scheduler.cancel(PUBLISH_JOB, detector_id, conn=conn)
            self.runtime.scheduler.cancel(EXPORT_JOB, detector_id, conn=conn)
        return {}

    def list_detectors(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            ids = list(
                conn.execute(
                    select(detectors.c.detector_id).where(
                        detectors.c.account_id == ctx.account_id, detectors.c.region == ctx.region
                    )
                ).scalars()
            )
        page, token = pages.offset_page(ids, request.get("NextToken"), request.get("MaxResults") or 50, bad_request)
        return {"DetectorIds": page, **({"NextToken": token} if token else {})}
