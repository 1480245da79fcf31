"""Threat-intel sets and trusted IP sets as fast lookups: exact addresses in a dict, CIDRs by prefix length."""

from __future__ import annotations

import re
from collections.abc import Sequence

from strongroom.detection.contract import ThreatList
from strongroom.detection.event import ip_int, parse_ip

# A threat-intel set is the Tor list when its name says so ("tor-exit-nodes", "TorExitNodes", "tor"):
# GuardDuty's own Tor feed is not shipped, so the user's set stands in for it.
_TOR_NAME = re.compile(r"(^|[^a-z])tor([^a-z]|$)|torexit|tor_exit|tor-exit|tor exit", re.IGNORECASE)


def is_tor_list(name: str) -> bool:
    return bool(_TOR_NAME.search(name))


class IpLists:
    """Which lists (by name) an address appears in."""

    def __init__(self, lists: Sequence[ThreatList]) -> None:
        self.exact: dict[tuple[int, int], list[ThreatList]] = {}  # (family width, address) → lists
        self.nets: dict[tuple[int, int], dict[int, list[ThreatList]]] = {}  # (width, prefix) → network → lists
        for threat in lists:
            for entry in threat.entries:
                self._add(entry.strip(), threat)
        self.empty = not self.exact and not self.nets
        self._prefixes = sorted(self.nets, key=lambda k: -k[1])

    def _add(self, entry: str, threat: ThreatList) -> None:
        address, _, length = entry.partition("/")
        parts = parse_ip(address)
        if parts is None:
            return  # domain names: GuardDuty matches them against DNS logs, which a CloudTrail engine does not see
        width = 32 if len(parts) == 4 else 128
        value = ip_int(parts)
        if not length or int(length) >= width:
            self.exact.setdefault((width, value), []).append(threat)
            return
        prefix = max(0, int(length))
        network = value >> (width - prefix)
        self.nets.setdefault((width, prefix), {}).setdefault(network, []).append(threat)

    def match(self, parts: tuple[int, ...] | None) -> list[ThreatList]:
        if self.empty or parts is None:
            return []
        width = 32 if len(parts) == 4 else 128
        value = ip_int(parts)
        found = list(self.exact.get((width, value), ()))
        for key in self._prefixes:
            if key[0] == width:
                hit = self.nets[key].get(value >> (width - key[1]))
                if hit:
                    found.extend(hit)
        return found
