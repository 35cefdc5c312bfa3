"""Realistic, seeded inputs built from MNIST digits: scanned pages, numbers on paper, drawn canvases.

The Upload page's example images and the tests' numbers on paper. Every function is
deterministic given its ``rng`` (``numpy.random.Generator``) or seed.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

Box = tuple[int, int, int, int]
Strokes = Sequence[Sequence[tuple[float, float]]]


def _rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def ink_alpha(digit: np.ndarray, height: float) -> np.ndarray:
    """A 28x28 uint8 MNIST digit cropped to its ink, upscaled so that its 20x20 box becomes ``height`` pixels.

    As in MNIST, the longer side sets the scale: a flat 2 stays flat, a 1 is as tall as the box.
    """
    d = np.asarray(digit, dtype=np.float32) / 255.0
    rows, cols = np.flatnonzero(d.max(axis=1) > 0.1), np.flatnonzero(d.max(axis=0) > 0.1)
    if rows.size == 0:
        return np.zeros((max(1, int(height)), max(1, int(height) // 2)), np.float32)
    d = d[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    scale = height / max(d.shape)
    size = (max(1, round(d.shape[1] * scale)), max(1, round(d.shape[0] * scale)))
    up = np.asarray(Image.fromarray(d).resize(size, Image.Resampling.BICUBIC), dtype=np.float32)
    # MNIST's grey edges blown up look like a felt pen; sharpen them into a written stroke
    return np.clip((up - 0.25) / 0.5, 0.0, 1.0)


@dataclass
class Layout:
    image: Image.Image
    boxes: list[Box]  # each digit's ink box, in the image's pixels


def _lay_out(glyphs: list[list[np.ndarray]], height: float, gap: tuple[float, float], rng: np.random.Generator):
    """([(glyph, x, y)] relative to the block of lines, the block's width, its height)."""
    line_gap = height * 0.5
    widths, placements = [], []
    y = 0.0
    for line in glyphs:
        x = 0.0
        for g in line:
            jitter = rng.uniform(-0.06, 0.06) * height
            placements.append((g, int(x), int(y + jitter + (height - g.shape[0]) / 2)))
            x += g.shape[1] + rng.uniform(*gap) * height
        widths.append(x)
        y += height * 1.1 + line_gap
    return placements, int(max(widths)) + 1, int(y - line_gap) + 1


def compose(
    digit_images: Sequence[np.ndarray],
    rng: np.random.Generator | int | None = None,
    *,
    size: tuple[int, int] | None = None,
    digit_height: float | tuple[float, float] = (50, 110),
    gap: tuple[float, float] = (0.15, 0.45),
    per_line: int | None = None,
    dark_ink: bool = True,
    light: float = 0.45,
    noise: float = 6.0,
    blur: float = 0.8,
    ruled: bool = False,
    jpeg_quality: int | None = 75,
    margin: float = 0.3,
) -> Layout:
    """Write the digits as one or more lines of a number on paper, then photograph it.

    ``size`` None makes the page just big enough for the digits (plus ``margin`` x height);
    otherwise the lines are placed at a random, off-centre spot of a page of that size.
    ``light`` is how uneven the light is (0 = even, 0.5 = half as bright in the darkest corner).
    """
    rng = _rng(rng)
    height = float(digit_height) if isinstance(digit_height, (int, float)) else float(rng.uniform(*digit_height))
    per_line = per_line or max(1, len(digit_images))
    lines = [list(digit_images[i : i + per_line]) for i in range(0, len(digit_images), per_line)] or [[]]
    glyphs = [[ink_alpha(d, height * rng.uniform(0.9, 1.1)) for d in line] for line in lines]
    placements, block_w, block_h = _lay_out(glyphs, height, gap, rng)
    pad = int(margin * height)
    if size is None:
        page_w, page_h = block_w + 2 * pad, block_h + 2 * pad
        ox, oy = pad, pad
    else:
        page_w, page_h = size
        if block_w + 2 * pad > page_w or block_h + 2 * pad > page_h:
            raise ValueError(f"{len(digit_images)} digits of height {height:.0f} do not fit on a {page_w}x{page_h} page.")
        ox = int(rng.integers(pad, page_w - block_w - pad + 1))
        oy = int(rng.integers(pad, page_h - block_h - pad + 1))
    ink = np.zeros((page_h, page_w), np.float32)
    boxes = []
    for g, x, y in placements:
        x, y = x + ox, max(0, y + oy)
        region = ink[y : y + g.shape[0], x : x + g.shape[1]]
        g = g[: region.shape[0], : region.shape[1]]
        np.maximum(region, g, out=region)
        rows, cols = np.flatnonzero(g.max(axis=1) > 0.2), np.flatnonzero(g.max(axis=0) > 0.2)
        if rows.size:
            boxes.append((x + int(cols[0]), y + int(rows[0]), x + int(cols[-1]) + 1, y + int(rows[-1]) + 1))
    image = _photograph(ink, rng, dark_ink=dark_ink, light=light, noise=noise, blur=blur, ruled=ruled, jpeg_quality=jpeg_quality)
    return Layout(image=image, boxes=boxes)


def _photograph(
    ink: np.ndarray,
    rng: np.random.Generator,
    *,
    dark_ink: bool,
    light: float,
    noise: float,
    blur: float,
    ruled: bool,
    jpeg_quality: int | None,
) -> Image.Image:
    h, w = ink.shape
    paper = np.array([rng.uniform(225, 250), rng.uniform(220, 245), rng.uniform(205, 240)], np.float32)
    pen = np.array([rng.uniform(10, 50), rng.uniform(10, 50), rng.uniform(30, 90)], np.float32)
    if not dark_ink:  # chalk on a board
        paper, pen = np.array([40, 55, 45], np.float32) + rng.uniform(-10, 10, 3), np.array([230, 230, 225], np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * xx / max(w, 1) + np.sin(angle) * yy / max(h, 1)) + 1
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    vignette = np.hypot(xx - cx, yy - cy) / np.hypot(w, h)
    illumination = 1 - light * np.clip(0.6 * ramp / 2 + 0.6 * vignette, 0, 1)
    rgb = np.broadcast_to(paper, (h, w, 3)).copy()
    if ruled:  # pale blue lines under the ink
        spacing = int(rng.uniform(28, 40))
        rows = np.arange(int(rng.integers(5, spacing)), h, spacing)
        for dy in (0, 1):
            rgb[np.clip(rows + dy, 0, h - 1)] = (150, 180, 230)
    a = ink[..., None]
    rgb = rgb * (1 - a) + pen * a
    rgb = rgb * illumination[..., None]
    image = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))
    if blur > 0:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    rgb = np.asarray(image, dtype=np.float32) + rng.normal(0, noise, (h, w, 1)) + rng.normal(0, noise / 3, (h, w, 3))
    image = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))
    if jpeg_quality:
        buf = io.BytesIO()
        image.save(buf, format="JPEG", quality=int(jpeg_quality))
        image = Image.open(io.BytesIO(buf.getvalue()))
        image.load()
    return image


