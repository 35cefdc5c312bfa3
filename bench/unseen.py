"""Held-out non-digits of kinds that no training generator draws, and an offline stand-in for the canvas.

``UNSEEN``: pictures a user might doodle (key, umbrella, lightning, note, crown, car, cat, candle, kite, boat,
cup, eye, bell, fork, tick, ladder, bow tie, leaf), made here with their own strokes. ``LETTERS``: the letters
the listed kinds name (A E F H K M N R W X), drawn here in other hands than ``mnist_core.data.non_digits`` draws them (curved,
lowercase, serifs). Neither informs training: ``mnist_core.data.non_digits`` draws none of these pictures, and its
letters are its own strokes.

``canvas_digits`` / ``canvas_non_digits`` draw strokes as the Draw page's canvas returns them (RGBA, a round pen
of 10-40 px on 336 px, ink in alpha) and read them with ``Predictor.read_canvas``, the page's own path: a
fast stand-in for ``bench_canvas_real.py`` (the same strokes, no browser).
"""

from __future__ import annotations

import numpy as np

from bench.realworld import SHAPES, STROKES, Point, arc, wobble
from tests.support.inputs import canvas_rgba

CANVAS_PX = 336  # app_pages/draw.py

UNSEEN: dict[str, list[list[Point]]] = {
    "key": [arc(0.25, 0.5, 0.18, 0.18, 0, 360, 20), [(0.43, 0.5), (0.95, 0.5)], [(0.8, 0.5), (0.8, 0.65)], [(0.9, 0.5), (0.9, 0.62)]],
    "umbrella": [[*arc(0.5, 0.45, 0.45, 0.35, 180, 360), (0.05, 0.45)], [(0.5, 0.45), (0.5, 0.9), *arc(0.6, 0.9, 0.1, 0.08, 180, 0, 6)]],
    "lightning": [[(0.6, 0.0), (0.25, 0.55), (0.55, 0.5), (0.3, 1.0), (0.8, 0.4), (0.5, 0.45), (0.75, 0.0)]],
    "note": [arc(0.3, 0.82, 0.16, 0.12, 0, 360, 16), [(0.46, 0.82), (0.46, 0.05), (0.85, 0.25)], arc(0.3, 0.82, 0.08, 0.05, 0, 360, 8)],
    "crown": [[(0.05, 0.9), (0.05, 0.25), (0.3, 0.6), (0.5, 0.15), (0.7, 0.6), (0.95, 0.25), (0.95, 0.9), (0.05, 0.9)]],
    "car": [
        [(0.0, 0.7), (0.0, 0.45), (0.25, 0.45), (0.35, 0.2), (0.7, 0.2), (0.8, 0.45), (1.0, 0.5), (1.0, 0.7), (0.0, 0.7)],
        arc(0.25, 0.75, 0.1, 0.1, 0, 360, 12),
        arc(0.75, 0.75, 0.1, 0.1, 0, 360, 12),
    ],
    "cat": [
        [*arc(0.5, 0.6, 0.4, 0.35, -30, 210), (0.15, 0.1), (0.35, 0.3), (0.65, 0.3), (0.85, 0.1), (0.85, 0.42)],
        [(0.35, 0.55), (0.36, 0.58)],
        [(0.65, 0.55), (0.66, 0.58)],
        [(0.0, 0.7), (0.35, 0.72)],
        [(0.65, 0.72), (1.0, 0.7)],
    ],
    "candle": [
        [(0.3, 1.0), (0.3, 0.35), (0.7, 0.35), (0.7, 1.0), (0.3, 1.0)],
        [(0.5, 0.35), (0.5, 0.25)],
        arc(0.5, 0.15, 0.08, 0.12, 0, 360, 10),
    ],
    "kite": [
        [(0.5, 0.0), (0.85, 0.35), (0.5, 0.75), (0.15, 0.35), (0.5, 0.0), (0.5, 0.75)],
        [(0.15, 0.35), (0.85, 0.35)],
        [(0.5, 0.75), (0.4, 0.85), (0.55, 0.92), (0.45, 1.0)],
    ],
    "boat": [[(0.0, 0.65), (1.0, 0.65), (0.8, 0.9), (0.2, 0.9), (0.0, 0.65)], [(0.5, 0.65), (0.5, 0.0), (0.85, 0.5), (0.5, 0.5)]],
    "cup": [[(0.1, 0.1), (0.2, 0.9), (0.7, 0.9), (0.8, 0.1), (0.1, 0.1)], arc(0.82, 0.45, 0.15, 0.18, -90, 90, 10)],
    "eye": [[*arc(0.5, 0.9, 0.6, 0.55, 200, 340, 16)], [*arc(0.5, 0.1, 0.6, 0.55, 20, 160, 16)], arc(0.5, 0.5, 0.12, 0.12, 0, 360, 12)],
    "bell": [[(0.1, 0.85), *arc(0.5, 0.45, 0.32, 0.4, 180, 360), (0.9, 0.85), (0.1, 0.85)], arc(0.5, 0.92, 0.08, 0.06, 0, 180, 6)],
    "fork": [[(0.5, 1.0), (0.5, 0.4)], [(0.25, 0.0), (0.25, 0.3), (0.75, 0.3), (0.75, 0.0)], [(0.5, 0.0), (0.5, 0.3)]],
    "tick": [[(0.0, 0.55), (0.3, 0.95), (1.0, 0.0)], [(0.1, 0.1), (0.2, 0.1)]],
    "ladder": [[(0.25, 0.0), (0.25, 1.0)], [(0.75, 0.0), (0.75, 1.0)], *[[(0.25, y), (0.75, y)] for y in (0.15, 0.38, 0.62, 0.85)]],
    "bow tie": [[(0.0, 0.2), (1.0, 0.8), (1.0, 0.2), (0.0, 0.8), (0.0, 0.2)]],
    "leaf": [[*arc(0.5, 1.1, 0.6, 0.9, 200, 340, 14), *arc(0.5, -0.1, 0.6, 0.9, 20, 160, 14)], [(0.0, 0.5), (1.0, 0.5)]],
}

