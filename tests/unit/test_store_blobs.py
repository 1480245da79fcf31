"""store.blobs: one contract suite over the file, database (SQLite, PostgreSQL) and S3 (moto server) blob stores."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import botocore.session
import psutil
import pytest

from strongroom.core.config import sqlite_url
from strongroom.keyring.stream import StreamCipher, StreamIntegrityError
from strongroom.store.blobs import (
    PART_SIZE,
    ROW_SIZE,
    BlobNotFoundError,
    BlobStore,
    DatabaseBlobStore,
    FileBlobStore,
    InvalidBlobIdError,
    S3BlobStore,
    blob_chunks,
    new_blob_id,
    open_blob_store,
)
from strongroom.store.engine import Store
from tests.support.moto import moto_server
from tests.support.postgres import fresh_database

MiB = 1 << 20
MOTO_KEY = "testing"


# -- a moto S3 server for the session -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """moto's server for the session (tests/support/moto.py)."""
    pytest.importorskip("moto.server", reason="moto[server] is not installed")
    with moto_server(tmp_path_factory.mktemp("moto")) as endpoint:
        yield endpoint


def _s3_client(endpoint: str) -> Any:
    return botocore.session.get_session().create_client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=MOTO_KEY, aws_secret_access_key=MOTO_KEY
    )


def _new_bucket(endpoint: str) -> str:
    bucket = f"blobs-{new_blob_id()[:12]}"
    _s3_client(endpoint).create_bucket(Bucket=bucket)
    return bucket


# -- the stores under test ------------------------------------------------------------------------------------------


def _database_store(url: str) -> Store:
    db = Store(url)
    # Only this table: the blob store needs nothing else. checkfirst, so it is a no-op once a migration creates it.
    blob_chunks.create(db.engine, checkfirst=True)
    return db


@pytest.fixture(params=["file", "sqlite", "postgres", "s3"])
def blobs(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobStore]:
    kind = request.param
    db: Store | None = None
    store: BlobStore
    if kind == "file":
        store = FileBlobStore(tmp_path / "blobs")
    elif kind == "sqlite":
        db = _database_store(sqlite_url(tmp_path))
        store = DatabaseBlobStore(db)
    elif kind == "postgres":
        db = _database_store(fresh_database(request.getfixturevalue("postgres_url")))
        store = DatabaseBlobStore(db)
    else:
        endpoint = request.getfixturevalue("moto_endpoint")
        store = S3BlobStore(endpoint, _new_bucket(endpoint), MOTO_KEY, MOTO_KEY, "us-east-1", prefix="p/q")
    yield store
    store.close()
    if db is not None:
        db.dispose()


def _pieces(data: bytes, sizes: list[int]) -> Iterator[bytes]:
    at, i = 0, 0
    while at < len(data):
        step = sizes[i % len(sizes)]
        yield data[at : at + step]
        at += step
        i += 1


def _failing(data: bytes, after: int) -> Iterator[bytes]:
    """Yields ``after`` bytes of ``data`` in 1 MiB pieces, then fails as a client disconnecting mid-upload would."""
    for at in range(0, after, MiB):
        yield data[at : min(at + MiB, after)]
    raise ConnectionResetError("client went away")


