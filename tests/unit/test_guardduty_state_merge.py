"""Two server processes (``--workers``) learning the same principal: no update to the shared engine state is lost
(``DbStateStore.flush`` compares and merges; ``detection.state.merge``)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from strongroom.detection.state import CAPS, Baseline, merge
from strongroom.services.guardduty.live import DbStateStore
from strongroom.store.engine import Store
from tests.conftest import BACKENDS
from tests.support.postgres import fresh_database

ACCOUNT = "111122223333"
DAY = 86_400


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    # ``postgres_url`` comes from tests/support/fixtures_pg.py, loaded by tests/conftest.py.
    if request.param == "postgres":
        s = Store(fresh_database(request.getfixturevalue("postgres_url")))
    else:
        s = Store(f"sqlite:///{tmp_path / 'g.db'}")
    s.migrate()
    yield s
    s.dispose()


def _learn(state: DbStateStore, key: str, api: str, now: int) -> None:
    baseline = Baseline.load(key, state.get(ACCOUNT, key), now)
    baseline.learn("a", api, now)
    state.put(ACCOUNT, key, baseline.dump())


def _stored(store: Store, key: str) -> Baseline:
    return Baseline.load(key, DbStateStore(store).get(ACCOUNT, key), 0)


def test_two_processes_learning_one_principal_lose_nothing(store: Store) -> None:
    one, two = DbStateStore(store), DbStateStore(store)
    _learn(one, "p:alice", "ListKeys", 10 * DAY)
    _learn(two, "p:alice", "GetSecretValue", 10 * DAY + 5)
    assert one.flush() == set()
    assert two.flush() == {(ACCOUNT, "p:alice")}  # the second writer merged instead of overwriting
    stored = _stored(store, "p:alice")
    assert stored.seen("a", "ListKeys") and stored.seen("a", "GetSecretValue")
    # the first process goes on from its own (older) view: its next write merges again
    _learn(one, "p:alice", "Decrypt", 11 * DAY)
    assert one.flush() == {(ACCOUNT, "p:alice")}
    stored = _stored(store, "p:alice")
    assert {v for v in stored.items["a"]} == {"ListKeys", "GetSecretValue", "Decrypt"}
    assert stored.items["a"]["ListKeys"][0] == 10 * DAY  # first seen kept
    # the merged value is now the process's view: writing again without another writer does not merge
    _learn(one, "p:alice", "Encrypt", 11 * DAY)
    assert one.flush() == set()


def test_a_new_key_written_by_both(store: Store) -> None:
    one, two = DbStateStore(store), DbStateStore(store)
    one.put(ACCOUNT, "kmsdel:bob", orjson.dumps([[100.0, "k1"]]))
    two.put(ACCOUNT, "kmsdel:bob", orjson.dumps([[101.0, "k2"]]))
    one.flush()
    assert two.flush() == {(ACCOUNT, "kmsdel:bob")}
    assert orjson.loads(DbStateStore(store).get(ACCOUNT, "kmsdel:bob") or b"") == [[100.0, "k1"], [101.0, "k2"]]


def test_forget_keeps_unwritten_values(store: Store) -> None:
    state = DbStateStore(store)
    state.put(ACCOUNT, "x", b"[]")
    state.forget()
    assert state.get(ACCOUNT, "x") == b"[]"
    state.flush()
    other = DbStateStore(store)
    other.put(ACCOUNT, "x", b'[[1.0, "k"]]')
    other.flush()
    assert state.get(ACCOUNT, "x") == b"[]"  # cached until forgotten
    state.forget()
    assert orjson.loads(state.get(ACCOUNT, "x") or b"") == [[1.0, "k"]]


def test_merge_baselines() -> None:
    a = Baseline("p:x", 5 * DAY, hours=0b1)
    a.learn("a", "ListKeys", 5 * DAY)
    a.learn("r", "us-east-1", 5 * DAY)
    b = Baseline("p:x", 6 * DAY, hours=0b100)
    b.learn("a", "ListKeys", 8 * DAY)
    b.learn("u", "Boto3", 6 * DAY)
    merged = Baseline.load("p:x", merge(a.dump(), b.dump()), 0)
    assert merged.first == 5 * DAY and merged.hours == 0b101
    assert merged.items["a"]["ListKeys"] == [5 * DAY, 8]
    assert set(merged.items) == {"a", "r", "u"}


def test_merge_respects_caps() -> None:
    cap = CAPS["r"]
    a, b = Baseline("p:x", 0), Baseline("p:x", 0)
    for i in range(cap):
        a.learn("r", f"a-{i}", i)
        b.learn("r", f"b-{i}", DAY + i)
    merged = Baseline.load("p:x", merge(a.dump(), b.dump()), 0)
    assert len(merged.items["r"]) == cap and all(v.startswith("b-") for v in merged.items["r"])  # the most recent


def test_merge_signals() -> None:
    a = [{"type": "T1", "first": 1.0, "last": 2.0, "count": 2, "sev": 5.0, "title": "t", "apis": ["A"]}]
    b = [
        {"type": "T1", "first": 1.5, "last": 3.0, "count": 1, "sev": 5.0, "title": "t", "apis": ["B"]},
        {"type": "T2", "first": 0.5, "last": 0.5, "count": 1, "sev": 8.0, "title": "u", "apis": []},
    ]
    merged = orjson.loads(merge(orjson.dumps(a), orjson.dumps(b)))
    assert [s["type"] for s in merged] == ["T2", "T1"]
    assert merged[1]["first"] == 1.0 and merged[1]["last"] == 3.0 and merged[1]["apis"] == ["A", "B"]


def test_merge_anything_else_is_the_later_write() -> None:
    assert merge(b'{"x": 1}', b'{"x": 2}') == b'{"x": 2}'


def test_two_writers_at_once_lose_nothing(store: Store) -> None:
    """Two 'processes' (each its own Store: own connections) learning one principal in a race, flush after flush."""
    errors: list[BaseException] = []

    def learn(tag: str) -> None:
        own = Store(str(store.engine.url.render_as_string(hide_password=False)))
        try:
            state = DbStateStore(own)
            for i in range(30):
                _learn(state, "p:carol", f"{tag}{i}", 10 * DAY + i)
                _learn(state, "p:dave", f"{tag}{i}", 10 * DAY + i)  # a key neither has read yet, at first
                state.flush()
        except BaseException as exc:  # reported to the test's thread
            errors.append(exc)
        finally:
            own.dispose()

    threads = [threading.Thread(target=learn, args=(tag,)) for tag in ("A", "B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for key in ("p:carol", "p:dave"):
        assert set(_stored(store, key).items["a"]) == {f"{t}{i}" for t in "AB" for i in range(30)}
