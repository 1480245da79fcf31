"""Change signals shared by the processes of one SQLite database (``store/signals.py``)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from strongroom.store.engine import Store
from strongroom.store.signals import Signal, signal_path


def _bump(path: str) -> None:
    Signal(Path(path)).bump()


def test_a_bump_in_another_process_is_seen(tmp_path: Path) -> None:
    path = tmp_path / "db-x.signal"
    mine = Signal(path)
    before = mine.value()
    proc = multiprocessing.get_context("spawn").Process(target=_bump, args=(str(path),))
    proc.start()
    proc.join(30)
    assert proc.exitcode == 0
    assert mine.value() != before
    seen = mine.value()
    assert mine.value() == seen  # stable until the next bump


def test_each_bump_is_a_new_value(tmp_path: Path) -> None:
    a, b = Signal(tmp_path / "s.signal"), Signal(tmp_path / "s.signal")
    values = set()
    for _ in range(100):
        a.bump()
        values.add(b.value())
    assert len(values) == 100


@pytest.mark.parametrize("name", ["../x", "/abs", "A", "", "a/b", "a" * 64, "a.b"])
def test_names_are_ours_never_a_path(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError):
        signal_path(str(tmp_path / "db"), name)


def test_the_store_gives_one_signal_per_name_beside_its_database(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'strongroom.db'}")
    first = store.signal("s3-buckets")
    assert first is not None and first is store.signal("s3-buckets")
    assert (tmp_path / "strongroom.db-s3-buckets.signal").stat().st_mode & 0o777 == 0o600
    other = Store(f"sqlite:///{tmp_path / 'strongroom.db'}").signal("s3-buckets")
    assert other is not None
    first.bump()
    assert other.value() == first.value()
    store.dispose()


def test_postgresql_has_no_shared_signal() -> None:
    store = Store("postgresql://user:pw@127.0.0.1:1/db")
    assert store.signal("s3-buckets") is None
