"""The engine: each record read once into an ``Event``, then handed to the detectors that asked for it.

Detectors are a table (``families.DETECTORS``): each declares the API names it looks at (or none: every record),
and the engine builds a dispatch map from them once — no chain of conditions per record. What every family needs
(a draft in AWS's shape, baselines, threat lists, the attack-sequence signal log) lives here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from strongroom.detection.catalogue import render
from strongroom.detection.contract import DetectorSettings, Engine, FindingDraft, StateStore
from strongroom.detection.event import Event
from strongroom.detection.families import DETECTORS, Detector
from strongroom.detection.intel import IpLists, is_tor_list
from strongroom.detection.state import SETTLE_SECONDS, States


class DetectionEngine:
    """One account's detector (the ``Engine`` protocol)."""

    def __init__(self, settings: DetectorSettings, state: StateStore) -> None:
        self.settings = settings
        self.states = States(state, settings.account_id)
        self.learning_seconds = max(0, int(settings.learning_days * 86_400))
        # A short learning period (a test, a demo) settles new values as fast as it learns; none at all (analyze
        # --learn-days 0: "show me everything unusual") keeps the day, so a burst stays unusual.
        self.settle_seconds = min(SETTLE_SECONDS, self.learning_seconds) if self.learning_seconds else SETTLE_SECONDS
        self.trusted = IpLists(settings.trusted)
        tor = [t for t in settings.threats if is_tor_list(t.name)]
        self.tor = IpLists(tor)
        self.threats = IpLists([t for t in settings.threats if not is_tor_list(t.name)])
        self.every: list[Detector] = []
        self.by_api: dict[str, list[Detector]] = {}
        for detector in DETECTORS:
            if detector.apis is None:
                self.every.append(detector)
            else:
                for api in detector.apis:
                    self.by_api.setdefault(api, []).append(detector)

    def process(self, record: Mapping[str, Any]) -> list[FindingDraft]:
        event = Event(record, self.settings.account_id)
        if event.is_data and not self.settings.s3_data_events and event.service == "s3.amazonaws.com":
            return []
        drafts: list[FindingDraft] = []
        for detector in self.by_api.get(event.api, ()):
            detector.check(event, self, drafts)
        for detector in self.every:
            detector.check(event, self, drafts)
        if drafts and not self.trusted.empty and self.trusted.match(event.ip_parts):
            return []  # AWS's trusted IP list: no findings for callers from it (their activity is still learned)
        return drafts

    # -- what detectors share ------------------------------------------------------------------------------------

    def draft(
        self,
        event: Event,
        finding_type: str,
        *,
        resource_key: str = "",
        actor_key: str = "",
        values: Mapping[str, str] | None = None,
        resource: dict[str, Any] | None = None,
        extra_service: dict[str, Any] | None = None,
        additional: dict[str, Any] | None = None,
        severity: float | None = None,
    ) -> FindingDraft:
        filled = {
            "api": event.api,
            "user": event.user_name,
            "user_type": event.user_type,
            "ip": event.ip,
        }
        if values:
            filled.update(values)
        base_severity, title, description = render(finding_type, **filled)
        action: dict[str, Any] = {
            "Api": event.api,
            "ServiceName": event.service,
            "CallerType": "Remote IP" if event.ip_parts else "AWS Service",
        }
        if event.ip_parts:
            key = "IpAddressV4" if len(event.ip_parts) == 4 else "IpAddressV6"
            action["RemoteIpDetails"] = {key: event.ip}
        elif event.ip:
            action["DomainDetails"] = {"Domain": event.ip}
        if event.user_agent:
            action["UserAgent"] = event.user_agent
        if event.error:
            action["ErrorCode"] = event.error
        remote_account = str(event.record.get("vpcEndpointAccountId") or "")
        if remote_account and remote_account != event.account:
            action["RemoteAccountDetails"] = {"AccountId": remote_account, "Affiliated": False}
        service: dict[str, Any] = {
            "Action": {"ActionType": "AWS_API_CALL", "AwsApiCallAction": action},
            "ServiceName": "guardduty",
            "DetectorId": self.settings.detector_id,
            "ResourceRole": "TARGET",
            "FeatureName": "S3DataEvents" if event.is_data else "CloudTrail",
        }
        info = {"type": "default", "value": json.dumps(additional, sort_keys=True)} if additional else None
        if info:
            service["AdditionalInfo"] = {"Type": info["type"], "Value": info["value"]}
        if extra_service:
            service.update(extra_service)
        body: dict[str, Any] = {"ResourceType": "AccessKey", "AccessKeyDetails": self.access_key_details(event)}
        if resource:
            body.update(resource)
        dedup = "|".join((finding_type, resource_key or event.principal, actor_key or event.principal))
        return FindingDraft(
            type=finding_type,
            severity=base_severity if severity is None else severity,
            title=title,
            description=description,
            account_id=event.account,
            region=event.region,
            resource=body,
            service=service,
            dedup_key=hashlib.sha256(dedup.encode()).hexdigest()[:32],
            event_time=event.time,
            event_first_seen=None,
        )

    @staticmethod
    def access_key_details(event: Event) -> dict[str, str]:
        details = {"AccessKeyId": event.access_key, "PrincipalId": event.principal_id, "UserName": event.user_name}
        details["UserType"] = event.user_type
        return {k: v for k, v in details.items() if v}

    def now(self, event: Event) -> int:
        return int(event.ts)


def build_engine(settings: DetectorSettings, state: StateStore) -> Engine:
    return DetectionEngine(settings, state)
