"""Canvas drawings and photographs -> 28x28 MNIST-style digits, through one shared path.

MNIST digits were size-normalised to fit a 20x20 box keeping their aspect ratio (which
anti-aliases them into grey levels), then placed in 28x28 so that their centre of mass sits
at the centre. ``normalize`` does exactly that for any ink map (ink high, background 0);
``from_canvas`` and ``from_image`` only differ in how they find the ink:

- a canvas: the alpha channel (transparent background) or the distance to the background colour;
- a photo or scan: safe decoding, polarity, background (uneven light) removal, Otsu threshold,
  ruled lines and specks dropped, pieces of one digit merged, digits ordered like text."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

from mnist_core.preprocess.decode import (
    FORMATS,
    MAX_BYTES,
    MAX_PIXELS,
    ImageError,
    array_to_grey,
    decode,
    numeric_array,
    to_grey,
    to_unit_range,
)
from mnist_core.preprocess.ink import ink_map
from mnist_core.preprocess.normalize import BOX, CENTRE, INK_LEVEL, SIDE, STROKE, normalize
from mnist_core.preprocess.page import Page, find_page
from mnist_core.preprocess.segment import Box, digit_crops

# The pipeline, a module each: decode -> ink -> segment -> normalise. These are its entry points.
__all__ = [
    "BOX", "CENTRE", "FORMATS", "INK_LEVEL", "MAX_BYTES", "MAX_PIXELS", "SIDE", "STROKE", "Box", "Digit", "Found", "ImageError",
    "Page", "canvas_digit", "canvas_ink", "decode", "find_digits", "from_canvas", "from_image", "normalize",
]  # fmt: skip


WORK_PIXELS = 1_500_000  # photos are segmented at no more than this many pixels
SMALL_IMAGE = 128  # px, longest side: a low-resolution scan of a digit or two, read with paper around it
SMALL_SIDE = 64  # px: smaller images are enlarged to this first
PAGE_INSET = 0.015  # of the page's size: its edge, where paper meets desk, is not read


@dataclass
class Digit:
    box: Box
    image: np.ndarray  # (28, 28) float32 in [0, 1], ink = 1
    crop: np.ndarray  # uint8 grey crop of the original image at ``box``


def from_canvas(rgba: np.ndarray) -> np.ndarray | None:
    """A drawing canvas (H, W, 4) -> (28, 28) float32, or None when (nearly) nothing is drawn."""
    digit = canvas_digit(rgba)
    return None if digit is None else digit.image


def canvas_ink(rgba: np.ndarray) -> np.ndarray | None:
    """The ink of a canvas as float32 (H, W) in [0, 1]: from alpha when the background is transparent."""
    a = numeric_array(rgba, "canvas")
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3 or a.shape[2] not in (1, 2, 3, 4):
        raise ImageError(f"This canvas has shape {a.shape}; an (height, width, 4) RGBA array is needed.")
    if a.shape[0] == 0 or a.shape[1] == 0:
        return None
    if a.shape[2] in (2, 4):
        alpha = to_unit_range(a[:, :, -1])
        if float(alpha.max() - alpha.min()) > 0.25:
            return alpha  # transparent background: the strokes are where alpha is
    colour = to_unit_range(a[:, :, :3] if a.shape[2] >= 3 else a[:, :, :1])
    border = np.concatenate([colour[0], colour[-1], colour[:, 0], colour[:, -1]])
    background = np.median(border, axis=0)
    channels = [np.abs(colour[:, :, c] - background[c]) for c in range(colour.shape[2])]
    return functools.reduce(np.maximum, channels)  # a max over 3 planes: 5x faster than .max(axis=2)


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


@dataclass
class Found:
    digits: list[Digit]
    page: Page | None  # the paper found in a photo (a note on a desk, a page at an angle), in the image's pixels


def from_image(data: bytes | Image.Image | np.ndarray) -> list[Digit]:
    """Every digit in a photo, scan or image file, left to right (lines top to bottom).

    An empty list means no digit was found; an unreadable input raises ImageError.
    """
    return find_digits(data).digits


def find_digits(data: bytes | Image.Image | np.ndarray) -> Found:
    """Like ``from_image``, with the paper found around the digits, if the photo shows one."""
    grey_full = array_to_grey(data) if isinstance(data, np.ndarray) else to_grey(decode(data))
    w, h = grey_full.size
    scale = min(1.0, math.sqrt(WORK_PIXELS / (w * h)))
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = grey_full.resize(size, Image.Resampling.BOX) if size != grey_full.size else grey_full
    grey = np.asarray(small, dtype=np.float32) / 255.0
    if min(grey.shape) < 8:
        return Found([], None)
    paper, found = None, []
    if max(grey.shape) <= SMALL_IMAGE:  # a small tight crop: its strokes are thick for its size, and touch its edges
        padded, pad = _with_paper_around(grey)
        grey = padded[pad:-pad, pad:-pad]  # enlarged when tiny: the boxes scale back from it
        found = [((x0 - pad, y0 - pad, x1 - pad, y1 - pad), crop) for (x0, y0, x1, y1), crop in _find(padded)]
    elif (paper := find_page(grey)) is not None:  # a note or a page lying on a desk: read it flat, and only it
        found = [(_box_back(box, paper), crop) for box, crop in _find(paper.warp(grey, inset=PAGE_INSET))]
    else:
        found = _find(grey)
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
    return Found(digits, None if paper is None else paper.scaled(sx, sy))


def _box_back(box: Box, paper: Page) -> Box:
    """A box on the flattened page -> the box around it in the photo."""
    x0, y0, x1, y1 = box
    corners = paper.from_flat(np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32), PAGE_INSET)
    (a, b), (c, d) = corners.min(axis=0), corners.max(axis=0)
    return math.floor(a), math.floor(b), math.ceil(c), math.ceil(d)


def _with_paper_around(grey: np.ndarray) -> tuple[np.ndarray, int]:
    """A small image at least SMALL_SIDE px on its longest side (an 8x8 scan is one pixel a stroke), with paper
    around it half as wide as that side: the ink finder then sees strokes narrower than the page, as in a photo."""
    h, w = grey.shape
    if max(h, w) < SMALL_SIDE:
        f = SMALL_SIDE / max(h, w)
        grey = np.asarray(Image.fromarray(grey).resize((round(w * f), round(h * f)), Image.Resampling.BILINEAR), np.float32)
    paper = float(np.median(np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])))
    pad = max(grey.shape) // 2
    return np.pad(grey, pad, constant_values=paper), pad


def _find(grey: np.ndarray) -> list[tuple[Box, np.ndarray]]:
    ink = ink_map(grey)
    return [] if ink is None else digit_crops(ink)
