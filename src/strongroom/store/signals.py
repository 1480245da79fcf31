"""Change signals shared by every process of one SQLite database: a cache can be exact across ``--workers``.

A signal is 8 bytes in a file beside the database, mapped into each process that opens it. A writer *bumps* it
after its transaction commits (a fresh random value); a reader compares the value it saw when it filled its cache
with the value now, a memory read instead of a query. The order matters: a reader notes the value *before* it
reads the database, a writer bumps *after* it commits, so a cache filled from a state older than a commit is
always filed under a value that commit's bump replaced.

Random values rather than a counter: two processes bumping at once cannot lose an update that matters (both
values differ from what any reader noted before), and a torn read of a value being written is at worst a
spurious miss. PostgreSQL deployments may span hosts, where no file is shared: ``Store.signal`` answers None
there and callers fall back to reading (or to a bounded-staleness cache).
"""

from __future__ import annotations

import mmap
import os
import re
from pathlib import Path

_SIZE = 8
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class Signal:
    def __init__(self, path: Path) -> None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < _SIZE:
                os.ftruncate(fd, _SIZE)
            self._map = mmap.mmap(fd, _SIZE)
        finally:
            os.close(fd)  # the mapping keeps the file open

    def value(self) -> bytes:
        return self._map[:_SIZE]

    def bump(self) -> None:
        self._map[:_SIZE] = os.urandom(_SIZE)


def signal_path(database: str, name: str) -> Path:
    """``<database>-<name>.signal``; the name is ours (a fixed identifier), never a caller's string."""
    if not _NAME.match(name):
        raise ValueError(f"bad signal name {name!r}")
    return Path(f"{database}-{name}.signal")
