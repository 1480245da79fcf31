"""Custom data identifiers (Create/Get/List/BatchGet/Delete, TestCustomDataIdentifier), managed data identifiers
(ListManagedDataIdentifiers, from the engine's catalogue) and allow lists (Create/Get/List/Update/Delete).

Custom identifiers are validated as AWS documents the limits (regex ≤ 512 characters; ≤ 50 keywords of 3–90
characters; ≤ 10 ignore words of 4–90; maximum match distance 1–300; ≤ 3 severity levels, ascending thresholds,
each severity once) and are soft-deleted, as AWS does: BatchGet still answers them with ``deleted: true``.
An allow list's S3 words file is read as Macie (``s3read.py``) when it is created or updated, whenever its status is
asked, and by each job run; its status codes are AWS's (``S3_OBJECT_NOT_FOUND``, ``S3_OBJECT_ACCESS_DENIED``, ...).
"""

from __future__ import annotations

import io
import json
import re
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from strongroom.core.clock import clock
from strongroom.core.errors import AwsError
from strongroom.sensitive import build_classifier, managed_identifiers
from strongroom.sensitive.contract import AllowList, CustomIdentifier, ScanConfig
from strongroom.services.base import pages
from strongroom.services.macie2 import s3read
from strongroom.services.macie2.base import MacieBase, allow_list_id, arn, max_results
from strongroom.services.macie2.errors import not_found, validation
from strongroom.services.macie2.model import allow_lists, custom_identifiers, jobs

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.engine import Row

    from strongroom.services.base.runtime import RequestContext

MAX_WORDS_BYTES = 35 * 1024 * 1024  # AWS: the words file is at most 35 MB
MAX_WORDS = 100_000
_SEVERITY_ORDER = {"LOW": 0, "MEDIUM": 1, "HIGH": 2}
_FINISHED = ("COMPLETE", "CANCELLED")


def _bad_token() -> AwsError:
    return validation("The nextToken is invalid.")


def check_custom(request: dict[str, Any]) -> None:
    """AWS's limits on a custom data identifier's criteria (ValidationException)."""
    regex = request.get("regex") or ""
    if not regex or len(regex) > 512:
        raise validation("The regex must be 1-512 characters long.")
    try:
        re.compile(regex)
    except re.error as exc:
        raise validation(f"The regex isn't valid: {exc}.") from None
    keywords = request.get("keywords") or []
    if len(keywords) > 50 or any(not 3 <= len(k) <= 90 for k in keywords):
        raise validation("Specify up to 50 keywords, each 3-90 characters long.")
    ignore = request.get("ignoreWords") or []
    if len(ignore) > 10 or any(not 4 <= len(w) <= 90 for w in ignore):
        raise validation("Specify up to 10 ignore words, each 4-90 characters long.")
    distance = request.get("maximumMatchDistance")
    if distance is not None and not 1 <= distance <= 300:
        raise validation("The maximumMatchDistance must be 1-300.")
    levels = request.get("severityLevels") or []
    if len(levels) > 3 or len({lv["severity"] for lv in levels}) != len(levels):
        raise validation("Specify up to three severity levels, each severity once.")
    ordered = sorted(levels, key=lambda lv: _SEVERITY_ORDER[lv["severity"]])
    thresholds = [int(lv["occurrencesThreshold"]) for lv in ordered]
    if any(t < 1 for t in thresholds) or thresholds != sorted(set(thresholds)) or len(set(thresholds)) != len(levels):
        raise validation("The occurrences thresholds must be ascending by severity, from LOW to HIGH.")


def custom_of(row: Row[Any]) -> CustomIdentifier:
    levels = json.loads(row.severity_levels)
    return CustomIdentifier(
        id=row.identifier_id,
        arn=arn(row.region, row.account_id, "custom-data-identifier", row.identifier_id),
        name=row.name,
        regex=row.regex,
        keywords=tuple(json.loads(row.keywords)),
        ignore_words=tuple(json.loads(row.ignore_words)),
        maximum_match_distance=int(row.maximum_match_distance),
        severity_levels=tuple((lv["severity"], int(lv["occurrencesThreshold"])) for lv in levels),
    )


