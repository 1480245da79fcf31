"""Bucket operations: CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation, versioning and ownership.

New buckets get today's AWS defaults: ACLs disabled (``BucketOwnerEnforced``), every Block Public Access flag on,
default encryption SSE-S3 with SSE-C blocked (``BlockedEncryptionTypes``, April 2026).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, exists, insert, select, update
from sqlalchemy.exc import IntegrityError

from strongroom.services.s3 import access
from strongroom.services.s3.base import Bucket, S3Base, now_seconds, valid_bucket_name
from strongroom.services.s3.errors import error
from strongroom.services.s3.model import bucket_configs, buckets, objects, uploads

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

DEFAULT_PUBLIC_ACCESS_BLOCK = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}
DEFAULT_ENCRYPTION = {
    "Rules": [
        {
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
            "BucketKeyEnabled": False,
            "BlockedEncryptionTypes": {"EncryptionType": ["SSE-C"]},
        }
    ]
}
_OWNERSHIPS = ("BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter")
# Canned ACLs a bucket with ACLs disabled still accepts: they grant nothing beyond the owner's full control.
OWNER_ONLY_ACLS = frozenset({"private", "bucket-owner-full-control"})


class BucketOperations(S3Base):
    def create_bucket(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["Bucket"]
        if not valid_bucket_name(name):
            raise error("InvalidBucketName", "The specified bucket is not valid.", BucketName=name)
        config = params.get("CreateBucketConfiguration") or {}
        constraint = config.get("LocationConstraint")
        region = ctx.region
        if constraint is None or constraint == "":
            if region != "us-east-1":
                raise error(
                    "IllegalLocationConstraintException",
                    "The unspecified location constraint is "
                    "incompatible for the region specific endpoint this request was sent to.",
                )
        elif constraint == "us-east-1" and region == "us-east-1":
            raise error(
                "InvalidLocationConstraint",
                "The specified location-constraint is not valid",
                LocationConstraint=constraint,
            )
        elif constraint != region:
            raise error(
                "IllegalLocationConstraintException",
                f"The {constraint} location constraint is "
                "incompatible for the region specific endpoint this request was sent to.",
            )
        ownership = params.get("ObjectOwnership") or "BucketOwnerEnforced"
        if ownership not in _OWNERSHIPS:
            raise error(
                "InvalidArgument",
                "Invalid x-amz-object-ownership header",
                ArgumentName="x-amz-object-ownership",
                ArgumentValue=ownership,
            )
        acl = params.get("ACL")
        grants = any(
            params.get(g) for g in ("GrantFullControl", "GrantRead", "GrantReadACP", "GrantWrite", "GrantWriteACP")
        )
        if ownership == "BucketOwnerEnforced" and ((acl is not None and acl not in OWNER_ONLY_ACLS) or grants):
            raise error(
                "InvalidBucketAclWithObjectOwnership",
                "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
            )
        lock = bool(params.get("ObjectLockEnabledForBucket"))
        try:
            with self.runtime.store.write() as conn:
                existing = self.find_bucket(conn, name)
                if existing is not None:
                    if self._recreated(ctx, existing):
                        # S3's legacy us-east-1 answer: 200, and the bucket's ACL reset to the request's.
                        self.delete_config(conn, name, "acl")
                        if acl is not None and acl not in OWNER_ONLY_ACLS:
                            self.put_config(conn, name, "acl", {"canned": acl})
                        return {"Location": f"/{name}", "BucketArn": existing.arn}
                    raise self._taken(ctx, existing)
                conn.execute(
                    insert(buckets).values(
                        name=name,
                        account_id=ctx.account_id,
                        region=region,
                        created_at=now_seconds(),
                        versioning="Enabled" if lock else None,
                        object_lock=lock,
                        ownership=ownership,
                        next_sequence=1,
                    )
                )
                self.put_config(conn, name, "public_access_block", DEFAULT_PUBLIC_ACCESS_BLOCK)
                self.put_config(conn, name, "encryption", DEFAULT_ENCRYPTION)
                if lock:
                    self.put_config(conn, name, "object_lock", {"ObjectLockEnabled": "Enabled"})
                if acl is not None and acl not in OWNER_ONLY_ACLS:
                    self.put_config(conn, name, "acl", {"canned": acl})
        except IntegrityError:
            with self.runtime.store.read() as conn:
                found = self.find_bucket(conn, name)
            if found is None:
                raise
            raise self._taken(ctx, found) from None
        location = f"/{name}" if region == "us-east-1" else f"http://{name}.s3.amazonaws.com/"
        return {"Location": location, "BucketArn": f"arn:aws:s3:::{name}"}

    @staticmethod
    def _recreated(ctx: RequestContext, existing: Bucket) -> bool:
        """ "For legacy compatibility, if you re-create an existing bucket that you already own in the North Virginia
        Region, Amazon S3 returns 200 OK" (CreateBucket's BucketAlreadyOwnedByYou); every other Region answers 409."""
        return existing.account_id == ctx.account_id and existing.region == ctx.region == "us-east-1"

    @staticmethod
    def _taken(ctx: RequestContext, existing: Bucket) -> Exception:
        if existing.account_id == ctx.account_id:
            return error(
                "BucketAlreadyOwnedByYou",
                "Your previous request to create the named bucket succeeded and you already own it.",
                BucketName=existing.name,
            )
        return error(
            "BucketAlreadyExists",
            "The requested bucket name is not available. The bucket namespace is "
            "shared by all users of the system. Please select a different name and try again.",
            BucketName=existing.name,
        )

    def head_bucket(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.read_bucket(params["Bucket"])
        self.expected_owner(ctx, bucket, params)
        return {"BucketRegion": bucket.region, "BucketArn": bucket.arn, "AccessPointAlias": False}

    def get_bucket_location(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.read_bucket(params["Bucket"])
        self.expected_owner(ctx, bucket, params)
        # us-east-1 is reported as an empty LocationConstraint, as S3 does
        return {"LocationConstraint": None if bucket.region == "us-east-1" else bucket.region}

    def delete_bucket(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["Bucket"]
        with self.runtime.store.write() as conn:
            bucket = self.bucket(conn, name)
            self.expected_owner(ctx, bucket, params)
            has_objects = conn.execute(select(exists().where(objects.c.bucket == name))).scalar()
            has_uploads = conn.execute(select(exists().where(uploads.c.bucket == name))).scalar()
            if has_objects or has_uploads:
                raise error("BucketNotEmpty", "The bucket you tried to delete is not empty", BucketName=name)
            conn.execute(delete(bucket_configs).where(bucket_configs.c.bucket == name))
            conn.execute(delete(buckets).where(buckets.c.name == name))
        access.forget(self.runtime.store, name)
        return {}

    # -- versioning ---------------------------------------------------------------------------------------------

    def put_bucket_versioning(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["Bucket"]
        config = params.get("VersioningConfiguration") or {}
        status = config.get("Status")
        if status not in ("Enabled", "Suspended"):
            raise error(
                "MalformedXML",
                "The XML you provided was not well-formed or did not validate against our published schema",
            )
        if config.get("MFADelete") == "Enabled":
            raise error("InvalidRequest", "DevPay and Mfa are mutually exclusive authorization methods.")
        with self.runtime.store.write() as conn:
            bucket = self.bucket(conn, name)
            self.expected_owner(ctx, bucket, params)
            if bucket.object_lock and status == "Suspended":
                raise error(
                    "InvalidBucketState",
                    "An Object Lock configuration is present on this bucket, so the "
                    "versioning state cannot be changed.",
                )
            if status == "Suspended" and self.get_config(conn, name, "replication") is not None:
                # "If you attempt to disable versioning on the source bucket, Amazon S3 returns an error."
                raise error(
                    "InvalidBucketState",
                    "A replication configuration is present on this bucket, so the versioning state cannot be changed.",
                )
            conn.execute(update(buckets).where(buckets.c.name == name).values(versioning=status))
        access.forget(self.runtime.store, name)  # the bucket row authorization caches
        return {}

    def get_bucket_versioning(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.read_bucket(params["Bucket"])
        self.expected_owner(ctx, bucket, params)
        return {"Status": bucket.versioning} if bucket.versioning else {}

    # -- ownership controls -------------------------------------------------------------------------------------

    def put_bucket_ownership_controls(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        rules = (params.get("OwnershipControls") or {}).get("Rules") or []
        if len(rules) != 1 or rules[0].get("ObjectOwnership") not in _OWNERSHIPS:
            raise error(
                "MalformedXML",
                "The XML you provided was not well-formed or did not validate against our published schema",
            )
        with self.runtime.store.write() as conn:
            bucket = self.bucket(conn, params["Bucket"])
            self.expected_owner(ctx, bucket, params)
            ownership = rules[0]["ObjectOwnership"]
            if ownership == "BucketOwnerEnforced" and self.get_config(conn, bucket.name, "acl"):
                raise error(
                    "InvalidBucketAclWithObjectOwnership",
                    "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
                )
            conn.execute(update(buckets).where(buckets.c.name == bucket.name).values(ownership=ownership))
        access.forget(self.runtime.store, bucket.name)
        return {}

    def get_bucket_ownership_controls(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.read_bucket(params["Bucket"])
        self.expected_owner(ctx, bucket, params)
        return {"OwnershipControls": {"Rules": [{"ObjectOwnership": bucket.ownership}]}}

    def delete_bucket_ownership_controls(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        # Without ownership controls a bucket behaves as ObjectWriter (ACLs enabled), as on AWS.
        with self.runtime.store.write() as conn:
            bucket = self.bucket(conn, params["Bucket"])
            self.expected_owner(ctx, bucket, params)
            conn.execute(update(buckets).where(buckets.c.name == bucket.name).values(ownership="ObjectWriter"))
        access.forget(self.runtime.store, bucket.name)
        return {}
