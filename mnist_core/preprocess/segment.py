"""An ink map -> one crop per digit: components, ruled lines and specks dropped, pieces merged, reading order."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
from scipy import ndimage

from mnist_core.preprocess.ink import ink_threshold

RULE_WIDTH = 0.03  # a printed rule is thinner than this share of the image; a pen stroke filling a crop is not
Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (x1, y1 exclusive), in original-image pixels


def digit_crops(ink: np.ndarray) -> list[tuple[Box, np.ndarray]]:
    """Ink map -> [(box in ink coordinates, the digit's own ink crop)], in reading order."""
    h, w = ink.shape
    threshold = ink_threshold(ink)
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

    A line is longer than 60 % of the image and more than twice the tallest piece of writing, so a digit's own
    strokes (the bar of a 7, the stem of a 1) never count as one; and it is thin for the image (a printed rule),
    so a digit that fills a tight crop keeps its strokes.
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
    if not lines.any():
        return lines
    depth = cv2.distanceTransform(u8, cv2.DIST_L2, 3)  # how deep inside the ink each line pixel lies
    parts, n = ndimage.label(lines, structure=np.ones((3, 3)))
    thick = [i for i in range(1, n + 1) if 2 * np.median(depth[parts == i]) > RULE_WIDTH * min(h, w)]
    return lines & ~np.isin(parts, thick)


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
                if (overlap >= 0.5 * narrower and gap <= 0.35 * taller) or _bar_on_top(a, b) or _bar_on_top(b, a):
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


def _bar_on_top(bar: list[int], body: list[int]) -> bool:
    """A flat stroke just above a taller one and overlapping it sideways: the bar of a 5 (or a 7) written apart."""
    bar_h, body_h = bar[3] - bar[1], body[3] - body[1]
    flat = bar_h <= 0.35 * body_h and bar[2] - bar[0] >= 2 * bar_h
    overlap = min(bar[2], body[2]) - max(bar[0], body[0])
    return flat and overlap > 0 and bar[3] <= body[1] + 0.25 * body_h and body[1] - bar[3] <= 0.45 * body_h


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
