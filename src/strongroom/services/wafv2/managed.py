"""The managed rule groups catalog (AWS's vendor groups) and the managed rule set operations.

The catalog is data (waf/managed_rules/catalog.json, shared with the engine's managed provider): group names,
capacities, label namespaces, rule names, their default actions and labels as AWS's "AWS Managed Rules rule groups
list" documents them. The engine's CRS-derived content (waf/managed_rules/<Group>.json) uses the same rule names.
Managed rule *sets* (GetManagedRuleSet & co.) belong to rule group vendors
only: a customer account has none, so those answer as AWS answers a non-vendor account.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from strongroom.core.errors import AwsError
from strongroom.services.base import pages
from strongroom.services.wafv2 import errors
from strongroom.services.wafv2.base import DEFAULT_LIMIT, WafBase
from strongroom.waf.managed import managed_catalog

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

# The catalog lists versions, not their dates: each version is reported as published a month after the one before.
_FIRST_VERSION = datetime(2021, 1, 1, tzinfo=UTC)


def _bad_marker(marker: object) -> AwsError:
    return errors.invalid("POSITION", marker, errors.BAD_VALUE)


def group_or_fail(vendor: str, name: str) -> dict[str, Any]:
    group = managed_catalog().get(name)
    if group is None or group["VendorName"] != vendor:
        raise errors.nonexistent()
    return group


def default_version(group: dict[str, Any]) -> str | None:
    versions: list[str] = group["Versions"]
    return versions[-1] if versions else None


class ManagedOperations(WafBase):
    def list_available_managed_rule_groups(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.scope(ctx, request)
        groups = [
            {
                "VendorName": g["VendorName"],
                "Name": g["Name"],
                "VersioningSupported": g["VersioningSupported"],
                "Description": g["Description"],
            }
            for g in managed_catalog().values()
        ]
        page, marker = pages.after_page(
            groups,
            request.get("NextMarker"),
            int(request.get("Limit") or DEFAULT_LIMIT),
            lambda g: g["Name"],
            lambda: _bad_marker(request.get("NextMarker")),
        )
        return {**({"NextMarker": marker} if marker else {}), "ManagedRuleGroups": page}

    def list_available_managed_rule_group_versions(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        self.scope(ctx, request)
        group = group_or_fail(request["VendorName"], request["Name"])
        versions = [
            {"Name": name, "LastUpdateTimestamp": _FIRST_VERSION + timedelta(days=30 * i)}
            for i, name in enumerate(group["Versions"])
        ]
        versions.reverse()  # newest first, as AWS lists them
        page, marker = pages.offset_page(
            versions,
            request.get("NextMarker"),
            int(request.get("Limit") or DEFAULT_LIMIT),
            lambda: _bad_marker(request.get("NextMarker")),
        )
        out: dict[str, Any] = {**({"NextMarker": marker} if marker else {}), "Versions": page}
        if default_version(group):
            out["CurrentDefaultVersion"] = default_version(group)
        return out

    def describe_managed_rule_group(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.scope(ctx, request)
        group = group_or_fail(request["VendorName"], request["Name"])
        version = request.get("VersionName")
        if version is not None and version not in group["Versions"]:
            raise errors.nonexistent()
        out: dict[str, Any] = {}
        if version or default_version(group):
            out["VersionName"] = version or default_version(group)
        out["Capacity"] = group["Capacity"]
        out["Rules"] = [{"Name": r["Name"], "Action": {r["Action"]: {}}} for r in group["Rules"]]
        out["LabelNamespace"] = group["LabelNamespace"]
        out["AvailableLabels"] = [{"Name": r["Label"]} for r in group["Rules"]]
        out["ConsumedLabels"] = []
        return out

    @staticmethod
    def products(vendor: str | None = None) -> list[dict[str, Any]]:
        return [
            {
                "VendorName": g["VendorName"],
                "ManagedRuleSetName": g["Name"],
                "ProductId": g["Name"],
                "ProductTitle": g["Name"],
                "ProductDescription": g["Description"],
                "IsVersioningSupported": g["VersioningSupported"],
                "IsAdvancedManagedRuleSet": g["Name"] == "AWSManagedRulesBotControlRuleSet",
            }
            for g in managed_catalog().values()
            if vendor is None or g["VendorName"] == vendor
        ]

    def describe_all_managed_products(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.scope(ctx, request)
        return {"ManagedProducts": self.products()}

    def describe_managed_products_by_vendor(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.scope(ctx, request)
        return {"ManagedProducts": self.products(request["VendorName"])}

    # -- managed rule sets: vendors only ---------------------------------------------------------------------

    def get_managed_rule_set(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.scope(ctx, request)
        raise errors.nonexistent()

    def list_managed_rule_sets(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.scope(ctx, request)
        return {"ManagedRuleSets": []}

    def put_managed_rule_set_versions(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.scope(ctx, request)
        raise errors.nonexistent()

    def update_managed_rule_set_version_expiry_date(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        self.scope(ctx, request)
        raise errors.nonexistent()