LETTERS: dict[str, list[list[Point]]] = {
    "A round": [[(0.1, 1.0), (0.35, 0.2), *arc(0.5, 0.25, 0.15, 0.2, 180, 360, 8), (0.9, 1.0)], [(0.25, 0.62), (0.8, 0.6)]],
    "E cursive": [[*arc(0.6, 0.28, 0.35, 0.25, -30, 250, 14), *arc(0.6, 0.75, 0.4, 0.25, 110, 390, 14)]],
    "E serif": [
        [(0.9, 0.1), (0.9, 0.0), (0.1, 0.0), (0.1, 1.0), (0.9, 1.0), (0.9, 0.9)],
        [(0.1, 0.5), (0.6, 0.5)],
        [(0.6, 0.42), (0.6, 0.58)],
    ],
    "F slanted": [[(0.4, 1.0), (0.3, 0.0), (0.95, 0.0)], [(0.35, 0.45), (0.8, 0.45)]],
    "H tall": [[(0.2, 0.0), (0.25, 1.0)], [(0.8, 0.0), (0.75, 1.0)], [(0.1, 0.45), (0.9, 0.55)]],
    "h lower": [[(0.2, 0.0), (0.2, 1.0)], [(0.2, 0.6), *arc(0.5, 0.6, 0.3, 0.2, 180, 360, 8), (0.8, 1.0)]],
    "K one stroke": [[(0.2, 0.0), (0.2, 1.0)], [(0.8, 0.0), (0.2, 0.55), (0.85, 1.0)]],
    "M round": [
        [
            (0.05, 1.0),
            (0.05, 0.1),
            *arc(0.27, 0.25, 0.22, 0.2, 180, 360, 8),
            (0.5, 0.6),
            *arc(0.73, 0.25, 0.22, 0.2, 180, 360, 8),
            (0.95, 1.0),
        ]
    ],
    "N slanted": [[(0.1, 1.0), (0.2, 0.0), (0.8, 1.0), (0.9, 0.0)]],
    "n lower": [[(0.15, 0.2), (0.15, 1.0)], [(0.15, 0.5), *arc(0.5, 0.5, 0.35, 0.3, 180, 360, 10), (0.85, 1.0)]],
    "R round": [[(0.15, 1.0), (0.15, 0.0), *arc(0.4, 0.25, 0.35, 0.25, -90, 90, 10), (0.15, 0.5), (0.9, 1.0)]],
    "W round": [[(0.0, 0.0), *arc(0.25, 0.7, 0.22, 0.3, 180, 0, 10), (0.5, 0.3), *arc(0.75, 0.7, 0.22, 0.3, 180, 0, 10), (1.0, 0.0)]],
    "X curly": [[(0.05, 0.0), *arc(0.5, 0.5, 0.1, 0.1, 225, 45, 6), (0.95, 1.0)], [(0.95, 0.0), (0.05, 1.0)]],
    "x lower": [[(0.1, 0.3), (0.9, 1.0)], [(0.9, 0.3), (0.1, 1.0)], [(0.05, 0.3), (0.15, 0.3)]],
}


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


