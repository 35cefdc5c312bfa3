"""Canvas drawings and photographs -> 28x28 MNIST-style digits, through one shared path.

MNIST digits were size-normalised to fit a 20x20 box keeping their aspect ratio (which
anti-aliases them into grey levels), then placed in 28x28 so that their centre of mass sits
at the centre. ``normalize`` does exactly that for any ink map (ink high, background 0);
``from_canvas`` and ``from_image`` only differ in how they find the ink:

- a canvas: the alpha channel (transparent background) or the distance to the background colour;
- a photo or scan: safe decoding, polarity, background (uneven light) removal, Otsu threshold,
  ruled lines and specks dropped, pieces of one digit merged, digits ordered like text.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import math
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps
from scipy import ndimage

MAX_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000
WORK_PIXELS = 1_500_000  # photos are segmented at no more than this many pixels
SMALL_IMAGE = 128  # px, longest side: a low-resolution scan of one digit, read again with paper around it
BOX = 20  # MNIST: fit the digit in 20x20 ...
SIDE = 28  # ... inside 28x28
CENTRE = 14.0  # mean centre of mass of the MNIST training digits, in pixel indices (13.997, 14.006)
INK_LEVEL = 0.1  # relative ink level that counts as "ink" when cropping
STROKE = 2.5  # typical MNIST stroke width, in pixels of the 20x20 box
FORMATS = "PNG, JPEG, BMP, TIFF, GIF or WebP"

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (x1, y1 exclusive), in original-image pixels


class ImageError(ValueError):
    """An input a person gave us cannot be read as an image; the message is one clear sentence."""


@dataclass
class Digit:
    box: Box
    image: np.ndarray  # (28, 28) float32 in [0, 1], ink = 1
    crop: np.ndarray  # uint8 grey crop of the original image at ``box``


# ---------------------------------------------------------------- the shared normalisation


def normalize(ink: np.ndarray) -> np.ndarray | None:
    """Ink map (float, ink high) -> (28, 28) float32 in [0, 1] the MNIST way; None without ink."""
    a = _float_plane(ink, "ink map")
    if a is None:
        return None
    if not a.max() > 0:  # _float_plane scaled the peak to 1
        return None
    rows = np.flatnonzero((a > INK_LEVEL).any(axis=1))
    cols = np.flatnonzero((a > INK_LEVEL).any(axis=0))
    if rows.size == 0:
        return None
    a = a[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    a = _thicken(a)
    h, w = a.shape
    scale = BOX / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    resample = Image.Resampling.BOX if scale < 1 else Image.Resampling.BILINEAR
    small = np.asarray(Image.fromarray(a.astype(np.float32)).resize((nw, nh), resample), dtype=np.float32)
    small = np.clip(small, 0.0, 1.0)
    total = float(small.sum())
    if not total > 0:
        return None
    cy = float((small.sum(axis=1) * np.arange(nh)).sum() / total)
    cx = float((small.sum(axis=0) * np.arange(nw)).sum() / total)
    oy = min(max(round(CENTRE - cy), 0), SIDE - nh)
    ox = min(max(round(CENTRE - cx), 0), SIDE - nw)
    out = np.zeros((SIDE, SIDE), np.float32)
    out[oy : oy + nh, ox : ox + nw] = small
    return out / out.max()


def _thicken(a: np.ndarray) -> np.ndarray:
    """Widen strokes that would come out thinner than MNIST's (a pen line on a big digit)."""
    mask = a > 0.5
    area = int(mask.sum())
    if area == 0:
        return a
    edge = int((mask & ~ndimage.binary_erosion(mask, border_value=0)).sum())
    width = 2.0 * area / max(edge, 1)  # a stroke of width w and length L: area wL, edge 2L
    target = STROKE * max(a.shape) / BOX
    if width >= 0.7 * target:
        return a
    radius = (target - width) / 2
    pad = math.ceil(radius) + 1
    mask = np.pad(mask, pad)
    distance = ndimage.distance_transform_edt(~mask)
    grown = np.clip(radius + 0.5 - distance, 0.0, 1.0)
    return np.maximum(np.pad(a, pad), grown)


def _float_plane(x: object, what: str) -> np.ndarray | None:
    """Any 2-D numeric array -> float32 copy scaled to peak 1, non-finite and negative values as 0."""
    a = _numeric(x, what)
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


