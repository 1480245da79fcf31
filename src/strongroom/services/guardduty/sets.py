"""Trusted IP lists (IP sets) and threat lists (threat-intel sets): Create/Get/Update/Delete/List of each.

``Location`` names an object in Strongroom's S3 (``s3://bucket/key`` or AWS's https forms,
``https://s3.amazonaws.com/bucket/key``, ``https://bucket.s3[.region].amazonaws.com/key``…). Activating a list reads
the object in-process with S3's GetObject **as the caller** (so the caller's permissions, the bucket policy and an
SSE-KMS key policy all apply, as GuardDuty requires of the user), parses it in its format (``threatlists.py``) and
keeps the entries; the list is then ``ACTIVE``, or ``ERROR`` when the object cannot be read or parsed. A read the
caller is not allowed is refused with AccessDeniedException. Quotas as AWS: one IP set and six threat-intel sets
per detector.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select

from strongroom.core.clock import clock
from strongroom.core.errors import AwsError
from strongroom.services.base import pages
from strongroom.services.guardduty import threatlists
from strongroom.services.guardduty.base import GuardDutyBase, new_id
from strongroom.services.guardduty.errors import access_denied, bad_request
from strongroom.services.guardduty.model import lists

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.engine import Row

    from strongroom.services.base.runtime import RequestContext

IPSET, THREAT = "IPSET", "THREAT"
_LIMITS = {IPSET: 1, THREAT: 6}
_WHAT = {IPSET: ("ipset", "ipSetId"), THREAT: ("threatintelset", "threatIntelSetId")}
_PATH_STYLE = re.compile(r"^https://s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?/([^/]+)/(.+)$")
_VIRTUAL = re.compile(r"^https://([^/]+?)\.s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?/(.+)$")


def parse_location(location: str) -> tuple[str, str]:
    """(bucket, key) of an S3 location in any of the forms AWS accepts."""
    if location.startswith("s3://"):
        bucket, _, key = location[5:].partition("/")
        if bucket and key:
            return bucket, key
    for pattern in (_PATH_STYLE, _VIRTUAL):
        found = pattern.match(location)
        if found:
            return found.group(1), found.group(2)
    raise bad_request("The request is rejected because the input location is invalid.")


class SetOperations(GuardDutyBase):
    def _load(self, ctx: RequestContext, fmt: str, location: str, owner: str | None) -> tuple[str, list[str]]:
        """(status, entries) after reading the object at ``location`` as the caller."""
        bucket, key = parse_location(location)
        params: dict[str, Any] = {"Bucket": bucket, "Key": key}
        if owner:
            params["ExpectedBucketOwner"] = owner
        try:
            out = ctx.call("s3", "GetObject", params, via="guardduty")
        except AwsError as exc:
            if exc.code in ("AccessDenied", "AccessDeniedException"):
                raise access_denied(
                    f"The request is rejected because the caller is not allowed to read {location}."
                ) from None
            return "ERROR", []
        body = out.get("Body")
        data = body if isinstance(body, bytes) else b"".join(body or ())
        try:
            return "ACTIVE", sorted(threatlists.parse(fmt, data))
        except threatlists.ListFormatError:
            return "ERROR", []

    def _row(self, conn: Connection, detector_id: str, kind: str, list_id: str) -> Row[Any]:
        row = conn.execute(
            select(lists).where(lists.c.detector_id == detector_id, lists.c.kind == kind, lists.c.list_id == list_id)
        ).first()
        if row is None:
            raise bad_request(
                f"The request is rejected because the input {_WHAT[kind][1]} is not owned by the current account."
            )
        return row

    def _arn(self, detector: Row[Any], kind: str, list_id: str) -> str:
        return f"{self.detector_arn(detector)}/{_WHAT[kind][0]}/{list_id}"

    def _create(self, ctx: RequestContext, request: dict[str, Any], kind: str) -> str:
        detector = self.detector(ctx, request["DetectorId"])
        with self.runtime.store.read() as conn:
            count = conn.execute(
                select(func.count())
                .select_from(lists)
                .where(lists.c.detector_id == detector.detector_id, lists.c.kind == kind)
            ).scalar_one()
            if count >= _LIMITS[kind]:
                raise bad_request(
                    f"The request is rejected because the number of {_WHAT[kind][0]}s exceeds the limit of "
                    f"{_LIMITS[kind]}."
                )
        parse_location(request["Location"])
        owner = request.get("ExpectedBucketOwner")
        status: str = "INACTIVE"
        entries: list[str] = []
        if request["Activate"]:
            status, entries = self._load(ctx, request["Format"], request["Location"], owner)
        list_id = new_id()
        with self.runtime.store.write() as conn:
            conn.execute(
                lists.insert().values(
                    list_id=list_id,
                    detector_id=detector.detector_id,
                    kind=kind,
                    name=request["Name"],
                    format=request["Format"],
                    location=request["Location"],
                    status=status,
                    entries=json.dumps(entries),
                    expected_owner=owner,
                    created_at=clock.now(),
                )
            )
            self.write_tags(conn, self._arn(detector, kind, list_id), request.get("Tags"))
            self.bump(conn, detector.detector_id)
        return list_id

    def _get(self, ctx: RequestContext, request: dict[str, Any], kind: str, member: str) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            detector = self.detector(ctx, request["DetectorId"], conn)
            row = self._row(conn, detector.detector_id, kind, request[member])
            tags = self.tags_of(self._arn(detector, kind, row.list_id), conn)
        return {
            "Name": row.name,
            "Format": row.format,
            "Location": row.location,
            "Status": row.status,
            "Tags": tags,
            **({"ExpectedBucketOwner": row.expected_owner} if row.expected_owner else {}),
        }

    def _update(self, ctx: RequestContext, request: dict[str, Any], kind: str, member: str) -> None:
        with self.runtime.store.read() as conn:
            detector = self.detector(ctx, request["DetectorId"], conn)
            row = self._row(conn, detector.detector_id, kind, request[member])
        values: dict[str, Any] = {}
        if request.get("Name"):
            values["name"] = request["Name"]
        location = request.get("Location") or row.location
        if request.get("Location"):
            parse_location(location)
            values["location"] = location
        owner = request.get("ExpectedBucketOwner", row.expected_owner)
        values["expected_owner"] = owner
        active = request.get("Activate", row.status in ("ACTIVE", "ERROR"))
        if active and ("Activate" in request or "Location" in request):
            status, entries = self._load(ctx, row.format, location, owner)
            values.update(status=status, entries=json.dumps(entries))
        elif not active:
            values.update(status="INACTIVE", entries="[]")
        with self.runtime.store.write() as conn:
            conn.execute(lists.update().where(lists.c.list_id == row.list_id).values(**values))
            self.bump(conn, detector.detector_id)

    def _delete(self, ctx: RequestContext, request: dict[str, Any], kind: str, member: str) -> None:
        with self.runtime.store.write() as conn:
            detector = self.detector(ctx, request["DetectorId"], conn)
            row = self._row(conn, detector.detector_id, kind, request[member])
            conn.execute(delete(lists).where(lists.c.list_id == row.list_id))
            self.drop_tags(conn, self._arn(detector, kind, row.list_id), exact=True)
            self.bump(conn, detector.detector_id)

    def _list(self, ctx: RequestContext, request: dict[str, Any], kind: str, member: str) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            detector = self.detector(ctx, request["DetectorId"], conn)
            ids = list(
                conn.execute(
                    select(lists.c.list_id)
                    .where(lists.c.detector_id == detector.detector_id, lists.c.kind == kind)
                    .order_by(lists.c.created_at, lists.c.list_id)
                ).scalars()
            )
        page, token = pages.offset_page(ids, request.get("NextToken"), request.get("MaxResults") or 50, bad_request)
        return {member: page, **({"NextToken": token} if token else {})}

    # -- IP sets (trusted IP lists) ------------------------------------------------------------------------

    def create_ip_set(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return {"IpSetId": self._create(ctx, request, IPSET)}

    def get_ip_set(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._get(ctx, request, IPSET, "IpSetId")

    def update_ip_set(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self._update(ctx, request, IPSET, "IpSetId")
        return {}

    def delete_ip_set(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self._delete(ctx, request, IPSET, "IpSetId")
        return {}

    def list_ip_sets(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._list(ctx, request, IPSET, "IpSetIds")

    # -- threat-intel sets (threat lists) ------------------------------------------------------------------

    def create_threat_intel_set(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return {"ThreatIntelSetId": self._create(ctx, request, THREAT)}

    def get_threat_intel_set(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._get(ctx, request, THREAT, "ThreatIntelSetId")

    def update_threat_intel_set(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self._update(ctx, request, THREAT, "ThreatIntelSetId")
        return {}

    def delete_threat_intel_set(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self._delete(ctx, request, THREAT, "ThreatIntelSetId")
        return {}

    def list_threat_intel_sets(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._list(ctx, request, THREAT, "ThreatIntelSetIds")
