"""Marks that are not digits, drawn as a person would with a pen, for training the model to refuse them.

``non_digits(n, seed)`` returns (n, 28, 28) uint8 images normalised exactly as the app normalises
what it reads (``preprocess.normalize``), so the model meets them in the form it will see.
The kinds: letters no digit resembles (stroked capitals and a few lowercase), stars, polygons,
crosses, arrows, zigzags, waves, hatching, grids, spirals, scribbles, doodles (two to four random
shapes, lines and dots together), scalloped closed curves, closed curves with corners or dents,
closed shapes with marks inside, letters of other scripts and symbols from fonts (``mnist_core.data.glyphs``) and,
given real digits, mirrored 3s, 4s, 6s, 7s and 9s. Circles, ovals, lines and letters that look like digits (O, I, l, S, Z, B, G, q, g, b) are
left out on purpose: those are how people write 0, 1, 5, 2, 8, 6 and 9.

Given real digits, a doodle, an outline, a shape with marks inside or a mirrored digit that lies closer to one of them
(blurred pixels, cosine) than 80 % of real digits lie to their nearest other digit is drawn again:
a doodle can happen to be an 8 or a 9. A glyph is held to 95 %: printed, it can be a digit another hand writes.
"""

from __future__ import annotations

import hashlib
import io
import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from mnist_core import preprocess, settings
from mnist_core.data import glyphs
from mnist_core.storage import atomic

Stroke = list[tuple[float, float]]  # points in a unit square, y down

# Capitals as pen strokes in a unit box (x, y), y down.
LETTERS: dict[str, list[Stroke]] = {
    "A": [[(0.1, 1), (0.5, 0), (0.9, 1)], [(0.27, 0.6), (0.73, 0.6)]],
    "E": [[(0.85, 0), (0.15, 0), (0.15, 1), (0.85, 1)], [(0.15, 0.5), (0.7, 0.5)]],
    "F": [[(0.85, 0), (0.15, 0), (0.15, 1)], [(0.15, 0.48), (0.7, 0.48)]],
    "H": [[(0.15, 0), (0.15, 1)], [(0.85, 0), (0.85, 1)], [(0.15, 0.5), (0.85, 0.5)]],
    "K": [[(0.15, 0), (0.15, 1)], [(0.85, 0), (0.15, 0.55)], [(0.38, 0.4), (0.85, 1)]],
    "M": [[(0.05, 1), (0.15, 0), (0.5, 0.65), (0.85, 0), (0.95, 1)]],
    "N": [[(0.15, 1), (0.15, 0), (0.85, 1), (0.85, 0)]],
    "R": [[(0.15, 1), (0.15, 0), (0.65, 0), (0.85, 0.12), (0.85, 0.38), (0.65, 0.5), (0.15, 0.5)], [(0.45, 0.5), (0.9, 1)]],
    "W": [[(0.0, 0), (0.22, 1), (0.5, 0.35), (0.78, 1), (1.0, 0)]],
    "X": [[(0.1, 0), (0.9, 1)], [(0.9, 0), (0.1, 1)]],
    "Y": [[(0.1, 0), (0.5, 0.5), (0.9, 0)], [(0.5, 0.5), (0.5, 1)]],
    "V": [[(0.05, 0), (0.5, 1), (0.95, 0)]],
    "T": [[(0.05, 0), (0.95, 0)], [(0.5, 0), (0.5, 1)]],
    "e": [[(0.15, 0.55), (0.85, 0.55), (0.8, 0.3), (0.5, 0.15), (0.2, 0.3), (0.12, 0.6), (0.3, 0.9), (0.6, 0.95), (0.85, 0.82)]],
    "m": [
        [(0.05, 1), (0.05, 0.3)],
        [(0.05, 0.45), (0.25, 0.3), (0.45, 0.45), (0.45, 1)],
        [(0.45, 0.45), (0.7, 0.3), (0.92, 0.45), (0.92, 1)],
    ],
    "w": [[(0.0, 0.3), (0.22, 1), (0.5, 0.5), (0.78, 1), (1.0, 0.3)]],
    "k": [[(0.2, 0), (0.2, 1)], [(0.8, 0.35), (0.2, 0.7)], [(0.4, 0.6), (0.85, 1)]],
}


