"""GuardDuty's live detector (``services/guardduty/live.py``) over a real store with a recording engine."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from strongroom.detection.contract import DetectorSettings, Engine, FindingDraft, StateStore
from strongroom.detection.engine import build_engine
from strongroom.services.guardduty.live import DbStateStore, LiveDetector, NoDetections, engine_factory
from strongroom.services.guardduty.model import detectors, engine_state, lists
from strongroom.store.engine import Store

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'g.db'}")
    s.migrate()
    yield s
    s.dispose()


class Recorder:
    def __init__(self) -> None:
        self.built: list[DetectorSettings] = []
        self.seen: list[str] = []

    def factory(self, settings: DetectorSettings, state: StateStore) -> Engine:
        self.built.append(settings)
        outer = self

        class One:
            def process(self, record: Mapping[str, Any]) -> list[FindingDraft]:
                outer.seen.append(str(record["eventName"]))
                state.put(settings.account_id, "n", str(len(outer.seen)).encode())
                if record["eventName"] != "StopLogging":
                    return []
                return [
                    FindingDraft(
                        "Stealth:IAMUser/CloudTrailLoggingDisabled",
                        2.0,
                        "t",
                        "d",
                        settings.account_id,
                        "us-east-1",
                        {},
                        {},
                        "k",
                        NOW,
                    )
                ]

        return One()


class Owner:
    def __init__(self) -> None:
        self.ingested: list[tuple[str, list[FindingDraft]]] = []

    def ingest_in(self, conn: Any, row: Any, drafts: list[FindingDraft], now: datetime) -> tuple[list[str], bool]:
        self.ingested.append((row.detector_id, drafts))
        return [], False

    def export_soon(self, detector_id: str, now: datetime) -> None:
        pass


def _detector(store: Store, account: str, detector_id: str, status: str = "ENABLED", s3: str = "ENABLED") -> None:
    features = {"CLOUD_TRAIL": {"status": "ENABLED"}, "S3_DATA_EVENTS": {"status": s3}}
    with store.write() as conn:
        conn.execute(
            detectors.insert().values(
                detector_id=detector_id,
                account_id=account,
                region="us-east-1",
                status=status,
                frequency="SIX_HOURS",
                features=json.dumps(features),
                version=1,
                created_at=NOW,
                updated_at=NOW,
            )
        )


def _record(account: str, name: str, **extra: Any) -> dict[str, Any]:
    return {"eventName": name, "recipientAccountId": account, "awsRegion": "us-east-1", **extra}


def test_records_reach_each_accounts_engine_in_order(store: Store) -> None:
    _detector(store, "111111111111", "a" * 32)
    _detector(store, "222222222222", "b" * 32, status="DISABLED")
    _detector(store, "333333333333", "c" * 32, s3="DISABLED")
    with store.write() as conn:
        conn.execute(
            lists.insert().values(
                list_id="l1",
                detector_id="a" * 32,
                kind="THREAT",
                name="bad",
                format="TXT",
                location="s3://b/k",
                status="ACTIVE",
                entries='["198.51.100.1"]',
                created_at=NOW,
            )
        )
    recorder, owner = Recorder(), Owner()
    live = LiveDetector(owner, SimpleNamespace(store=store), recorder.factory)  # type: ignore[arg-type]
    live.feed(
        [
            _record("111111111111", "ListKeys", readOnly=True),
            _record("111111111111", "DescribeKey", errorCode="NotFoundException"),
            _record("222222222222", "StopLogging"),  # disabled detector
            _record("333333333333", "GetObject", eventCategory="Data"),  # S3 data events off
            _record("333333333333", "StopLogging"),
            _record("444444444444", "StopLogging"),  # no detector
            _record("111111111111", "StopLogging"),
        ]
    )
    assert recorder.seen == ["ListKeys", "DescribeKey", "StopLogging", "StopLogging"]
    assert [d for d, _ in owner.ingested] == ["a" * 32, "c" * 32]
    settings = {s.detector_id: s for s in recorder.built}
    assert [sorted(t.entries) for t in settings["a" * 32].threats] == [["198.51.100.1"]]
    assert settings["c" * 32].s3_data_events is False
    with store.read() as conn:
        saved = {r.account_id: r.value for r in conn.execute(select(engine_state.c.account_id, engine_state.c.value))}
    assert saved == {"111111111111": b"3", "333333333333": b"4"}  # per account, in the order of the batch

    # the engine is kept until the detector's settings version moves
    live.feed([_record("111111111111", "ListKeys")])
    assert len(recorder.built) == 2
    with store.write() as conn:
        conn.execute(detectors.update().where(detectors.c.detector_id == "a" * 32).values(version=2))
    live.feed([_record("111111111111", "ListKeys")])
    assert len(recorder.built) == 3


def test_state_store_reads_back_and_updates(store: Store) -> None:
    first = DbStateStore(store)
    first.put("111111111111", "k", b"one")
    first.flush()
    first.put("111111111111", "k", b"two")
    first.flush()
    assert DbStateStore(store).get("111111111111", "k") == b"two"
    assert DbStateStore(store).get("111111111111", "missing") is None


def test_factory_falls_back_to_no_detections(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRONGROOM_GUARDDUTY_ENGINE", "no.such.module:build")
    engine = engine_factory()(DetectorSettings("111111111111"), DbStateStore.__new__(DbStateStore))
    assert isinstance(engine, NoDetections) and engine.process({}) == []
    monkeypatch.setenv("STRONGROOM_GUARDDUTY_ENGINE", "tests.support.guardduty_engine:build")
    assert engine_factory().__name__ == "build"


def test_factory_defaults_to_the_real_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STRONGROOM_GUARDDUTY_ENGINE", raising=False)
    assert engine_factory() is build_engine


def test_repeats_and_state_are_coalesced_new_findings_are_not(store: Store) -> None:
    _detector(store, "111111111111", "a" * 32)
    recorder, owner = Recorder(), Owner()
    live = LiveDetector(owner, SimpleNamespace(store=store), recorder.factory)  # type: ignore[arg-type]
    live.feed([_record("111111111111", "StopLogging")])
    assert len(owner.ingested) == 1  # a finding this process has not stored: at once
    live.feed([_record("111111111111", "StopLogging"), _record("111111111111", "StopLogging")])
    live.feed([_record("111111111111", "ListKeys"), _record("222222222222", "ListKeys")])
    assert len(owner.ingested) == 1  # repeats wait (STORE_SECONDS) ...
    deadline = time.monotonic() + 5
    while len(owner.ingested) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [len(drafts) for _, drafts in owner.ingested] == [1, 2]  # ... and go together, without another batch

    def state() -> object:
        with store.read() as conn:
            return conn.execute(select(engine_state.c.value)).scalar()

    # Owner.ingest_in records the findings inside the flush's transaction, before the state is written and committed:
    # read at once, the state could still be the old one (failed once in a loaded two-process run).
    while state() != b"4" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert state() == b"4"  # the state written with them
    assert (live.records, live.skipped, live.drafts) == (4, 1, 3)
