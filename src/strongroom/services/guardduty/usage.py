"""GetUsageStatistics, and the malware-protection operations Strongroom does not offer.

Usage: GuardDuty's usage statistics are its estimated cost; Strongroom charges nothing, so every total is
``0`` ``USD``, broken down as asked (per account, data source, feature or resource).

Malware protection (EBS scans, S3 object scans, protection plans) needs workloads Strongroom does not host: each
such call answers BadRequestException, as AWS answers for a feature not available in a Region.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

from strongroom.services.guardduty.base import GuardDutyBase
from strongroom.services.guardduty.errors import bad_request

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

_ZERO = {"Amount": "0", "Unit": "USD"}
_UNSUPPORTED = "The request is rejected because Malware Protection is not available in this Region."


def _unsupported() -> NoReturn:
    raise bad_request(_UNSUPPORTED, "UnsupportedOperationException")


class UsageOperations(GuardDutyBase):
    def get_usage_statistics(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.detector(ctx, request["DetectorId"])
        kind = request["UsageStatisticType"]
        crit = request.get("UsageCriteria") or {}
        accounts = crit.get("AccountIds") or [ctx.account_id]
        features = crit.get("Features") or ["CLOUD_TRAIL", "S3_DATA_EVENTS"]
        sources = crit.get("DataSources") or ["CLOUD_TRAIL", "S3_LOGS"]
        out: dict[str, Any] = {}
        if kind == "SUM_BY_ACCOUNT":
            out["SumByAccount"] = [{"AccountId": a, "Total": _ZERO} for a in accounts]
        elif kind == "SUM_BY_DATA_SOURCE":
            out["SumByDataSource"] = [{"DataSource": s, "Total": _ZERO} for s in sources]
        elif kind == "SUM_BY_FEATURES":
            out["SumByFeature"] = [{"Feature": f, "Total": _ZERO} for f in features]
        elif kind == "TOP_ACCOUNTS_BY_FEATURE":
            out["TopAccountsByFeature"] = [
                {"Feature": f, "Accounts": [{"Account": a, "Total": _ZERO} for a in accounts]} for f in features
            ]
        elif kind == "SUM_BY_RESOURCE":
            out["SumByResource"] = []
        else:
            out["TopResources"] = []
        return {"UsageStatistics": out}

    # -- malware protection: not available -------------------------------------------------------------------

    def create_malware_protection_plan(self, ctx: RequestContext, request: dict[str, Any]) -> NoReturn:
        _unsupported()

    def delete_malware_protection_plan(self, ctx: RequestContext, request: dict[str, Any]) -> NoReturn:
        _unsupported()

    def get_malware_protection_plan(self, ctx: RequestContext, request: dict[str, Any]) -> NoReturn:
        _unsupported()

    def list_malware_protection_plans(self, ctx: RequestContext, request: dict[str, Any]) -> NoReturn:
        _unsupported()

    def update_malware_protection_plan(self, ctx: RequestContext, request: dict[str, Any]) -> NoReturn:
        _unsupported()

    def describe_malware_scans(self, ctx: RequestContext, request: dict[str, Any]) -> NoReturn:
        _unsupported()

    def get_malware_scan_settings(self, ctx: RequestContext, request: dict[str, Any]) -> NoReturn:
        _unsupported()

    def update_malware_scan_settings(self, ctx: RequestContext, request: dict[str, Any]) -> NoReturn:
        _unsupported()

    def start_malware_scan(self, ctx: RequestContext, request: dict[str, Any]) -> NoReturn:
        _unsupported()

    def get_malware_scan(self, ctx: RequestContext, request: dict[str, Any]) -> NoReturn:
        _unsupported()

    def list_malware_scans(self, ctx: RequestContext, request: dict[str, Any]) -> NoReturn:
        _unsupported()

    def send_object_malware_scan(self, ctx: RequestContext, request: dict[str, Any]) -> NoReturn:
        _unsupported()
