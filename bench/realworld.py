"""Real-world evaluation sets that no training step sees: other people's digits, handwriting fonts on
photographed paper, digits and non-digits as pen strokes for the canvas.

Sources (all offline, installed by ``make bench-deps``):
- ``optdigits``: the UCI pen-and-paper digits of 43 writers shipped inside scikit-learn (``load_digits``,
  1,797 digits at 8x8, 17 grey levels): other writers at low resolution.
- ``fonts``: digits, letters and symbols in the handwriting fonts of Debian's font packages, written on
  photographed paper (``mnist_core.data.synthetic.compose``: uneven light, noise, blur, JPEG).
- ``STROKES`` / ``SHAPES``: digits in several hand styles and non-digit drawings as pen strokes, drawn
  here with their own code, for the canvas in Chromium (``bench_canvas_real.py``) and on paper.

The non-digit kinds here are chosen to differ from ``mnist_core.data.non_digits`` (what training refuses):
hearts, houses, smileys, envelopes, clouds, suns, fish, flowers, trees, moons and font letters and
symbols are not generated there at all.
"""

from __future__ import annotations

import glob
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from mnist_core.data import synthetic

FONT_GLOBS = ["/usr/share/fonts/truetype/*/*.ttf", "/usr/share/fonts/opentype/*/*.otf"]
NOT_HANDWRITING = ("dejavu", "liberation", "femkeklaver")  # femkeklaver draws hollow outlines, not strokes
NON_DIGIT_LETTERS = "AEFHKMNRWX"  # letters no digit resembles
SYMBOLS = "@#%?€"  # no "!" (a 1), "$" (an S, a 5) or "&" (an 8 in some hands)

Point = tuple[float, float]


def handwriting_fonts() -> list[str]:
    fonts = sorted(f for g in FONT_GLOBS for f in glob.glob(g) if not any(n in f.lower() for n in NOT_HANDWRITING))
    return [f for f in fonts if _draws_digits(f)]


def _draws_digits(path: str) -> bool:
    """Some fonts map digits to empty boxes; keep those whose 0-9 are ten different shapes with ink."""
    glyphs = [glyph(path, str(d), 64) for d in range(10)]
    return all(g.max() > 0 for g in glyphs) and len({g.tobytes() for g in glyphs}) == 10