# Written after studio-v4 was chosen, and read once: a set that informed nothing.
LAST: dict[str, list[list[Point]]] = {
    "anchor": [
        [(0.5, 0.15), (0.5, 0.95)],
        [(0.3, 0.3), (0.7, 0.3)],
        arc(0.5, 0.1, 0.08, 0.08, 0, 360, 10),
        arc(0.5, 0.65, 0.4, 0.3, 0, 180, 14),
    ],
    "rocket": [
        [(0.35, 0.8), (0.35, 0.3), (0.5, 0.0), (0.65, 0.3), (0.65, 0.8), (0.35, 0.8)],
        [(0.35, 0.6), (0.15, 0.9), (0.35, 0.8)],
        [(0.65, 0.6), (0.85, 0.9), (0.65, 0.8)],
    ],
    "hourglass": [[(0.15, 0.0), (0.85, 0.0), (0.15, 1.0), (0.85, 1.0), (0.15, 0.0)]],
    "glasses": [
        arc(0.22, 0.5, 0.18, 0.15, 0, 360, 14),
        arc(0.78, 0.5, 0.18, 0.15, 0, 360, 14),
        [(0.4, 0.5), (0.6, 0.5)],
        [(0.04, 0.45), (0.0, 0.3)],
        [(0.96, 0.45), (1.0, 0.3)],
    ],
    "flag": [[(0.15, 1.0), (0.15, 0.0)], [(0.15, 0.05), (0.9, 0.2), (0.15, 0.45)]],
    "sword": [[(0.5, 0.0), (0.5, 0.7)], [(0.25, 0.7), (0.75, 0.7)], [(0.5, 0.7), (0.5, 1.0)], [(0.45, 0.0), (0.55, 0.0)]],
    "mushroom": [[*arc(0.5, 0.45, 0.45, 0.4, 180, 360, 14), (0.05, 0.45)], [(0.4, 0.45), (0.38, 1.0), (0.62, 1.0), (0.6, 0.45)]],
    "spider": [
        arc(0.5, 0.5, 0.15, 0.15, 0, 360, 12),
        *[[(0.5 + 0.15 * sx, 0.45 + dy), (0.5 + 0.45 * sx, 0.3 + 2 * dy)] for sx in (-1, 1) for dy in (-0.1, 0.0, 0.1, 0.2)],
    ],
    "bicycle": [
        arc(0.2, 0.7, 0.18, 0.18, 0, 360, 14),
        arc(0.8, 0.7, 0.18, 0.18, 0, 360, 14),
        [(0.2, 0.7), (0.45, 0.35), (0.8, 0.7)],
        [(0.45, 0.35), (0.7, 0.35)],
    ],
    "tulip": [
        [(0.2, 0.1), (0.35, 0.3), (0.5, 0.05), (0.65, 0.3), (0.8, 0.1), (0.75, 0.45), (0.25, 0.45), (0.2, 0.1)],
        [(0.5, 0.45), (0.5, 1.0)],
        [(0.5, 0.8), (0.75, 0.65)],
    ],
}

NON_DIGIT_SETS = {"shapes": SHAPES, "unseen pictures": UNSEEN, "letters (other hands)": LETTERS}
ALL_SETS = {**NON_DIGIT_SETS, "last pictures": LAST}  # LAST: measured on studio-v4 only after it was chosen


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