def scan_page(
    digit_images: Sequence[np.ndarray],
    rng: np.random.Generator | int | None = None,
    *,
    size: tuple[int, int] = (640, 480),
    digit_height: float | tuple[float, float] = (50, 110),
    ruled: bool = False,
    jpeg_quality: int | None = None,
) -> Image.Image:
    """A photographed page: dark ink on light paper, upscaled digits off-centre, uneven light, noise, JPEG."""
    rng = _rng(rng)
    quality = jpeg_quality or int(rng.integers(55, 90))
    return compose(digit_images, rng, size=size, digit_height=digit_height, ruled=ruled, jpeg_quality=quality).image


def number_row(
    digit_images: Sequence[np.ndarray],
    rng: np.random.Generator | int | None = None,
    *,
    digit_height: float = 64,
    dark_ink: bool = True,
    jpeg_quality: int | None = 85,
) -> Image.Image:
    """A number written on paper and cropped close, like a phone photo of a form field."""
    rng = _rng(rng)
    return compose(digit_images, rng, digit_height=digit_height, dark_ink=dark_ink, light=0.25, noise=4.0, jpeg_quality=jpeg_quality).image


@dataclass
class Example:
    title: str
    image: Image.Image
    number: str  # what a person reads in it


def examples(x: np.ndarray, y: np.ndarray, seed: int = 0) -> list[Example]:
    """A few ready-made upload examples from MNIST test digits (for the Upload page)."""
    rng = np.random.default_rng(seed)
    pick = [int(i) for i in rng.choice(len(x), 12, replace=False)]

    def number(ids: list[int]) -> str:
        return "".join(str(int(y[i])) for i in ids)

    one, row, chalk, two_lines = pick[:1], pick[1:6], pick[6:9], pick[9:12] + pick[1:4]
    return [
        Example("A digit on a photographed page", scan_page(x[one], rng), number(one)),
        Example("A number written on paper", number_row(x[row], rng), number(row)),
        Example("Chalk on a blackboard", number_row(x[chalk], rng, dark_ink=False), number(chalk)),
        Example(
            "Two lines on ruled paper",
            compose(x[two_lines], rng, size=(720, 480), digit_height=70, per_line=3, ruled=True, jpeg_quality=80).image,
            number(two_lines),
        ),
    ]
