"""Object tagging: PutObjectTagging, GetObjectTagging, DeleteObjectTagging (per version)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import update

from strongroom.services.s3.base import NULL_VERSION, Row, S3Base, loads
from strongroom.services.s3.errors import error
from strongroom.services.s3.model import objects
from strongroom.services.s3.objects import check_tags

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext


class TaggingOperations(S3Base):
    def _tag_target(self, ctx: RequestContext, params: dict[str, Any], *, write: bool) -> tuple[Row, str | None]:
        store = self.runtime.store.write() if write else self.runtime.store.read()
        with store as conn:
            bucket = self.bucket(conn, params["Bucket"])
            self.expected_owner(ctx, bucket, params)
            row = self.live_object(conn, bucket.name, params["Key"], params.get("VersionId"))
            version = row["version_id"] if (row["version_id"] != NULL_VERSION or bucket.versioning) else None
            if write:
                tags = params.get("__tags__", {})
                conn.execute(update(objects).where(objects.c.id == row["id"]).values(tags=json.dumps(tags)))
                self.queue_metadata_replication(conn, bucket, {**row, "tags": json.dumps(tags)})
        return row, version

    def put_object_tagging(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        tags: dict[str, str] = {}
        for tag in (params.get("Tagging") or {}).get("TagSet") or []:
            key, value = str(tag.get("Key", "")), str(tag.get("Value", ""))
            if key in tags:
                raise error("InvalidTag", "Cannot provide multiple Tags with the same key", TagKey=key)
            tags[key] = value
        check_tags(tags)
        _, version = self._tag_target(ctx, {**params, "__tags__": tags}, write=True)
        return {"VersionId": version} if version else {}

    def get_object_tagging(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        row, version = self._tag_target(ctx, params, write=False)
        out: dict[str, Any] = {"TagSet": [{"Key": k, "Value": v} for k, v in loads(row["tags"]).items()]}
        if version:
            out["VersionId"] = version
        return out

    def delete_object_tagging(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        _, version = self._tag_target(ctx, {**params, "__tags__": {}}, write=True)
        return {"VersionId": version} if version else {}
