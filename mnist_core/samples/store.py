"""The user's own labelled samples: a small SQLite store (its exchange formats: ``sample_files``).

One row per sample: the 28x28 model input and the original crop (both PNG), the true label,
where it came from (canvas, upload or import), when, and which model said what at save time.

Every call opens its own short connection (WAL mode, a generous busy timeout), so Streamlit
sessions in many threads, and several processes, can save at once without losing a row.
A database file that SQLite finds corrupt is renamed aside (``samples.db.damaged-<time>``),
never deleted, and a fresh store starts; ``SampleStore.notice`` then says so in one sentence.
"""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from mnist_core.samples import files as sample_files
from mnist_core.samples.codec import (
    SOURCES,
    Sample,
    SamplesError,
    check_label,
    crop_png,
    png_array,
    png_bytes,
    sample_digest,
    to_uint8,
    utc_now,
)
from mnist_core.samples.db import SamplesDatabase

# ---------------------------------------------------------------- the store


class SampleStore(SamplesDatabase):
    """The samples database at ``path`` (default: ``settings.samples_path()``): add, relabel, delete, read, export, import."""

    # -- writing

    def add(
        self,
        image28: np.ndarray,
        label: int,
        source: str,
        crop: np.ndarray | bytes | None = None,
        model: str | None = None,
        predicted: int | None = None,
    ) -> int:
        """Save one sample; returns its id. ``image28`` is the model input (float in [0, 1] or uint8)."""
        if source not in SOURCES:
            raise SamplesError(f"A sample's source must be one of {', '.join(SOURCES)}, not {source!r}.")
        row = (
            png_bytes(to_uint8(image28)),
            crop_png(crop),
            check_label(label),
            source,
            utc_now(),
            model,
            None if predicted is None else check_label(predicted),
        )
        return self._with_db(
            lambda db: (
                db.execute(
                    "INSERT INTO samples (image, crop, label, source, created, model, predicted) VALUES (?, ?, ?, ?, ?, ?, ?)", row
                ).lastrowid
            )
        )

    def relabel(self, sample_id: int, label: int) -> None:
        label = check_label(label)
        changed = self._with_db(lambda db: db.execute("UPDATE samples SET label = ? WHERE id = ?", (label, int(sample_id))).rowcount)
        if not changed:
            raise SamplesError(f"There is no sample number {sample_id} (perhaps it was deleted in another tab).")

    def delete(self, ids: int | Iterable[int]) -> int:
        """Delete one or more samples; returns how many were there."""
        ids = [int(ids)] if isinstance(ids, int | np.integer) else [int(i) for i in ids]
        return self._with_db(lambda db: db.executemany("DELETE FROM samples WHERE id = ?", [(i,) for i in ids]).rowcount)

    # -- reading

    def list(self, label: int | None = None) -> list[Sample]:
        """Every sample (or those with one label), oldest first."""
        where, args = ("WHERE label = ?", (check_label(label),)) if label is not None else ("", ())
        rows = self._with_db(
            lambda db: db.execute(
                f"SELECT id, image, label, source, created, model, predicted, crop IS NOT NULL FROM samples {where} ORDER BY id", args
            ).fetchall()
        )
        return [_sample(r) for r in rows]

    def get(self, sample_id: int) -> Sample:
        row = self._with_db(
            lambda db: db.execute(
                "SELECT id, image, label, source, created, model, predicted, crop IS NOT NULL FROM samples WHERE id = ?", (int(sample_id),)
            ).fetchone()
        )
        if row is None:
            raise SamplesError(f"There is no sample number {sample_id} (perhaps it was deleted in another tab).")
        return _sample(row)

    def crop(self, sample_id: int) -> np.ndarray | None:
        """The original crop of a sample (uint8 grey, ink dark), or None when it has none."""
        row = self._with_db(lambda db: db.execute("SELECT crop FROM samples WHERE id = ?", (int(sample_id),)).fetchone())
        return None if row is None or row[0] is None else png_array(row[0], "crop")

    def count(self) -> int:
        return self._with_db(lambda db: db.execute("SELECT count(*) FROM samples").fetchone()[0])

    def count_by_label(self) -> dict[int, int]:
        """{digit: how many samples}, for every digit 0-9."""
        rows = self._with_db(lambda db: db.execute("SELECT label, count(*) FROM samples GROUP BY label").fetchall())
        return {d: 0 for d in range(10)} | {int(label): int(n) for label, n in rows}

    def arrays(self, label: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(x uint8 (n, 28, 28), y uint8 (n,)), oldest first: the same layout as MNIST."""
        samples = self.list(label)
        x = np.stack([s.image for s in samples]) if samples else np.zeros((0, 28, 28), np.uint8)
        return x, np.array([s.label for s in samples], dtype=np.uint8)

    # -- export

    def _rows(self) -> list[tuple]:
        return self._with_db(
            lambda db: db.execute("SELECT id, image, crop, label, source, created, model, predicted FROM samples ORDER BY id").fetchall()
        )

    def export_npz(self, target: Path | str | io.IOBase | None = None) -> bytes | None:
        """Every sample as an npz (x, y like MNIST, plus metadata and crops); bytes when no target is given."""
        return sample_files.export_npz(self._rows(), target)

    def export_zip(self, target: Path | str | io.IOBase | None = None) -> bytes | None:
        """Every sample as ``images/NNNNN.png`` (28x28), ``crops/NNNNN.png`` and a ``labels.csv``."""
        return sample_files.export_zip(self._rows(), target)

    # -- import

    def import_file(self, data: bytes) -> tuple[int, int]:
        """Import an npz or zip made by export (or x/y arrays, or PNGs + labels.csv).

        All or nothing: a bad file changes nothing. Samples already in the store (same pixels and
        label) are skipped. Returns (added, skipped).
        """
        incoming = sample_files.read(data)
        seen = {sample_digest(s.image, s.label) for s in self.list()}
        rows, skipped = [], 0
        for image, crop, label, source, created, model, predicted in incoming:
            key = sample_digest(image, label)
            if key in seen:
                skipped += 1
                continue
            seen.add(key)
            rows.append((png_bytes(image), crop, label, source, created, model, predicted))

        def insert(db: sqlite3.Connection) -> None:
            db.execute("BEGIN IMMEDIATE")
            db.executemany("INSERT INTO samples (image, crop, label, source, created, model, predicted) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
            db.execute("COMMIT")

        self._with_db(insert)
        return len(rows), skipped


def _sample(row: tuple) -> Sample:
    sid, image, label, source, created, model, predicted, has_crop = row
    return Sample(int(sid), png_array(image), int(label), source, created, model, predicted, bool(has_crop))
