"""Bytes -> a greyscale image, safely: size and pixel caps before decoding, EXIF orientation, any mode."""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
from PIL import Image, ImageOps

MAX_BYTES = 20 * 1024 * 1024


MAX_PIXELS = 40_000_000


FORMATS = "PNG, JPEG, BMP, TIFF, GIF or WebP"


class ImageError(ValueError):
    """An input a person gave us cannot be read as an image; the message is one clear sentence."""


def float_plane(x: object, what: str) -> np.ndarray | None:
    """Any 2-D numeric array -> float32 copy scaled to peak 1, non-finite and negative values as 0."""
    a = numeric_array(x, what)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim != 2:
        raise ImageError(f"This {what} has shape {a.shape}; a 2-D array (height x width) is needed.")
    if a.size == 0:
        return None
    if a.dtype == np.float32 and np.isfinite(a).all():  # the usual case, kept cheap
        a = np.maximum(a, 0.0)
    else:  # float64 first: huge values would overflow float32
        a = np.clip(np.nan_to_num(a.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0), 0.0, None)
    peak = a.max()
    return (a / peak if peak > 0 else a).astype(np.float32, copy=False)


def numeric_array(x: object, what: str) -> np.ndarray:
    try:
        a = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise ImageError(f"This {what} is not an array of numbers.") from exc
    if a.dtype.kind not in "biuf":
        raise ImageError(f"This {what} holds {a.dtype} values; numbers are needed.")
    if a.size > MAX_PIXELS * 4:
        raise ImageError(f"This {what} is too large (more than {MAX_PIXELS // 1_000_000} megapixels).")
    return a


def to_unit_range(a: np.ndarray) -> np.ndarray:
    """Pixel values of any numeric dtype -> float32 in [0, 1] (0-255 or 0-1 scales understood)."""
    if a.dtype == np.uint8:
        return a.astype(np.float32) * np.float32(1 / 255)
    if a.dtype.kind == "b":
        return a.astype(np.float32)
    f = a.astype(np.float64)
    if a.dtype.kind == "f" and not np.isfinite(f).all():
        f = np.nan_to_num(f, nan=0.0, posinf=0.0, neginf=0.0)
    f = np.clip(f, 0.0, None)
    peak = float(f.max()) if f.size else 0.0
    if a.dtype.kind == "f" and peak <= 1.0:
        return f.astype(np.float32)
    return (f / max(255.0, peak)).astype(np.float32)


def decode(data: bytes | Image.Image) -> Image.Image:
    """Bytes of an image file -> a loaded PIL image, upright (EXIF), first frame; ImageError otherwise.

    The size limits are checked on the header, before any pixel is decoded.
    """
    if isinstance(data, Image.Image):
        _check_pixels(data.size)
        image = data
    else:
        if isinstance(data, (bytearray, memoryview)):
            data = bytes(data)
        if not isinstance(data, bytes):
            raise ImageError(f"This is not an image file ({type(data).__name__} given).")
        if len(data) == 0:
            raise ImageError("This file is empty (0 bytes).")
        if len(data) > MAX_BYTES:
            raise ImageError(f"This file is {len(data) / 2**20:.0f} MB; images up to {MAX_BYTES // 2**20} MB can be read.")
        head = data[:1024].lstrip().lower()
        if head.startswith(b"%pdf"):
            raise ImageError(f"This is a PDF document, not an image; export the page as {FORMATS} and upload that.")
        if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in head):
            raise ImageError(f"This is an SVG drawing; export it as {FORMATS} and upload that.")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # PIL's notes about odd metadata in damaged files
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                image = Image.open(io.BytesIO(data))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageError(_too_many_pixels()) from exc
        except Exception as exc:  # PIL raises many kinds for garbage
            raise ImageError(f"This file is not an image we can read (use {FORMATS}).") from exc
        _check_pixels(image.size)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PIL's notes about odd metadata in damaged files
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            if getattr(image, "n_frames", 1) > 1:
                image.seek(0)
            image.load()
            with contextlib.suppress(Exception):  # a broken EXIF block: keep the image as stored
                image = ImageOps.exif_transpose(image)
            image.load()
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(_too_many_pixels()) from exc
    except Exception as exc:
        raise ImageError(f"This image is damaged or cut short and cannot be read: {_short(exc)}.") from exc
    return image


def _check_pixels(size: tuple[int, int]) -> None:
    w, h = size
    if w <= 0 or h <= 0:
        raise ImageError("This image has no pixels.")
    if w * h > MAX_PIXELS:
        raise ImageError(_too_many_pixels(w, h))


def _too_many_pixels(w: int | None = None, h: int | None = None) -> str:
    size = f" ({w} x {h})" if w else ""
    return f"This image is too large{size}; images up to {MAX_PIXELS // 1_000_000} megapixels can be read."


def _short(exc: Exception) -> str:
    text = str(exc).strip().rstrip(".") or type(exc).__name__
    return text if len(text) < 80 else text[:77] + "..."


def to_grey(image: Image.Image) -> Image.Image:
    """Any PIL mode -> 8-bit grey ("L"). Transparent parts become a background that contrasts with the ink."""
    mode = image.mode
    if mode in ("I", "F") or mode.startswith("I;"):
        a = np.asarray(image, dtype=np.float64)
        lo, hi = float(a.min()), float(a.max())
        a = (a - lo) / (hi - lo) * 255 if hi > lo else np.zeros_like(a)
        return Image.fromarray(a.astype(np.uint8))
    has_alpha = "A" in image.getbands() or "a" in image.getbands() or "transparency" in image.info
    try:
        if not has_alpha:
            return image.convert("L") if mode in ("L", "1") else image.convert("RGB").convert("L")
        rgba = image.convert("RGBA")
        grey, alpha = rgba.convert("L"), rgba.getchannel("A")
    except Exception as exc:
        raise ImageError(f"This image's colour format ({mode}) cannot be read; save it as {FORMATS}.") from exc
    return _composite(np.asarray(grey), np.asarray(alpha))


def _composite(grey: np.ndarray, alpha: np.ndarray) -> Image.Image:
    """Put what is visible over white when it is dark (ink on a transparent sheet), over black when it is light."""
    a = alpha.astype(np.float32) / 255.0
    g = grey.astype(np.float32)
    visible = float((g * a).sum() / a.sum()) if a.sum() > 0 else 0.0
    background = 255.0 if visible < 128 else 0.0
    return Image.fromarray(np.round(g * a + background * (1 - a)).astype(np.uint8))


def array_to_grey(x: np.ndarray) -> Image.Image:
    a = numeric_array(x, "image")
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (2, 3, 4)):
        raise ImageError(f"This image array has shape {a.shape}; (height, width) or (height, width, 3 or 4) is needed.")
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise ImageError("This image has no pixels.")
    _check_pixels((a.shape[1], a.shape[0]))
    u8 = np.round(to_unit_range(a) * 255).astype(np.uint8)
    if u8.ndim == 2:
        return Image.fromarray(u8)
    grey = np.asarray(Image.fromarray(np.ascontiguousarray(u8[:, :, :3])).convert("L")) if u8.shape[2] >= 3 else u8[:, :, 0]
    return _composite(grey, u8[:, :, -1]) if u8.shape[2] in (2, 4) else Image.fromarray(grey)