def _numeric(x: object, what: str) -> np.ndarray:
    try:
        a = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise ImageError(f"This {what} is not an array of numbers.") from exc
    if a.dtype.kind not in "biuf":
        raise ImageError(f"This {what} holds {a.dtype} values; numbers are needed.")
    if a.size > MAX_PIXELS * 4:
        raise ImageError(f"This {what} is too large (more than {MAX_PIXELS // 1_000_000} megapixels).")
    return a


def _unit(a: np.ndarray) -> np.ndarray:
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


# ---------------------------------------------------------------- canvas


def from_canvas(rgba: np.ndarray) -> np.ndarray | None:
    """A drawing canvas (H, W, 4) -> (28, 28) float32, or None when (nearly) nothing is drawn."""
    digit = canvas_digit(rgba)
    return None if digit is None else digit.image


def canvas_ink(rgba: np.ndarray) -> np.ndarray | None:
    """The ink of a canvas as float32 (H, W) in [0, 1]: from alpha when the background is transparent."""
    a = _numeric(rgba, "canvas")
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3 or a.shape[2] not in (1, 2, 3, 4):
        raise ImageError(f"This canvas has shape {a.shape}; an (height, width, 4) RGBA array is needed.")
    if a.shape[0] == 0 or a.shape[1] == 0:
        return None
    if a.shape[2] in (2, 4):
        alpha = _unit(a[:, :, -1])
        if float(alpha.max() - alpha.min()) > 0.25:
            return alpha  # transparent background: the strokes are where alpha is
    colour = _unit(a[:, :, :3] if a.shape[2] >= 3 else a[:, :, :1])
    border = np.concatenate([colour[0], colour[-1], colour[:, 0], colour[:, -1]])
    background = np.median(border, axis=0)
    return np.abs(colour - background).max(axis=2)


def canvas_digit(rgba: np.ndarray) -> Digit | None:
    """Like ``from_canvas`` but with the ink's box on the canvas and a grey crop (ink dark) for saving."""
    ink = canvas_ink(rgba)
    if ink is None:
        return None
    mask = ink > 0.2
    h, w = ink.shape
    if int(mask.sum()) < max(4, 0.0005 * h * w):
        return None
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    bh, bw = y1 - y0, x1 - x0
    if max(bh, bw) < 0.08 * min(h, w):  # a speck is not a digit
        return None
    if mask[y0:y1, x0:x1].mean() > 0.7 and max(bh, bw) < 0.2 * min(h, w):  # nor is one tap of a fat brush
        return None
    image = normalize(ink[y0:y1, x0:x1])
    if image is None:
        return None
    crop = (255 - np.round(ink[y0:y1, x0:x1] * 255)).astype(np.uint8)
    return Digit(box=(int(x0), int(y0), int(x1), int(y1)), image=image, crop=crop)


# ---------------------------------------------------------------- decoding files


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


def _grey(image: Image.Image) -> Image.Image:
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


def _array_to_grey(x: np.ndarray) -> Image.Image:
    a = _numeric(x, "image")
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (2, 3, 4)):
        raise ImageError(f"This image array has shape {a.shape}; (height, width) or (height, width, 3 or 4) is needed.")
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise ImageError("This image has no pixels.")
    _check_pixels((a.shape[1], a.shape[0]))
    u8 = np.round(_unit(a) * 255).astype(np.uint8)
    if u8.ndim == 2:
        return Image.fromarray(u8)
    grey = np.asarray(Image.fromarray(np.ascontiguousarray(u8[:, :, :3])).convert("L")) if u8.shape[2] >= 3 else u8[:, :, 0]
    return _composite(grey, u8[:, :, -1]) if u8.shape[2] in (2, 4) else Image.fromarray(grey)


# ---------------------------------------------------------------- photos and scans


