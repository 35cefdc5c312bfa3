"""An offline stand-in for the Draw page's canvas, and the non-digit sets it reads by default: the generator-free
shapes of ``realworld`` and the held-out sets "unseen pictures", "letters (other hands)" and "last pictures"
(``bench/heldout/``: what each is, when it was written and what it may inform).

``canvas_digits`` / ``canvas_non_digits`` draw strokes as the Draw page's canvas returns them (RGBA, a round pen
of 10-40 px on 336 px, ink in alpha) and read them with ``Predictor.read_canvas``, the page's own path: a
fast stand-in for ``bench_canvas_real.py`` (the same strokes, no browser).
"""

from __future__ import annotations

import numpy as np

from bench import heldout
from bench.realworld import SHAPES, STROKES, Point, wobble
from tests.support.inputs import canvas_rgba

CANVAS_PX = 336  # app_pages/draw.py


def strokes_on_canvas(strokes: list[list[Point]], rng: np.random.Generator) -> tuple[list[list[Point]], int]:
    """Unit-box strokes placed at a random size and spot of the canvas, and a pen width of 10-40 px."""
    side = rng.uniform(0.35, 0.8) * CANVAS_PX
    x0, y0 = rng.uniform(0.02 * CANVAS_PX, CANVAS_PX - side), rng.uniform(0.02 * CANVAS_PX, CANVAS_PX - side)
    pen = int(rng.integers(5, 21)) * 2
    return [[(x0 + x * side * 0.8, y0 + y * side) for x, y in s] for s in strokes], pen


def _on_canvas(strokes: list[list[Point]], rng: np.random.Generator) -> np.ndarray:
    placed, pen = strokes_on_canvas(wobble(strokes, rng, 0.015), rng)
    return canvas_rgba(placed, size=CANVAS_PX, stroke_width=pen)


def canvas_digits(per_style: int = 4, seed: int = 11) -> list[tuple[str, str, np.ndarray]]:
    """(label, style, rgba) for every hand style of every digit in ``realworld.STROKES``."""
    rng = np.random.default_rng(seed)
    return [
        (str(d), f"style {k}", _on_canvas(s, rng)) for d, styles in STROKES.items() for k, s in enumerate(styles) for _ in range(per_style)
    ]


def canvas_non_digits(sets: dict[str, dict], per_kind: int = 4, seed: int = 12) -> list[tuple[str, str, np.ndarray]]:
    """("", kind, rgba) for each kind of each named set of drawings."""
    rng = np.random.default_rng(seed)
    return [("", kind, _on_canvas(s, rng)) for kinds in sets.values() for kind, s in kinds.items() for _ in range(per_kind)]


NON_DIGIT_SETS = {"shapes": SHAPES, **heldout.sets("unseen pictures", "letters (other hands)")}
ALL_SETS = {**NON_DIGIT_SETS, **heldout.sets("last pictures")}


NUMBER_CANVAS = (640, 214)  # app_pages/draw_number.py: a 3:1 canvas for several digits
PHONE_NUMBER_CANVAS = (336, 112)  # the same on a phone


def number_strokes(count: int = 60, seed: int = 21) -> list[tuple[str, list[list[Point]], int]]:
    """(number, strokes in canvas pixels, pen): 2-5 digits from ``realworld.STROKES`` left to right on the wide
    canvas, each in a random hand style, with a random height, place and gap, one pen of 10-30 px per number."""
    rng = np.random.default_rng(seed)
    width, height = NUMBER_CANVAS
    out = []
    for _ in range(count):
        digits = [int(d) for d in rng.integers(0, 10, int(rng.integers(2, 6)))]
        size = rng.uniform(0.45, 0.8) * height
        pen = int(rng.integers(5, 16)) * 2
        step = size * rng.uniform(0.75, 1.0)
        x = rng.uniform(0.03, 0.1) * width
        if x + step * len(digits) > width * 0.97:
            step = (width * 0.94 - x) / len(digits)
        y = rng.uniform(0.05 * height, height - size - 0.05 * height)
        placed = []
        for d in digits:
            styles = STROKES[d]
            strokes = wobble(styles[int(rng.integers(len(styles)))], rng, 0.015)
            placed += [[(x + px * step * 0.7, y + py * size) for px, py in s] for s in strokes]
            x += step
        out.append(("".join(map(str, digits)), placed, pen))
    return out


def canvas_numbers(count: int = 60, seed: int = 21, canvas: tuple[int, int] = NUMBER_CANVAS) -> list[tuple[str, np.ndarray]]:
    """(number, rgba) of ``number_strokes``, drawn as the wide canvas would send them; ``canvas``: another size
    of it (the phone's), the strokes and pen scaled to it."""
    width, height = canvas
    k = width / NUMBER_CANVAS[0]
    return [
        (
            label,
            canvas_rgba([[(x * k, y * k) for x, y in s] for s in strokes], size=width, stroke_width=max(4, round(pen * k)))[
                :height, :width
            ],
        )
        for label, strokes, pen in number_strokes(count, seed)
    ]
