"""IP sets and regex pattern sets: Create / Get / List / Update / Delete with lock tokens."""

from __future__ import annotations

import ipaddress
import json
from typing import TYPE_CHECKING, Any

from strongroom.services.wafv2 import errors
from strongroom.services.wafv2.base import Row, WafBase
from strongroom.services.wafv2.rules import check_regex

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

MAX_ADDRESSES = 10_000
MAX_REGEXES = 10


def check_addresses(version: str, addresses: list[str]) -> None:
    """CIDR blocks of the set's IP version, /1 to /32 (IPv4) or /1 to /128 (IPv6), stored as given.

    AWS normalises nothing: an address with host bits set (``195.178.188.66/29``) is refused, not rounded down to
    its network, and so is a bare address without a prefix.
    """
    if len(addresses) > MAX_ADDRESSES:
        raise errors.limits()
    for address in addresses:
        prefix = address.rpartition("/")[2] if "/" in address else ""
        try:
            network = ipaddress.ip_network(address, strict=True)
        except ValueError:
            raise errors.invalid("IP_ADDRESS", address) from None
        if not prefix.isdigit() or int(prefix) < 1:
            raise errors.invalid("IP_ADDRESS", address)
        if (network.version == 4) != (version == "IPV4"):
            raise errors.invalid("IP_ADDRESS_VERSION", address)


def check_regexes(items: list[dict[str, Any]]) -> None:
    if len(items) > MAX_REGEXES:
        raise errors.limits()
    for item in items:
        check_regex(str(item.get("RegexString", "")), "REGEX_PATTERN_SET")


class SetOperations(WafBase):
    # -- IP sets ---------------------------------------------------------------------------------------------

    def create_ip_set(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        scope = self.scope(ctx, request)
        check_addresses(request["IPAddressVersion"], request["Addresses"])
        document = {"IPAddressVersion": request["IPAddressVersion"], "Addresses": list(request["Addresses"])}
        row = self.create_entity(ctx, scope, "ipset", request, document)
        return {"Summary": self.summary(row)}

    def get_ip_set(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.find(ctx, self.scope(ctx, request), "ipset", request["Name"], request["Id"])
        return {"IPSet": self.ip_set_shape(row), "LockToken": row["lock_token"]}

    @staticmethod
    def ip_set_shape(row: Row) -> dict[str, Any]:
        doc = json.loads(row["document"])
        out: dict[str, Any] = {"Name": row["name"], "Id": row["id"], "ARN": row["arn"]}
        if row["description"] is not None:
            out["Description"] = row["description"]
        return {**out, "IPAddressVersion": doc["IPAddressVersion"], "Addresses": doc["Addresses"]}

    def list_ip_sets(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        rows, marker = self.list_entities(ctx, self.scope(ctx, request), "ipset", request)
        return {**({"NextMarker": marker} if marker else {}), "IPSets": [self.summary(r) for r in rows]}

    def update_ip_set(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.find(ctx, self.scope(ctx, request), "ipset", request["Name"], request["Id"])
        version = json.loads(row["document"])["IPAddressVersion"]
        check_addresses(version, request["Addresses"])
        document = {"IPAddressVersion": version, "Addresses": list(request["Addresses"])}
        token = self.update_entity(row, request["LockToken"], document, request.get("Description"))
        return {"NextLockToken": token}

    def delete_ip_set(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.find(ctx, self.scope(ctx, request), "ipset", request["Name"], request["Id"])
        self.delete_entity(row, request["LockToken"])
        return {}

    # -- regex pattern sets ----------------------------------------------------------------------------------

    def create_regex_pattern_set(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        scope = self.scope(ctx, request)
        check_regexes(request["RegularExpressionList"])
        document = {"RegularExpressionList": request["RegularExpressionList"]}
        row = self.create_entity(ctx, scope, "regexpatternset", request, document)
        return {"Summary": self.summary(row)}

    @staticmethod
    def regex_set_shape(row: Row) -> dict[str, Any]:
        out: dict[str, Any] = {"Name": row["name"], "Id": row["id"], "ARN": row["arn"]}
        if row["description"] is not None:
            out["Description"] = row["description"]
        return {**out, **json.loads(row["document"])}

    def get_regex_pattern_set(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.find(ctx, self.scope(ctx, request), "regexpatternset", request["Name"], request["Id"])
        return {"RegexPatternSet": self.regex_set_shape(row), "LockToken": row["lock_token"]}

    def list_regex_pattern_sets(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        rows, marker = self.list_entities(ctx, self.scope(ctx, request), "regexpatternset", request)
        return {**({"NextMarker": marker} if marker else {}), "RegexPatternSets": [self.summary(r) for r in rows]}

    def update_regex_pattern_set(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.find(ctx, self.scope(ctx, request), "regexpatternset", request["Name"], request["Id"])
        check_regexes(request["RegularExpressionList"])
        document = {"RegularExpressionList": request["RegularExpressionList"]}
        token = self.update_entity(row, request["LockToken"], document, request.get("Description"))
        return {"NextLockToken": token}

    def delete_regex_pattern_set(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.find(ctx, self.scope(ctx, request), "regexpatternset", request["Name"], request["Id"])
        self.delete_entity(row, request["LockToken"])
        return {}
