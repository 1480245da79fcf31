"""The S3 bucket inventory Macie keeps: DescribeBuckets, GetBucketStatistics, SearchResources, and policy findings.

Everything is read from S3's real configuration, as Macie (``s3read.py``): the bucket policy (public, or shared
with another account), its ACL, Block Public Access at bucket and account level (S3 Control), default encryption
and replication rules. Policy findings are computed by the ``macie2-inventory`` scheduled job — when Macie is
enabled and every hour after, on the server clock (AWS refreshes its inventory daily and evaluates policy changes
within minutes; a periodic pass over every bucket is the same facts without hooking S3) — one finding per bucket
and type, created when the condition first holds (``count`` stays 1 while it persists). Strongroom's S3 never
lets default encryption be off (deleting it restores SSE-S3, as on AWS today), so
``Policy:IAMUser/S3BucketEncryptionDisabled`` is computed but cannot arise.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from strongroom.core.clock import clock
from strongroom.core.errors import AwsError
from strongroom.scheduler.jobs import JobContext, JobResult
from strongroom.services.base import pages
from strongroom.services.macie2 import s3read
from strongroom.services.macie2.base import SEVERITIES, MacieBase, iso
from strongroom.services.macie2.errors import validation
from strongroom.services.macie2.model import findings, jobs, sessions

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

INVENTORY_JOB = "macie2-inventory"
INVENTORY_SECONDS = 3600
_ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
_AUTH_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
_BPA_KEYS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
_POLICY_TITLES = {
    "Policy:IAMUser/S3BucketPublic": ("The S3 bucket is publicly accessible.", 3),
    "Policy:IAMUser/S3BucketSharedExternally": ("The S3 bucket is shared with an external AWS account.", 3),
    "Policy:IAMUser/S3BucketReplicatedExternally": ("The S3 bucket replicates objects to an external account.", 3),
    "Policy:IAMUser/S3BucketEncryptionDisabled": ("Default encryption is disabled for the S3 bucket.", 1),
    "Policy:IAMUser/S3BlockPublicAccessDisabled": ("Block public access settings are disabled for the S3 bucket.", 1),
}


def _bad_token() -> AwsError:
    return validation("The nextToken is invalid.")


def _try(ctx: RequestContext, operation: str, params: dict[str, Any]) -> dict[str, Any] | None:
    try:
        return s3read.call(ctx, operation, params)
    except AwsError:
        return None


def _principals(statement: dict[str, Any]) -> list[str]:
    principal = statement.get("Principal")
    if principal == "*":
        return ["*"]
    if isinstance(principal, dict):
        out: list[str] = []
        for value in principal.values():
            out += [value] if isinstance(value, str) else list(value or [])
        return out
    return []


def _account_of(principal: str) -> str | None:
    if principal.isdigit() and len(principal) == 12:
        return principal
    parts = principal.split(":")
    return parts[4] if len(parts) > 4 and parts[0] == "arn" and parts[4] else None


def bucket_facts(ctx: RequestContext, name: str, account_bpa: dict[str, bool]) -> dict[str, Any]:
    """What Macie knows about one bucket, from S3's configuration (member names are Macie's)."""
    account = ctx.account_id
    policy_status = _try(ctx, "GetBucketPolicyStatus", {"Bucket": name})
    policy_text = (_try(ctx, "GetBucketPolicy", {"Bucket": name}) or {}).get("Policy")
    policy = json.loads(policy_text) if isinstance(policy_text, str) else {}
    acl = _try(ctx, "GetBucketAcl", {"Bucket": name}) or {}
    bpa_out = _try(ctx, "GetPublicAccessBlock", {"Bucket": name}) or {}
    bucket_bpa = {k: bool((bpa_out.get("PublicAccessBlockConfiguration") or {}).get(k)) for k in _BPA_KEYS}
    encryption = _try(ctx, "GetBucketEncryption", {"Bucket": name})
    replication = _try(ctx, "GetBucketReplication", {"Bucket": name}) or {}
    tagging = _try(ctx, "GetBucketTagging", {"Bucket": name}) or {}

    grants = acl.get("Grants") or []
    acl_read = any(
        (g.get("Grantee") or {}).get("URI") in (_ALL_USERS, _AUTH_USERS)
        and g.get("Permission") in ("READ", "FULL_CONTROL")
        for g in grants
    )
    acl_write = any(
        (g.get("Grantee") or {}).get("URI") in (_ALL_USERS, _AUTH_USERS)
        and g.get("Permission") in ("WRITE", "FULL_CONTROL")
        for g in grants
    )
    policy_public = bool(((policy_status or {}).get("PolicyStatus") or {}).get("IsPublic"))
    external: set[str] = set()
    for statement in policy.get("Statement") or []:
        if statement.get("Effect") != "Allow":
            continue
        for principal in _principals(statement):
            other = _account_of(principal)
            if other and other != account:
                external.add(other)
    blocked_policy = bucket_bpa["RestrictPublicBuckets"] or account_bpa.get("RestrictPublicBuckets", False)
    blocked_acl = bucket_bpa["IgnorePublicAcls"] or account_bpa.get("IgnorePublicAcls", False)
    public = (policy_public and not blocked_policy) or ((acl_read or acl_write) and not blocked_acl)
    rules = ((replication.get("ReplicationConfiguration") or {}).get("Rules")) or []
    replication_accounts = sorted(
        {
            str(r.get("Destination", {}).get("Account"))
            for r in rules
            if r.get("Status") == "Enabled" and r.get("Destination", {}).get("Account")
        }
    )
    sse_rules = ((encryption or {}).get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
    default = (sse_rules[0].get("ApplyServerSideEncryptionByDefault") or {}) if sse_rules else {}
    return {
        "name": name,
        "policy_public_read": policy_public,
        "acl_read": acl_read,
        "acl_write": acl_write,
        "bucket_bpa": bucket_bpa,
        "account_bpa": account_bpa,
        "public": public,
        "shared_accounts": sorted(external),
        "replication_accounts": replication_accounts,
        "encryption_type": default.get("SSEAlgorithm") or "NONE",
        "kms_key": default.get("KMSMasterKeyID"),
        "tags": [{"key": t["Key"], "value": t["Value"]} for t in tagging.get("TagSet") or []],
    }


def public_access(facts: dict[str, Any]) -> dict[str, Any]:
    """Macie's BucketPublicAccess structure."""
    return {
        "effectivePermission": "PUBLIC" if facts["public"] else "NOT_PUBLIC",
        "permissionConfiguration": {
            "accountLevelPermissions": {"blockPublicAccess": _bpa(facts["account_bpa"])},
            "bucketLevelPermissions": {
                "accessControlList": {
                    "allowsPublicReadAccess": facts["acl_read"],
                    "allowsPublicWriteAccess": facts["acl_write"],
                },
                "blockPublicAccess": _bpa(facts["bucket_bpa"]),
                "bucketPolicy": {
                    "allowsPublicReadAccess": facts["policy_public_read"],
                    "allowsPublicWriteAccess": False,
                },
            },
        },
    }


