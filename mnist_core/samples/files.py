"""My samples' exchange formats: an npz (x, y like MNIST, plus metadata and crops) and a zip of PNGs with a
labels.csv; export from the store's rows, and read back for import (checked, never unpickled)."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import numpy as np

from mnist_core.samples.codec import SOURCES, SamplesError, check_label, png_array, to_uint8, utc_now

MAX_IMPORT_BYTES = 100 * 1024 * 1024
MAX_IMPORT_SAMPLES = 100_000
MAX_ZIP_MEMBER_BYTES = 5 * 1024 * 1024
CSV_FIELDS = ["file", "label", "source", "created", "model", "predicted", "crop"]


def export_npz(rows: list[tuple], target: Path | str | io.IOBase | None = None) -> bytes | None:
    """Every sample as an npz (x, y like MNIST, plus metadata and crops); bytes when no target is given."""
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


def export_zip(rows: list[tuple], target: Path | str | io.IOBase | None = None) -> bytes | None:
    """Every sample as ``images/NNNNN.png`` (28x28), ``crops/NNNNN.png`` and a ``labels.csv``."""
    buf = io.BytesIO() if target is None else target
    table = io.StringIO()
    writer = csv.DictWriter(table, CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for sid, image, crop, label, source, created, model, predicted in rows:
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


def read(data: bytes) -> list[Incoming]:
    """The samples in an npz or zip made by export (or x/y arrays, or PNGs + labels.csv); SamplesError if bad."""
    if len(data) > MAX_IMPORT_BYTES:
        raise SamplesError(f"This file is too large to import ({len(data) / 1e6:.0f} MB; at most {MAX_IMPORT_BYTES // 10**6} MB).")
    if data[:4] != b"PK\x03\x04" and data[:4] != b"PK\x05\x06":
        raise SamplesError("This is not a samples file: import an .npz or a .zip exported from My samples.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
    except zipfile.BadZipFile as exc:
        raise SamplesError("This file is damaged and cannot be read as an .npz or a .zip.") from exc
    return _read_npz(data) if "x.npy" in names else _read_zip(data)


Incoming = tuple[np.ndarray, bytes | None, int, str, str, str | None, int | None]


def _metadata(source: str, created: str, model: str, predicted: object) -> tuple[str, str, str | None, int | None]:
    source = source if source in SOURCES else "import"
    try:
        predicted = int(predicted) if str(predicted).strip() not in ("", "-1") else None
    except ValueError:
        predicted = None
    predicted = predicted if predicted is None or 0 <= predicted <= 9 else None
    return source, (created or utc_now())[:40], (model or None) and str(model)[:64], predicted


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
                label = check_label(int((row.get("label") or "").strip()))
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
