"""A sample's pieces: the 28x28 image and the crop as PNG, labels and times, and the one error people see."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from PIL import Image

SOURCES = ("canvas", "upload", "import")
CROP_MAX_SIDE = 256  # crops larger than this are scaled down before saving


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


def crop_png(crop: np.ndarray | bytes | None) -> bytes | None:
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


def check_label(label: object) -> int:
    if isinstance(label, bool) or not isinstance(label, int | np.integer) or not 0 <= int(label) <= 9:
        raise SamplesError(f"A label must be a digit from 0 to 9, not {label!r}.")
    return int(label)


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def sample_digest(image: np.ndarray, label: int) -> bytes:
    return hashlib.sha1(image.tobytes() + bytes([label])).digest()
