"""ListFindings, BatchGetFindingDetails, ListFindingAggregations, SearchVulnerabilities.

ListFindings answers every status unless ``findingStatus`` filters (as AWS: CLOSED and SUPPRESSED findings are
listed until they age out); the aggregations count ACTIVE findings only, as AWS's console totals do. Aggregations
that apply to Lambda: ACCOUNT, FINDING_TYPE, PACKAGE, TITLE, AWS_LAMBDA_FUNCTION, LAMBDA_LAYER (layers are not
modelled here, so it answers nothing); the EC2 / ECR / AMI / code-repository ones answer an empty list.
SearchVulnerabilities looks the id (CVE, GHSA, PYSEC, ...) up in the loaded advisory database, by id or alias.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select

from strongroom.services.base import pages
from strongroom.services.inspector2 import criteria
from strongroom.services.inspector2.base import InspectorBase, revive
from strongroom.services.inspector2.errors import bad_token
from strongroom.services.inspector2.model import advisories, findings
from strongroom.vulnscan.scoring import base_score

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

_AGG_MEMBERS = {
    "ACCOUNT": ("accountAggregation", "accountAggregation"),
    "FINDING_TYPE": ("findingTypeAggregation", "findingTypeAggregation"),
    "PACKAGE": ("packageAggregation", "packageAggregation"),
    "TITLE": ("titleAggregation", "titleAggregation"),
    "AWS_LAMBDA_FUNCTION": ("lambdaFunctionAggregation", "lambdaFunctionAggregation"),
    "LAMBDA_LAYER": ("lambdaLayerAggregation", "lambdaLayerAggregation"),
}
_LEVELS = ("critical", "high", "medium", "low", "informational", "untriaged")


def _counts(items: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    out = dict.fromkeys(("all", *_LEVELS), 0)
    for f in items:
        out["all"] += 1
        level = str(f.get("severity", "")).lower()
        if level in out:
            out[level] += 1
    return out


def _sorted(groups: list[dict[str, Any]], request: Mapping[str, Any]) -> list[dict[str, Any]]:
    by = str(request.get("sortBy") or "CRITICAL").lower()
    return sorted(groups, key=lambda g: g["severityCounts"].get(by, 0), reverse=request.get("sortOrder") != "ASC")


def _by_account(f: Mapping[str, Any]) -> list[tuple[str, ...]]:
    return [(str(f.get("awsAccountId")),)]


def _by_package(f: Mapping[str, Any]) -> list[tuple[str, ...]]:
    packages = (f.get("packageVulnerabilityDetails") or {}).get("vulnerablePackages") or []
    return [(str(p.get("name")), str(f.get("awsAccountId"))) for p in packages]


def _by_title(f: Mapping[str, Any]) -> list[tuple[str, ...]]:
    vulnerability = str((f.get("packageVulnerabilityDetails") or {}).get("vulnerabilityId") or "")
    return [(str(f.get("title")), vulnerability, str(f.get("awsAccountId")))]


def _by_function(f: Mapping[str, Any]) -> list[tuple[str, ...]]:
    return [(str(r.get("id")), str(f.get("awsAccountId"))) for r in f.get("resources") or []]


def _by_layer(f: Mapping[str, Any]) -> list[tuple[str, ...]]:
    del f  # functions' layers are not modelled, so no finding comes from a layer
    return []


_GROUP_KEYS: dict[str, Callable[[Mapping[str, Any]], list[tuple[str, ...]]]] = {
    "ACCOUNT": _by_account,
    "FINDING_TYPE": _by_account,
    "PACKAGE": _by_package,
    "TITLE": _by_title,
    "AWS_LAMBDA_FUNCTION": _by_function,
    "LAMBDA_LAYER": _by_layer,
}


class FindingOperations(InspectorBase):
    def visible_findings(self, ctx: RequestContext) -> list[dict[str, Any]]:
        """The caller's findings in the Region (stored form), and a delegated administrator's members'."""
        accounts = self.visible_accounts(ctx)
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(findings.c.body).where(findings.c.account_id.in_(accounts), findings.c.region == ctx.region)
            ).all()
        return [json.loads(r.body) for r in rows]

    def list_findings(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        wanted = request.get("filterCriteria") or {}
        chosen = [f for f in self.visible_findings(ctx) if criteria.matches(f, wanted)]
        ordered = criteria.sort(chosen, request.get("sortCriteria"))
        page, token = pages.offset_page(ordered, request.get("nextToken"), request.get("maxResults") or 50, bad_token)
        out: dict[str, Any] = {"findings": [revive(self.finding_shape, f) for f in page]}
        if token:
            out["nextToken"] = token
        return out

    def batch_get_finding_details(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arns = list(dict.fromkeys(request["findingArns"]))
        accounts = self.visible_accounts(ctx)
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(findings.c.finding_arn, findings.c.body).where(
                    findings.c.finding_arn.in_(arns),
                    findings.c.account_id.in_(accounts),
                    findings.c.region == ctx.region,
                )
            ).all()
        found = {r.finding_arn: json.loads(r.body) for r in rows}
        details, errors = [], []
        for arn in arns:
            body = found.get(arn)
            if body is None:
                errors.append(
                    {
                        "findingArn": arn,
                        "errorCode": "FINDING_DETAILS_NOT_FOUND",
                        "errorMessage": "Finding details not found.",
                    }
                )
                continue
            detail: dict[str, Any] = {"findingArn": arn}
            pvd = body.get("packageVulnerabilityDetails") or {}
            cvd = body.get("codeVulnerabilityDetails") or {}
            if pvd.get("referenceUrls"):
                detail["referenceUrls"] = pvd["referenceUrls"]
            if cvd.get("cwes"):
                detail["cwes"] = cvd["cwes"]
            if (body.get("epss") or {}).get("score") is not None:
                detail["epssScore"] = body["epss"]["score"]
            details.append(detail)
        return {"findingDetails": details, "errors": errors}

    def list_finding_aggregations(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        kind = request["aggregationType"]
        account_filter = request.get("accountIds") or []
        active = [
            f
            for f in self.visible_findings(ctx)
            if f.get("status") == "ACTIVE"
            and (not account_filter or criteria.string_field(account_filter, [f.get("awsAccountId")]))
        ]
        members = _AGG_MEMBERS.get(kind)
        sub = ((request.get("aggregationRequest") or {}).get(members[0]) or {}) if members else {}
        groups = self._aggregate(kind, active, sub) if members else []
        page, token = pages.offset_page(groups, request.get("nextToken"), request.get("maxResults") or 50, bad_token)
        out: dict[str, Any] = {
            "aggregationType": kind,
            "responses": [{members[1]: g} for g in page] if members else [],
        }
        if token:
            out["nextToken"] = token
        return out

    def _aggregate(self, kind: str, items: list[dict[str, Any]], sub: Mapping[str, Any]) -> list[dict[str, Any]]:
        wanted_type = sub.get("findingType")
        if wanted_type:
            items = [f for f in items if f.get("type") == wanted_type]
        if sub.get("resourceType") and sub["resourceType"] != "AWS_LAMBDA_FUNCTION":
            items = []
        grouped: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        key_of = _GROUP_KEYS[kind]
        samples: dict[tuple[str, ...], dict[str, Any]] = {}
        for f in items:
            for key in key_of(f):
                grouped.setdefault(key, []).append(f)
                samples.setdefault(key, f)
        out = []
        for key, members in grouped.items():
            entry = self._entry(kind, key, members, samples[key], sub)
            if entry is not None:
                out.append(entry)
        return _sorted(out, sub)

    @staticmethod
    def _entry(
        kind: str, key: tuple[str, ...], items: list[dict[str, Any]], sample: dict[str, Any], sub: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        counts = _counts(items)
        if kind in ("ACCOUNT", "FINDING_TYPE"):
            return {
                "accountId": key[0],
                "severityCounts": counts,
                "exploitAvailableCount": sum(1 for f in items if f.get("exploitAvailable") == "YES"),
                "fixAvailableCount": sum(1 for f in items if f.get("fixAvailable") == "YES"),
            }
        if kind == "PACKAGE":
            if sub.get("packageNames") and not criteria.string_field(sub["packageNames"], [key[0]]):
                return None
            return {"packageName": key[0], "accountId": key[1], "severityCounts": counts}
        if kind == "TITLE":
            if sub.get("titles") and not criteria.string_field(sub["titles"], [key[0]]):
                return None
            if sub.get("vulnerabilityIds") and not criteria.string_field(sub["vulnerabilityIds"], [key[1]]):
                return None
            entry = {"title": key[0], "accountId": key[2], "severityCounts": counts}
            if key[1]:
                entry["vulnerabilityId"] = key[1]
            return entry
        resource: dict[str, Any] = next((r for r in sample.get("resources") or [] if r.get("id") == key[0]), {})
        details = (resource.get("details") or {}).get("awsLambdaFunction") or {}
        checks = (
            ("resourceIds", key[0]),
            ("functionNames", details.get("functionName")),
            ("runtimes", details.get("runtime")),
        )
        for member, value in checks:
            if sub.get(member) and not criteria.string_field(sub[member], [value]):
                return None
        tags = resource.get("tags") or {}
        if sub.get("functionTags") and not criteria.matches(
            {"resources": [resource]}, {"resourceTags": sub["functionTags"]}
        ):
            return None
        return {
            "resourceId": key[0],
            "functionName": details.get("functionName"),
            "runtime": details.get("runtime"),
            "lambdaTags": tags,
            "accountId": key[1],
            "severityCounts": counts,
            "lastModifiedAt": criteria.as_datetime(details.get("lastModifiedAt")),
        }

    def search_vulnerabilities(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        del ctx
        (wanted,) = request["filterCriteria"]["vulnerabilityIds"]
        if request.get("nextToken") is not None:
            pages.decode(request["nextToken"], 1, bad_token)
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(advisories.c.body).where(
                    or_(advisories.c.advisory_id == wanted, advisories.c.body.contains(f'"{wanted}"'))
                )
            ).all()
        docs = [json.loads(r.body) for r in rows]
        docs = [d for d in docs if d.get("id") == wanted or wanted in (d.get("aliases") or [])]
        if not docs:
            return {"vulnerabilities": []}
        return {"vulnerabilities": [_vulnerability(wanted, docs)]}


def _vulnerability(wanted: str, docs: list[dict[str, Any]]) -> dict[str, Any]:
    """One Vulnerability from every advisory that names ``wanted`` (aliases merged)."""
    primary = next((d for d in docs if d.get("id") == wanted), docs[0])
    related = sorted({a for d in docs for a in [d.get("id"), *(d.get("aliases") or [])] if a and a != wanted})
    refs = list(dict.fromkeys(r.get("url") for d in docs for r in d.get("references") or [] if r.get("url")))
    out: dict[str, Any] = {
        "id": wanted,
        "description": (primary.get("details") or primary.get("summary") or "")[:10000],
        "relatedVulnerabilities": related,
        "referenceUrls": refs[:100],
        "cwes": sorted(
            {c for d in docs for c in (d.get("database_specific") or {}).get("cwe_ids") or [] if isinstance(c, str)}
        ),
    }
    if wanted.startswith("CVE-"):
        out["source"] = "NVD"
        out["sourceUrl"] = f"https://nvd.nist.gov/vuln/detail/{wanted}"
    for d in docs:
        for sev in d.get("severity") or []:
            vector = str(sev.get("score") or "")
            score = _base_score(vector)
            if sev.get("type") == "CVSS_V3" and "cvss3" not in out and score is not None:
                out["cvss3"] = {"baseScore": score, "scoringVector": vector}
            elif sev.get("type") == "CVSS_V4" and "cvss4" not in out and score is not None:
                out["cvss4"] = {"baseScore": score, "scoringVector": vector}
    level = (primary.get("database_specific") or {}).get("severity")
    if isinstance(level, str) and level:
        out["vendorSeverity"] = level.upper()
    if primary.get("published"):
        out["vendorCreatedAt"] = criteria.as_datetime(primary["published"])
    if primary.get("modified"):
        out["vendorUpdatedAt"] = criteria.as_datetime(primary["modified"])
    return out


def _base_score(vector: str) -> float | None:
    scored = base_score(vector)
    return scored[1] if scored is not None else None
