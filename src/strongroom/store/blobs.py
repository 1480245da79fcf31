"""Where S3 object bodies live: opaque (already encrypted) blobs on a file system, in the database, or in S3.

A blob is written once, whole, under an id the caller generated (``new_blob_id``), and is then read at any offset —
``keyring.stream`` reads only the ciphertext chunks a range GET covers. Object metadata (which blob holds which
version, its sizes and keys) lives in the S3 service's own tables; a blob store knows nothing of it. Writing the blob
first and committing the metadata row after means a crash between the two leaves an unreferenced blob (garbage for
the caller to sweep), never a metadata row pointing at a missing or half-written body.

Every backend gives the same contract (tests/unit/test_store_blobs.py runs one suite over all three):

- ``write`` is atomic and durable when it returns: readers see the whole blob or none of it, and an exception from
  the input iterator (a client that disconnected mid-upload) leaves nothing behind. Writing an existing id replaces
  it, also atomically.
- ``read_at`` past the end returns fewer bytes (``b""`` entirely past it), as ``pread`` does; ``keyring.stream``
  relies on that to notice a blob longer or shorter than its recorded size.
- A missing blob raises ``BlobNotFoundError``; an id that is not 32 lowercase hex digits raises
  ``InvalidBlobIdError`` before it reaches a file name, a row or an object key.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, suppress
from itertools import chain
from pathlib import Path
from typing import Any, Protocol, Self
from urllib.parse import parse_qs, unquote, urlsplit

import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError
from sqlalchemy import Column, Connection, Integer, LargeBinary, String, Table, delete, func, select

from strongroom.store.engine import Store
from strongroom.store.schema import metadata

Chunk = bytes | bytearray | memoryview

_BLOB_ID = re.compile(r"[0-9a-f]{32}")
ACCESS_KEY_ENV = "STRONGROOM_BLOB_ACCESS_KEY_ID"
SECRET_KEY_ENV = "STRONGROOM_BLOB_SECRET_ACCESS_KEY"


class BlobNotFoundError(LookupError):
    """No blob has this id (never written, deleted, or its write failed)."""


class InvalidBlobIdError(ValueError):
    """A blob id that is not 32 lowercase hex digits: refused so that no id can name a path outside the store."""


def new_blob_id() -> str:
    return secrets.token_hex(16)


def check_blob_id(blob_id: str) -> str:
    if not isinstance(blob_id, str) or not _BLOB_ID.fullmatch(blob_id):
        raise InvalidBlobIdError(f"invalid blob id {blob_id!r}")
    return blob_id


def _check_range(offset: int, length: int) -> None:
    if offset < 0 or length < 0:
        raise ValueError(f"invalid read of {length} bytes at {offset}")


class BlobReader(Protocol):
    """One blob opened for several reads (a whole GET), closed when done."""

    def read_at(self, offset: int, length: int) -> bytes: ...

    def size(self) -> int: ...

    def close(self) -> None: ...

    def __enter__(self) -> BlobReader: ...

    def __exit__(self, *exc: object) -> None: ...


class BlobStore(Protocol):
    def write(self, blob_id: str, chunks: Iterable[Chunk]) -> int:
        """Store the concatenated ``chunks`` as ``blob_id``; atomic and durable on return; returns its size."""
        ...

    def read_at(self, blob_id: str, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes from ``offset`` (short or empty past the end)."""
        ...

    def open_reader(self, blob_id: str) -> BlobReader:
        """The blob opened once for many ``read_at`` calls (one file handle, connection or snapshot per GET)."""
        ...

    def size(self, blob_id: str) -> int: ...

    def exists(self, blob_id: str) -> bool: ...

    def delete(self, blob_id: str) -> None:
        """Remove the blob; no error if it does not exist."""
        ...

    def close(self) -> None: ...