# -- the contract ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 1000, ROW_SIZE, ROW_SIZE + 1, 3 * MiB + 17])
def test_round_trip(blobs: BlobStore, size: int) -> None:
    data = os.urandom(size)
    blob_id = new_blob_id()
    assert not blobs.exists(blob_id)
    assert blobs.write(blob_id, _pieces(data, [7, 65_536 + 33, MiB])) == size
    assert blobs.exists(blob_id)
    assert blobs.size(blob_id) == size
    assert blobs.read_at(blob_id, 0, size + 10) == data
    for offset, length in [(0, 1), (size // 2, 100), (max(0, size - 3), 3), (ROW_SIZE - 1, 2), (5, 0)]:
        assert blobs.read_at(blob_id, offset, length) == data[offset : offset + length]


def test_reads_past_the_end_are_short(blobs: BlobStore) -> None:
    blob_id = new_blob_id()
    blobs.write(blob_id, [b"0123456789"])
    assert blobs.read_at(blob_id, 8, 10) == b"89"
    assert blobs.read_at(blob_id, 10, 5) == b""
    assert blobs.read_at(blob_id, 1000, 5) == b""
    with pytest.raises(ValueError):
        blobs.read_at(blob_id, -1, 5)
    with pytest.raises(ValueError):
        blobs.read_at(blob_id, 0, -1)


def test_inputs_may_be_any_bytes_like_with_empty_pieces(blobs: BlobStore) -> None:
    blob_id = new_blob_id()
    assert blobs.write(blob_id, [b"", bytearray(b"ab"), b"", memoryview(b"cd")]) == 4
    assert blobs.read_at(blob_id, 0, 10) == b"abcd"
    empty = new_blob_id()
    assert blobs.write(empty, iter(())) == 0
    assert blobs.exists(empty) and blobs.size(empty) == 0 and blobs.read_at(empty, 0, 1) == b""


def test_writing_an_existing_id_replaces_it(blobs: BlobStore) -> None:
    blob_id = new_blob_id()
    blobs.write(blob_id, [os.urandom(ROW_SIZE * 3)])
    blobs.write(blob_id, [b"short"])
    assert blobs.size(blob_id) == 5 and blobs.read_at(blob_id, 0, ROW_SIZE * 4) == b"short"


def test_delete_is_idempotent_and_missing_blobs_are_not_found(blobs: BlobStore) -> None:
    blob_id = new_blob_id()
    blobs.write(blob_id, [b"x"])
    blobs.delete(blob_id)
    blobs.delete(blob_id)
    assert not blobs.exists(blob_id)
    for call in (
        lambda: blobs.size(blob_id),
        lambda: blobs.read_at(blob_id, 0, 1),
        lambda: blobs.read_at(blob_id, 0, 0),
        lambda: blobs.open_reader(blob_id),
    ):
        with pytest.raises(BlobNotFoundError):
            call()


BAD_IDS = ["", "..", "../" + "0" * 29, "/etc/passwd", "A" * 32, "0" * 31, "0" * 33, "00/" + "0" * 29, "0" * 31 + "\0"]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_ids_that_are_not_32_hex_digits_are_refused(blobs: BlobStore, bad: str) -> None:
    calls: list[Callable[[], object]] = [
        lambda: blobs.write(bad, [b"x"]),
        lambda: blobs.read_at(bad, 0, 1),
        lambda: blobs.size(bad),
        lambda: blobs.exists(bad),
        lambda: blobs.delete(bad),
        lambda: blobs.open_reader(bad),
    ]
    for call in calls:
        with pytest.raises(InvalidBlobIdError):
            call()
    if isinstance(blobs, FileBlobStore):
        assert not [p for p in blobs.root.parent.rglob("*") if p.is_file()]


def test_a_write_that_fails_midway_leaves_nothing(blobs: BlobStore) -> None:
    data = os.urandom(2 * PART_SIZE + MiB)
    fresh, existing = new_blob_id(), new_blob_id()
    blobs.write(existing, [b"old"])
    for blob_id, after in [(fresh, 3 * MiB), (fresh, PART_SIZE + 2 * MiB), (existing, PART_SIZE * 2 + 1)]:
        with pytest.raises(ConnectionResetError):
            blobs.write(blob_id, _failing(data, after))
    assert not blobs.exists(fresh)
    assert blobs.read_at(existing, 0, 10) == b"old"
    if isinstance(blobs, FileBlobStore):
        assert [p.name for p in blobs.root.rglob("*") if p.is_file()] == [existing]
    if isinstance(blobs, DatabaseBlobStore):
        with blobs.store.read() as conn:
            assert conn.execute(blob_chunks.select()).all() == [(existing, 0, b"old")]
    if isinstance(blobs, S3BlobStore):
        client = blobs._client
        assert client.list_multipart_uploads(Bucket=blobs.bucket).get("Uploads", []) == []  # aborted
        keys = [o["Key"] for o in client.list_objects_v2(Bucket=blobs.bucket).get("Contents", [])]
        assert keys == [f"p/q/{existing}"]


def test_a_reader_serves_a_whole_get(blobs: BlobStore) -> None:
    data = os.urandom(PART_SIZE + 3 * ROW_SIZE + 5)  # an S3 multipart upload of two parts
    blob_id = new_blob_id()
    blobs.write(blob_id, _pieces(data, [65_536 + 16]))
    with blobs.open_reader(blob_id) as reader:
        assert reader.size() == len(data)
        got = b"".join(reader.read_at(at, MiB) for at in range(0, len(data), MiB))
        assert got == data
        assert reader.read_at(PART_SIZE - 3, 6) == data[PART_SIZE - 3 : PART_SIZE + 3]
        assert reader.read_at(len(data), 1) == b""


def test_encrypted_streams_read_back_and_length_changes_are_caught(blobs: BlobStore) -> None:
    """What the S3 service will do: StreamCipher records in, range reads out through one reader."""
    cipher = StreamCipher(os.urandom(32), b"bucket\x00key")
    data = os.urandom(3 * MiB + 100)
    blob_id = new_blob_id()
    written = blobs.write(blob_id, cipher.encrypt(_pieces(data, [MiB])))
    assert written == cipher.ciphertext_size(len(data)) == blobs.size(blob_id)
    with blobs.open_reader(blob_id) as reader:
        assert b"".join(cipher.decrypt_range(reader.read_at, len(data))) == data
        assert b"".join(cipher.decrypt_range(reader.read_at, len(data), MiB - 1, MiB + 1)) == data[MiB - 1 : MiB + 1]
    with blobs.open_reader(blob_id) as reader, pytest.raises(StreamIntegrityError):
        b"".join(cipher.decrypt_range(reader.read_at, len(data) - 1))  # the metadata's size disagrees with the blob


# -- file backend ---------------------------------------------------------------------------------------------------


def test_file_layout_and_modes(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path / "blobs")
    blob_id = "0123456789abcdef0123456789abcdef"
    store.write(blob_id, [b"x"])
    path = tmp_path / "blobs" / "01" / "23" / blob_id
    assert path.read_bytes() == b"x"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for directory in (tmp_path / "blobs", path.parent, path.parent.parent):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700


def test_file_writes_are_fsynced_before_and_after_the_rename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = FileBlobStore(tmp_path / "blobs")
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append("fsync-dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync-file")
        real_fsync(fd)

    def replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        events.append("rename")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    store.write(new_blob_id(), [b"durable"])
    assert events[-3:] == ["fsync-file", "rename", "fsync-dir"]
    assert events.count("fsync-dir") == 3  # the two new fan-out directories' parents, then the leaf


def test_a_symlinked_blob_is_not_followed(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path / "blobs")
    blob_id = new_blob_id()
    store.write(blob_id, [b"x"])
    path = tmp_path / "blobs" / blob_id[:2] / blob_id[2:4] / blob_id
    path.unlink()
    (tmp_path / "secret").write_bytes(b"outside")
    path.symlink_to(tmp_path / "secret")
    with pytest.raises(OSError):
        store.read_at(blob_id, 0, 10)


def test_a_64_mb_blob_streams_with_flat_memory(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path / "blobs")
    proc = psutil.Process()
    piece = os.urandom(MiB)
    base = peak = int(proc.memory_info().rss)

    def source() -> Iterator[bytes]:
        nonlocal peak
        for _ in range(64):
            peak = max(peak, int(proc.memory_info().rss))
            yield piece

    blob_id = new_blob_id()
    assert store.write(blob_id, source()) == 64 * MiB
    with store.open_reader(blob_id) as reader:
        for at in range(0, 64 * MiB, MiB):
            assert len(reader.read_at(at, MiB)) == MiB
            peak = max(peak, int(proc.memory_info().rss))
    assert peak - base < 8 * MiB


# -- configuration --------------------------------------------------------------------------------------------------


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    db = Store(sqlite_url(tmp_path))
    yield db
    db.dispose()


def test_open_file_and_database_stores(tmp_path: Path, sqlite_store: Store) -> None:
    default = open_blob_store("file", data_dir=tmp_path, store=sqlite_store)
    assert isinstance(default, FileBlobStore) and default.root == tmp_path / "s3" / "blobs"
    assert isinstance(open_blob_store("", data_dir=tmp_path, store=sqlite_store), FileBlobStore)
    elsewhere = open_blob_store(f"file://{tmp_path}/other%20dir", data_dir=tmp_path, store=sqlite_store)
    assert isinstance(elsewhere, FileBlobStore) and elsewhere.root == tmp_path / "other dir"
    database = open_blob_store("database", data_dir=tmp_path, store=sqlite_store)
    assert isinstance(database, DatabaseBlobStore) and database.store is sqlite_store


def test_open_an_s3_store(
    tmp_path: Path, sqlite_store: Store, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = _new_bucket(moto_endpoint)
    spec = f"s3://{bucket}/some/prefix?endpoint={moto_endpoint}&region=us-east-1"
    with pytest.raises(ValueError, match="STRONGROOM_BLOB_ACCESS_KEY_ID"):
        open_blob_store(spec, data_dir=tmp_path, store=sqlite_store)
    monkeypatch.setenv("STRONGROOM_BLOB_ACCESS_KEY_ID", MOTO_KEY)
    monkeypatch.setenv("STRONGROOM_BLOB_SECRET_ACCESS_KEY", MOTO_KEY)
    store = open_blob_store(spec, data_dir=tmp_path, store=sqlite_store)
    assert isinstance(store, S3BlobStore) and store.bucket == bucket and store.prefix == "some/prefix/"
    blob_id = new_blob_id()
    store.write(blob_id, [b"hello"])
    head = _s3_client(moto_endpoint).head_object(Bucket=bucket, Key=f"some/prefix/{blob_id}")
    assert head["ContentLength"] == 5
    store.close()


@pytest.mark.parametrize(
    "spec,message",
    [
        ("s3://AKIAX:secret@bucket/p?endpoint=http://127.0.0.1:1", "not the URL"),
        ("s3:///p", "needs a bucket"),
        ("s3://bucket/p?endpont=http://127.0.0.1:1", "unknown parameters"),
        ("ftp://host/x", "unknown blob store"),
        ("files", "unknown blob store"),
    ],
)
def test_bad_specs_are_refused(tmp_path: Path, sqlite_store: Store, spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        open_blob_store(spec, data_dir=tmp_path, store=sqlite_store)
