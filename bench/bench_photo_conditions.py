"""Handwriting photographed the ways people photograph paper: how often the app reads exactly what is written.

Single digits: 200 MNIST test digits (seed 5), each written 160 px tall on a 400x400 page unless the condition
says otherwise, blurred, noised and saved as JPEG; then the scenes of ``bench.photo_scenes`` (a note on a desk,
a page at an angle, a hard shadow, a margin and a coffee stain) with the same digits. Whole numbers: 24 numbers
of 2-5 MNIST test digits (seed 7) in each scene. All are read by ``Predictor.read`` (the Upload page's and the
CLI's path). "Exact" is the accepted digits, in order, and nothing else: one digit, the right one, for a single
digit; "none" counts photos with no accepted digit, "several" with more than written, "refused" photos where a
mark was refused as not a digit.

    .venv/bin/python -m bench.bench_photo_conditions [--model NAME] [--count 200] [--numbers 24] [--only scenes]
"""

from __future__ import annotations

import argparse
import io

import numpy as np
from PIL import Image, ImageFilter
from scipy import ndimage

from bench.photo_scenes import SCENES
from mnist_core.data import load_dataset, synthetic
from mnist_core.inference import Predictor

PAPER, PEN = (240, 238, 230), (30, 30, 60)


def on_page(digit: np.ndarray, page: tuple[int, int] = (400, 400), height: float = 160, at: tuple[int, int] | None = None):
    """The digit's ink, ``height`` px tall, on an empty page (centred unless ``at``)."""
    glyph = synthetic.ink_alpha(digit, height)
    w, h = page
    x, y = at or ((w - glyph.shape[1]) // 2, (h - glyph.shape[0]) // 2)
    ink = np.zeros((h, w), np.float32)
    ink[y : y + glyph.shape[0], x : x + glyph.shape[1]] = glyph[: h - y, : w - x]
    return ink


def squared(rgb: np.ndarray, step: int = 30) -> None:
    rgb[::step], rgb[:, ::step] = (170, 190, 225), (170, 190, 225)


def notebook(rgb: np.ndarray, step: int = 34) -> None:
    rgb[::step], rgb[:, 40:42] = (150, 180, 230), (220, 120, 120)


def photograph(ink, rng, paper=PAPER, pen=PEN, lines=None, shadow: float | None = None, noise=5.0, rotate=0.0) -> bytes:
    """Ink on paper -> JPEG bytes; ``shadow``: a shadow over part of the page, its edge blurred this many px."""
    h, w = ink.shape
    rgb = np.broadcast_to(np.array(paper, np.float32), (h, w, 3)).copy()
    if lines:
        lines(rgb)
    rgb = rgb * (1 - ink[..., None]) + np.array(pen, np.float32) * ink[..., None]
    if shadow is not None:
        yy, xx = np.mgrid[0:h, 0:w]
        dark = ndimage.gaussian_filter(np.where(xx + 0.5 * yy > 0.6 * w, 0.45, 0.0), max(shadow, 0.01))
        rgb *= (1 - dark)[..., None]
    image = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.8))
    image = Image.fromarray(np.clip(np.asarray(image, np.float32) + rng.normal(0, noise, (h, w, 1)), 0, 255).astype(np.uint8))
    if rotate:
        image = image.rotate(rotate, fillcolor=paper, resample=Image.Resampling.BILINEAR, expand=True)
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=80)
    return buf.getvalue()


CONDITIONS = {
    "plain paper": lambda d, rng: photograph(on_page(d), rng),
    "squared paper (30 px grid)": lambda d, rng: photograph(on_page(d), rng, lines=squared),
    "notebook: ruled, red margin": lambda d, rng: photograph(on_page(d), rng, lines=notebook),
    "pencil: grey, low contrast": lambda d, rng: photograph(on_page(d), rng, paper=(235, 233, 228), pen=(150, 150, 150), noise=8),
    "yellow note, blue ink": lambda d, rng: photograph(on_page(d), rng, paper=(250, 235, 120), pen=(40, 60, 170)),
    "turned 20 degrees": lambda d, rng: photograph(on_page(d), rng, rotate=20),
    "a shadow, edge blurred 20 px": lambda d, rng: photograph(on_page(d), rng, shadow=20),
    "a shadow, edge blurred 8 px": lambda d, rng: photograph(on_page(d), rng, shadow=8),
    "a shadow with a sharp edge": lambda d, rng: photograph(on_page(d), rng, shadow=0),
    "small: 120 px on a 3000x2000 photo": lambda d, rng: photograph(on_page(d, (3000, 2000), 120, at=(1900, 700)), rng),
    "filling a 300x300 crop (290 px)": lambda d, rng: photograph(on_page(d, (300, 300), 290), rng),
}


def _single(scene):
    return lambda digit, rng: scene([digit], rng)


def _read(model: Predictor, photo: bytes) -> tuple[str, int]:
    readings = model.read(photo)
    return readings.number, readings.refused


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model")
    p.add_argument("--count", type=int, default=200)
    p.add_argument("--numbers", type=int, default=24)
    p.add_argument("--only", choices=["scenes"], help="skip the plain conditions")
    args = p.parse_args()
    model, data = Predictor.load(args.model), load_dataset()
    picks = np.random.default_rng(5).choice(len(data.x_test), args.count, replace=False)
    print(f"model {model.name}, {args.count} MNIST test digits each; {args.numbers} numbers a scene")
    singles = {} if args.only else dict(CONDITIONS)
    singles |= {name: _single(scene) for name, scene in SCENES.items()}
    for name, make in singles.items():
        rng = np.random.default_rng(6)
        exact = none = several = refused = 0
        for i in picks:
            read, not_digits = _read(model, make(data.x_test[i], rng))
            exact += read == str(data.y_test[i])
            none, several, refused = none + (not read), several + (len(read) > 1), refused + (not_digits > 0)
        print(f"  {name:36} exact {exact / args.count:6.1%}   none {none:>3}   several {several:>3}   refused {refused:>3}", flush=True)
    print("whole numbers")
    for name, scene in SCENES.items():
        rng = np.random.default_rng(7)
        exact, misses = 0, []
        for _ in range(args.numbers):
            idx = rng.choice(len(data.x_test), int(rng.integers(2, 6)), replace=False)
            truth = "".join(str(data.y_test[i]) for i in idx)
            read, not_digits = _read(model, scene([data.x_test[i] for i in idx], rng))
            exact += read == truth and not not_digits
            if read != truth or not_digits:
                misses.append(f"{truth}->{read}" + (f"+{not_digits}?" if not_digits else ""))
        print(f"  {name:36} exact {exact}/{args.numbers}   misses: {' '.join(misses[:8])}", flush=True)


if __name__ == "__main__":
    main()
