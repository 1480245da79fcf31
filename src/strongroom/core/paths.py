"""Files named by users stay under their base directory.

Several services write files whose path holds a name a caller chose: a trail's S3 bucket and key prefix, a CA's CRL
bucket, an audit report's bucket. Every such write goes through this module, which refuses what would leave the base
directory: absolute paths, ``..`` segments, NUL bytes, and symbolic links below the base (a symlink planted inside the
data dir must not redirect a write elsewhere). The base itself is the operator's choice and may be a symlink.

Writes walk the directories with ``O_NOFOLLOW`` file descriptors (``openat``), so a symlink swapped in between a check
and the write cannot redirect it either.
"""

from __future__ import annotations

import errno
import os
import secrets
from contextlib import suppress
from pathlib import Path

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
# How an S3 key segment that a file system would interpret is stored instead (see key_parts).
_ESCAPED = {".": "%2E", "..": "%2E%2E"}


class PathEscapeError(ValueError):
    """A name would place a file outside its base directory (absolute, ``..``, NUL or through a symlink)."""


def key_parts(key: str) -> list[str]:
    """The directory entries under which the S3 object ``key`` is stored: one per ``/``-separated segment.

    Any string is a legal S3 key (``a/../b``, ``/x`` and ``x//y`` included), so keys are mapped rather than refused:
    the segments ``.`` and ``..`` are stored as ``%2E`` and ``%2E%2E``, a NUL as ``%00``, and empty segments (from a
    leading, trailing or doubled ``/``) are dropped as a path join drops them.
    """
    return [_ESCAPED.get(s, s.replace("\0", "%00")) for s in key.split("/") if s]


def segments(*parts: str) -> list[str]:
    """The path segments of ``parts`` (each a relative path, ``/`` separated); PathEscapeError if one could escape."""
    out: list[str] = []
    for part in parts:
        if "\0" in part:
            raise PathEscapeError("a path must not contain a NUL byte")
        if part.startswith("/") or os.path.isabs(part):
            raise PathEscapeError(f"absolute path {part!r} where a relative one is required")
        for seg in part.split("/"):
            if seg == "..":
                raise PathEscapeError(f"{part!r} leaves its directory")
            if seg not in ("", "."):
                out.append(seg)
    return out


def confine(base: Path, *parts: str) -> Path:
    """``base/parts...``, checked to stay under ``base`` lexically and through the symlinks that exist now."""
    inside = segments(*parts)
    path = base.joinpath(*inside)
    root = base.resolve()
    current = root
    for seg in inside:
        current = current / seg
        if current.is_symlink():
            raise PathEscapeError(f"{base.joinpath(*inside)} passes through a symbolic link")
    if not path.resolve().is_relative_to(root):
        raise PathEscapeError(f"{path} is outside {base}")
    return path


def _open_dirs(base: Path, inside: list[str], *, create: bool) -> int | None:
    """A descriptor of the directory ``base/inside...``, entered without following symlinks; None if absent."""
    if create:
        base.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(base, _DIR_FLAGS)
    except FileNotFoundError:
        return None
    try:
        for name in inside:
            if create:
                with suppress(FileExistsError):
                    os.mkdir(name, dir_fd=fd)
            try:
                child = os.open(name, _DIR_FLAGS | os.O_NOFOLLOW, dir_fd=fd)
            except FileNotFoundError:
                if create:
                    raise
                os.close(fd)
                return None
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise PathEscapeError(f"{name!r} under {base} is a symbolic link or not a directory") from None
                raise
            os.close(fd)
            fd = child
    except BaseException:
        os.close(fd)
        raise
    return fd


def write_atomic(base: Path, *parts: str, data: bytes, mode: int = 0o666) -> Path:
    """Write ``data`` to ``base/parts...`` (directories created), whole or not at all; returns the path.

    The content is fsynced before it is renamed into place, so a crash leaves the old file or the new one.
    ``mode`` is filtered by the umask as ``open`` does.
    """
    inside = segments(*parts)
    if not inside:
        raise PathEscapeError("a file name is required")
    fd = _open_dirs(base, inside[:-1], create=True)
    assert fd is not None  # create=True makes every directory or raises
    try:
        tmp = f".{secrets.token_hex(8)}.tmp"
        out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode, dir_fd=fd)
        try:
            with os.fdopen(out, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            # rename replaces a symlink at the target itself, never what it points to
            os.replace(tmp, inside[-1], src_dir_fd=fd, dst_dir_fd=fd)
        except BaseException:
            with suppress(OSError):
                os.unlink(tmp, dir_fd=fd)
            raise
    finally:
        os.close(fd)
    return base.joinpath(*inside)


def remove(base: Path, *parts: str) -> None:
    """Delete the file ``base/parts...`` if it exists, without following symlinks on the way."""
    inside = segments(*parts)
    if not inside:
        raise PathEscapeError("a file name is required")
    fd = _open_dirs(base, inside[:-1], create=False)
    if fd is None:
        return
    try:
        with suppress(FileNotFoundError):
            os.unlink(inside[-1], dir_fd=fd)
    finally:
        os.close(fd)
