"""The offline analyzer's core: records in event-time order through one engine per account, drafts folded into
findings by dedup key (``Service.Count``, first/last seen), as the live service folds them into its table."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from strongroom.detection.contract import DetectorSettings, Engine, FindingDraft
from strongroom.detection.engine import build_engine
from strongroom.detection.findings import to_finding
from strongroom.detection.state import MemoryStateStore


@dataclass(slots=True)
class Folded:
    draft: FindingDraft  # the latest occurrence
    count: int
    first_seen: datetime
    last_seen: datetime
    created: datetime


@dataclass
class Analysis:
    findings: dict[str, Folded] = field(default_factory=dict)
    records: int = 0
    accounts: set[str] = field(default_factory=set)

    def fold(self, draft: FindingDraft) -> None:
        key = f"{draft.account_id}/{draft.dedup_key}"
        known = self.findings.get(key)
        first = draft.event_first_seen or draft.event_time
        if known is None:
            self.findings[key] = Folded(draft, 1, first, draft.event_time, draft.event_time)
            return
        known.count += 1
        known.first_seen = min(known.first_seen, first)
        known.last_seen = max(known.last_seen, draft.event_time)
        known.draft = draft

    def as_findings(self, detector_id: str = "offline") -> list[dict[str, Any]]:
        out = [
            to_finding(
                f.draft,
                detector_id=detector_id,
                count=f.count,
                first_seen=f.first_seen,
                last_seen=f.last_seen,
                created_at=f.created,
                updated_at=f.last_seen,
            )
            for f in self.findings.values()
        ]
        out.sort(key=lambda f: (f["Service"]["EventFirstSeen"], f["Type"]))
        return out


def event_time_key(record: Mapping[str, Any]) -> str:
    """CloudTrail writes eventTime as ``YYYY-MM-DDTHH:MM:SSZ``: the text sorts as the time does."""
    return str(record.get("eventTime") or "")


class Analyzer:
    """Feed records (already in event-time order); one engine and one in-memory state per account."""

    def __init__(
        self,
        learning_days: float = 7.0,
        settings: Callable[[str], DetectorSettings] | None = None,
    ) -> None:
        self.learning_days = learning_days
        self.settings = settings or (lambda account: DetectorSettings(account, learning_days=learning_days))
        self.engines: dict[str, Engine] = {}
        self.result = Analysis()

    def feed(self, record: Mapping[str, Any]) -> list[FindingDraft]:
        identity = record.get("userIdentity") or {}
        account = str(record.get("recipientAccountId") or (identity.get("accountId") if identity else "") or "")
        engine = self.engines.get(account)
        if engine is None:
            engine = self.engines[account] = build_engine(self.settings(account), MemoryStateStore())
            self.result.accounts.add(account)
        self.result.records += 1
        drafts = engine.process(record)
        for draft in drafts:
            self.result.fold(draft)
        return drafts

    def feed_all(self, records: Iterable[Mapping[str, Any]]) -> Analysis:
        for record in records:
            self.feed(record)
        return self.result
