"""CreateFindingsReport / GetFindingsReportStatus / CancelFindingsReport and CreateSbomExport / GetSbomExport /
CancelSbomExport.

Reports are written by Inspector itself (the service principal ``inspector2.amazonaws.com``, ``aws:SourceAccount``
the caller's account, ``aws:SourceArn`` the report) into the destination bucket, SSE-KMS under the destination's key
— so the bucket policy and the key policy must allow Inspector, as AWS's "Exporting findings reports" page shows;
a refused put answers the report FAILED with ``INVALID_PERMISSIONS`` (``BUCKET_NOT_FOUND`` for a missing bucket).
The work is done within the create call (the status is final when it answers); Cancel of a finished report
answers the report id and changes nothing.

* Findings reports: the findings ``filterCriteria`` selects, one JSON document (``{"findings": [...]}``) or CSV,
  at ``[keyPrefix/]<reportId>.json|csv``; no finding answers FAILED / ``NO_FINDINGS_FOUND``, as AWS.
* SBOM exports: one document per covered Lambda function ``resourceFilterCriteria`` selects, CycloneDX 1.4 or SPDX
  2.3 JSON of the packages the engine finds in the function's code, at
  ``[keyPrefix/]SBOM/<account>/<reportId>/<function name>.json``.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from strongroom.core import context, ids
from strongroom.core.clock import clock
from strongroom.core.errors import AwsError
from strongroom.services.inspector2 import criteria
from strongroom.services.inspector2.base import InspectorBase, revive
from strongroom.services.inspector2.errors import not_found, validation
from strongroom.services.inspector2.model import coverage, findings, reports
from strongroom.services.inspector2.scanning import unzip
from strongroom.services.lambda_.inventory import code_zip, functions_of
from strongroom.vulnscan.contract import Package, inventory
from strongroom.vulnscan.sbom import cyclonedx, spdx

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

SERVICE_PRINCIPAL = "inspector2.amazonaws.com"
_CSV_COLUMNS = (
    "AWS Account Id",
    "Severity",
    "Fix Available",
    "Finding Type",
    "Title",
    "Description",
    "Finding ARN",
    "First Seen",
    "Last Seen",
    "Last Updated",
    "Resource ID",
    "Resource Type",
    "Vulnerability Id",
    "Package Name",
    "Installed Version",
    "Fixed Versions",
    "Inspector Score",
    "Status",
)


def _csv(items: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_CSV_COLUMNS)
    for f in items:
        pvd = f.get("packageVulnerabilityDetails") or {}
        pkgs = pvd.get("vulnerablePackages") or [{}]
        resource = (f.get("resources") or [{}])[0]
        writer.writerow(
            [
                f.get("awsAccountId"),
                f.get("severity"),
                f.get("fixAvailable"),
                f.get("type"),
                f.get("title"),
                f.get("description"),
                f.get("findingArn"),
                f.get("firstObservedAt"),
                f.get("lastObservedAt"),
                f.get("updatedAt"),
                resource.get("id"),
                resource.get("type"),
                pvd.get("vulnerabilityId", ""),
                ", ".join(str(p.get("name", "")) for p in pkgs if p),
                ", ".join(str(p.get("version", "")) for p in pkgs if p),
                ", ".join(str(p.get("fixedInVersion", "")) for p in pkgs if p),
                f.get("inspectorScore", ""),
                f.get("status"),
            ]
        )
    return out.getvalue().encode()


def _resource_matches(fn: Any, account_id: str, wanted: Mapping[str, Any]) -> bool:
    values = {
        "accountId": account_id,
        "resourceId": fn.arn,
        "resourceType": "AWS_LAMBDA_FUNCTION",
        "lambdaFunctionName": fn.name,
        "cloudServerlessFunctionName": fn.name,
        "cloudServerlessFunctionRuntime": fn.runtime,
    }
    for name, flts in wanted.items():
        if not flts:
            continue
        if name in values:
            if not criteria.string_field(flts, [values[name]]):
                return False
        elif name in ("lambdaFunctionTags", "cloudServerlessFunctionTags"):
            if not any(f.get("key") in fn.tags and f.get("value") in (None, fn.tags[f["key"]]) for f in flts):
                return False
        elif any(f.get("comparison") != "NOT_EQUALS" for f in flts):
            return False
    return True


class ExportOperations(InspectorBase):
    def _put(self, ctx: RequestContext, report_id: str, destination: Mapping[str, Any], key: str, body: bytes) -> None:
        principal = context.Principal("AWSService", ctx.account_id, SERVICE_PRINCIPAL, SERVICE_PRINCIPAL)
        as_service: RequestContext = context.RequestContext(
            self.runtime,
            ids.request_id(),
            "inspector2",
            "PutReport",
            ctx.region,
            principal,
            extras={
                "source_account": ctx.account_id,
                "source_arn": f"arn:aws:inspector2:{ctx.region}:{ctx.account_id}:report/{report_id}",
            },
        )
        params: dict[str, Any] = {
            "Bucket": destination["bucketName"],
            "Key": key,
            "Body": body,
            "ContentType": "application/json" if key.endswith(".json") else "text/csv",
            "ServerSideEncryption": "aws:kms",
            "SSEKMSKeyId": destination["kmsKeyArn"],
        }
        if destination.get("expectedBucketOwner"):
            params["ExpectedBucketOwner"] = destination["expectedBucketOwner"]
        as_service.call("s3", "PutObject", params, via="inspector2")

    @staticmethod
    def _failure(exc: AwsError) -> tuple[str, str]:
        if exc.code == "NoSuchBucket":
            return "BUCKET_NOT_FOUND", "The destination bucket does not exist."
        if exc.code in ("KMSInvalidStateException", "NotFoundException", "KMS.NotFoundException"):
            return "MALFORMED_KMS_KEY", "The KMS key could not be used."
        return "INVALID_PERMISSIONS", "Inspector could not write to the destination bucket with the given KMS key."

    @staticmethod
    def _prefix(destination: Mapping[str, Any]) -> str:
        prefix = str(destination.get("keyPrefix") or "").strip("/")
        return f"{prefix}/" if prefix else ""

    def _record(
        self, ctx: RequestContext, report_id: str, kind: str, request: dict[str, Any], error: tuple[str, str] | None
    ) -> None:
        stored = json.dumps(request, default=lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v))
        with self.runtime.store.write() as conn:
            conn.execute(
                reports.insert().values(
                    report_id=report_id,
                    account_id=ctx.account_id,
                    region=ctx.region,
                    kind=kind,
                    status="FAILED" if error else "SUCCEEDED",
                    error_code=error[0] if error else None,
                    error_message=error[1] if error else None,
                    request=stored,
                    created_at=clock.now(),
                )
            )

    @staticmethod
    def _check_destination(destination: Mapping[str, Any]) -> None:
        if not str(destination.get("kmsKeyArn") or "").startswith("arn:"):
            raise validation("The kmsKeyArn must be a KMS key ARN.")

    def create_findings_report(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        destination = request["s3Destination"]
        self._check_destination(destination)
        report_id = str(uuid.uuid4())
        wanted = request.get("filterCriteria") or {}
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(findings.c.body).where(findings.c.account_id == ctx.account_id, findings.c.region == ctx.region)
            ).all()
        chosen = [f for f in (json.loads(r.body) for r in rows) if criteria.matches(f, wanted)]
        error: tuple[str, str] | None = None
        if not chosen:
            error = ("NO_FINDINGS_FOUND", "No findings match the filter criteria.")
        else:
            ordered = criteria.sort(chosen, None)
            fmt = request["reportFormat"]
            body = json.dumps({"findings": ordered}).encode() if fmt == "JSON" else _csv(ordered)
            key = f"{self._prefix(destination)}{report_id}.{fmt.lower()}"
            try:
                self._put(ctx, report_id, destination, key, body)
            except AwsError as exc:
                error = self._failure(exc)
        self._record(ctx, report_id, "FINDINGS", request, error)
        return {"reportId": report_id}

    def create_sbom_export(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        destination = request["s3Destination"]
        self._check_destination(destination)
        report_id = str(uuid.uuid4())
        wanted = request.get("resourceFilterCriteria") or {}
        with self.runtime.store.read() as conn:
            scanned = {
                r.resource_id
                for r in conn.execute(
                    select(coverage.c.resource_id).where(
                        coverage.c.account_id == ctx.account_id,
                        coverage.c.region == ctx.region,
                        coverage.c.scan_type == "PACKAGE",
                    )
                )
            }
        chosen = [
            fn
            for fn in functions_of(self.runtime.store, ctx.account_id, ctx.region)
            if fn.arn in scanned and _resource_matches(fn, ctx.account_id, wanted)
        ]
        error: tuple[str, str] | None = None
        if not chosen:
            error = ("NO_FINDINGS_FOUND", "No resources match the filter criteria.")
        for fn in chosen:
            data = code_zip(self.runtime.store, fn.code_sha256)
            files = unzip(data) if data is not None else None
            packages = inventory(files) if files is not None else []
            document = _document(request["reportFormat"], fn.name, packages)
            key = f"{self._prefix(destination)}SBOM/{ctx.account_id}/{report_id}/{fn.name}.json"
            try:
                self._put(ctx, report_id, destination, key, json.dumps(document, indent=1).encode())
            except AwsError as exc:
                error = self._failure(exc)
                break
        self._record(ctx, report_id, "SBOM", request, error)
        return {"reportId": report_id}

    def _report(self, ctx: RequestContext, report_id: str | None, kind: str) -> Any:
        query = select(reports).where(
            reports.c.account_id == ctx.account_id, reports.c.region == ctx.region, reports.c.kind == kind
        )
        if report_id:
            query = query.where(reports.c.report_id == report_id)
        with self.runtime.store.read() as conn:
            row = conn.execute(query.order_by(reports.c.created_at.desc())).first()
        if row is None:
            raise not_found("The report was not found." if kind == "FINDINGS" else "The SBOM export was not found.")
        return row

    def get_findings_report_status(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self._report(ctx, request.get("reportId"), "FINDINGS")
        stored = json.loads(row.request)
        out: dict[str, Any] = {"reportId": row.report_id, "status": row.status, "destination": stored["s3Destination"]}
        if stored.get("filterCriteria"):
            out["filterCriteria"] = self._revive_member("FilterCriteria", stored["filterCriteria"])
        if row.error_code:
            out["errorCode"], out["errorMessage"] = row.error_code, row.error_message
        return out

    def get_sbom_export(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self._report(ctx, request["reportId"], "SBOM")
        stored = json.loads(row.request)
        out: dict[str, Any] = {
            "reportId": row.report_id,
            "format": stored["reportFormat"],
            "status": row.status,
            "s3Destination": stored["s3Destination"],
        }
        if stored.get("resourceFilterCriteria"):
            out["filterCriteria"] = stored["resourceFilterCriteria"]
        if row.error_code:
            out["errorCode"], out["errorMessage"] = row.error_code, row.error_message
        return out

    def _cancel(self, ctx: RequestContext, report_id: str, kind: str) -> dict[str, Any]:
        row = self._report(ctx, report_id, kind)
        if row.status == "IN_PROGRESS":
            with self.runtime.store.write() as conn:
                conn.execute(update(reports).where(reports.c.report_id == row.report_id).values(status="CANCELLED"))
        return {"reportId": row.report_id}

    def cancel_findings_report(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._cancel(ctx, request["reportId"], "FINDINGS")

    def cancel_sbom_export(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._cancel(ctx, request["reportId"], "SBOM")

    def _revive_member(self, shape_name: str, value: Any) -> Any:
        return revive(self.runtime.catalog.service("inspector2").shape_for(shape_name), value)


def _document(fmt: str, name: str, packages: list[Package]) -> dict[str, Any]:
    """The engine's SBOM for one function, in the export's format: SPDX 2.3, or CycloneDX 1.4 (AWS's export
    version: the engine writes 1.5, whose ``metadata.tools`` object 1.4 spells as a list)."""
    stamp = clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    if fmt == "SPDX_2_3":
        return spdx(packages, timestamp=stamp, name=name)
    doc = cyclonedx(packages, timestamp=stamp, name=name, with_vulnerabilities=False)
    doc["specVersion"] = "1.4"
    tools = doc["metadata"].get("tools")
    if isinstance(tools, dict):
        doc["metadata"]["tools"] = list(tools.get("components") or [])
    return doc