def _polygon(corners: int, rng: np.random.Generator, star: bool = False) -> list[Stroke]:
    turn = rng.uniform(0, 2 * math.pi)
    points = []
    for i in range(corners * (2 if star else 1) + 1):
        radius = (0.45 if i % 2 == 0 else rng.uniform(0.15, 0.25)) if star else 0.45
        angle = turn + i * math.pi * (1 if star else 2) / corners
        points.append((0.5 + radius * math.cos(angle), 0.5 + radius * math.sin(angle)))
    return [points]


def _pentagram(rng: np.random.Generator) -> list[Stroke]:
    turn = rng.uniform(0, 2 * math.pi)
    return [[(0.5 + 0.45 * math.cos(turn + k * 4 * math.pi / 5), 0.5 + 0.45 * math.sin(turn + k * 4 * math.pi / 5)) for k in range(6)]]


def _cross(rng: np.random.Generator) -> list[Stroke]:
    strokes = [[(0.5, 0.05), (0.5, 0.95)], [(0.05, 0.5), (0.95, 0.5)]]
    if rng.random() < 0.4:  # an asterisk
        strokes += [[(0.18, 0.18), (0.82, 0.82)], [(0.82, 0.18), (0.18, 0.82)]]
    return strokes


def _arrow(rng: np.random.Generator) -> list[Stroke]:
    head = rng.uniform(0.2, 0.35)
    return [[(0.05, 0.5), (0.95, 0.5)], [(0.95 - head, 0.5 - head), (0.95, 0.5), (0.95 - head, 0.5 + head)]]


def _zigzag(rng: np.random.Generator) -> list[Stroke]:
    teeth = int(rng.integers(4, 8))  # three teeth make a Z, a 2
    return [[(i / teeth, 0.2 if i % 2 else 0.8) for i in range(teeth + 1)]]


def _wave(rng: np.random.Generator) -> list[Stroke]:
    cycles = rng.uniform(1.5, 3.5)
    return [[(t, 0.5 + 0.3 * math.sin(2 * math.pi * cycles * t)) for t in np.linspace(0, 1, 40)]]


def _hatching(rng: np.random.Generator) -> list[Stroke]:
    lines = int(rng.integers(4, 9))
    strokes = [[(0.05, i / (lines - 1)), (0.95, i / (lines - 1) * 0.6 + 0.2)] for i in range(lines)]
    if rng.random() < 0.4:  # cross-hatching
        strokes += [[(i / (lines - 1), 0.05), (i / (lines - 1) * 0.6 + 0.2, 0.95)] for i in range(lines)]
    return strokes


def _grid(rng: np.random.Generator) -> list[Stroke]:
    a, b = rng.uniform(0.25, 0.4), rng.uniform(0.6, 0.75)
    return [[(a, 0), (a, 1)], [(b, 0), (b, 1)], [(0, a), (1, a)], [(0, b), (1, b)]]


def _spiral(rng: np.random.Generator) -> list[Stroke]:
    turns = rng.uniform(2.0, 4.0)
    t = np.linspace(0, 1, 120)
    angle = 2 * math.pi * turns * t + rng.uniform(0, 2 * math.pi)
    radius = 0.05 + 0.42 * t
    return [list(zip(0.5 + radius * np.cos(angle), 0.5 + radius * np.sin(angle)))]


def _scribble(rng: np.random.Generator) -> list[Stroke]:
    """A random walk with momentum: a tangle of loops and turns."""
    points, position, heading = [], rng.uniform(0.3, 0.7, 2), rng.uniform(0, 2 * math.pi)
    for _ in range(int(rng.integers(80, 200))):  # shorter walks can trace a digit
        heading += rng.normal(0, 0.8)
        position = np.clip(position + 0.06 * np.array([math.cos(heading), math.sin(heading)]), 0, 1)
        points.append(tuple(position))
    return [points]


def _closed(rng: np.random.Generator, bumps: int = 0) -> Stroke:
    """A closed curve: a random smooth blob, or with ``bumps`` scallops (a cloud, a flower)."""
    t = np.linspace(0, 2 * math.pi, 90)
    radius = np.ones_like(t)
    if bumps:
        radius += rng.uniform(0.35, 0.55) * np.abs(np.sin(bumps * t / 2 + rng.uniform(0, math.pi)))
    else:
        for k in range(2, 6):
            radius += rng.uniform(0, 0.3 / k) * np.cos(k * t + rng.uniform(0, 2 * math.pi))
    rx, ry = rng.uniform(0.3, 0.5), rng.uniform(0.3, 0.5)
    return list(zip(0.5 + rx * radius * np.cos(t) / radius.max(), 0.5 + ry * radius * np.sin(t) / radius.max()))


