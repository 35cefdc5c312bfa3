"""The user's own labelled samples: a small SQLite store, exported and imported as npz or zip.

One row per sample: the 28x28 model input and the original crop (both PNG), the true label,
where it came from (canvas, upload or import), when, and which model said what at save time.

Every call opens its own short connection (WAL mode, a generous busy timeout), so Streamlit
sessions in many threads, and several processes, can save at once without losing a row.
A database file that SQLite finds corrupt is renamed aside (``samples.db.damaged-<time>``),
never deleted, and a fresh store starts; ``SampleStore.notice`` then says so in one sentence.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import sqlite3
import threading
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from PIL import Image

from mnist_core.settings import samples_path

SOURCES = ("canvas", "upload", "import")
CROP_MAX_SIDE = 256  # crops larger than this are scaled down before saving
MAX_IMPORT_BYTES = 100 * 1024 * 1024
MAX_IMPORT_SAMPLES = 100_000
MAX_ZIP_MEMBER_BYTES = 5 * 1024 * 1024
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
CSV_FIELDS = ["file", "label", "source", "created", "model", "predicted", "crop"]

SCHEMA_VERSION = 1
_set_aside_lock = threading.Lock()
_checked: set[tuple[str, int]] = set()  # database files already integrity-checked by this process


class SamplesError(Exception):
    """Something a person did with their samples cannot be done; the message is one clear sentence."""


@dataclass(frozen=True)
class Sample:
    id: int
    image: np.ndarray  # uint8 (28, 28), ink white on black, as in MNIST
    label: int
    source: str
    created: str
    model: str | None
    predicted: int | None
    has_crop: bool

    @property
    def misread(self) -> bool:
        """The model at save time said something else."""
        return self.predicted is not None and self.predicted != self.label


# ---------------------------------------------------------------- images <-> PNG


def to_uint8(image: np.ndarray) -> np.ndarray:
    """A 28x28 model input (float in [0, 1], or uint8) -> uint8 (28, 28)."""
    a = np.asarray(image)
    if a.shape == (28, 28, 1):
        a = a[:, :, 0]
    if a.shape != (28, 28):
        raise SamplesError(f"A sample must be a 28x28 image, not {'x'.join(map(str, a.shape))}.")
    if a.dtype == np.uint8:
        return a.copy()
    a = np.nan_to_num(a.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    if a.max(initial=0.0) > 1.0:  # 0-255 values in a float array
        a = a / 255.0
    return np.round(np.clip(a, 0.0, 1.0) * 255).astype(np.uint8)


def png_bytes(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.asarray(a, dtype=np.uint8), mode="L").save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def png_array(blob: bytes, what: str = "image") -> np.ndarray:
    try:
        with Image.open(io.BytesIO(blob)) as im:
            if im.width * im.height > 16_000_000:
                raise SamplesError(f"The {what} is too large ({im.width}x{im.height} pixels).")
            return np.asarray(im.convert("L"), dtype=np.uint8)
    except SamplesError:
        raise
    except Exception as exc:  # PIL raises many kinds for a damaged file
        raise SamplesError(f"The {what} is not a readable PNG image.") from exc


def _crop_png(crop: np.ndarray | bytes | None) -> bytes | None:
    """The original crop as PNG, scaled down to at most CROP_MAX_SIDE pixels a side."""
    if crop is None:
        return None
    if isinstance(crop, bytes):
        crop = png_array(crop, "crop")
    a = np.asarray(crop)
    if a.ndim == 3:
        a = np.asarray(Image.fromarray(a.astype(np.uint8)).convert("L"))
    if a.ndim != 2 or a.size == 0:
        return None
    if a.dtype != np.uint8:
        a = to_uint8_any(a)
    im = Image.fromarray(a, mode="L")
    if max(im.size) > CROP_MAX_SIDE:
        im.thumbnail((CROP_MAX_SIDE, CROP_MAX_SIDE), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    im.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def to_uint8_any(a: np.ndarray) -> np.ndarray:
    a = np.nan_to_num(np.asarray(a, dtype=np.float64))
    return np.round(np.clip(a if a.max(initial=0.0) > 1.0 else a * 255, 0, 255)).astype(np.uint8)


def _check_label(label: object) -> int:
    if isinstance(label, bool) or not isinstance(label, int | np.integer) or not 0 <= int(label) <= 9:
        raise SamplesError(f"A label must be a digit from 0 to 9, not {label!r}.")
    return int(label)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _digest(image: np.ndarray, label: int) -> bytes:
    return hashlib.sha1(image.tobytes() + bytes([label])).digest()


# ---------------------------------------------------------------- the store


class SampleStore:
    """The samples database at ``path`` (default: ``settings.samples_path()``)."""

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
            _crop_png(crop),
            _check_label(label),
            source,
            _now(),
            model,
            None if predicted is None else _check_label(predicted),
        )
        return self._with_db(
            lambda db: (
                db.execute(
                    "INSERT INTO samples (image, crop, label, source, created, model, predicted) VALUES (?, ?, ?, ?, ?, ?, ?)", row
                ).lastrowid
            )
        )

    def relabel(self, sample_id: int, label: int) -> None:
        label = _check_label(label)
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
        where, args = ("WHERE label = ?", (_check_label(label),)) if label is not None else ("", ())
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
        rows = self._rows()
        crops = [r[2] or b"" for r in rows]
        offsets = np.cumsum([0, *map(len, crops)]).astype(np.int64)
        arrays = {
            "x": np.stack([png_array(r[1]) for r in rows]) if rows else np.zeros((0, 28, 28), np.uint8),
            "y": np.array([r[3] for r in rows], dtype=np.uint8),
            "source": np.array([r[4] for r in rows], dtype="U16"),
            "created": np.array([r[5] for r in rows], dtype="U40"),
            "model": np.array([r[6] or "" for r in rows], dtype="U64"),
            "predicted": np.array([-1 if r[7] is None else r[7] for r in rows], dtype=np.int8),
            "crops": np.frombuffer(b"".join(crops), dtype=np.uint8),
            "crop_offsets": offsets,
        }
        if target is None:
            buf = io.BytesIO()
            np.savez_compressed(buf, **arrays)
            return buf.getvalue()
        np.savez_compressed(target, **arrays)
        return None

    def export_zip(self, target: Path | str | io.IOBase | None = None) -> bytes | None:
        """Every sample as ``images/NNNNN.png`` (28x28), ``crops/NNNNN.png`` and a ``labels.csv``."""
        buf = io.BytesIO() if target is None else target
        table = io.StringIO()
        writer = csv.DictWriter(table, CSV_FIELDS, lineterminator="\n")
        writer.writeheader()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for sid, image, crop, label, source, created, model, predicted in self._rows():
                name = f"images/{sid:05d}.png"
                zf.writestr(name, image)
                crop_name = f"crops/{sid:05d}.png" if crop else ""
                if crop:
                    zf.writestr(crop_name, crop)
                writer.writerow(
                    {"file": name, "label": label, "source": source, "created": created, "model": model or "",
                     "predicted": "" if predicted is None else predicted, "crop": crop_name}
                )  # fmt: skip
            zf.writestr("labels.csv", table.getvalue())
        return buf.getvalue() if target is None else None

    # -- import

    def import_file(self, data: bytes) -> tuple[int, int]:
        """Import an npz or zip made by export (or x/y arrays, or PNGs + labels.csv).

        All or nothing: a bad file changes nothing. Samples already in the store (same pixels and
        label) are skipped. Returns (added, skipped).
        """
        if len(data) > MAX_IMPORT_BYTES:
            raise SamplesError(f"This file is too large to import ({len(data) / 1e6:.0f} MB; at most {MAX_IMPORT_BYTES // 10**6} MB).")
        if data[:4] != b"PK\x03\x04" and data[:4] != b"PK\x05\x06":
            raise SamplesError("This is not a samples file: import an .npz or a .zip exported from My samples.")
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = set(zf.namelist())
        except zipfile.BadZipFile as exc:
            raise SamplesError("This file is damaged and cannot be read as an .npz or a .zip.") from exc
        incoming = _read_npz(data) if "x.npy" in names else _read_zip(data)
        seen = {_digest(s.image, s.label) for s in self.list()}
        rows, skipped = [], 0
        for image, crop, label, source, created, model, predicted in incoming:
            key = _digest(image, label)
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


Incoming = tuple[np.ndarray, bytes | None, int, str, str, str | None, int | None]


def _metadata(source: str, created: str, model: str, predicted: object) -> tuple[str, str, str | None, int | None]:
    source = source if source in SOURCES else "import"
    try:
        predicted = int(predicted) if str(predicted).strip() not in ("", "-1") else None
    except ValueError:
        predicted = None
    predicted = predicted if predicted is None or 0 <= predicted <= 9 else None
    return source, (created or _now())[:40], (model or None) and str(model)[:64], predicted


def _read_npz(data: bytes) -> list[Incoming]:
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except Exception as exc:  # zip, format and pickle errors alike
        raise SamplesError("This .npz file cannot be read (it is damaged, or holds Python objects, which are never loaded).") from exc
    if "x" not in arrays or "y" not in arrays:
        raise SamplesError("This .npz file needs an array 'x' of 28x28 images and an array 'y' of labels.")
    x, y = arrays["x"], arrays["y"]
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim != 3 or x.shape[1:] != (28, 28):
        raise SamplesError(f"The images in this .npz file must be 28x28 (an array of shape (n, 28, 28)), not {x.shape}.")
    if y.shape != (len(x),):
        raise SamplesError(f"This .npz file has {len(x)} images but {y.size} labels.")
    if len(x) > MAX_IMPORT_SAMPLES:
        raise SamplesError(f"This file holds {len(x):,} samples; at most {MAX_IMPORT_SAMPLES:,} can be imported at once.")
    if not np.issubdtype(x.dtype, np.number) or not np.issubdtype(y.dtype, np.integer):
        raise SamplesError("This .npz file's images must be numbers and its labels whole numbers.")
    if len(y) and (y.min() < 0 or y.max() > 9):
        raise SamplesError("Every label in this .npz file must be a digit from 0 to 9.")
    n = len(x)
    meta = {k: arrays[k] if k in arrays and arrays[k].shape[:1] == (n,) else None for k in ("source", "created", "model", "predicted")}
    crops, offsets = arrays.get("crops"), arrays.get("crop_offsets")
    if crops is None or offsets is None or offsets.shape != (n + 1,) or crops.dtype != np.uint8:
        crops, offsets = None, None
    out = []
    for i in range(n):
        image = x[i] if x.dtype == np.uint8 else to_uint8(x[i])
        crop = None
        if crops is not None:
            blob = crops[int(offsets[i]) : int(offsets[i + 1])].tobytes()
            crop = blob or None
        source, created, model, predicted = _metadata(
            *(str(meta[k][i]) if meta[k] is not None else "" for k in ("source", "created", "model")),
            meta["predicted"][i] if meta["predicted"] is not None else "",
        )
        out.append((image, crop, int(y[i]), source, created, model, predicted))
    return out


def _read_zip(data: bytes) -> list[Incoming]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise SamplesError("This .zip file is damaged and cannot be read.") from exc
    with zf:
        infos = {i.filename: i for i in zf.infolist()}
        if "labels.csv" not in infos:
            raise SamplesError("This .zip file has no labels.csv; export one from My samples to see the layout.")

        def member(name: str) -> bytes:
            info = infos.get(name)
            if info is None:
                raise SamplesError(f"labels.csv names {name!r}, which is not in the .zip file.")
            if info.file_size > MAX_ZIP_MEMBER_BYTES:
                raise SamplesError(f"{name!r} in the .zip file is too large ({info.file_size / 1e6:.0f} MB).")
            return zf.read(info)

        try:
            rows = list(csv.DictReader(io.StringIO(member("labels.csv").decode("utf-8-sig"))))
        except (UnicodeDecodeError, csv.Error) as exc:
            raise SamplesError("The labels.csv in this .zip file is not readable CSV text.") from exc
        if rows and not {"file", "label"} <= set(rows[0]):
            raise SamplesError("labels.csv needs at least the columns 'file' and 'label'.")
        if len(rows) > MAX_IMPORT_SAMPLES:
            raise SamplesError(f"This file holds {len(rows):,} samples; at most {MAX_IMPORT_SAMPLES:,} can be imported at once.")
        out = []
        for line, row in enumerate(rows, start=2):
            name = (row.get("file") or "").strip()
            image = png_array(member(name), f"image {name!r}")
            if image.shape != (28, 28):
                raise SamplesError(f"Image {name!r} is {image.shape[1]}x{image.shape[0]} pixels; each sample image must be 28x28.")
            try:
                label = _check_label(int((row.get("label") or "").strip()))
            except (ValueError, SamplesError) as exc:
                raise SamplesError(f"Line {line} of labels.csv: the label must be a digit from 0 to 9.") from exc
            crop_name = (row.get("crop") or "").strip()
            crop = member(crop_name) if crop_name else None
            if crop is not None:
                png_array(crop, f"crop {crop_name!r}")  # refuse a damaged crop now, not when it is shown
            source, created, model, predicted = _metadata(
                row.get("source") or "", row.get("created") or "", row.get("model") or "", row.get("predicted") or ""
            )
            out.append((image, crop, label, source, created, model, predicted))
        return out
