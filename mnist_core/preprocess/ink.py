"""A grey page -> an ink map: polarity, uneven light removed, and the threshold that tells ink from paper."""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image
from scipy import ndimage

UNKNOWN = 2.0  # above any ink level: never the minimum of a window that holds a pixel of the photo
WIDE = 3.0  # a dark region this many times wider than the writing's strokes is not writing
MIN_LIGHT = 0.35  # ink is contrast relative to the paper's light, but a dark desk's noise is not amplified past this


def ink_map(grey: np.ndarray) -> np.ndarray | None:
    """Grey page in [0, 1] -> ink map (ink high, paper 0), or None when the page has no contrast."""
    h, w = grey.shape
    smooth = ndimage.gaussian_filter(grey, 0.8)
    lo, hi = np.percentile(smooth, [0.01, 99.99])  # a small digit on a big page is well under 0.5 % of it
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
    v = (1.0 - smooth if dark >= bright else smooth).astype(np.float32)
    ink = _against_paper(v, k)
    # a shadow narrower than k (a phone, a hand) stands out at that scale too: measure the ink again at a scale
    # just above the writing's own strokes, where a shadow is paper again
    width = _stroke_width(ink > ink_threshold(ink))
    fine = max(15, round(WIDE * width)) | 1
    return _against_paper(v, fine, cv2.MORPH_ELLIPSE) if width and fine < k else ink  # round: a fingertip is


def _against_paper(v: np.ndarray, k: int, shape: int = cv2.MORPH_RECT) -> np.ndarray:
    """Ink against the paper's level under it: a grey opening (strokes are narrower than ``k``), at full
    resolution and not smoothed, so that a shadow's sharp edge stays a step in it rather than a line of "ink".
    Ink is measured against the paper's own light, so a digit half in shadow keeps its contrast. What lies past
    the photo's edge is unknown, not ink: a square may stick out of the photo, so a shadow cut by the edge stays
    shadow."""
    pad = k // 2
    window = cv2.getStructuringElement(shape, (k, k))
    eroded = cv2.erode(cv2.copyMakeBorder(v, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=UNKNOWN), window)
    paper = cv2.dilate(eroded, window)[pad:-pad, pad:-pad]
    return np.clip((v - paper) / np.maximum(1.0 - paper, MIN_LIGHT), 0.0, None)


def _stroke_width(mask: np.ndarray) -> float:
    """The writing's typical stroke width in px: twice the median distance to the paper along the strokes' middles."""
    if not mask.any():
        return 0.0
    distance = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 3)
    ridge = (distance >= 1) & (distance >= ndimage.maximum_filter(distance, 3))
    return 2 * float(np.median(distance[ridge])) if ridge.any() else 0.0


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


def ink_threshold(ink: np.ndarray) -> float:
    """Otsu's level, but never inside the paper's own noise: ink must stand 6 sigma above the paper.

    The noise is measured robustly (median absolute deviation), since ink is the minority. This
    also keeps Otsu from splitting the paper when the ink is only a thin stroke on a big page.
    """
    sample = ink[:: max(1, ink.shape[0] // 300), :: max(1, ink.shape[1] // 300)]
    paper = float(np.median(sample))
    sigma = 1.4826 * float(np.median(np.abs(sample - paper)))
    return max(_otsu(ink), paper + 6 * max(sigma, 0.005), 0.06)