class _ReaderBase:
    """Context-manager plumbing shared by the readers (each defines read_at, size and close)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        raise NotImplementedError


# ---- file system ---------------------------------------------------------------------------------------------------


class FileBlobStore:
    """Blobs as files under ``root``, fanned out ``ab/cd/abcd...`` so no directory grows past 256 entries + blobs.

    The id is validated to 32 hex digits, so every path is ``root`` plus three names that cannot be ``..``, absolute
    or contain a separator; ``core.paths.confine`` is not needed. The store creates ``root`` with mode 0700 and
    files 0600: the bodies are ciphertext, but sizes and counts are information too.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._root = os.fspath(root)
        root.mkdir(mode=0o700, parents=True, exist_ok=True)

    def _path(self, blob_id: str) -> Path:
        check_blob_id(blob_id)
        return self.root / blob_id[:2] / blob_id[2:4] / blob_id

    def _file(self, blob_id: str) -> str:
        """``_path`` as a string, for the read path (pathlib's joins were a fifth of a small GET's blob read)."""
        check_blob_id(blob_id)
        return f"{self._root}/{blob_id[:2]}/{blob_id[2:4]}/{blob_id}"

    def _make_dirs(self, leaf: Path) -> None:
        """Create the fan-out directories, fsyncing each parent whose entries changed so they survive a crash."""
        for directory in (leaf.parent, leaf):
            try:
                os.mkdir(directory, 0o700)
            except FileExistsError:
                continue
            _fsync_dir(directory.parent)

    def write(self, blob_id: str, chunks: Iterable[Chunk]) -> int:
        final = self._path(blob_id)
        self._make_dirs(final.parent)
        tmp = final.parent / f".{blob_id}.{secrets.token_hex(4)}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        written = 0
        try:
            try:
                for chunk in chunks:
                    view = memoryview(chunk)
                    while view:  # os.write may write less than asked
                        n = os.write(fd, view)
                        view = view[n:]
                        written += n
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, final)
        except BaseException:
            with suppress(OSError):
                os.unlink(tmp)
            raise
        _fsync_dir(final.parent)
        return written

    def read_at(self, blob_id: str, offset: int, length: int) -> bytes:
        with self.open_reader(blob_id) as reader:
            return reader.read_at(offset, length)

    def open_reader(self, blob_id: str) -> _FileReader:
        try:
            fd = os.open(self._file(blob_id), os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            raise BlobNotFoundError(blob_id) from None
        return _FileReader(fd)

    def size(self, blob_id: str) -> int:
        try:
            return self._path(blob_id).stat().st_size
        except FileNotFoundError:
            raise BlobNotFoundError(blob_id) from None

    def exists(self, blob_id: str) -> bool:
        return self._path(blob_id).is_file()

    def delete(self, blob_id: str) -> None:
        # No directory fsync: a delete undone by a crash leaves an unreferenced blob, which the caller sweeps anyway.
        with suppress(FileNotFoundError):
            os.unlink(self._path(blob_id))

    def close(self) -> None:
        pass


class _FileReader(_ReaderBase):
    """One descriptor for a whole GET: ``pread`` needs no seek and no lock, so readers may share nothing."""

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    def read_at(self, offset: int, length: int) -> bytes:
        _check_range(offset, length)
        if self._fd is None:
            raise ValueError("reader is closed")
        parts: list[bytes] = []
        while length > 0:  # pread may return less than asked before the end
            data = os.pread(self._fd, length, offset)
            if not data:
                break
            parts.append(data)
            offset += len(data)
            length -= len(data)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def size(self) -> int:
        if self._fd is None:
            raise ValueError("reader is closed")
        return os.fstat(self._fd).st_size

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ---- database ------------------------------------------------------------------------------------------------------

# Rows of ROW_SIZE bytes, so the rows a read covers are found by arithmetic: seq = offset // ROW_SIZE. 256 KiB keeps
# a row well inside SQLite's default 1 GB blob limit and PostgreSQL's TOAST sweet spot, and a 1 MiB read touches
# four or five rows.
ROW_SIZE = 256 * 1024

blob_chunks = Table(
    "blob_chunks",
    metadata,
    Column("blob_id", String(32), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("data", LargeBinary, nullable=False),
)


class DatabaseBlobStore:
    """Blobs as ``blob_chunks`` rows in the server's own database, for deployments that back up only the database.

    A write is one transaction, committed after the last row: atomic on both databases. On SQLite that transaction
    holds the single writer lock for as long as the input iterator takes, so the caller should hand it a body that
    is already received (as the request pipeline does), not a slow network stream. An empty blob is one empty row,
    so that it exists.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    def write(self, blob_id: str, chunks: Iterable[Chunk]) -> int:
        check_blob_id(blob_id)
        written = 0
        with self.store.write() as conn:
            conn.execute(delete(blob_chunks).where(blob_chunks.c.blob_id == blob_id))
            seq = 0
            for row in _rechunk(chunks, ROW_SIZE):
                conn.execute(blob_chunks.insert().values(blob_id=blob_id, seq=seq, data=row))
                written += len(row)
                seq += 1
            if seq == 0:
                conn.execute(blob_chunks.insert().values(blob_id=blob_id, seq=0, data=b""))
        return written

    def read_at(self, blob_id: str, offset: int, length: int) -> bytes:
        with self.store.read() as conn:
            return _db_read_at(conn, check_blob_id(blob_id), offset, length)

    def open_reader(self, blob_id: str) -> _DatabaseReader:
        check_blob_id(blob_id)
        stack = ExitStack()
        conn = stack.enter_context(self.store.read())
        try:
            reader = _DatabaseReader(conn, blob_id, stack)
            reader.size()  # raises BlobNotFoundError, and starts the snapshot every later read sees
        except BaseException:
            stack.close()
            raise
        return reader

    def size(self, blob_id: str) -> int:
        with self.store.read() as conn:
            return _db_size(conn, check_blob_id(blob_id))

    def exists(self, blob_id: str) -> bool:
        try:
            self.size(blob_id)
        except BlobNotFoundError:
            return False
        return True

    def delete(self, blob_id: str) -> None:
        check_blob_id(blob_id)
        with self.store.write() as conn:
            conn.execute(delete(blob_chunks).where(blob_chunks.c.blob_id == blob_id))

    def close(self) -> None:
        pass  # the Store belongs to the server


class _DatabaseReader(_ReaderBase):
    """One connection, and so one read transaction (a consistent snapshot), for a whole GET."""

    def __init__(self, conn: Connection, blob_id: str, stack: ExitStack) -> None:
        self._conn, self._blob_id, self._stack = conn, blob_id, stack

    def read_at(self, offset: int, length: int) -> bytes:
        return _db_read_at(self._conn, self._blob_id, offset, length)

    def size(self) -> int:
        return _db_size(self._conn, self._blob_id)

    def close(self) -> None:
        self._stack.close()


def _db_size(conn: Connection, blob_id: str) -> int:
    row = conn.execute(
        select(blob_chunks.c.seq, func.length(blob_chunks.c.data))
        .where(blob_chunks.c.blob_id == blob_id)
        .order_by(blob_chunks.c.seq.desc())
        .limit(1)
    ).first()
    if row is None:
        raise BlobNotFoundError(blob_id)
    return int(row[0]) * ROW_SIZE + int(row[1])


def _db_read_at(conn: Connection, blob_id: str, offset: int, length: int) -> bytes:
    _check_range(offset, length)
    first, last = offset // ROW_SIZE, (offset + max(length, 1) - 1) // ROW_SIZE
    rows = conn.execute(
        select(blob_chunks.c.seq, blob_chunks.c.data)
        .where(blob_chunks.c.blob_id == blob_id, blob_chunks.c.seq.between(first, last))
        .order_by(blob_chunks.c.seq)
    ).all()
    if not rows:
        _db_size(conn, blob_id)  # raises BlobNotFoundError for a missing blob; else the read is past the end
        return b""
    data = b"".join(bytes(r[1]) for r in rows)
    start = offset - int(rows[0][0]) * ROW_SIZE
    return data[start : start + length]


def _rechunk(chunks: Iterable[Chunk], size: int) -> Iterator[bytes]:
    """The concatenated input as pieces of exactly ``size`` bytes (the last shorter, none when it is empty)."""
    buf = bytearray()
    for chunk in chunks:
        buf += chunk
        if len(buf) >= size:
            view = memoryview(buf)
            whole = len(buf) - len(buf) % size
            for at in range(0, whole, size):
                yield bytes(view[at : at + size])
            view.release()
            del buf[:whole]
    if buf:
        yield bytes(buf)


# ---- S3-compatible object store ------------------------------------------------------------------------------------

# S3 needs parts of at least 5 MiB (but the last); 8 MiB is the AWS CLI's default.
PART_SIZE = 8 * 1024 * 1024


class S3BlobStore:
    """Blobs as objects ``<prefix><blob_id>`` in a bucket of an S3-compatible store the operator runs.

    Large blobs go up as multipart uploads streamed from the iterator, never more than two ``PART_SIZE`` parts
    in memory (the one uploading, and the next, read ahead to learn whether a single PUT will do);
    S3 makes the object visible only at ``CompleteMultipartUpload``, which gives atomicity, and an upload that fails
    mid-way is aborted so its parts do not linger (and bill). Path-style addressing, because MinIO and other
    self-hosted stores are usually reached by IP or a name without per-bucket DNS.
    """

    def __init__(
        self,
        endpoint_url: str | None,
        bucket: str,
        access_key: str,
        secret_key: str,
        region: str = "us-east-1",
        prefix: str = "",
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
        config = Config(
            s3={"addressing_style": "path"},
            retries={"mode": "standard", "max_attempts": 3},
            max_pool_connections=32,  # the request threads read and write concurrently
        )
        self._client: Any = botocore.session.get_session().create_client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=config,
        )

    def _key(self, blob_id: str) -> str:
        return self.prefix + check_blob_id(blob_id)

    def write(self, blob_id: str, chunks: Iterable[Chunk]) -> int:
        key = self._key(blob_id)
        parts = _rechunk(chunks, PART_SIZE)
        first = next(parts, b"")
        second = next(parts, None)
        if second is None:  # one part or less: a single PUT
            self._client.put_object(Bucket=self.bucket, Key=key, Body=first)
            return len(first)
        upload_id = self._client.create_multipart_upload(Bucket=self.bucket, Key=key)["UploadId"]
        try:
            done: list[dict[str, Any]] = []
            written = 0
            for number, part in enumerate(chain((first, second), parts), start=1):
                etag = self._client.upload_part(
                    Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=part
                )["ETag"]
                done.append({"PartNumber": number, "ETag": etag})
                written += len(part)
            self._client.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": done}
            )
        except BaseException:
            with suppress(Exception):
                self._client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
            raise
        return written

    def read_at(self, blob_id: str, offset: int, length: int) -> bytes:
        _check_range(offset, length)
        key = self._key(blob_id)
        if length == 0:
            self.size(blob_id)
            return b""
        try:
            response = self._client.get_object(
                Bucket=self.bucket, Key=key, Range=f"bytes={offset}-{offset + length - 1}"
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code == "InvalidRange":  # the range starts at or past the end
                self.size(blob_id)
                return b""
            if code in ("NoSuchKey", "404"):
                raise BlobNotFoundError(blob_id) from None
            raise
        with response["Body"] as body:
            return bytes(body.read())

    def open_reader(self, blob_id: str) -> _S3Reader:
        self.size(blob_id)  # BlobNotFoundError now rather than at the first read
        return _S3Reader(self, blob_id)

    def size(self, blob_id: str) -> int:
        try:
            return int(self._client.head_object(Bucket=self.bucket, Key=self._key(blob_id))["ContentLength"])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise BlobNotFoundError(blob_id) from None
            raise

    def exists(self, blob_id: str) -> bool:
        try:
            self.size(blob_id)
        except BlobNotFoundError:
            return False
        return True

    def delete(self, blob_id: str) -> None:
        self._client.delete_object(Bucket=self.bucket, Key=self._key(blob_id))  # S3 deletes are idempotent

    def close(self) -> None:
        self._client.close()


class _S3Reader(_ReaderBase):
    """Range GETs over the client's pooled keep-alive connections (``keyring.stream`` asks for 1 MiB at a time)."""

    def __init__(self, store: S3BlobStore, blob_id: str) -> None:
        self._store, self._blob_id = store, blob_id

    def read_at(self, offset: int, length: int) -> bytes:
        return self._store.read_at(self._blob_id, offset, length)

    def size(self) -> int:
        return self._store.size(self._blob_id)

    def close(self) -> None:
        pass


# ---- configuration -------------------------------------------------------------------------------------------------


def open_blob_store(spec: str, *, data_dir: Path, store: Store) -> BlobStore:
    """The blob store a ``--blob-store`` value names.

    - ``file`` (the default, also ``""``): files under ``DATA_DIR/s3/blobs``; ``file:///abs/path`` elsewhere.
    - ``database``: rows in the server's database (SQLite or PostgreSQL).
    - ``s3://bucket/prefix?endpoint=http://127.0.0.1:9000&region=us-east-1``: an S3-compatible store (no
      ``endpoint``: AWS itself). Its credentials come from ``STRONGROOM_BLOB_ACCESS_KEY_ID`` and
      ``STRONGROOM_BLOB_SECRET_ACCESS_KEY``, never from the URL: a URL is a command-line argument, visible to every
      user in ``ps`` and ``/proc/*/cmdline``, and ends up in logs, metrics labels and error messages.
    """
    spec = spec.strip()
    if spec in ("", "file"):
        return FileBlobStore(data_dir / "s3" / "blobs")
    if spec == "database":
        return DatabaseBlobStore(store)
    parts = urlsplit(spec)
    if parts.scheme == "file" and parts.path and not parts.netloc:
        return FileBlobStore(Path(unquote(parts.path)))
    if parts.scheme == "s3":
        if parts.username is not None or parts.password is not None:
            raise ValueError(f"put the blob store's credentials in {ACCESS_KEY_ENV} and {SECRET_KEY_ENV}, not the URL")
        if not parts.hostname:
            raise ValueError("s3 blob store: the URL needs a bucket, as in s3://bucket/prefix")
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        unknown = set(query) - {"endpoint", "region"}
        if unknown:
            raise ValueError(f"s3 blob store: unknown parameters {sorted(unknown)} (endpoint and region are known)")
        access_key, secret_key = os.environ.get(ACCESS_KEY_ENV), os.environ.get(SECRET_KEY_ENV)
        if not access_key or not secret_key:
            raise ValueError(f"s3 blob store: set {ACCESS_KEY_ENV} and {SECRET_KEY_ENV}")
        return S3BlobStore(
            endpoint_url=query.get("endpoint") or None,
            bucket=parts.netloc,
            access_key=access_key,
            secret_key=secret_key,
            region=query.get("region") or "us-east-1",
            prefix=unquote(parts.path.lstrip("/")),
        )
    raise ValueError(f"unknown blob store {spec!r}: expected file, database or s3://bucket/prefix?endpoint=...")
