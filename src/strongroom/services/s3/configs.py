"""Bucket configuration subresources kept as documents: policy (and its public status), Block Public Access (bucket
and account), default encryption, tagging, CORS, lifecycle, EventBridge notifications, ACL, replication.

Each is one JSON document in ``s3_bucket_configs`` (``kind``), written and read whole as S3 does; the rules that
make a document valid live with its operation. Account-level Block Public Access is ``s3control``'s, stored per
account in ``s3_account_configs``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from strongroom.iam.policy import MalformedPolicyDocumentError, PolicyKind, parse_policy
from strongroom.services.s3 import access, public
from strongroom.services.s3.base import S3Base
from strongroom.services.s3.buckets import DEFAULT_ENCRYPTION, OWNER_ONLY_ACLS
from strongroom.services.s3.errors import error
from strongroom.services.s3.lifecycle import cancel_lifecycle, schedule_lifecycle
from strongroom.services.s3.listing import owner

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

MAX_POLICY_BYTES = 20 * 1024
_MALFORMED_XML = "The XML you provided was not well-formed or did not validate against our published schema"
_SSE_ALGORITHMS = ("AES256", "aws:kms", "aws:kms:dsse")


class ConfigOperations(S3Base):
    def reset(self) -> None:
        """Test-mode reset: the tables are emptied under the caches."""
        access.forget(self.runtime.store)

    # -- shared plumbing ----------------------------------------------------------------------------------------

    def _put(self, ctx: RequestContext, params: dict[str, Any], kind: str, document: Any) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            bucket = self.bucket(conn, params["Bucket"])
            self.expected_owner(ctx, bucket, params)
            self.put_config(conn, bucket.name, kind, document)
        access.forget(self.runtime.store, bucket.name)  # the policy and Block Public Access authorization caches
        return {}

    def _get(self, ctx: RequestContext, params: dict[str, Any], kind: str, missing: tuple[str, str]) -> Any:
        with self.runtime.store.read() as conn:
            bucket = self.bucket(conn, params["Bucket"])
            self.expected_owner(ctx, bucket, params)
            document = self.get_config(conn, bucket.name, kind)
        if document is None:
            raise error(missing[0], missing[1], BucketName=bucket.name)
        return document

    def _delete(self, ctx: RequestContext, params: dict[str, Any], kind: str) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            bucket = self.bucket(conn, params["Bucket"])
            self.expected_owner(ctx, bucket, params)
            self.delete_config(conn, bucket.name, kind)
        access.forget(self.runtime.store, bucket.name)
        return {}

    def block_public_access(self, bucket: str, account: str) -> public.BlockPublicAccess:
        """The bucket's Block Public Access settings merged with its account's (each flag ORed, as AWS does)."""
        with self.runtime.store.read() as conn:
            own = self.get_config(conn, bucket, "public_access_block") or {}
            acct = self.get_account_config(conn, account, "public_access_block") or {}
        return public.BlockPublicAccess.from_config(own).merge(public.BlockPublicAccess.from_config(acct))

    # -- policy -------------------------------------------------------------------------------------------------

    def put_bucket_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        text = params.get("Policy") or ""
        if len(text.encode()) > MAX_POLICY_BYTES:
            raise error("MalformedPolicy", "Policies must be no more than 20 KB")
        try:
            parse_policy(text, PolicyKind.RESOURCE)
            json.loads(text)
        except (MalformedPolicyDocumentError, ValueError) as exc:
            message = str(exc) or "Policies must be valid JSON and the first byte must be '{'"
            raise error("MalformedPolicy", message) from None
        bucket = self.read_bucket(params["Bucket"])
        self.expected_owner(ctx, bucket, params)
        if (
            public.is_public_policy(text)
            and self.block_public_access(bucket.name, bucket.account_id).block_public_policy
        ):
            raise error(
                "AccessDenied",
                f"User: {ctx.principal.arn} is not authorized to perform: s3:PutBucketPolicy on resource: "
                f'"{bucket.arn}" because public policies are blocked by the BlockPublicPolicy block public access '
                "setting.",
            )
        self._put(ctx, params, "policy", text)
        return {"__status__": 204}  # what S3 answers (its API reference's example), though the model says 200

    def get_bucket_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"Policy": self._get(ctx, params, "policy", ("NoSuchBucketPolicy", "The bucket policy does not exist"))}

    def delete_bucket_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._delete(ctx, params, "policy")

    def get_bucket_policy_status(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        text = self._get(ctx, params, "policy", ("NoSuchBucketPolicy", "The bucket policy does not exist"))
        return {"PolicyStatus": {"IsPublic": public.is_public_policy(text)}}

    # -- Block Public Access ------------------------------------------------------------------------------------

    def put_public_access_block(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        config = params.get("PublicAccessBlockConfiguration") or {}
        return self._put(
            ctx,
            params,
            "public_access_block",
            {
                k: bool(config.get(k, False))
                for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
            },
        )

    def get_public_access_block(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        document = self._get(
            ctx,
            params,
            "public_access_block",
            ("NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found"),
        )
        return {"PublicAccessBlockConfiguration": document}

    def delete_public_access_block(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._delete(ctx, params, "public_access_block")

    # -- default encryption -------------------------------------------------------------------------------------

    def put_bucket_encryption(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        config = params.get("ServerSideEncryptionConfiguration") or {}
        rules = config.get("Rules") or []
        if len(rules) != 1:
            raise error("MalformedXML", _MALFORMED_XML)
        rule = rules[0]
        default = rule.get("ApplyServerSideEncryptionByDefault") or {}
        algorithm = default.get("SSEAlgorithm")
        if algorithm not in _SSE_ALGORITHMS:
            raise error("MalformedXML", _MALFORMED_XML)
        if default.get("KMSMasterKeyID") and algorithm == "AES256":
            raise error(
                "InvalidArgument",
                "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse",
                ArgumentName="ApplyServerSideEncryptionByDefault",
            )
        document = {
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {k: v for k, v in default.items() if v is not None},
                    "BucketKeyEnabled": bool(rule.get("BucketKeyEnabled", False)),
                    "BlockedEncryptionTypes": rule.get("BlockedEncryptionTypes") or {"EncryptionType": ["SSE-C"]},
                }
            ]
        }
        return self._put(ctx, params, "encryption", document)

    def get_bucket_encryption(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        document = self._get(
            ctx,
            params,
            "encryption",
            (
                "ServerSideEncryptionConfigurationNotFoundError",
                "The server side encryption configuration was not found",
            ),
        )
        return {"ServerSideEncryptionConfiguration": document}

    def delete_bucket_encryption(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        # Encryption is never off: deleting the configuration restores the default (SSE-S3), as on AWS.
        return self._put(ctx, params, "encryption", DEFAULT_ENCRYPTION)

    # -- tagging ------------------------------------------------------------------------------------------------

    def put_bucket_tagging(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        tag_set = (params.get("Tagging") or {}).get("TagSet") or []
        tags: dict[str, str] = {}
        for tag in tag_set:
            key, value = tag.get("Key", ""), tag.get("Value", "")
            if key in tags:
                raise error("InvalidTag", "Cannot provide multiple Tags with the same key", TagKey=key)
            if not key or len(key) > 128 or len(value) > 256:
                raise error("InvalidTag", "The TagKey you have provided is invalid", TagKey=key)
            if key.startswith("aws:"):
                raise error("InvalidTag", "System tags cannot be added/updated by requester", TagKey=key)
            tags[key] = value
        if len(tags) > 50:
            raise error("InvalidTag", "Bucket tag count cannot be greater than 50")
        return self._put(ctx, params, "tagging", tags)

    def get_bucket_tagging(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        tags = self._get(ctx, params, "tagging", ("NoSuchTagSet", "The TagSet does not exist"))
        return {"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]}

    def delete_bucket_tagging(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._delete(ctx, params, "tagging")

    # -- CORS ---------------------------------------------------------------------------------------------------

    def put_bucket_cors(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        rules = (params.get("CORSConfiguration") or {}).get("CORSRules") or []
        if not rules or len(rules) > 100:
            raise error("MalformedXML", _MALFORMED_XML)
        for rule in rules:
            for method in rule.get("AllowedMethods") or []:
                if method not in ("GET", "PUT", "HEAD", "POST", "DELETE"):
                    raise error(
                        "InvalidRequest",
                        f"Found unsupported HTTP method in CORS config. Unsupported method is {method}",
                    )
        return self._put(ctx, params, "cors", {"CORSRules": rules})

    def get_bucket_cors(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return dict(
            self._get(ctx, params, "cors", ("NoSuchCORSConfiguration", "The CORS configuration does not exist"))
        )

    def delete_bucket_cors(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._delete(ctx, params, "cors")

    # -- lifecycle ----------------------------------------------------------------------------------------------

    def put_bucket_lifecycle_configuration(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        rules = (params.get("LifecycleConfiguration") or {}).get("Rules") or []
        if not rules or len(rules) > 1000:
            raise error("MalformedXML", _MALFORMED_XML)
        ids = [r.get("ID") for r in rules if r.get("ID")]
        if len(ids) != len(set(ids)):
            raise error(
                "InvalidArgument", "Rule ID must be unique. Found same ID for more than one rule", ArgumentName="ID"
            )
        for rule in rules:
            if rule.get("Status") not in ("Enabled", "Disabled"):
                raise error("MalformedXML", _MALFORMED_XML)
            if not any(
                rule.get(k)
                for k in (
                    "Expiration",
                    "NoncurrentVersionExpiration",
                    "Transitions",
                    "NoncurrentVersionTransitions",
                    "AbortIncompleteMultipartUpload",
                )
            ):
                raise error("InvalidRequest", "At least one action needs to be specified in a rule")
        out = self._put(ctx, params, "lifecycle", {"Rules": rules})
        schedule_lifecycle(self.runtime.scheduler, params["Bucket"])
        return out

    def get_bucket_lifecycle_configuration(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return dict(
            self._get(
                ctx, params, "lifecycle", ("NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist")
            )
        )

    def delete_bucket_lifecycle(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        out = self._delete(ctx, params, "lifecycle")
        cancel_lifecycle(self.runtime.scheduler, params["Bucket"])
        return out

    # -- notifications ------------------------------------------------------------------------------------------

    def put_bucket_notification_configuration(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        config = params.get("NotificationConfiguration") or {}
        for member in ("TopicConfigurations", "QueueConfigurations", "LambdaFunctionConfigurations"):
            if config.get(member):
                raise error(
                    "InvalidArgument",
                    "Unable to validate the following destination configurations: "
                    "Strongroom delivers S3 notifications through EventBridge only",
                    ArgumentName=member,
                )
        document: dict[str, Any] = {"EventBridgeConfiguration": {}} if "EventBridgeConfiguration" in config else {}
        return self._put(ctx, params, "notification", document)

    def get_bucket_notification_configuration(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            bucket = self.bucket(conn, params["Bucket"])
            self.expected_owner(ctx, bucket, params)
            return dict(self.get_config(conn, bucket.name, "notification") or {})

    # -- ACL ----------------------------------------------------------------------------------------------------

    def get_bucket_acl(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.read_bucket(params["Bucket"])
        self.expected_owner(ctx, bucket, params)
        me = owner(bucket.account_id)
        grants: list[dict[str, Any]] = [{"Grantee": {"Type": "CanonicalUser", **me}, "Permission": "FULL_CONTROL"}]
        with self.runtime.store.read() as conn:
            acl = self.get_config(conn, bucket.name, "acl") or {}
        grants += _canned_grants(str(acl.get("canned", "private")))
        return {"Owner": me, "Grants": grants}

    def put_bucket_acl(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        canned = params.get("ACL")
        with self.runtime.store.read() as conn:
            bucket = self.bucket(conn, params["Bucket"])
        self.expected_owner(ctx, bucket, params)
        if canned is None or params.get("AccessControlPolicy"):
            if bucket.ownership == "BucketOwnerEnforced":
                raise error("AccessControlListNotSupported", "The bucket does not allow ACLs")
            raise error("NotImplemented", "Strongroom accepts canned ACLs only (x-amz-acl)", Header="x-amz-acl")
        if bucket.ownership == "BucketOwnerEnforced" and canned not in OWNER_ONLY_ACLS:
            raise error("AccessControlListNotSupported", "The bucket does not allow ACLs")
        if (
            canned in public.PUBLIC_CANNED_ACLS
            and self.block_public_access(bucket.name, bucket.account_id).block_public_acls
        ):
            raise error("AccessDenied", "Access Denied")
        return self._put(ctx, params, "acl", {"canned": canned})


# The grants a canned ACL adds to the owner's FULL_CONTROL (S3 User Guide, "Canned ACL").
_CANNED: dict[str, tuple[tuple[str, str], ...]] = {
    "public-read": ((public.ALL_USERS, "READ"),),
    "public-read-write": ((public.ALL_USERS, "READ"), (public.ALL_USERS, "WRITE")),
    "authenticated-read": ((public.AUTHENTICATED_USERS, "READ"),),
    "log-delivery-write": (
        ("http://acs.amazonaws.com/groups/s3/LogDelivery", "WRITE"),
        ("http://acs.amazonaws.com/groups/s3/LogDelivery", "READ_ACP"),
    ),
}


def _canned_grants(canned: str) -> list[dict[str, Any]]:
    return [{"Grantee": {"Type": "Group", "URI": uri}, "Permission": perm} for uri, perm in _CANNED.get(canned, ())]
