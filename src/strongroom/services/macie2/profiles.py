"""Resource profiles: what automated sensitive data discovery found in one S3 bucket (GetResourceProfile,
ListResourceProfileDetections, ListResourceProfileArtifacts) and the user's adjustments to its sensitivity score
(UpdateResourceProfile: an override of 1 or 100; UpdateResourceProfileDetections: identifiers whose detections no
longer count towards the score).

Everything is answered from the per-object records the daily passes keep (``discovery.py``); adjustments are kept
in the ``profiles`` setting ({bucket: {override, suppressed, updatedAt}}) and applied by ``base.bucket_scores`` and
``DiscoveryOperations.rescore``. A bucket the account does not own (or not in the request's Region) is not found; an
owned bucket not analysed yet answers the default score 50 and zero statistics, as AWS does before the first pass.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from strongroom.core.clock import clock
from strongroom.core.errors import AwsError
from strongroom.services.base import pages
from strongroom.services.macie2 import s3read
from strongroom.services.macie2.base import arn, iso, max_results
from strongroom.services.macie2.discovery import DiscoveryOperations, entry
from strongroom.services.macie2.errors import not_found, validation
from strongroom.services.macie2.model import custom_identifiers

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

_BUCKET_ARN = re.compile(r"^arn:aws:s3:::([a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])$")
ARTIFACTS_PAGE = 100
DEFAULT_SCORE = 50


def _bad_token() -> AwsError:
    return validation("The nextToken is invalid.")


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


class ProfileOperations(DiscoveryOperations):
    def _bucket(self, ctx: RequestContext, resource_arn: str) -> str:
        """The bucket a profile request names, after checking Macie's inventory has it."""
        self.session(ctx)
        found = _BUCKET_ARN.match(resource_arn)
        if found is None:
            raise validation("The resourceArn must be the ARN of an S3 general purpose bucket.")
        name = found.group(1)
        service = s3read.as_service(self.runtime, ctx.account_id, ctx.region, ctx.operation)
        if name not in {b["Name"] for b in self.bucket_list(service)}:
            raise not_found(f"The bucket {name} isn't in your bucket inventory.")
        return name

    def _seen(self, ctx: RequestContext, name: str) -> dict[str, dict[str, Any]]:
        done = self.setting(ctx.account_id, ctx.region, "discovered") or {}
        return {k: entry(v) for k, v in (done.get(name) or {}).items()}

    def _profile(self, ctx: RequestContext, name: str) -> dict[str, Any]:
        return dict((self.setting(ctx.account_id, ctx.region, "profiles") or {}).get(name) or {})

    def get_resource_profile(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = self._bucket(ctx, request["resourceArn"])
        seen, profile = self._seen(ctx, name), self._profile(ctx, name)
        suppressed = {s["id"] for s in profile.get("suppressed") or []}
        stats = dict.fromkeys(
            (
                "totalBytesClassified",
                "totalDetections",
                "totalDetectionsSuppressed",
                "totalItemsClassified",
                "totalItemsSensitive",
                "totalItemsSkipped",
                "totalItemsSkippedInvalidEncryption",
                "totalItemsSkippedInvalidKms",
                "totalItemsSkippedPermissionDenied",
            ),
            0,
        )
        for e in seen.values():
            stats["totalBytesClassified"] += int(e.get("bytes") or 0)
            counted = {t: c for t, c in e["detections"].items() if t not in suppressed}
            stats["totalDetections"] += sum(counted.values())
            stats["totalDetectionsSuppressed"] += sum(c for t, c in e["detections"].items() if t in suppressed)
            if e["status"] == "SKIPPED":
                stats["totalItemsSkipped"] += 1
                if e.get("reason") == "PERMISSIONS_ERROR":
                    stats["totalItemsSkippedPermissionDenied"] += 1
            else:
                stats["totalItemsClassified"] += 1
            if counted:
                stats["totalItemsSensitive"] += 1
        moments = [m for m in (_when(e.get("at")) for e in seen.values()) if m is not None]
        if profile.get("updatedAt"):
            moments.append(_when(profile["updatedAt"]))  # type: ignore[arg-type]
        out: dict[str, Any] = {
            "sensitivityScore": self.bucket_scores(ctx.account_id, ctx.region).get(name, DEFAULT_SCORE),
            "sensitivityScoreOverridden": profile.get("override") is not None,
            "statistics": stats,
        }
        if moments:
            out["profileUpdatedAt"] = max(moments)
        return out

    def update_resource_profile(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = self._bucket(ctx, request["resourceArn"])
        override = request.get("sensitivityScoreOverride")
        if override is not None and override not in (1, 100):
            raise validation("The sensitivityScoreOverride must be 1 (not sensitive) or 100 (sensitive).")
        with self.runtime.store.write() as conn:
            profiles = self.setting(ctx.account_id, ctx.region, "profiles", conn) or {}
            profile = profiles.setdefault(name, {})
            profile["override"] = override  # None: back to the score Macie calculates
            profile["updatedAt"] = iso(clock.now())
            self.put_setting(conn, ctx.account_id, ctx.region, "profiles", profiles)
        return {}

    def update_resource_profile_detections(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = self._bucket(ctx, request["resourceArn"])
        wanted = request.get("suppressDataIdentifiers") or []
        for item in wanted:
            if not item.get("id") or item.get("type") not in ("CUSTOM", "MANAGED"):
                raise validation("Each suppressDataIdentifiers item needs an id and a type (CUSTOM or MANAGED).")
        suppressed = list({item["id"]: {"id": item["id"], "type": item["type"]} for item in wanted}.values())
        with self.runtime.store.write() as conn:
            profiles = self.setting(ctx.account_id, ctx.region, "profiles", conn) or {}
            profile = profiles.setdefault(name, {})
            profile["suppressed"] = suppressed  # the whole set: an identifier left out counts again
            profile["updatedAt"] = iso(clock.now())
            self.put_setting(conn, ctx.account_id, ctx.region, "profiles", profiles)
            done = self.setting(ctx.account_id, ctx.region, "discovered", conn) or {}
            if done.get(name):
                self.rescore(conn, ctx.account_id, ctx.region, {name: done[name]})
        return {}

    def list_resource_profile_detections(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = self._bucket(ctx, request["resourceArn"])
        size = max_results(request)
        seen, profile = self._seen(ctx, name), self._profile(ctx, name)
        suppressed = {s["id"] for s in profile.get("suppressed") or []}
        counts: dict[str, int] = {}
        for e in seen.values():
            for kind, count in e["detections"].items():
                counts[kind] = counts.get(kind, 0) + int(count)
        counts.pop("UNKNOWN", None)  # records kept before detections were (only "had sensitive data")
        with self.runtime.store.read() as conn:
            customs = {
                r.identifier_id: r
                for r in conn.execute(
                    select(custom_identifiers).where(
                        custom_identifiers.c.identifier_id.in_(list(counts)),
                        custom_identifiers.c.account_id == ctx.account_id,
                    )
                )
            }
        items = []
        for kind in sorted(counts):
            custom = customs.get(kind)
            item: dict[str, Any] = {
                "count": counts[kind],
                "id": kind,
                "name": custom.name if custom is not None else kind,
                "suppressed": kind in suppressed,
                "type": "CUSTOM" if custom is not None else "MANAGED",
            }
            if custom is not None:
                item["arn"] = arn(custom.region, custom.account_id, "custom-data-identifier", kind)
            items.append(item)
        page, token = pages.offset_page(items, request.get("nextToken"), size, _bad_token)
        return {"detections": page, **({"nextToken": token} if token else {})}

    def list_resource_profile_artifacts(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = self._bucket(ctx, request["resourceArn"])
        suppressed = {s["id"] for s in self._profile(ctx, name).get("suppressed") or []}
        items = []
        for stamp, e in sorted(self._seen(ctx, name).items()):
            key = stamp.rsplit("@", 1)[0]
            items.append(
                {
                    "arn": f"arn:aws:s3:::{name}/{key}",
                    "classificationResultStatus": e["status"],
                    "sensitive": bool(set(e["detections"]) - suppressed),
                }
            )
        page, token = pages.offset_page(items, request.get("nextToken"), ARTIFACTS_PAGE, _bad_token)
        return {"artifacts": page, **({"nextToken": token} if token else {})}