def _outline(rng: np.random.Generator) -> Stroke:
    """A closed curve with corners or a dent (a heart, a leaf, a shield, a bean): not an oval."""
    t = np.linspace(0, 2 * math.pi, 48)
    radius = np.ones_like(t)
    for k in range(2, 7):
        radius += rng.uniform(0, 0.6 / k) * np.cos(k * t + rng.uniform(0, 2 * math.pi))
    for _ in range(int(rng.integers(1, 3))):  # a dent or a point
        at, width = rng.uniform(0, 2 * math.pi), rng.uniform(0.12, 0.35)
        gap = np.angle(np.exp(1j * (t - at)))
        radius *= 1 + rng.choice([-0.45, 0.35]) * np.exp(-((gap / width) ** 2))
    radius = np.clip(radius, 0.2, None)
    return list(zip(0.5 + 0.45 * radius * np.cos(t) / radius.max(), 0.5 + 0.45 * radius * np.sin(t) / radius.max()))


def _enclosed(rng: np.random.Generator) -> list[Stroke]:
    """A closed shape with one to three small marks inside it: a face, an eye, a box with something in it."""
    outer = [_closed(rng)] if rng.random() < 0.6 else _polygon(int(rng.integers(3, 5)), rng) if rng.random() < 0.5 else [_outline(rng)]
    inner: list[Stroke] = []
    for _ in range(int(rng.integers(1, 4))):
        cx, cy, size = *rng.uniform(0.32, 0.68, 2), rng.uniform(0.08, 0.25)
        if rng.random() < 0.5:
            inner.append([(cx, cy), (cx + 0.02, cy + 0.02)])  # a dot
        else:
            start = rng.uniform(0, 360)
            a = np.radians(np.linspace(start, start + rng.uniform(60, 200), 10))
            inner.append(list(zip(cx + size * np.cos(a), cy + size * np.sin(a))))
    return outer + inner


def _primitive(rng: np.random.Generator) -> list[Stroke]:
    """One part of a doodle, in the unit box."""
    kind = int(rng.integers(7))
    if kind == 0:
        return [_closed(rng)]
    if kind == 1:
        return [_closed(rng, bumps=int(rng.integers(3, 8)))]
    if kind == 2:
        return _polygon(int(rng.integers(3, 5)), rng)
    if kind == 3:
        a, b = rng.uniform(0, 1, 2), rng.uniform(0, 1, 2)
        return [[tuple(a), tuple(b)]]
    if kind == 4:
        start = rng.uniform(0, 360)
        t = np.radians(np.linspace(start, start + rng.uniform(90, 240), 20))
        return [list(zip(0.5 + 0.45 * np.cos(t), 0.5 + 0.45 * np.sin(t)))]
    if kind == 5:
        x, y = rng.uniform(0.3, 0.7, 2)
        return [[(x, y), (x + 0.04, y + 0.04)]]  # a dot
    return _zigzag(rng)


def _doodle(rng: np.random.Generator) -> list[Stroke]:
    """Two to four parts at random sizes and places: a face, a house, a car, a flower, or nothing at all."""
    strokes: list[Stroke] = []
    parts = 0
    while parts < 2 or (parts < 4 and rng.random() < 0.5):  # dots beside one oval would make a 0: two parts besides dots
        size, (cx, cy) = rng.uniform(0.25, 0.7), rng.uniform(0.2, 0.8, 2)
        part = [[(cx + (x - 0.5) * size, cy + (y - 0.5) * size) for x, y in s] for s in _primitive(rng)]
        parts += np.ptp(np.array(part[0]), axis=0).max() > 0.06  # a dot is 0.03 at most
        strokes += part
    return strokes


def _letters(rng: np.random.Generator) -> list[Stroke]:
    return LETTERS[list(LETTERS)[int(rng.integers(len(LETTERS)))]]


def _word(rng: np.random.Generator) -> list[Stroke]:
    """Two or three letters side by side, as one mark."""
    count = int(rng.integers(2, 4))
    strokes = []
    for i in range(count):
        strokes += [[((i + x * 0.85) / count, 0.3 + y * 0.4) for x, y in stroke] for stroke in _letters(rng)]
    return strokes


