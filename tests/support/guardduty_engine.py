"""A stand-in detection engine for GuardDuty's e2e tests (the real one is ``strongroom.detection``).

The server loads it when ``STRONGROOM_GUARDDUTY_ENGINE=tests.support.guardduty_engine:build``. It finds two
things, enough to drive the live path end to end: a successful ``cloudtrail:StopLogging`` (AWS's
``Stealth:IAMUser/CloudTrailLoggingDisabled``), and any call from an address a loaded threat-intel set lists
(``UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom``); and it counts the records it saw in its state store.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from strongroom.detection.contract import DetectorSettings, Engine, FindingDraft, StateStore


def _listed(ip: str, entries: frozenset[str]) -> bool:
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    for entry in entries:
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


class StandIn:
    def __init__(self, settings: DetectorSettings, state: StateStore) -> None:
        self.settings = settings
        self.state = state

    def _draft(self, record: Mapping[str, Any], kind: str, severity: float, title: str) -> FindingDraft:
        identity = record.get("userIdentity") or {}
        when = datetime.fromisoformat(str(record["eventTime"]).replace("Z", "+00:00"))
        principal = str(identity.get("arn") or "")
        return FindingDraft(
            type=kind,
            severity=severity,
            title=title,
            description=f"{record.get('eventName')} was called by {principal}.",
            account_id=str(record.get("recipientAccountId") or identity.get("accountId") or ""),
            region=str(record.get("awsRegion") or ""),
            resource={
                "ResourceType": "AccessKey",
                "AccessKeyDetails": {
                    "AccessKeyId": str(identity.get("accessKeyId") or ""),
                    "PrincipalId": str(identity.get("principalId") or ""),
                    "UserName": str(identity.get("userName") or "Root"),
                    "UserType": str(identity.get("type") or ""),
                },
            },
            service={
                "Action": {
                    "ActionType": "AWS_API_CALL",
                    "AwsApiCallAction": {
                        "Api": str(record.get("eventName")),
                        "CallerType": "Remote IP",
                        "ServiceName": str(record.get("eventSource")),
                        "UserAgent": str(record.get("userAgent") or ""),
                        "RemoteIpDetails": {"IpAddressV4": str(record.get("sourceIPAddress") or "")},
                    },
                }
            },
            dedup_key=f"{kind}|{principal}",
            event_time=when,
        )

    def process(self, record: Mapping[str, Any]) -> list[FindingDraft]:
        account = self.settings.account_id
        seen = int(self.state.get(account, "standin:records") or b"0") + 1
        self.state.put(account, "standin:records", str(seen).encode())
        out: list[FindingDraft] = []
        if (
            record.get("eventSource") == "cloudtrail.amazonaws.com"
            and record.get("eventName") == "StopLogging"
            and not record.get("errorCode")
        ):
            out.append(
                self._draft(
                    record,
                    "Stealth:IAMUser/CloudTrailLoggingDisabled",
                    2.0,
                    "AWS CloudTrail trail was disabled.",
                )
            )
        ip = str(record.get("sourceIPAddress") or "")
        if any(_listed(ip, t.entries) for t in self.settings.threats) and not any(
            _listed(ip, t.entries) for t in self.settings.trusted
        ):
            out.append(
                self._draft(
                    record,
                    "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom",
                    8.0,
                    "An API was invoked from an IP address on a custom threat list.",
                )
            )
        return out


def build(settings: DetectorSettings, state: StateStore) -> Engine:
    return StandIn(settings, state)
