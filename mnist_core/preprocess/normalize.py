"""An ink map -> the 28x28 MNIST way: crop, widen thin strokes, fit 20x20, centre of mass at the centre."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image
from scipy import ndimage

from mnist_core.preprocess.decode import float_plane

BOX = 20  # MNIST: fit the digit in 20x20 ...


SIDE = 28  # ... inside 28x28


CENTRE = 14.0  # mean centre of mass of the MNIST training digits, in pixel indices (13.997, 14.006)


INK_LEVEL = 0.1  # relative ink level that counts as "ink" when cropping


STROKE = 2.5  # typical MNIST stroke width, in pixels of the 20x20 box


def normalize(ink: np.ndarray) -> np.ndarray | None:
    """Ink map (float, ink high) -> (28, 28) float32 in [0, 1] the MNIST way; None without ink."""
    a = float_plane(ink, "ink map")
    if a is None:
        return None
    if not a.max() > 0:  # float_plane scaled the peak to 1
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
