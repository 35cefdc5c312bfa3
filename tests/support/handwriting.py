"""Handwriting MNIST hardly has: a 2 written like a crossed Z, which the default model reads as a crossed 7."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from mnist_core.preprocess import normalize


def crossed(rng: np.random.Generator, digit: int, size: int = 200) -> np.ndarray:
    """A crossed 2 (written like a Z with a bar) or a crossed 7, drawn with PIL strokes.

    The default model reads the 2s as 7s; the bottom stroke is what tells them apart. Varied in
    size, aspect, slant, corners, bar and pen width; normalised like a canvas drawing.
    """
    im = Image.new("L", (size, size), 0)
    d = ImageDraw.Draw(im)
    w = int(rng.integers(11, 19))
    half_w, top, bottom = rng.uniform(40, 65), rng.uniform(20, 40), rng.uniform(160, 182)
    slant = rng.uniform(-0.25, 0.15)  # x shift per unit of height, about the middle

    def at(x: float, y: float) -> tuple[float, float]:
        return 100 + x + slant * (100 - y), y

    jitter = lambda: rng.uniform(-6, 6)  # noqa: E731
    corners = [at(-half_w + jitter(), top + jitter()), at(half_w + jitter(), top + jitter())]
    if digit == 2:
        corners += [at(-half_w + jitter(), bottom + jitter()), at(half_w * rng.uniform(0.9, 1.2), bottom + jitter())]
    else:
        corners += [at(rng.uniform(-0.4, 0.1) * half_w, bottom + jitter())]
    d.line(corners, fill=255, width=w, joint="curve")
    bar_y, bar = rng.uniform(90, 110), rng.uniform(0.4, 0.7) * half_w
    d.line([at(-bar + jitter(), bar_y), at(bar + jitter(), bar_y + jitter() / 2)], fill=255, width=w)
    for x, y in [corners[0], corners[-1]]:  # round pen ends
        d.ellipse([x - w / 2, y - w / 2, x + w / 2, y + w / 2], fill=255)
    return normalize(np.asarray(im, np.float32) / 255)


def crossed_twos(n: int, seed: int = 0, digit: int = 2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.stack([crossed(rng, digit) for _ in range(n)])