KINDS = {
    "letter": (_letters, 0.34),
    "word": (_word, 0.06),
    "star": (lambda rng: _polygon(int(rng.integers(5, 7)), rng, star=True) if rng.random() < 0.5 else _pentagram(rng), 0.08),
    "polygon": (lambda rng: _polygon(int(rng.integers(3, 5)), rng), 0.06),  # more corners read as a 0
    "cross": (_cross, 0.06),
    "arrow": (_arrow, 0.06),
    "zigzag": (_zigzag, 0.06),
    "wave": (_wave, 0.04),
    "hatching": (_hatching, 0.06),
    "grid": (_grid, 0.04),
    "spiral": (_spiral, 0.04),
    "scribble": (_scribble, 0.08),
    "doodle": (_doodle, 0.12),
    "outline": (lambda rng: [_outline(rng)], 0.05),
    "enclosed": (_enclosed, 0.06),
    "scalloped": (lambda rng: [_closed(rng, bumps=int(rng.integers(4, 9)))], 0.04),
    "glyph": (glyphs.render, 0.5),  # draws its own ink map: a letter of another script or a symbol (mnist_core.data.glyphs)
}
MIRRORED = (3, 4, 6, 7, 9)  # mirrored, these are no digit (a mirrored 0, 1 or 8 is still one; a 2 or a 5 nearly)
MIRRORED_SHARE = 0.12  # of the marks, when real digits are given
GUARDED = {"doodle", "outline", "enclosed", "glyph"}  # kinds free enough to make a digit by chance (and mirrored digits)
# Turned any way, these stay what they are; a letter turned on its side can be a digit (N -> Z -> 2, W -> 3).
TURN_FREELY = {"star", "cross", "hatching", "grid", "spiral", "scribble", "doodle", "scalloped", "outline", "enclosed"}


def _pose(strokes: list[Stroke], rng: np.random.Generator, turn_freely: bool) -> list[np.ndarray]:
    """A person's hand: a random rotation, slant and aspect, and a wobble on every point."""
    angle = rng.uniform(-math.pi, math.pi) if turn_freely and rng.random() < 0.5 else rng.normal(0, 0.2)
    slant, aspect = rng.normal(0, 0.2), math.exp(rng.normal(0, 0.25))
    c, s = math.cos(angle), math.sin(angle)
    m = np.array([[c, -s], [s, c]]) @ np.array([[aspect, slant], [0, 1]])
    out = []
    for stroke in strokes:
        p = np.asarray(stroke, np.float64) - 0.5
        p = p @ m.T + rng.normal(0, 0.015, p.shape)
        out.append(p)
    return out


def render(strokes: list[np.ndarray], rng: np.random.Generator, size: int = 112) -> np.ndarray:
    """Strokes (centred at 0) -> an ink map (size, size) float32, with a random pen width."""
    span = max(float(np.ptp(np.concatenate(strokes), axis=0).max()), 1e-3)
    scale = size * 0.8 / span
    width = max(1, round(size * rng.uniform(0.03, 0.12)))
    image = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(image)
    for stroke in strokes:
        points = [(size / 2 + x * scale, size / 2 + y * scale) for x, y in stroke]
        draw.line(points, fill=255, width=width, joint="curve")
        r = width / 2
        for x, y in points[:1] + points[-1:]:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    return np.asarray(image, np.float32) / 255.0


class DigitGuard:
    """How close a mark lies to real digits: blurred, halved pixels, cosine distance to the nearest one."""

    REFERENCE = 20_000  # real digits compared against
    QUANTILE = 0.8
    STRICT_QUANTILE = 0.95  # for glyphs: printed shapes, thousands of them, some a digit in another hand

    def __init__(self, digits: np.ndarray):
        self.reference = self._features(digits[: self.REFERENCE])
        held_out = digits[self.REFERENCE : self.REFERENCE + 1000]
        # closer to a real digit than 80 % of real digits are to their nearest other one: digit-like
        self.limit, self.strict_limit = 0.05, 0.07  # about those quantiles on MNIST, for a short run's few digits
        if len(held_out):
            distances = self.distance(held_out)
            self.limit, self.strict_limit = (
                float(np.quantile(distances, self.QUANTILE)),
                float(np.quantile(distances, self.STRICT_QUANTILE)),
            )

    @staticmethod
    def _features(images: np.ndarray) -> np.ndarray:
        from scipy import ndimage

        x = ndimage.gaussian_filter(images.astype(np.float32) / 255, sigma=(0, 1.2, 1.2))[:, ::2, ::2].reshape(len(images), -1)
        return x / (np.linalg.norm(x, axis=1, keepdims=True) + 1e-6)

    def distance(self, images: np.ndarray) -> np.ndarray:
        q = self._features(images)
        return np.concatenate([1 - (q[i : i + 2048] @ self.reference.T).max(1) for i in range(0, len(q), 2048)] or [np.zeros(0)])

    def digit_like(self, images: np.ndarray, strict: np.ndarray | bool = False) -> np.ndarray:
        """Digit-like marks; where ``strict``, also those a little further away (STRICT_QUANTILE)."""
        return self.distance(images) < np.where(strict, self.strict_limit, self.limit)


