"""Running classification jobs (the ``macie2-job`` scheduler job, on the server clock).

A run lists the job's buckets (its ``bucketDefinitions``, or every bucket of the account its ``bucketCriteria``
select, re-evaluated each run), lists each bucket's objects in key order, keeps those the ``scoping`` selects
(extension, size, last-modified, key, object tags), then the ``samplingPercentage`` of them (chosen by a hash of the
object's bucket, key and ETag, so a rerun samples the same objects), reads each through S3 as Macie does
(``s3read.py``: SSE-KMS objects decrypted through KMS under the key policy; an object Macie may not read is
skipped with AWS's ``PERMISSIONS_ERROR`` result) and streams it into the engine's classifier. Each object with
sensitive data becomes a finding (``findings.py``'s form); every object's sensitive data discovery result goes to
the classification export destination when one is configured (``reveal.py``). Memory stays flat: one object at a
time, spooled to disk beyond 8 MB, and the engine streams it.

The job row's status is checked between objects: a USER_PAUSED or CANCELLED job stops there, and a paused run
keeps its place (``cursor``: bucket and key) to resume from.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from strongroom.core.errors import AwsError
from strongroom.scheduler.jobs import JobContext, JobResult
from strongroom.sensitive import build_classifier
from strongroom.sensitive.contract import (
    AllowList,
    Classifier,
    CustomIdentifier,
    ObjectResult,
    ScanConfig,
    Selector,
)
from strongroom.sensitive.results import classification_result
from strongroom.services.macie2 import s3read
from strongroom.services.macie2.base import iso
from strongroom.services.macie2.buckets import BucketOperations, bucket_facts, s3_bucket, shared_access
from strongroom.services.macie2.findingjson import object_finding
from strongroom.services.macie2.identifiers import IdentifierOperations, custom_of
from strongroom.services.macie2.jobs import next_run
from strongroom.services.macie2.model import allow_lists, custom_identifiers, jobs, sessions
from strongroom.services.macie2.session import JOB_KIND

if TYPE_CHECKING:
    from sqlalchemy.engine import Row

    from strongroom.services.base.runtime import RequestContext

log = logging.getLogger(__name__)
CHECK_EVERY = 10  # objects between two looks at the job's status
_KMS_DENIED = ("AccessDenied", "AccessDeniedException", "KMS.AccessDeniedException", "KMS.DisabledException")


def _compare(value: Any, comparator: str, wanted: list[Any]) -> bool:
    if comparator == "EQ":
        return value in wanted
    if comparator == "NE":
        return value not in wanted
    if comparator == "CONTAINS":
        return any(str(w) in str(value) for w in wanted)
    if comparator == "STARTS_WITH":
        return any(str(value).startswith(str(w)) for w in wanted)
    if not wanted:
        return False
    bound = wanted[0]
    return bool(
        {"GT": value > bound, "GTE": value >= bound, "LT": value < bound, "LTE": value <= bound}.get(comparator, False)
    )


def _timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _bucket_term(term: dict[str, Any], account_id: str, facts: dict[str, Any]) -> bool:
    simple = term.get("simpleCriterion")
    if simple:
        key = simple.get("key")
        value = {
            "ACCOUNT_ID": account_id,
            "S3_BUCKET_NAME": facts["name"],
            "S3_BUCKET_EFFECTIVE_PERMISSION": "PUBLIC" if facts["public"] else "NOT_PUBLIC",
            "S3_BUCKET_SHARED_ACCESS": shared_access(facts),
        }.get(key, "")
        return _compare(value, simple.get("comparator") or "EQ", simple.get("values") or [])
    tag = term.get("tagCriterion")
    if tag:
        tags = {t["key"]: t["value"] for t in facts["tags"]}
        hit = any(
            (p.get("key") in tags and (p.get("value") in (None, "") or tags[p["key"]] == p.get("value")))
            for p in tag.get("tagValues") or []
        )
        return hit if (tag.get("comparator") or "EQ") == "EQ" else not hit
    return True


def _object_term(term: dict[str, Any], item: dict[str, Any], tags: dict[str, str] | None) -> bool:
    simple = term.get("simpleScopeTerm")
    if simple:
        key, comparator = simple.get("key"), simple.get("comparator") or "EQ"
        values = simple.get("values") or []
        name = item["Key"]
        if key == "OBJECT_EXTENSION":
            ext = name.rsplit(".", 1)[-1].lower() if "." in name.rsplit("/", 1)[-1] else ""
            return _compare(ext, comparator, [v.lower().lstrip(".") for v in values])
        if key == "OBJECT_SIZE":
            return _compare(int(item.get("Size") or 0), comparator, [int(v) for v in values])
        if key == "OBJECT_LAST_MODIFIED_DATE":
            return _compare(item["LastModified"], comparator, [_timestamp(v) for v in values])
        if key == "OBJECT_KEY":
            return _compare(name, comparator, values)
        return True
    tag = term.get("tagScopeTerm")
    if tag:
        pairs = tag.get("tagValues") or []
        hit = any(
            p.get("key") in (tags or {}) and (p.get("value") in (None, "") or (tags or {})[p["key"]] == p.get("value"))
            for p in pairs
        )
        return hit if (tag.get("comparator") or "EQ") == "EQ" else not hit
    return True


def _needs_tags(scoping: dict[str, Any]) -> bool:
    blocks = [(scoping.get(side) or {}).get("and") or [] for side in ("includes", "excludes")]
    return any(t.get("tagScopeTerm") for block in blocks for t in block)


def in_scope(scoping: dict[str, Any], item: dict[str, Any], tags: dict[str, str] | None) -> bool:
    includes = (scoping.get("includes") or {}).get("and") or []
    excludes = (scoping.get("excludes") or {}).get("and") or []
    if not all(_object_term(t, item, tags) for t in includes):
        return False
    return not (excludes and all(_object_term(t, item, tags) for t in excludes))


def sampled(percentage: int, bucket: str, item: dict[str, Any]) -> bool:
    if percentage >= 100:
        return True
    digest = hashlib.sha256(f"{bucket}/{item['Key']}/{item.get('ETag')}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < percentage


class RunnerOperations(BucketOperations, IdentifierOperations):
    scheduled_jobs = {JOB_KIND: "run_job"}

    def run_job(self, job: JobContext) -> JobResult | None:
        with self.runtime.store.read() as conn:
            row = conn.execute(select(jobs).where(jobs.c.job_id == job.key)).first()
            session = None
            if row is not None:
                session = conn.execute(
                    select(sessions).where(sessions.c.account_id == row.account_id, sessions.c.region == row.region)
                ).first()
        if row is None or session is None or row.status in ("CANCELLED", "COMPLETE", "USER_PAUSED"):
            return None
        if session.status == "PAUSED":  # Macie suspended: the job waits, PAUSED, and looks again hourly
            self._set(row.job_id, status="PAUSED")
            return JobResult.again(job.now + timedelta(hours=1))
        cursor = json.loads(row.cursor) if row.cursor else None
        started = _timestamp(cursor["started"]) if cursor else job.now
        self._set(row.job_id, status="RUNNING")
        try:
            finished = self._run(row, started, cursor)
        except Exception:
            log.exception("macie2 job %s failed", row.job_id)
            self._set(row.job_id, last_run_error="ERROR")
            finished = True
        if not finished:
            return None  # paused or cancelled between objects
        values: dict[str, Any] = {"runs": row.runs + 1, "last_run_time": started, "cursor": None, "to_process": 0}
        if row.job_type == "ONE_TIME":
            self._set(row.job_id, status="COMPLETE", **values)
            return None
        self._set(row.job_id, status="IDLE", scanned_until=started.replace(microsecond=0), **values)
        frequency = json.loads(row.definition)["scheduleFrequency"]
        return JobResult.again(next_run(frequency, job.now))

    def _set(self, job_id: str, **values: Any) -> None:
        with self.runtime.store.write() as conn:
            current = conn.execute(select(jobs.c.status).where(jobs.c.job_id == job_id)).scalar()
            if current in ("CANCELLED", "USER_PAUSED") and values.get("status") in (
                "RUNNING",
                "IDLE",
                "COMPLETE",
                "PAUSED",
            ):
                values.pop("status")  # the user's decision stands
            conn.execute(jobs.update().where(jobs.c.job_id == job_id).values(**values))

    def _status(self, job_id: str) -> str | None:
        with self.runtime.store.read() as conn:
            return conn.execute(select(jobs.c.status).where(jobs.c.job_id == job_id)).scalar()

    def _classifier(self, row: Row[Any], definition: dict[str, Any]) -> tuple[Classifier, dict[str, CustomIdentifier]]:
        custom_ids = definition.get("customDataIdentifierIds") or []
        list_ids = definition.get("allowListIds") or []
        with self.runtime.store.read() as conn:
            customs = [
                custom_of(r)
                for r in conn.execute(
                    select(custom_identifiers).where(custom_identifiers.c.identifier_id.in_(custom_ids))
                )
            ]
            list_rows = conn.execute(select(allow_lists).where(allow_lists.c.list_id.in_(list_ids))).all()
        lists: list[AllowList] = []
        for lr in list_rows:
            _, _, allow = self.read_allow_list(row.account_id, row.region, json.loads(lr.criteria))
            if allow is not None:  # a list Macie cannot read is ignored, as AWS does (its status says why)
                lists.append(AllowList(id=lr.list_id, words=allow.words, regex=allow.regex))
        selector: Selector = definition.get("managedDataIdentifierSelector") or "RECOMMENDED"
        managed = frozenset(definition.get("managedDataIdentifierIds") or ())
        config = ScanConfig(
            managed_selector=selector,
            managed_ids=managed,
            custom=tuple(customs),
            allow_lists=tuple(lists),
        )
        return build_classifier(config), {c.id: c for c in customs}

    def _buckets(self, ctx: RequestContext, definition: dict[str, Any]) -> list[dict[str, Any]]:
        s3 = definition.get("s3JobDefinition") or {}
        account_bpa = self.account_bpa(ctx)
        listed = {b["Name"]: b for b in s3read.call(ctx, "ListBuckets", {}).get("Buckets") or []}
        if s3.get("bucketDefinitions"):
            # An administrator's job may name its members' buckets: each is read as Macie in its own account.
            found: list[dict[str, Any]] = []
            for item in s3["bucketDefinitions"]:
                account = item["accountId"]
                actx = (
                    ctx
                    if account == ctx.account_id
                    else s3read.as_service(self.runtime, account, ctx.region, ctx.operation)
                )
                own = (
                    listed
                    if actx is ctx
                    else {b["Name"]: b for b in s3read.call(actx, "ListBuckets", {}).get("Buckets") or []}
                )
                bpa = account_bpa if actx is ctx else self.account_bpa(actx)
                for name in sorted(set(item["buckets"])):
                    if name in own:
                        facts = bucket_facts(actx, name, bpa)
                        found.append(
                            {**facts, "created": own[name].get("CreationDate"), "account": account, "ctx": actx}
                        )
            return sorted(found, key=lambda f: str(f["name"]))
        criteria = s3.get("bucketCriteria") or {}
        out = []
        for name in sorted(listed):
            facts = bucket_facts(ctx, name, account_bpa)
            includes = (criteria.get("includes") or {}).get("and") or []
            excludes = (criteria.get("excludes") or {}).get("and") or []
            if all(_bucket_term(t, ctx.account_id, facts) for t in includes) and not (
                excludes and all(_bucket_term(t, ctx.account_id, facts) for t in excludes)
            ):
                out.append(
                    {**facts, "created": listed[name].get("CreationDate"), "account": ctx.account_id, "ctx": ctx}
                )
        return out

    @staticmethod
    def _objects(ctx: RequestContext, bucket: str, after: str | None) -> Iterator[dict[str, Any]]:
        token: str | None = None
        while True:
            params: dict[str, Any] = {"Bucket": bucket}
            if token:
                params["ContinuationToken"] = token
            elif after:
                params["StartAfter"] = after
            out = s3read.call(ctx, "ListObjectsV2", params)
            yield from out.get("Contents") or []
            token = out.get("NextContinuationToken")
            if not token:
                return

    def _run(self, row: Row[Any], started: datetime, cursor: dict[str, Any] | None) -> bool:
        """One run (or its resumption); False when it stopped early (paused or cancelled)."""
        definition = json.loads(row.definition)
        ctx = s3read.as_service(self.runtime, row.account_id, row.region, "CreateClassificationJob")
        classifier, customs = self._classifier(row, definition)
        scoping = (definition.get("s3JobDefinition") or {}).get("scoping") or {}
        percentage = int(definition.get("samplingPercentage") or 100)
        # A scheduled run reads the objects last modified from the previous run's start (S3 keeps whole seconds:
        # objects of that very second the previous run read are in ``boundary``) up to this run's start second.
        scheduled = row.job_type == "SCHEDULED"
        since = row.scanned_until if scheduled else None
        upper = started.replace(microsecond=0)
        done_before = set(json.loads(row.boundary or "[]"))
        edge: list[str] = list(cursor.get("edge") or []) if cursor else []
        export = self.setting(row.account_id, row.region, "export")
        seen = 0
        scores: dict[str, list[int]] = {}
        usage = [0, 0]  # bytes classified, objects classified: GetUsageStatistics' SENSITIVE_DATA_DISCOVERY
        for facts in self._buckets(ctx, definition):
            bucket, bctx = facts["name"], facts["ctx"]
            if cursor and bucket < cursor["bucket"]:
                continue
            after = cursor["key"] if cursor and bucket == cursor["bucket"] else None
            last = after
            for item in self._objects(bctx, bucket, after):
                seen += 1
                if seen % CHECK_EVERY == 0 and (status := self._status(row.job_id)) in ("USER_PAUSED", "CANCELLED"):
                    # Resume after the last object handled: ``last`` (None: this bucket from its start).
                    mark = {"bucket": bucket, "key": last, "started": iso(started), "edge": edge}
                    self.record_usage(row.account_id, row.region, "SENSITIVE_DATA_DISCOVERY", *usage)
                    self._set(row.job_id, cursor=json.dumps(mark) if status == "USER_PAUSED" else None)
                    return False
                last = item["Key"]
                modified = item["LastModified"]
                stamp = f"{item['Key']}@{item.get('ETag')}"
                if since is not None and (modified < since or (modified == since and stamp in done_before)):
                    continue  # a scheduled job's later runs read only what is new since the last
                if scheduled and modified > upper:
                    continue  # written after the run began: the next run's
                if modified == upper:
                    edge.append(stamp)
                tags = None
                if _needs_tags(scoping):
                    out = s3read.call(bctx, "GetObjectTagging", {"Bucket": bucket, "Key": item["Key"]})
                    tags = {t["Key"]: t["Value"] for t in out.get("TagSet") or []}
                if not in_scope(scoping, item, tags) or not sampled(percentage, bucket, item):
                    continue
                found, result = self._classify(bctx, row, facts, item, classifier, customs, export)
                usage[0] += result.size_classified
                usage[1] += 1 if result.status != "SKIPPED" else 0
                scores.setdefault(bucket, [0, 0])
                scores[bucket][0] += 1
                scores[bucket][1] += 1 if found else 0
        self._score(row, scores)
        self.record_usage(row.account_id, row.region, "SENSITIVE_DATA_DISCOVERY", *usage)
        self._set(row.job_id, boundary=json.dumps(edge))
        return True

    def _score(self, row: Row[Any], scores: dict[str, list[int]]) -> None:
        """Per-bucket sensitivity scores (1: nothing sensitive found; 51-100: the share of objects with findings)."""
        if not scores:
            return
        current = self.setting(row.account_id, row.region, "scores") or {}
        for bucket, (classified, sensitive) in scores.items():
            current[bucket] = 1 if not sensitive else 51 + round(49 * sensitive / classified)
        with self.runtime.store.write() as conn:
            self.put_setting(conn, row.account_id, row.region, "scores", current)

    def _classify(
        self,
        ctx: RequestContext,
        row: Row[Any],
        facts: dict[str, Any],
        item: dict[str, Any],
        classifier: Classifier,
        customs: dict[str, CustomIdentifier],
        export: dict[str, Any] | None,
        origin: str = "SENSITIVE_DATA_DISCOVERY_JOB",
    ) -> tuple[bool, ObjectResult]:
        """Classify one object; store its finding (if any): whether it had one, and the engine's result. ``row`` is
        the job's (automated discovery: ``job_id`` None)."""
        bucket, key = facts["name"], item["Key"]
        head: dict[str, Any] = {}
        try:
            out = s3read.call(ctx, "GetObject", {"Bucket": bucket, "Key": key})
        except AwsError as exc:
            reason = "PERMISSIONS_ERROR" if exc.code in _KMS_DENIED else "OBJECT_UNAVAILABLE"
            result = ObjectResult(mime_type="", size_classified=0, status="SKIPPED", reason=reason)
        else:
            head = out
            spooled = s3read.spool(out.get("Body"))
            try:
                result = classifier.classify(key, spooled, int(item.get("Size") or 0))
            finally:
                spooled.close()
        s3_object = {
            "bucketArn": f"arn:aws:s3:::{bucket}",
            "eTag": str(item.get("ETag") or "").strip('"'),
            "extension": key.rsplit(".", 1)[-1] if "." in key.rsplit("/", 1)[-1] else "",
            "key": key,
            "lastModified": iso(item["LastModified"]),
            "path": f"{bucket}/{key}",
            "publicAccess": bool(facts["public"]),
            "serverSideEncryption": {
                "encryptionType": head.get("ServerSideEncryption") or "NONE",
                **({"kmsMasterKeyId": head["SSEKMSKeyId"]} if head.get("SSEKMSKeyId") else {}),
            },
            "size": int(item.get("Size") or 0),
            "storageClass": item.get("StorageClass") or "STANDARD",
        }
        if head.get("VersionId") and head.get("VersionId") != "null":
            s3_object["versionId"] = head["VersionId"]
        location = self._export(ctx, row, s3_object, result, export) if export else None
        resource_account = str(facts.get("account") or row.account_id)
        built = object_finding(
            resource_account,
            row.region,
            job_id=row.job_id,
            job_arn=f"arn:aws:macie2:{row.region}:{row.account_id}:classification-job/{row.job_id}"
            if row.job_id
            else None,
            s3_bucket=s3_bucket(facts, resource_account, facts.get("created")),
            s3_object=s3_object,
            result=result,
            customs=customs,
            location=location,
            origin=origin,
        )
        if built is None:
            return False, result
        body, samples = built
        with self.runtime.store.write() as conn:
            self.store_finding(conn, body, samples=samples, owner=row.account_id)
        return True, result

    def _export(
        self,
        ctx: RequestContext,
        row: Row[Any],
        s3_object: dict[str, Any],
        result: ObjectResult,
        export: dict[str, Any],
    ) -> str | None:
        """Write the object's sensitive data discovery result where the export configuration says, as AWS lays it
        out: ``<prefix>/AWSLogs/<account>/Macie/<region>/<jobId>/<account>-<hash>.jsonl.gz`` under the KMS key."""
        destination = export.get("s3Destination") or {}
        prefix = (destination.get("keyPrefix") or "").strip("/")
        digest = hashlib.sha256(f"{s3_object['path']}/{s3_object['eTag']}".encode()).hexdigest()[:32]
        key = f"AWSLogs/{row.account_id}/Macie/{row.region}/{row.job_id}/{row.account_id}-{digest}.jsonl.gz"
        if prefix:
            key = f"{prefix}/{key}"
        record = {
            "version": "1.0",
            "jobId": row.job_id,
            "jobArn": f"arn:aws:macie2:{row.region}:{row.account_id}:classification-job/{row.job_id}",
            "originType": "SENSITIVE_DATA_DISCOVERY_JOB",
            "resourcesAffected": {"s3Object": s3_object},
            "classificationDetails": {
                "jobArn": f"arn:aws:macie2:{row.region}:{row.account_id}:classification-job/{row.job_id}",
                "jobId": row.job_id,
                "originType": "SENSITIVE_DATA_DISCOVERY_JOB",
                "result": classification_result(result),
            },
        }
        params: dict[str, Any] = {
            "Bucket": destination["bucketName"],
            "Key": key,
            "Body": gzip.compress(json.dumps(record).encode() + b"\n"),
            "ServerSideEncryption": "aws:kms",
            "SSEKMSKeyId": destination["kmsKeyArn"],
            "ContentType": "application/jsonl",
            "ContentEncoding": "gzip",
        }
        if destination.get("expectedBucketOwner"):
            params["ExpectedBucketOwner"] = destination["expectedBucketOwner"]
        try:
            s3read.call(ctx, "PutObject", params)
        except AwsError as exc:
            log.warning("macie2 job %s: classification result not exported: %s", row.job_id, exc.code)
            return None
        return f"s3://{destination['bucketName']}/{key}"