def glyph(font_path: str, text: str, size: int = 160) -> np.ndarray:
    """``text`` in the font, white ink on black, cropped to its ink: uint8 (h, w)."""
    font = ImageFont.truetype(font_path, size)
    image = Image.new("L", (size * (len(text) + 2), size * 2), 0)
    ImageDraw.Draw(image).text((size // 2, size // 3), text, fill=255, font=font)
    a = np.asarray(image)
    rows, cols = np.flatnonzero(a.max(axis=1) > 40), np.flatnonzero(a.max(axis=0) > 40)
    if rows.size == 0:
        return np.zeros((8, 8), np.uint8)
    return a[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _turned(a: np.ndarray, degrees: float) -> np.ndarray:
    return np.asarray(Image.fromarray(a).rotate(degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=0))


# ---------------------------------------------------------------- sets


@dataclass
class Sample:
    image: Image.Image
    label: str  # the digits ("4", "3071"), or "" for a mark that is not a digit
    source: str  # font or kind


def font_digit_photos(per_font: int = 3, seed: int = 1) -> list[Sample]:
    """One digit per photo, each font, each digit, ``per_font`` times (size, slant, light, ink differ)."""
    rng = np.random.default_rng(seed)
    out = []
    for path in handwriting_fonts():
        for d in range(10):
            for _ in range(per_font):
                g = _turned(glyph(path, str(d)), rng.uniform(-8, 8))
                layout = synthetic.compose([g], rng, digit_height=rng.uniform(40, 120), margin=rng.uniform(0.4, 1.2))
                out.append(Sample(layout.image, str(d), path.rsplit("/", 1)[-1]))
    return out


def font_number_photos(count: int = 100, seed: int = 2) -> list[Sample]:
    """Whole numbers of 3-6 digits, each written in one font, photographed."""
    rng = np.random.default_rng(seed)
    fonts = handwriting_fonts()
    out = []
    for i in range(count):
        path = fonts[i % len(fonts)]
        digits = [int(v) for v in rng.integers(0, 10, int(rng.integers(3, 7)))]
        glyphs = [_turned(glyph(path, str(d)), rng.uniform(-6, 6)) for d in digits]
        layout = synthetic.compose(glyphs, rng, digit_height=rng.uniform(45, 90), gap=(0.3, 0.6))
        out.append(Sample(layout.image, "".join(map(str, digits)), path.rsplit("/", 1)[-1]))
    return out


def optdigits(as_shipped: bool = False) -> list[Sample]:
    """The 1,797 UCI digits (43 writers), 8x8 at 17 grey levels, as small grey images (dark ink on white):
    enlarged to 48x48 with a little paper around, or ``as_shipped``, the 8x8 alone (ink to the edges)."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    out = []
    for image, label in zip(digits.images, digits.target, strict=True):
        ink = image / 16.0 if as_shipped else np.pad(image / 16.0, 2)  # a little paper around it
        grey = (255 - np.round(ink * 255)).astype(np.uint8)
        small = Image.fromarray(grey)
        out.append(Sample(small if as_shipped else small.resize((48, 48), Image.Resampling.BILINEAR), str(int(label)), "optdigits"))
    return out


def non_digit_photos(per_kind: int = 4, seed: int = 3) -> list[Sample]:
    """Letters and symbols in handwriting fonts, and drawn shapes, photographed: nothing here is a digit."""
    rng = np.random.default_rng(seed)
    out = []
    fonts = handwriting_fonts()
    for k, ch in enumerate(NON_DIGIT_LETTERS + SYMBOLS):
        for j in range(per_kind):
            path = fonts[(k * per_kind + j) % len(fonts)]
            g = _turned(glyph(path, ch), rng.uniform(-8, 8))
            if g.max() == 0:
                continue
            out.append(Sample(synthetic.compose([g], rng, digit_height=rng.uniform(50, 110)).image, "", f"font {ch}"))
    for kind in SHAPES:
        for _ in range(per_kind):
            strokes = wobble(SHAPES[kind], rng)
            ink = draw_strokes(strokes, 200, int(rng.integers(6, 16)))
            out.append(Sample(synthetic.compose([ink], rng, digit_height=rng.uniform(60, 120)).image, "", kind))
    return out


# ---------------------------------------------------------------- strokes


def arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int = 24) -> list[Point]:
    """Degrees, 0 = right, 90 = down (y down), from ``start`` to ``end``."""
    return [
        (cx + rx * math.cos(math.radians(start + (end - start) * i / n)), cy + ry * math.sin(math.radians(start + (end - start) * i / n)))
        for i in range(n + 1)
    ]


# Digits as pen strokes in a unit box, two or three hand styles each.
STROKES: dict[int, list[list[list[Point]]]] = {
    0: [[arc(0.5, 0.5, 0.4, 0.5, -90, 275)], [arc(0.5, 0.5, 0.3, 0.5, -100, 265)]],
    1: [
        [[(0.5, 0.0), (0.5, 1.0)]],
        [[(0.4, 0.15), (0.6, 0.0), (0.6, 1.0)]],
        [[(0.4, 0.15), (0.6, 0.0), (0.6, 1.0)], [(0.35, 1.0), (0.85, 1.0)]],
    ],
    2: [
        [[*arc(0.5, 0.3, 0.38, 0.3, 200, 360), *arc(0.5, 0.3, 0.38, 0.3, 0, 50, 6), (0.1, 1.0), (0.95, 1.0)]],
        [[*arc(0.45, 0.3, 0.35, 0.3, 190, 380), (0.1, 0.95), *arc(0.3, 0.85, 0.15, 0.1, 90, 360, 10), (0.95, 1.0)]],
    ],
    3: [
        [[*arc(0.45, 0.25, 0.4, 0.25, 200, 450), *arc(0.45, 0.72, 0.45, 0.28, -90, 150)]],
        [[(0.1, 0.0), (0.9, 0.0), (0.4, 0.42), *arc(0.45, 0.7, 0.45, 0.3, -80, 160)]],
    ],
    4: [
        [[(0.65, 0.0), (0.05, 0.68), (0.95, 0.68)], [(0.7, 0.3), (0.7, 1.0)]],
        [[(0.2, 0.0), (0.1, 0.55), (0.9, 0.55)], [(0.75, 0.0), (0.75, 1.0)]],
    ],
    5: [
        [[(0.85, 0.0), (0.2, 0.0), (0.15, 0.42), *arc(0.45, 0.68, 0.42, 0.32, -120, 150)]],
        [[(0.2, 0.0), (0.15, 0.42), *arc(0.45, 0.68, 0.42, 0.32, -120, 150)], [(0.2, 0.0), (0.9, 0.0)]],
    ],
    6: [
        [[(0.75, 0.02), (0.45, 0.15), (0.22, 0.45), *arc(0.5, 0.7, 0.3, 0.3, 180, -180)]],
        [[(0.7, 0.0), (0.2, 0.6), *arc(0.5, 0.7, 0.32, 0.3, 180, 180 + 360)]],
    ],
    7: [[[(0.05, 0.0), (0.95, 0.0), (0.4, 1.0)]], [[(0.05, 0.0), (0.95, 0.0), (0.4, 1.0)], [(0.3, 0.5), (0.85, 0.5)]]],
    8: [
        [[*arc(0.5, 0.25, 0.3, 0.25, 90, 90 - 360), *arc(0.5, 0.74, 0.4, 0.26, -90, 270)]],
        [[*arc(0.5, 0.26, 0.32, 0.26, 20, 380), *arc(0.5, 0.74, 0.38, 0.26, -90, 270)]],
    ],
    9: [
        [[*arc(0.5, 0.3, 0.35, 0.3, 0, 360 + 10), (0.85, 0.3), (0.8, 1.0)]],
        [[*arc(0.5, 0.3, 0.38, 0.3, -10, 360), (0.88, 0.3), (0.5, 1.0)]],
    ],
}

_heart = [*arc(0.28, 0.3, 0.22, 0.22, 180, 360), *arc(0.72, 0.3, 0.22, 0.22, 180, 360), (0.5, 1.0), (0.06, 0.35)]
SHAPES: dict[str, list[list[Point]]] = {
    "heart": [_heart],
    "house": [[(0.1, 1.0), (0.1, 0.45), (0.5, 0.0), (0.9, 0.45), (0.9, 1.0), (0.1, 1.0)], [(0.4, 1.0), (0.4, 0.7), (0.6, 0.7), (0.6, 1.0)]],
    "smiley": [
        arc(0.5, 0.5, 0.45, 0.45, 0, 360, 40),
        [(0.33, 0.33), (0.35, 0.38)],
        [(0.65, 0.33), (0.67, 0.38)],
        arc(0.5, 0.55, 0.25, 0.2, 20, 160),
    ],
    "envelope": [[(0.0, 0.2), (1.0, 0.2), (1.0, 0.85), (0.0, 0.85), (0.0, 0.2), (0.5, 0.58), (1.0, 0.2)]],
    "cloud": [
        [*arc(0.25, 0.6, 0.18, 0.2, 90, 270), *arc(0.5, 0.4, 0.22, 0.25, 180, 360), *arc(0.77, 0.6, 0.18, 0.2, 270, 450), (0.25, 0.8)]
    ],
    "sun": [arc(0.5, 0.5, 0.2, 0.2, 0, 360, 24)]
    + [
        [(0.5 + 0.28 * math.cos(a), 0.5 + 0.28 * math.sin(a)), (0.5 + 0.48 * math.cos(a), 0.5 + 0.48 * math.sin(a))]
        for a in np.linspace(0, 2 * math.pi, 9)[:-1]
    ],
    "fish": [
        [*arc(0.45, 0.5, 0.35, 0.25, 180, 360), (0.95, 0.2), (0.95, 0.8), *arc(0.45, 0.5, 0.35, 0.25, 0, 180)],
        [(0.3, 0.45), (0.32, 0.47)],
    ],
    "flower": [
        arc(0.5 + 0.25 * math.cos(a), 0.5 + 0.25 * math.sin(a), 0.15, 0.15, 0, 360, 14) for a in np.linspace(0, 2 * math.pi, 6)[:-1]
    ],
    "tree": [[(0.45, 1.0), (0.45, 0.65)], [(0.55, 1.0), (0.55, 0.65)], [*arc(0.5, 0.38, 0.4, 0.3, 90, 450, 30)]],
    "moon": [[*arc(0.5, 0.5, 0.45, 0.5, 60, 300), *arc(0.75, 0.5, 0.35, 0.45, 250, 110)]],
}


def wobble(strokes: list[list[Point]], rng: np.random.Generator, amount: float = 0.02) -> list[list[Point]]:
    """A hand's wobble, slant and aspect on unit-box strokes."""
    slant, aspect = rng.normal(0, 0.12), math.exp(rng.normal(0, 0.12))
    return [
        [(0.5 + (x - 0.5 + slant * (0.5 - y)) * aspect + rng.normal(0, amount), y + rng.normal(0, amount)) for x, y in s] for s in strokes
    ]


def draw_strokes(strokes: list[list[Point]], size: int, width: int) -> np.ndarray:
    """Unit-box strokes drawn white on black at (size, size), a margin around them: uint8."""
    image = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(image)
    m = size * 0.15
    for s in strokes:
        pts = [(m + x * (size - 2 * m), m + y * (size - 2 * m)) for x, y in s]
        draw.line(pts, fill=255, width=width, joint="curve")
        for x, y in pts[:1] + pts[-1:]:
            draw.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=255)
    return np.asarray(image)


def stroke_digit_photos(per_style: int = 3, seed: int = 4) -> list[Sample]:
    """The stroke digits written on photographed paper (another hand than the fonts')."""
    rng = np.random.default_rng(seed)
    out = []
    for d, styles in STROKES.items():
        for k, style in enumerate(styles):
            for _ in range(per_style):
                ink = draw_strokes(wobble(style, rng), 200, int(rng.integers(7, 18)))
                out.append(Sample(synthetic.compose([ink], rng, digit_height=rng.uniform(50, 110)).image, str(d), f"strokes style {k}"))
    return out