def _drawn(kind: str, rng: np.random.Generator) -> np.ndarray:
    ink = glyphs.render(rng) if kind == "glyph" else render(_pose(KINDS[kind][0](rng), rng, kind in TURN_FREELY), rng)
    image = preprocess.normalize(ink)
    return np.zeros((28, 28), np.uint8) if image is None else np.round(image * 255).astype(np.uint8)


def non_digits(n: int, seed: int = 0, digits: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """``n`` non-digit marks, (n, 28, 28) uint8 with ink high, the same for the same seed (and digits).

    ``digits`` (images, labels), real digits: a share of the marks are mirrored 3s, 4s, 6s, 7s and 9s
    from them, and any mark that lies as close to them as a digit (``DigitGuard``) is drawn again."""
    rng = np.random.default_rng([seed, 0x0D1917])
    names = list(KINDS)
    weights = np.array([KINDS[k][1] for k in names])
    kinds = [names[k] for k in rng.choice(len(names), size=n, p=weights / weights.sum())]
    kinds = np.array(kinds, dtype=object)
    out = np.stack([_drawn(kind, rng) for kind in kinds]) if n else np.zeros((0, 28, 28), np.uint8)
    if digits is None:
        return out
    images, labels = digits
    pool = np.flatnonzero(np.isin(labels, MIRRORED))
    mirrored = rng.random(n) < MIRRORED_SHARE
    out[mirrored] = images[rng.choice(pool, int(mirrored.sum()))][:, :, ::-1]
    guarded = mirrored | np.isin(kinds, list(GUARDED))
    guard = DigitGuard(images)
    for _ in range(5):  # redraw the digit-like as another guarded kind; still digit-like after five tries: blank
        again = np.flatnonzero(guarded & guard.digit_like(out, strict=kinds == "glyph"))
        if not len(again):
            break
        kinds[again] = [str(rng.choice(sorted(GUARDED))) for _ in again]
        out[again] = np.stack([_drawn(kind, rng) for kind in kinds[again]])
    else:
        out[guarded & guard.digit_like(out, strict=kinds == "glyph")] = 0
    return out


def _generator_digest() -> str:
    """Changes whenever the generator's code does, so a cached pool is never one an older generator drew."""
    h = hashlib.sha256()
    for module in (Path(__file__), Path(glyphs.__file__), *sorted(Path(preprocess.__file__).parent.glob("*.py"))):
        h.update(module.read_bytes())
    return h.hexdigest()[:16]


def cached_non_digits(n: int, seed: int = 0, digits: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """``non_digits(n, seed, digits)``, drawn once and then read from the data cache (about 2 ms a mark to draw,
    so 20 s for a full run's 6,840): the same seed, count, digits and generator give the same file. A damaged
    or unreadable cache file is drawn again."""
    h = hashlib.sha256(f"{_generator_digest()} {n} {seed}".encode())
    for part in digits or ():
        h.update(np.ascontiguousarray(part).tobytes())
    path = settings.cache_dir() / "non-digits" / f"{h.hexdigest()[:20]}.npy"
    try:
        marks = np.load(path, allow_pickle=False)
        if marks.shape == (n, 28, 28) and marks.dtype == np.uint8:
            return marks
    except (OSError, ValueError):
        pass
    marks = non_digits(n, seed, digits)
    try:
        buf = io.BytesIO()
        np.save(buf, marks)
        atomic.write_bytes(path, buf.getvalue())
    except OSError:  # a read-only or full cache: the run goes on without it
        pass
    return marks