def from_image(data: bytes | Image.Image | np.ndarray) -> list[Digit]:
    """Every digit in a photo, scan or image file, left to right (lines top to bottom).

    An empty list means no digit was found; an unreadable input raises ImageError.
    """
    grey_full = _array_to_grey(data) if isinstance(data, np.ndarray) else _grey(decode(data))
    w, h = grey_full.size
    scale = min(1.0, math.sqrt(WORK_PIXELS / (w * h)))
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = grey_full.resize(size, Image.Resampling.BOX) if size != grey_full.size else grey_full
    grey = np.asarray(small, dtype=np.float32) / 255.0
    if min(grey.shape) < 8:
        return []
    found = _find(grey)
    if not found and max(grey.shape) <= SMALL_IMAGE:  # a small tight crop: the digit fills it, ink and paper blur
        pad = max(grey.shape) // 2
        paper = float(np.median(np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])))
        found = [
            ((x0 - pad, y0 - pad, x1 - pad, y1 - pad), crop) for (x0, y0, x1, y1), crop in _find(np.pad(grey, pad, constant_values=paper))
        ]
    if not found:
        return []
    sx, sy = w / grey.shape[1], h / grey.shape[0]
    grey_u8 = np.asarray(grey_full)
    digits = []
    for box, crop_ink in found:
        image = normalize(crop_ink)
        if image is None:
            continue
        x0, y0, x1, y1 = box
        ob = (max(0, math.floor(x0 * sx)), max(0, math.floor(y0 * sy)), min(w, math.ceil(x1 * sx)), min(h, math.ceil(y1 * sy)))
        digits.append(Digit(box=ob, image=image, crop=grey_u8[ob[1] : ob[3], ob[0] : ob[2]].copy()))
    return digits


def _find(grey: np.ndarray) -> list[tuple[Box, np.ndarray]]:
    ink = _ink(grey)
    return [] if ink is None else _segment(ink)


