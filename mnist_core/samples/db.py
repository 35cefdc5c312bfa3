"""The samples' SQLite file: one short connection per call (WAL mode, a generous busy timeout), its schema,
an integrity check once per process, and a corrupt file renamed aside (``samples.db.damaged-<time>``),
never deleted, so that a fresh store can start; ``notice`` then says so in one sentence.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from mnist_core.samples.codec import SamplesError
from mnist_core.settings import samples_path

SQLITE_CORRUPT, SQLITE_NOTADB = 11, 26
SCHEMA = """
CREATE TABLE IF NOT EXISTS samples (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    image     BLOB    NOT NULL,            -- the 28x28 model input, PNG, ink white on black
    crop      BLOB,                        -- the original crop, PNG (grey), when there is one
    label     INTEGER NOT NULL CHECK (label BETWEEN 0 AND 9),
    source    TEXT    NOT NULL,            -- canvas | upload | import
    created   TEXT    NOT NULL,            -- ISO 8601, UTC
    model     TEXT,                        -- the model that read it at save time
    predicted INTEGER                      -- and what that model said
);
CREATE INDEX IF NOT EXISTS samples_label ON samples (label);
"""

SCHEMA_VERSION = 1
_set_aside_lock = threading.Lock()
_checked: set[tuple[str, int]] = set()  # database files already integrity-checked by this process


class SamplesDatabase:
    """The SQLite file at ``path`` (default: ``settings.samples_path()``): short connections, its schema, and a
    damaged file set aside rather than lost. ``SampleStore`` adds what is stored in it."""

    def __init__(self, path: Path | str | None = None):
        self.path = Path(path) if path is not None else samples_path()
        self.notice: str | None = None  # set when a damaged file had to be set aside
        self._with_db(self._check)

    def _check(self, db: sqlite3.Connection) -> None:
        """Once per file and process: SQLite's quick integrity check (a few ms for thousands of samples)."""
        key = (str(self.path.resolve()), self.path.stat().st_ino)
        if key in _checked:
            return
        result = db.execute("PRAGMA quick_check").fetchone()[0]
        if result != "ok":
            raise sqlite3.DatabaseError(f"quick_check: {result}")  # handled like any corruption
        _checked.add(key)

    # -- connections

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except (OSError, sqlite3.OperationalError) as exc:
            raise SamplesError(f"The samples store at {self.path} cannot be opened ({exc}).") from exc
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                db.executescript(SCHEMA + f"PRAGMA user_version = {SCHEMA_VERSION};")
            yield db
        finally:
            db.close()

    def _with_db(self, work):
        """Run ``work(db)``; a corrupt file is set aside once and the work redone on a fresh store."""
        for attempt in range(2):
            try:
                with self._connect() as db:
                    return work(db)
            except sqlite3.DatabaseError as exc:
                code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
                corrupt = code in (SQLITE_CORRUPT, SQLITE_NOTADB) or str(exc).startswith("quick_check")
                if corrupt and attempt == 0:
                    self._set_aside()
                    continue
                if isinstance(exc, sqlite3.IntegrityError):
                    raise SamplesError(f"The samples store refused this change ({exc}).") from exc
                raise SamplesError(f"The samples store at {self.path} cannot be used ({exc}).") from exc
        raise AssertionError("unreachable")

    def _set_aside(self) -> None:
        """Rename the damaged database (and its WAL files) with a timestamp; never delete it."""
        with _set_aside_lock:
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
            target = self.path.with_name(f"{self.path.name}.damaged-{stamp}")
            moved = False
            for suffix in ("", "-wal", "-shm"):
                source = Path(str(self.path) + suffix)
                try:
                    os.replace(source, Path(str(target) + suffix))
                    moved = moved or suffix == ""
                except FileNotFoundError:
                    pass  # another thread set it aside first, or there was no WAL
        if moved:
            self.notice = (
                f"Your samples file was damaged, so it was set aside as {target.name} (nothing was deleted) "
                "and a new, empty store was started."
            )
        else:
            self.notice = self.notice or "Your samples file was damaged; it was set aside and a new, empty store was started."

    def set_aside_files(self) -> list[Path]:
        """Damaged database files set aside earlier, oldest first."""
        return sorted(p for p in self.path.parent.glob(f"{self.path.name}.damaged-*") if not p.name.endswith(("-wal", "-shm")))