def _bpa(values: dict[str, bool]) -> dict[str, bool]:
    return {
        "blockPublicAcls": values.get("BlockPublicAcls", False),
        "blockPublicPolicy": values.get("BlockPublicPolicy", False),
        "ignorePublicAcls": values.get("IgnorePublicAcls", False),
        "restrictPublicBuckets": values.get("RestrictPublicBuckets", False),
    }


def shared_access(facts: dict[str, Any]) -> str:
    return "EXTERNAL" if facts["shared_accounts"] else "NOT_SHARED"


def s3_bucket(facts: dict[str, Any], account_id: str, created: Any = None) -> dict[str, Any]:
    """A finding's ``resourcesAffected.s3Bucket``."""
    enc = facts["encryption_type"]
    out: dict[str, Any] = {
        "allowsUnencryptedObjectUploads": "TRUE" if enc == "NONE" else "FALSE",
        "arn": f"arn:aws:s3:::{facts['name']}",
        "defaultServerSideEncryption": {
            "encryptionType": enc,
            **({"kmsMasterKeyId": facts["kms_key"]} if facts["kms_key"] else {}),
        },
        "name": facts["name"],
        "owner": {"displayName": account_id, "id": account_id},
        "publicAccess": public_access(facts),
        "tags": facts["tags"],
    }
    if created is not None:
        out["createdAt"] = iso(created) if hasattr(created, "astimezone") else created
    return out


