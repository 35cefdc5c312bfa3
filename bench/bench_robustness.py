"""How the default model holds up beyond clean MNIST: the 10000 test digits, varied the way people
draw (shifted, rotated, thicker, thinner, smaller, larger), each put through the project's own
preprocessing (``preprocess.normalize``) before the model sees it.

    .venv/bin/python -m bench.bench_robustness [--model NAME] [--limit N]
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
from PIL import Image
from scipy import ndimage

from mnist_core import data, preprocess
from mnist_core.inference import Predictor

PAD = 10  # room to shift, rotate and grow without clipping


def padded(img: np.ndarray) -> np.ndarray:
    return np.pad(img.astype(np.float32) / 255.0, PAD)


def shifted(img, rng):
    dy, dx = rng.choice([-4, 4], size=2)
    return np.roll(padded(img), (dy, dx), axis=(0, 1))


def rotated(img, rng):
    return ndimage.rotate(padded(img), rng.choice([-15.0, 15.0]), reshape=False, order=1)


def thickened(img, rng):
    return ndimage.grey_dilation(padded(img), size=(3, 3))


def thinned(img, rng):
    return ndimage.grey_erosion(padded(img), size=(2, 2))


def scaled(fraction: float):
    """The digit resized so that its longer side is ``fraction`` of the 28-pixel frame."""

    def vary(img, rng):
        a = img.astype(np.float32) / 255.0
        rows, cols = np.flatnonzero(a.any(axis=1)), np.flatnonzero(a.any(axis=0))
        a = a[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
        scale = fraction * 28 / max(a.shape)
        size = (max(1, round(a.shape[1] * scale)), max(1, round(a.shape[0] * scale)))
        small = np.asarray(Image.fromarray(a).resize(size, Image.Resampling.BILINEAR))
        frame = np.zeros((28, 28), np.float32)
        y, x = (28 - small.shape[0]) // 2, (28 - small.shape[1]) // 2
        frame[y : y + small.shape[0], x : x + small.shape[1]] = small[:28, :28]
        return frame

    return vary


VARIANTS = {
    "shifted ±4 px": shifted,
    "rotated ±15°": rotated,
    "strokes thickened (3x3 grey dilation)": thickened,
    "strokes thinned (2x2 grey erosion)": thinned,
    "scaled to 60 % of the frame": scaled(0.6),
    "scaled to 100 % of the frame": scaled(1.0),
}


def accuracy(predictor: Predictor, images: list[np.ndarray], labels: np.ndarray) -> float:
    batch = np.stack([preprocess.normalize(img) for img in images])
    probs = np.concatenate([predictor.predict_proba(batch[i : i + 1000]) for i in range(0, len(batch), 1000)])
    return float((probs.argmax(axis=1) == labels).mean())


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--model")
    p.add_argument("--limit", type=int, default=10000)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    ds = data.load_dataset()
    x, y = ds.x_test[: args.limit], ds.y_test[: args.limit]
    predictor = Predictor.load(args.model)
    raw = predictor.predict_proba(x.astype(np.float32)[..., None] / 255.0).argmax(axis=1)
    print(f"model {predictor.name}, {len(y)} MNIST test digits, seed {args.seed}")
    print("| variant | accuracy |\n|---|---|")
    print(f"| none, raw MNIST (no preprocessing) | {(raw == y).mean():.2%} |")
    print(f"| none, through the project's preprocessing | {accuracy(predictor, [padded(i) for i in x], y):.2%} |")
    for name, vary in VARIANTS.items():
        rng = np.random.default_rng(args.seed)
        print(f"| {name} | {accuracy(predictor, [vary(i, rng) for i in x], y):.2%} |", flush=True)


if __name__ == "__main__":
    main()