def parse_words(data: bytes) -> frozenset[str]:
    text = data.decode("utf-8-sig", errors="replace")
    words = [line.strip() for line in text.splitlines()]
    return frozenset(w for w in words if w)


class IdentifierOperations(MacieBase):
    # -- custom data identifiers ------------------------------------------------------------------------------

    def _custom_row(self, ctx: RequestContext, identifier_id: str, conn: Connection | None = None) -> Row[Any]:
        return self.owned(ctx, custom_identifiers, "identifier_id", identifier_id, conn)

    def create_custom_data_identifier(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        check_custom(request)
        levels = request.get("severityLevels") or [{"severity": "MEDIUM", "occurrencesThreshold": 1}]
        with self.runtime.store.write() as conn:
            self.session(ctx, conn)
            token = request.get("clientToken")
            if token:
                same = conn.execute(
                    select(custom_identifiers.c.identifier_id).where(
                        custom_identifiers.c.account_id == ctx.account_id,
                        custom_identifiers.c.region == ctx.region,
                        custom_identifiers.c.client_token == token,
                    )
                ).scalar()
                if same is not None:
                    return {"customDataIdentifierId": same}
            identifier_id = str(uuid.uuid4())
            conn.execute(
                custom_identifiers.insert().values(
                    identifier_id=identifier_id,
                    account_id=ctx.account_id,
                    region=ctx.region,
                    name=request["name"],
                    description=request.get("description"),
                    regex=request["regex"],
                    keywords=json.dumps(request.get("keywords") or []),
                    ignore_words=json.dumps(request.get("ignoreWords") or []),
                    maximum_match_distance=request.get("maximumMatchDistance") or 50,
                    severity_levels=json.dumps(levels),
                    deleted=False,
                    client_token=token,
                    created_at=clock.now(),
                )
            )
            self.write_tags(
                conn, arn(ctx.region, ctx.account_id, "custom-data-identifier", identifier_id), request.get("tags")
            )
        return {"customDataIdentifierId": identifier_id}

    def get_custom_data_identifier(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        row = self._custom_row(ctx, request["id"])
        resource = arn(row.region, row.account_id, "custom-data-identifier", row.identifier_id)
        return {
            "arn": resource,
            "createdAt": row.created_at,
            "deleted": row.deleted,
            "description": row.description,
            "id": row.identifier_id,
            "ignoreWords": json.loads(row.ignore_words),
            "keywords": json.loads(row.keywords),
            "maximumMatchDistance": row.maximum_match_distance,
            "name": row.name,
            "regex": row.regex,
            "severityLevels": json.loads(row.severity_levels),
            "tags": self.tags_of(resource),
        }

    def list_custom_data_identifiers(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(custom_identifiers)
                .where(
                    custom_identifiers.c.account_id == ctx.account_id,
                    custom_identifiers.c.region == ctx.region,
                    custom_identifiers.c.deleted.is_(False),
                )
                .order_by(custom_identifiers.c.created_at, custom_identifiers.c.identifier_id)
            ).all()
        page, token = pages.offset_page(rows, request.get("nextToken"), max_results(request, 1000, 1000), _bad_token)
        items = [
            {
                "arn": arn(r.region, r.account_id, "custom-data-identifier", r.identifier_id),
                "createdAt": r.created_at,
                "description": r.description,
                "id": r.identifier_id,
                "name": r.name,
            }
            for r in page
        ]
        return {"items": items, **({"nextToken": token} if token else {})}

    def batch_get_custom_data_identifiers(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        wanted = list(dict.fromkeys(request.get("ids") or []))
        if len(wanted) > 50:
            raise validation("Specify up to 50 custom data identifier ids.")
        with self.runtime.store.read() as conn:
            rows = {
                r.identifier_id: r
                for r in conn.execute(
                    select(custom_identifiers).where(
                        custom_identifiers.c.identifier_id.in_(wanted),
                        custom_identifiers.c.account_id == ctx.account_id,
                        custom_identifiers.c.region == ctx.region,
                    )
                )
            }
        found = [
            {
                "arn": arn(r.region, r.account_id, "custom-data-identifier", r.identifier_id),
                "createdAt": r.created_at,
                "deleted": r.deleted,
                "description": r.description,
                "id": r.identifier_id,
                "name": r.name,
            }
            for i in wanted
            if (r := rows.get(i)) is not None
        ]
        return {"customDataIdentifiers": found, "notFoundIdentifierIds": [i for i in wanted if i not in rows]}

    def delete_custom_data_identifier(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            self.session(ctx, conn)
            row = self._custom_row(ctx, request["id"], conn)
            if row.deleted:
                raise not_found()
            conn.execute(
                custom_identifiers.update()
                .where(custom_identifiers.c.identifier_id == row.identifier_id)
                .values(deleted=True)
            )
        return {}

    def test_custom_data_identifier(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        check_custom(request)
        custom = CustomIdentifier(
            id="test",
            arn="test",
            name="test",
            regex=request["regex"],
            keywords=tuple(request.get("keywords") or ()),
            ignore_words=tuple(request.get("ignoreWords") or ()),
            maximum_match_distance=request.get("maximumMatchDistance") or 50,
            severity_levels=(("LOW", 1),),
        )
        text = request["sampleText"]
        if len(text) > 1000:
            raise validation("The sampleText can contain as many as 1,000 characters.")
        data = text.encode()
        classifier = build_classifier(ScanConfig(managed_selector="NONE", custom=(custom,)))
        result = classifier.classify("sample.txt", io.BytesIO(data), len(data))
        return {"matchCount": sum(d.count for d in result.detections if d.type == "test")}

    # -- managed data identifiers -----------------------------------------------------------------------------

    def list_managed_data_identifiers(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        items = sorted(({"category": m.category, "id": m.id} for m in managed_identifiers()), key=lambda i: i["id"])
        page, token = pages.offset_page(items, request.get("nextToken"), 1000, _bad_token)
        return {"items": page, **({"nextToken": token} if token else {})}

    # -- allow lists ------------------------------------------------------------------------------------------

    def _allow_row(self, ctx: RequestContext, list_id: str, conn: Connection | None = None) -> Row[Any]:
        return self.owned(ctx, allow_lists, "list_id", list_id, conn)

    @staticmethod
    def _check_criteria(criteria: dict[str, Any]) -> None:
        has_regex, has_words = bool(criteria.get("regex")), bool(criteria.get("s3WordsList"))
        if has_regex == has_words:
            raise validation("Specify either a regex or an s3WordsList for the allow list's criteria, not both.")
        if has_regex:
            try:
                re.compile(criteria["regex"])
            except re.error as exc:
                raise validation(f"The regex isn't valid: {exc}.") from None

    def read_allow_list(
        self, account_id: str, region: str, criteria: dict[str, Any]
    ) -> tuple[str, str | None, AllowList | None]:
        """(status code, description, the list) — the words file read as Macie."""
        if criteria.get("regex"):
            return "OK", None, AllowList(id="", regex=criteria["regex"])
        where = criteria["s3WordsList"]
        ctx = s3read.as_service(self.runtime, account_id, region, "GetAllowList")
        try:
            out = s3read.call(ctx, "GetObject", {"Bucket": where["bucketName"], "Key": where["objectKey"]})
            data = s3read.body_bytes(out.get("Body"), MAX_WORDS_BYTES)
        except ValueError:
            return "S3_OBJECT_OVERSIZE", "The S3 object exceeds the quota for an allow list.", None
        except AwsError as exc:
            if exc.code in ("NoSuchKey", "NoSuchBucket", "NotFound"):
                return "S3_OBJECT_NOT_FOUND", "The S3 object doesn't exist.", None
            if exc.code in ("AccessDenied", "AccessDeniedException", "KMS.AccessDeniedException"):
                return "S3_OBJECT_ACCESS_DENIED", "Macie isn't allowed to retrieve the S3 object.", None
            return "UNKNOWN_ERROR", f"Macie couldn't retrieve the S3 object: {exc.code}.", None
        words = parse_words(data)
        if not words:
            return "S3_OBJECT_EMPTY", "The S3 object is empty.", None
        if len(words) > MAX_WORDS:
            return "S3_OBJECT_OVERSIZE", "The S3 object contains more than 100,000 entries.", None
        return "OK", None, AllowList(id="", words=words)

    def create_allow_list(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        criteria = request["criteria"]
        self._check_criteria(criteria)
        self.session(ctx)
        code, description, _ = self.read_allow_list(ctx.account_id, ctx.region, criteria)
        now = clock.now()
        with self.runtime.store.write() as conn:
            same = conn.execute(
                select(allow_lists.c.list_id).where(
                    allow_lists.c.account_id == ctx.account_id,
                    allow_lists.c.region == ctx.region,
                    allow_lists.c.client_token == request["clientToken"],
                )
            ).scalar()
            if same is not None:
                return {"arn": arn(ctx.region, ctx.account_id, "allow-list", same), "id": same}
            list_id = allow_list_id()
            conn.execute(
                allow_lists.insert().values(
                    list_id=list_id,
                    account_id=ctx.account_id,
                    region=ctx.region,
                    name=request["name"],
                    description=request.get("description"),
                    criteria=json.dumps(criteria),
                    status_code=code,
                    status_description=description,
                    client_token=request["clientToken"],
                    created_at=now,
                    updated_at=now,
                )
            )
            resource = arn(ctx.region, ctx.account_id, "allow-list", list_id)
            self.write_tags(conn, resource, request.get("tags"))
        return {"arn": resource, "id": list_id}

    def get_allow_list(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        row = self._allow_row(ctx, request["id"])
        criteria = json.loads(row.criteria)
        code, description, _ = self.read_allow_list(ctx.account_id, ctx.region, criteria)
        if code != row.status_code:
            with self.runtime.store.write() as conn:
                conn.execute(
                    allow_lists.update()
                    .where(allow_lists.c.list_id == row.list_id)
                    .values(status_code=code, status_description=description)
                )
        resource = arn(row.region, row.account_id, "allow-list", row.list_id)
        status: dict[str, Any] = {"code": code}
        if description:
            status["description"] = description
        return {
            "arn": resource,
            "createdAt": row.created_at,
            "criteria": criteria,
            "description": row.description,
            "id": row.list_id,
            "name": row.name,
            "status": status,
            "tags": self.tags_of(resource),
            "updatedAt": row.updated_at,
        }

    def list_allow_lists(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(allow_lists)
                .where(allow_lists.c.account_id == ctx.account_id, allow_lists.c.region == ctx.region)
                .order_by(allow_lists.c.created_at, allow_lists.c.list_id)
            ).all()
        page, token = pages.offset_page(rows, request.get("nextToken"), max_results(request), _bad_token)
        items = [
            {
                "arn": arn(r.region, r.account_id, "allow-list", r.list_id),
                "createdAt": r.created_at,
                "description": r.description,
                "id": r.list_id,
                "name": r.name,
                "updatedAt": r.updated_at,
            }
            for r in page
        ]
        return {"allowLists": items, **({"nextToken": token} if token else {})}

    def update_allow_list(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        criteria = request["criteria"]
        self._check_criteria(criteria)
        self.session(ctx)
        row = self._allow_row(ctx, request["id"])
        code, description, _ = self.read_allow_list(ctx.account_id, ctx.region, criteria)
        with self.runtime.store.write() as conn:
            conn.execute(
                allow_lists.update()
                .where(allow_lists.c.list_id == row.list_id)
                .values(
                    name=request["name"],
                    description=request.get("description"),
                    criteria=json.dumps(criteria),
                    status_code=code,
                    status_description=description,
                    updated_at=clock.now(),
                )
            )
        return {"arn": arn(row.region, row.account_id, "allow-list", row.list_id), "id": row.list_id}

    def delete_allow_list(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            self.session(ctx, conn)
            row = self._allow_row(ctx, request["id"], conn)
            if (request.get("ignoreJobChecks") or "").upper() != "TRUE":
                for job in conn.execute(
                    select(jobs.c.definition).where(
                        jobs.c.account_id == ctx.account_id,
                        jobs.c.region == ctx.region,
                        jobs.c.status.not_in(_FINISHED),
                    )
                ):
                    if row.list_id in (json.loads(job.definition).get("allowListIds") or []):
                        raise validation(
                            "The allow list is used by a classification job that isn't complete or cancelled."
                        )
            conn.execute(allow_lists.delete().where(allow_lists.c.list_id == row.list_id))
            self.drop_tags(conn, arn(row.region, row.account_id, "allow-list", row.list_id))
        return {}
