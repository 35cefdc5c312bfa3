"""Find the paper in a photo: a note lying on a desk, a page shot at an angle with the table all around it.

The paper is the largest bright region that is a quadrilateral, clearly brighter than what surrounds it, with
its four corners inside the photo. It is warped flat and upright, and only it is read. A page that runs off the
photo is not looked for: what shows of the table beside it is wide and dark, which the ink finder already tells
from writing (and a shadow's edge across a page would look like one).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy import ndimage

FIND_SIDE = 400  # px: the page is looked for on a copy this big
MIN_AREA, MAX_AREA = 0.08, 0.93  # of the photo: smaller is a label or a patch of light; larger is the photo itself
MIN_CONTRAST = 0.12  # the paper's median brightness above its surroundings', in [0, 1]
BORDER = 0.01  # a corner this close to the photo's edge (of its size) lies on the edge


@dataclass
class Page:
    corners: np.ndarray  # (4, 2) float32 x, y in the photo's pixels: top-left, top-right, bottom-right, bottom-left

    def scaled(self, sx: float, sy: float) -> Page:
        return Page(self.corners * np.array([sx, sy], np.float32))

    def flat_size(self) -> tuple[int, int]:
        """The page's width and height when warped flat: its longer opposite sides."""
        tl, tr, br, bl = self.corners
        width = max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl))
        height = max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))
        return max(1, round(float(width))), max(1, round(float(height)))

    def to_flat(self, inset: float = 0.0) -> np.ndarray:
        """The 3x3 homography from the photo to the flat page, its edges pulled in by ``inset`` of its size."""
        w, h = self.flat_size()
        corners = self.corners + (self.corners.mean(axis=0) - self.corners) * np.float32(2 * inset)
        return cv2.getPerspectiveTransform(corners, np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32))

    def warp(self, grey: np.ndarray, inset: float = 0.0) -> np.ndarray:
        """The page flat and upright, without its outermost ``inset`` (where paper meets desk)."""
        return cv2.warpPerspective(grey, self.to_flat(inset), self.flat_size(), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)

    def from_flat(self, points: np.ndarray, inset: float = 0.0) -> np.ndarray:
        """Points on the page warped flat (with ``inset``, as warped) -> the photo's pixels."""
        back = np.linalg.inv(self.to_flat(inset))
        return cv2.perspectiveTransform(points.reshape(-1, 1, 2).astype(np.float32), back).reshape(-1, 2)


def find_page(grey: np.ndarray) -> Page | None:
    """The paper in a grey photo (float in [0, 1]), or None when the photo is all paper, no paper stands out,
    or the paper runs off the photo."""
    h, w = grey.shape
    f = min(1.0, FIND_SIDE / max(h, w))
    small = cv2.resize(grey, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA) if f < 1 else grey
    sh, sw = small.shape
    u8 = np.round(cv2.GaussianBlur(small, (0, 0), 2) * 255).astype(np.uint8)
    _, bright = cv2.threshold(u8, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    k = max(3, round(0.03 * max(sh, sw))) | 1
    bright = cv2.morphologyEx(bright, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))  # writing on it
    bright = cv2.morphologyEx(bright, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))  # glare on the desk
    n, labels, stats, _ = cv2.connectedComponentsWithStats(bright, connectivity=4)
    if n < 2:
        return None
    biggest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    region = ndimage.binary_fill_holes(labels == biggest)
    area = float(region.mean())
    if not MIN_AREA <= area <= MAX_AREA:
        return None
    if float(np.median(small[region]) - np.median(small[~region])) < MIN_CONTRAST:
        return None
    contours, _ = cv2.findContours(region.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    hull = cv2.convexHull(max(contours, key=cv2.contourArea))
    quad = _quadrilateral(hull)
    if quad is None or abs(cv2.contourArea(quad) / max(region.sum(), 1) - 1) > 0.08:
        return None  # not four straight sides: a blob of light, a hand, a shadow's shape
    corners = _order(quad.reshape(4, 2).astype(np.float32))
    margin = BORDER * max(sw, sh) + 1
    if any(x <= margin or y <= margin or x >= sw - 1 - margin or y >= sh - 1 - margin for x, y in corners):
        return None  # the paper runs off the photo
    return Page(corners / np.float32(f))


def _quadrilateral(hull: np.ndarray) -> np.ndarray | None:
    perimeter = cv2.arcLength(hull, True)
    for eps in (0.01, 0.02, 0.03, 0.05):
        approx = cv2.approxPolyDP(hull, eps * perimeter, True)
        if len(approx) == 4:
            return approx
        if len(approx) < 4:
            return None
    return None


def _order(corners: np.ndarray) -> np.ndarray:
    """Top-left, top-right, bottom-right, bottom-left, turned the least: a note lying at 30 degrees is read upright."""
    centre = corners.mean(axis=0)
    angles = np.arctan2(corners[:, 1] - centre[1], corners[:, 0] - centre[0])
    ring = corners[np.argsort(angles)]  # clockwise on screen, starting anywhere
    best, best_turn = ring, None
    for s in range(4):
        cand = np.roll(ring, -s, axis=0)
        top = cand[1] - cand[0]
        turn = abs(float(np.arctan2(top[1], top[0])))
        if best_turn is None or turn < best_turn:
            best, best_turn = cand, turn
    return best