def _ink(grey: np.ndarray) -> np.ndarray | None:
    """Grey page in [0, 1] -> ink map (ink high, paper 0), or None when the page has no contrast."""
    h, w = grey.shape
    smooth = ndimage.gaussian_filter(grey, 0.8)
    lo, hi = np.percentile(smooth, [0.5, 99.5])
    if hi - lo < 0.08:  # blank, all black, all white
        return None
    k = max(15, min(h, w) // 3) | 1  # wider than any stroke
    f = max(1, min(h, w) // 120)  # the light varies slowly: estimate it on a smaller copy
    kf = max(3, k // f) | 1
    # polarity: flatten the light first; the ink is then the side (dark or light) holding most of
    # what stands out beyond the noise (paper between the strokes of a thick digit stands out less)
    light = _upsample(ndimage.uniform_filter(_block_reduce(smooth, f, np.mean), kf), (h, w))
    detail = smooth - light
    middle = float(np.median(detail))
    floor = 4 * max(1.4826 * float(np.median(np.abs(detail - middle))), 0.005)
    dark = float(np.clip(middle - detail - floor, 0, None).sum())
    bright = float(np.clip(detail - middle - floor, 0, None).sum())
    v = 1.0 - smooth if dark >= bright else smooth
    # the paper's level under the ink: a grey opening (strokes are narrower than k), then smoothed
    paper = ndimage.grey_opening(_block_reduce(v, f, np.min), size=(kf, kf))
    paper = _upsample(ndimage.uniform_filter(paper, kf), (h, w))
    return np.clip(v - paper, 0.0, None)


def _block_reduce(a: np.ndarray, f: int, reduce) -> np.ndarray:
    if f == 1:
        return a
    h, w = (a.shape[0] // f) * f, (a.shape[1] // f) * f
    return reduce(a[:h, :w].reshape(h // f, f, w // f, f), axis=(1, 3))


def _upsample(a: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    if a.shape == shape:
        return a
    image = Image.fromarray(a.astype(np.float32)).resize((shape[1], shape[0]), Image.Resampling.BILINEAR)
    return np.asarray(image, dtype=np.float32)


def _otsu(values: np.ndarray) -> float:
    """Otsu's threshold: the level that best splits the values into two classes."""
    hist, edges = np.histogram(values, bins=256, range=(0.0, float(values.max()) + 1e-6))
    p = hist.astype(np.float64) / hist.sum()
    centres = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(p)
    m0 = np.cumsum(p * centres)
    with np.errstate(divide="ignore", invalid="ignore"):
        between = np.nan_to_num((m0[-1] * w0 - m0) ** 2 / (w0 * (1 - w0)))
    return float(edges[int(np.argmax(between)) + 1])


def _threshold(ink: np.ndarray) -> float:
    """Otsu's level, but never inside the paper's own noise: ink must stand 6 sigma above the paper.

    The noise is measured robustly (median absolute deviation), since ink is the minority. This
    also keeps Otsu from splitting the paper when the ink is only a thin stroke on a big page.
    """
    sample = ink[:: max(1, ink.shape[0] // 300), :: max(1, ink.shape[1] // 300)]
    paper = float(np.median(sample))
    sigma = 1.4826 * float(np.median(np.abs(sample - paper)))
    return max(_otsu(ink), paper + 6 * max(sigma, 0.005), 0.06)


def _segment(ink: np.ndarray) -> list[tuple[Box, np.ndarray]]:
    """Ink map -> [(box in ink coordinates, the digit's own ink crop)], in reading order."""
    h, w = ink.shape
    threshold = _threshold(ink)
    mask = ink > threshold
    fraction = float(mask.mean())
    if fraction > 0.45 or fraction == 0:
        return []  # nothing stands out, or texture rather than ink on paper
    mask &= ~_ruled_lines(mask)
    labels, n = ndimage.label(mask, structure=np.ones((3, 3)))
    if n == 0:
        return []
    if n > 5000:
        return []  # thousands of specks: noise, not writing
    areas = np.bincount(labels.ravel(), minlength=n + 1)
    slices = ndimage.find_objects(labels)
    comps = []
    for i, sl in enumerate(slices, start=1):
        area = int(areas[i])
        ys, xs = sl
        bh, bw = ys.stop - ys.start, xs.stop - xs.start
        if area < max(4, 2e-5 * h * w) or max(bh, bw) < 6:
            continue  # a speck
        if area > 0.7 * bh * bw and bh > 0.3 * h and bw > 0.3 * w:
            continue  # a solid blob (a shadow or the table around the page), not a stroke
        comps.append({"labels": [i], "box": [xs.start, ys.start, xs.stop, ys.stop], "area": area, "largest": area})
    groups = _merge(_attach_small(_merge(comps)))  # again: a joined piece can make a group overlap another
    if not groups:
        return []
    tallest = max(g["box"][3] - g["box"][1] for g in groups)
    biggest = max(g["area"] for g in groups)
    groups = [
        g
        for g in groups
        if g["box"][3] - g["box"][1] >= max(10, 0.3 * tallest)  # not a dot, a comma, a dash or a speck
        and g["area"] >= 0.04 * biggest
        and g["largest"] >= 0.4 * g["area"]  # a digit is mostly one stroke, not a cloud of specks
    ]
    if not groups:
        return []
    typical = float(np.median([g["box"][3] - g["box"][1] for g in groups]))
    wide = 1.5 if len(groups) > 1 else 2.2  # alone, a flat 2 or 5 can be 2x as wide as tall
    groups = [part for g in groups for part in _split_wide(g, labels, typical, wide)]
    out = []
    for g in _reading_order(groups):
        x0, y0, x1, y1 = g["box"]
        m = 0 if g.get("cut") else 2  # a little margin for the soft edges, unless cut from touching digits
        cx0, cy0, cx1, cy1 = max(0, x0 - m), max(0, y0 - m), min(w, x1 + m), min(h, y1 + m)
        own = ndimage.binary_dilation(np.isin(labels[cy0:cy1, cx0:cx1], g["labels"]), iterations=2)
        crop = ink[cy0:cy1, cx0:cx1]
        strokes = crop[own & (crop > threshold)]
        level = float(np.percentile(strokes, 90)) if strokes.size else 1.0
        low = 0.5 * threshold
        crop_ink = np.clip((crop - low) / max(level - low, 1e-6), 0.0, 1.0) * own
        out.append(((x0, y0, x1, y1), crop_ink))
    return out


def _split_wide(g: dict, labels: np.ndarray, typical_height: float, wide: float) -> list[dict]:
    """Cut a group ``wide`` times wider than a digit is tall (digits that touch) at the thinnest columns near even spacing."""
    x0, y0, x1, y1 = g["box"]
    w, h = x1 - x0, max(y1 - y0, typical_height)
    if w <= wide * h:
        return [g]
    own = np.isin(labels[y0:y1, x0:x1], g["labels"])
    profile = own.sum(axis=0)
    n = max(2, round(w / (0.8 * h)))
    cuts = [0]
    for k in range(1, n):
        lo, hi = int((k - 0.25) * w / n), int((k + 0.25) * w / n) + 1
        cuts.append(lo + int(np.argmin(profile[lo:hi])))
    cuts.append(w)
    parts = []
    for a, b in itertools.pairwise(cuts):
        rows = np.flatnonzero(own[:, a:b].any(axis=1))
        if b > a and rows.size:
            box = [x0 + a, y0 + int(rows[0]), x0 + b, y0 + int(rows[-1]) + 1]
            parts.append({"labels": g["labels"], "box": box, "area": int(own[:, a:b].sum()), "cut": True})
    return parts


def _ruled_lines(mask: np.ndarray) -> np.ndarray:
    """Pixels of long thin horizontal or vertical lines (ruled paper, margins, underlines), a few degrees of tilt allowed.

    A line is longer than 60 % of the image and more than twice the tallest piece of writing,
    so a digit's own strokes (the bar of a 7, the stem of a 1) never count as one.
    """
    h, w = mask.shape
    labels, _ = ndimage.label(mask, structure=np.ones((3, 3)))
    heights = [sl[0].stop - sl[0].start for sl in ndimage.find_objects(labels)]
    tallest = max([v for v in heights if v < 0.9 * h], default=0)
    lines = np.zeros_like(mask)
    u8 = mask.astype(np.uint8)
    for axis, length in ((1, w), (0, h)):
        run = max(40, int(0.6 * length), 2 * tallest)
        if run >= length:
            continue
        loose = ndimage.maximum_filter1d(u8, 5, axis=1 - axis)  # a tilted line spans a few rows
        opened = ndimage.maximum_filter1d(ndimage.minimum_filter1d(loose, run, axis=axis), run, axis=axis)
        lines |= opened.astype(bool) & mask
    return lines


def _merge(comps: list[dict]) -> list[dict]:
    """Join the pieces of one digit: pieces that overlap horizontally and sit close vertically."""
    groups = [dict(c) for c in comps]
    changed = True
    while changed:
        changed = False
        groups.sort(key=lambda g: g["box"][0])
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                a, b = groups[i]["box"], groups[j]["box"]
                if b[0] >= a[2]:
                    break  # sorted by x0: no later group overlaps a horizontally
                overlap = min(a[2], b[2]) - max(a[0], b[0])
                narrower = min(a[2] - a[0], b[2] - b[0])
                gap = max(a[1], b[1]) - min(a[3], b[3])  # negative when they overlap vertically
                taller = max(a[3] - a[1], b[3] - b[1])
                if overlap >= 0.5 * narrower and gap <= 0.35 * taller:
                    g, o = groups[i], groups.pop(j)
                    g["labels"] = g["labels"] + o["labels"]
                    g["area"] += o["area"]
                    g["largest"] = max(g["largest"], o["largest"])
                    g["box"] = [min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])]
                    changed = True
                    break
            if changed:
                break
    return groups


def _attach_small(groups: list[dict]) -> list[dict]:
    """Join a flat piece to the digit right beside it (the bar of a 5 drawn apart, a broken loop)."""
    groups = sorted(groups, key=lambda g: g["area"])
    i = 0
    while i < len(groups):
        g = groups[i]
        gx0, gy0, gx1, gy1 = g["box"]
        best, best_gap = None, None
        for o in groups:
            if o is g:
                continue
            ox0, oy0, ox1, oy1 = o["box"]
            gap = max(ox0 - gx1, gx0 - ox1)
            beside = oy0 <= (gy0 + gy1) / 2 <= oy1
            small = gy1 - gy0 < 0.6 * (oy1 - oy0) and g["area"] < 0.5 * o["area"]
            if beside and small and gap <= 0.15 * (oy1 - oy0) and (best_gap is None or gap < best_gap):
                best, best_gap = o, gap
        if best is None:
            i += 1
            continue
        ox0, oy0, ox1, oy1 = best["box"]
        best["labels"] = best["labels"] + g["labels"]
        best["area"] += g["area"]
        best["largest"] = max(best["largest"], g["largest"])
        best["box"] = [min(gx0, ox0), min(gy0, oy0), max(gx1, ox1), max(gy1, oy1)]
        groups.pop(i)
    return groups


def _reading_order(groups: list[dict]) -> list[dict]:
    """Lines top to bottom, digits left to right. Tall digits found the lines; a digit joins the
    line it overlaps vertically by at least half its height."""
    lines: list[dict] = []
    for g in sorted(groups, key=lambda g: g["box"][1] - g["box"][3]):
        y0, y1 = g["box"][1], g["box"][3]
        for line in lines:
            if min(y1, line["y1"]) - max(y0, line["y0"]) >= 0.5 * (y1 - y0):
                line["items"].append(g)
                line["y0"], line["y1"] = min(y0, line["y0"]), max(y1, line["y1"])
                break
        else:
            lines.append({"y0": y0, "y1": y1, "items": [g]})
    lines.sort(key=lambda line: line["y0"])
    return [g for line in lines for g in sorted(line["items"], key=lambda g: g["box"][0])]
