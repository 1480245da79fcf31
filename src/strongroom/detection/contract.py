"""The contract between GuardDuty's detection engine and what feeds and stores it.

``strongroom.detection`` is a pure layer (like ``strongroom.waf``: it imports only ``strongroom.core``): it reads
CloudTrail records — AWS's record format, the one Strongroom's audit trail writes and real trails deliver to S3 —
and answers finding drafts. Two callers share it, so that the same records give the same findings:

* live: ``services/guardduty`` feeds each account's audit records as they are written and persists the drafts
  (deduplicated into AWS findings, ``Service.Count`` incremented on a repeat) and the engine's learned state;
* offline: ``strongroom guardduty analyze PATH…`` feeds CloudTrail log files in event-time order and prints the
  drafts as findings, with its state in memory.

The engine never reads a clock: time is the records' ``eventTime``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class ThreatList:
    """One threat-intel set (or IP set) the user loaded: its name and the addresses/CIDRs/domains it lists."""

    name: str
    entries: frozenset[str]  # single addresses, CIDRs ("203.0.113.0/24"), or domain names
    list_id: str = ""


@dataclass(frozen=True, slots=True)
class DetectorSettings:
    """What one account's detector is configured with."""

    account_id: str
    detector_id: str = ""
    s3_data_events: bool = True  # the S3_DATA_EVENTS feature
    trusted: Sequence[ThreatList] = ()  # IP sets: callers from these never produce findings (AWS's trusted IP list)
    threats: Sequence[ThreatList] = ()  # threat-intel sets: callers from these produce *MaliciousIPCaller.Custom
    learning_days: float = 7.0  # anomaly findings only after a principal's baseline has this much history


@dataclass(slots=True)
class FindingDraft:
    """A finding as the engine sees it; the caller turns it into AWS's finding JSON (schema 2.0).

    ``dedup_key`` identifies "the same finding" — AWS updates ``Service.Count``, ``Service.EventLastSeen`` and
    ``UpdatedAt`` of an existing finding with the same type, resource and actor instead of creating a new one.
    """

    type: str  # "Stealth:IAMUser/CloudTrailLoggingDisabled"
    severity: float  # AWS's numeric severity (Low 1.0–3.9, Medium 4.0–6.9, High 7.0–8.9, Critical 9.0–10.0)
    title: str
    description: str
    account_id: str
    region: str
    resource: dict[str, Any]  # AWS's ``Resource`` object: ResourceType, AccessKeyDetails, S3BucketDetails ...
    service: dict[str, Any]  # parts of AWS's ``Service`` object: Action, Evidence, AdditionalInfo, DetectorId ...
    dedup_key: str
    event_time: datetime  # of the record that produced or repeated it
    event_first_seen: datetime | None = None
    signals: list[dict[str, Any]] = field(default_factory=list)  # attack sequences: the signals they correlate


class StateStore(Protocol):
    """Where the engine keeps what it learns (per-principal baselines, recent signals): opaque bytes by key.

    Live: a table of the guardduty service (durable, per account). Offline: a dict.
    """

    def get(self, account_id: str, key: str) -> bytes | None: ...

    def put(self, account_id: str, key: str, value: bytes) -> None: ...


class Engine(Protocol):
    """One account's detector. ``process`` is called with records in event-time order."""

    def process(self, record: Mapping[str, Any]) -> list[FindingDraft]: ...
