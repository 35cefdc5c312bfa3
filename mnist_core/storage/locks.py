"""One exclusive lock per shared folder, for every read-modify-write of the registry and the run queue.

``flock`` excludes threads (each ``open`` is its own file description), processes, and, on a shared
filesystem, app replicas on other hosts (Linux NFS clients turn it into a POSIX lock the server holds).
The lock is never taken twice by one thread: callers hold it only around their own writes.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def exclusive(folder: Path, name: str = ".lock") -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / name, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