def policy_types(facts: dict[str, Any]) -> list[str]:
    out = []
    if facts["public"]:
        out.append("Policy:IAMUser/S3BucketPublic")
    if facts["shared_accounts"]:
        out.append("Policy:IAMUser/S3BucketSharedExternally")
    if any(a != facts.get("account") for a in facts["replication_accounts"]):
        out.append("Policy:IAMUser/S3BucketReplicatedExternally")
    if facts["encryption_type"] == "NONE":
        out.append("Policy:IAMUser/S3BucketEncryptionDisabled")
    if not any(facts["bucket_bpa"].values()):
        out.append("Policy:IAMUser/S3BlockPublicAccessDisabled")
    return out


class BucketOperations(MacieBase):
    scheduled_jobs = {INVENTORY_JOB: "run_inventory"}

    def account_bpa(self, ctx: RequestContext) -> dict[str, bool]:
        try:
            out = ctx.call("s3control", "GetPublicAccessBlock", {"AccountId": ctx.account_id}, via=s3read.SERVICE)
        except AwsError:
            return {}
        config = out.get("PublicAccessBlockConfiguration") or {}
        return {k: bool(config.get(k)) for k in _BPA_KEYS}

    def bucket_list(self, ctx: RequestContext) -> list[dict[str, Any]]:
        out = s3read.call(ctx, "ListBuckets", {})
        return [b for b in out.get("Buckets") or [] if (b.get("BucketRegion") or ctx.region) == ctx.region]

    def object_stats(self, ctx: RequestContext, name: str) -> dict[str, int]:
        count = size = 0
        token: str | None = None
        while True:
            params: dict[str, Any] = {"Bucket": name}
            if token:
                params["ContinuationToken"] = token
            out = _try(ctx, "ListObjectsV2", params) or {}
            for item in out.get("Contents") or []:
                count += 1
                size += int(item.get("Size") or 0)
            token = out.get("NextContinuationToken")
            if not token:
                return {"count": count, "size": size}

    def _metadata(self, ctx: RequestContext) -> list[dict[str, Any]]:
        account_bpa = self.account_bpa(ctx)
        with self.runtime.store.read() as conn:
            job_rows = conn.execute(
                select(jobs.c.job_id, jobs.c.definition, jobs.c.last_run_time, jobs.c.job_type, jobs.c.status).where(
                    jobs.c.account_id == ctx.account_id, jobs.c.region == ctx.region
                )
            ).all()
        scores = self.bucket_scores(ctx.account_id, ctx.region)
        out = []
        now = clock.now()
        for bucket in self.bucket_list(ctx):
            name = bucket["Name"]
            facts = bucket_facts(ctx, name, account_bpa)
            stats = self.object_stats(ctx, name)
            defined = [
                j
                for j in job_rows
                if any(
                    name in (d.get("buckets") or [])
                    for d in (json.loads(j.definition).get("s3JobDefinition") or {}).get("bucketDefinitions") or []
                )
            ]
            last = max(defined, key=lambda j: j.last_run_time or now, default=None)
            job_details: dict[str, Any] = {
                "isDefinedInJob": "TRUE" if defined else "FALSE",
                "isMonitoredByJob": "TRUE"
                if any(j.job_type == "SCHEDULED" and j.status not in ("CANCELLED",) for j in defined)
                else "FALSE",
            }
            if last is not None:
                job_details["lastJobId"] = last.job_id
                if last.last_run_time is not None:
                    job_details["lastJobRunTime"] = last.last_run_time
            out.append(
                {
                    "accountId": ctx.account_id,
                    "allowsUnencryptedObjectUploads": "TRUE" if facts["encryption_type"] == "NONE" else "FALSE",
                    "automatedDiscoveryMonitoringStatus": "MONITORED"
                    if self.setting(ctx.account_id, ctx.region, "discovery")
                    else "NOT_MONITORED",
                    "bucketArn": f"arn:aws:s3:::{name}",
                    "bucketCreatedAt": bucket.get("CreationDate"),
                    "bucketName": name,
                    "classifiableObjectCount": stats["count"],
                    "classifiableSizeInBytes": stats["size"],
                    "jobDetails": job_details,
                    "lastUpdated": now,
                    "objectCount": stats["count"],
                    "publicAccess": public_access(facts),
                    "region": ctx.region,
                    "replicationDetails": {
                        "replicated": bool(facts["replication_accounts"]),
                        "replicatedExternally": any(a != ctx.account_id for a in facts["replication_accounts"]),
                        "replicationAccounts": facts["replication_accounts"],
                    },
                    "sensitivityScore": int(scores.get(name, 50)),
                    "serverSideEncryption": {
                        "type": facts["encryption_type"],
                        **({"kmsMasterKeyId": facts["kms_key"]} if facts["kms_key"] else {}),
                    },
                    "sharedAccess": shared_access(facts),
                    "sizeInBytes": stats["size"],
                    "sizeInBytesCompressed": 0,
                    "tags": facts["tags"],
                    "unclassifiableObjectCount": {"fileType": 0, "storageClass": 0, "total": 0},
                    "unclassifiableObjectSizeInBytes": {"fileType": 0, "storageClass": 0, "total": 0},
                    "versioning": False,
                }
            )
        return out

    def describe_buckets(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        items = [b for b in self._metadata(ctx) if _bucket_matches(b, request.get("criteria") or {})]
        sort = request.get("sortCriteria") or {}
        attribute = sort.get("attributeName") or "bucketName"
        items.sort(key=lambda b: (b.get(attribute) is None, b.get(attribute)), reverse=sort.get("orderBy") == "DESC")
        page, token = pages.offset_page(items, request.get("nextToken"), request.get("maxResults") or 50, _bad_token)
        return {"buckets": page, **({"nextToken": token} if token else {})}

    def get_bucket_statistics(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        items = self._metadata(ctx)
        if request.get("accountId"):
            items = [b for b in items if b["accountId"] == request["accountId"]]

        def count(pred: Any) -> int:
            return sum(1 for b in items if pred(b))

        enc = lambda t: count(lambda b: b["serverSideEncryption"]["type"] == t)  # noqa: E731
        return {
            "bucketCount": len(items),
            "bucketCountByEffectivePermission": {
                "publiclyAccessible": count(lambda b: b["publicAccess"]["effectivePermission"] == "PUBLIC"),
                "publiclyReadable": count(lambda b: b["publicAccess"]["effectivePermission"] == "PUBLIC"),
                "publiclyWritable": count(
                    lambda b: b["publicAccess"]["permissionConfiguration"]["bucketLevelPermissions"][
                        "accessControlList"
                    ]["allowsPublicWriteAccess"]
                ),
                "unknown": 0,
            },
            "bucketCountByEncryptionType": {
                "kmsManaged": enc("aws:kms") + enc("aws:kms:dsse"),
                "s3Managed": enc("AES256"),
                "unencrypted": enc("NONE"),
                "unknown": 0,
            },
            "bucketCountByObjectEncryptionRequirement": {
                "allowsUnencryptedObjectUploads": count(lambda b: b["allowsUnencryptedObjectUploads"] == "TRUE"),
                "deniesUnencryptedObjectUploads": count(lambda b: b["allowsUnencryptedObjectUploads"] == "FALSE"),
                "unknown": 0,
            },
            "bucketCountBySharedAccessType": {
                "external": count(lambda b: b["sharedAccess"] == "EXTERNAL"),
                "internal": 0,
                "notShared": count(lambda b: b["sharedAccess"] == "NOT_SHARED"),
                "unknown": 0,
            },
            "classifiableObjectCount": sum(b["classifiableObjectCount"] for b in items),
            "classifiableSizeInBytes": sum(b["classifiableSizeInBytes"] for b in items),
            "lastUpdated": clock.now(),
            "objectCount": sum(b["objectCount"] for b in items),
            "sizeInBytes": sum(b["sizeInBytes"] for b in items),
            "sizeInBytesCompressed": 0,
            "unclassifiableObjectCount": {"fileType": 0, "storageClass": 0, "total": 0},
            "unclassifiableObjectSizeInBytes": {"fileType": 0, "storageClass": 0, "total": 0},
        }

    def search_resources(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        criteria = request.get("bucketCriteria") or {}
        items = [b for b in self._metadata(ctx) if _search_matches(b, criteria)]
        sort = request.get("sortCriteria") or {}
        attribute = {
            "ACCOUNT_ID": "accountId",
            "RESOURCE_NAME": "bucketName",
            "S3_CLASSIFIABLE_OBJECT_COUNT": "classifiableObjectCount",
            "S3_CLASSIFIABLE_SIZE_IN_BYTES": "classifiableSizeInBytes",
        }[sort.get("attributeName") or "RESOURCE_NAME"]
        items.sort(key=lambda b: b[attribute], reverse=sort.get("orderBy") == "DESC")
        keep = (
            "accountId", "automatedDiscoveryMonitoringStatus", "bucketName", "classifiableObjectCount",
            "classifiableSizeInBytes", "jobDetails", "objectCount", "sensitivityScore", "sizeInBytes",
            "sizeInBytesCompressed", "unclassifiableObjectCount", "unclassifiableObjectSizeInBytes",
        )  # fmt: skip
        page, token = pages.offset_page(items, request.get("nextToken"), request.get("maxResults") or 50, _bad_token)
        return {
            "matchingResources": [{"matchingBucket": {k: b[k] for k in keep}} for b in page],
            **({"nextToken": token} if token else {}),
        }

    # -- policy findings --------------------------------------------------------------------------------------

    def run_inventory(self, job: JobContext) -> JobResult | None:
        account_id, _, region = job.key.partition(":")
        with self.runtime.store.read() as conn:
            session = conn.execute(
                select(sessions).where(sessions.c.account_id == account_id, sessions.c.region == region)
            ).first()
        if session is None:
            return None  # Macie was disabled: the job ends
        if session.status == "ENABLED":
            self.evaluate_policies(account_id, region)
        return JobResult.again(job.now + timedelta(seconds=INVENTORY_SECONDS))

    def evaluate_policies(self, account_id: str, region: str) -> int:
        """Create the policy findings the account's buckets call for now; answers how many were new."""
        ctx = s3read.as_service(self.runtime, account_id, region, "DescribeBuckets")
        account_bpa = self.account_bpa(ctx)
        created = 0
        for bucket in self.bucket_list(ctx):
            facts = bucket_facts(ctx, bucket["Name"], account_bpa)
            facts["account"] = account_id
            for kind in policy_types(facts):
                key = f"{kind}:{bucket['Name']}"
                with self.runtime.store.write() as conn:
                    exists = conn.execute(
                        select(findings.c.finding_id).where(
                            findings.c.account_id == account_id,
                            findings.c.region == region,
                            findings.c.dedup_key == key,
                        )
                    ).first()
                    if exists is not None:
                        continue
                    title, score = _POLICY_TITLES[kind]
                    body = {
                        "accountId": account_id,
                        "region": region,
                        "category": "POLICY",
                        "type": kind,
                        "title": title,
                        "description": f"{title[:-1]} ({bucket['Name']}).",
                        "severity": {"score": score, "description": SEVERITIES[score]},
                        "policyDetails": {
                            "action": {
                                "actionType": "AWS_API_CALL",
                                "apiCallDetails": {
                                    "api": "",
                                    "apiServiceName": "s3.amazonaws.com",
                                    "firstSeen": iso(clock.now()),
                                    "lastSeen": iso(clock.now()),
                                },
                            },
                            "actor": {
                                "userIdentity": {
                                    "type": "Root",
                                    "root": {
                                        "accountId": account_id,
                                        "arn": f"arn:aws:iam::{account_id}:root",
                                        "principalId": account_id,
                                    },
                                }
                            },
                        },
                        "resourcesAffected": {"s3Bucket": s3_bucket(facts, account_id, bucket.get("CreationDate"))},
                    }
                    self.store_finding(conn, body, dedup_key=key)
                    created += 1
        return created


def _bucket_matches(bucket: dict[str, Any], criteria: dict[str, Any]) -> bool:
    for key, condition in criteria.items():
        value = bucket.get(key) if "." not in key else _dotted(bucket, key)
        text = str(value).lower() if isinstance(value, bool) else str(value)
        if condition.get("eq") is not None and text not in condition["eq"]:
            return False
        if condition.get("neq") is not None and text in condition["neq"]:
            return False
        if condition.get("prefix") is not None and not text.startswith(condition["prefix"]):
            return False
        for op in ("gt", "gte", "lt", "lte"):
            bound = condition.get(op)
            if bound is None:
                continue
            if not isinstance(value, int | float):
                return False
            if not {"gt": value > bound, "gte": value >= bound, "lt": value < bound, "lte": value <= bound}[op]:
                return False
    return True


def _dotted(obj: Any, key: str) -> Any:
    for part in key.split("."):
        obj = obj.get(part) if isinstance(obj, dict) else None
    return obj


_SEARCH_KEYS = {
    "ACCOUNT_ID": "accountId",
    "S3_BUCKET_NAME": "bucketName",
    "AUTOMATED_DISCOVERY_MONITORING_STATUS": "automatedDiscoveryMonitoringStatus",
}


def _search_value(bucket: dict[str, Any], key: str) -> str:
    if key == "S3_BUCKET_EFFECTIVE_PERMISSION":
        return str(bucket["publicAccess"]["effectivePermission"])
    if key == "S3_BUCKET_SHARED_ACCESS":
        return str(bucket["sharedAccess"])
    return str(bucket[_SEARCH_KEYS[key]])


def _term(bucket: dict[str, Any], term: dict[str, Any]) -> bool:
    if term.get("simpleCriterion"):
        simple = term["simpleCriterion"]
        hit = _search_value(bucket, simple["key"]) in (simple.get("values") or [])
        return hit if simple.get("comparator", "EQ") == "EQ" else not hit
    if term.get("tagCriterion"):
        tag = term["tagCriterion"]
        tags = {t["key"]: t["value"] for t in bucket.get("tags") or []}
        hit = any(
            tags.get(p.get("key")) == p.get("value") if p.get("value") else p.get("key") in tags
            for p in tag.get("tagValues") or []
        )
        return hit if tag.get("comparator", "EQ") == "EQ" else not hit
    return True


def _search_matches(bucket: dict[str, Any], criteria: dict[str, Any]) -> bool:
    includes = (criteria.get("includes") or {}).get("and") or []
    excludes = (criteria.get("excludes") or {}).get("and") or []
    if not all(_term(bucket, t) for t in includes):
        return False
    return not (excludes and all(_term(bucket, t) for t in excludes))
