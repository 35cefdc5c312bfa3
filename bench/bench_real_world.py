"""How a model reads handwriting that is not MNIST, and how often it refuses what is not a digit.

Every image goes through the app's own path (``Predictor.read``: decode, ink, segment, normalise,
calibrated probabilities, is_digit). A digit counts as read right only when the accepted digits
read from the image are exactly its label, so a refused real digit is an error. A non-digit counts
as refused when no digit is accepted from its image.

    .venv/bin/python -m bench.bench_real_world [--model NAME] [--json bench/out/real_world.json]

Sets (bench/realworld.py): font-digit photos, font-number photos, stroke-digit photos, UCI optdigits
(43 other writers, 8x8), non-digit photos (font letters and symbols, drawn shapes), and the MNIST test
set (refusals only). The canvas sets run in Chromium: bench/bench_canvas_real.py.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from bench import realworld
from bench.support import OUT
from mnist_core.data import load_dataset
from mnist_core.inference import Predictor
from mnist_core.model import calibration


def read_all(model: Predictor, samples: list[realworld.Sample]) -> list[str]:
    return [number(r) for r in readings_of(model, samples)]


def readings_of(model: Predictor, samples: list[realworld.Sample]) -> list[list]:
    return [model.read(s.image) for s in samples]


def number(readings) -> str:
    return readings.number


def ece(samples, readings) -> float | None:
    """Expected calibration error over the single-digit images read as one mark."""
    pairs = [(r[0].probabilities, int(s.label)) for s, r in zip(samples, readings, strict=True) if len(s.label) == 1 and len(r) == 1]
    if not pairs:
        return None
    return float(calibration.expected_calibration_error(np.stack([p for p, _ in pairs]), np.array([y for _, y in pairs])))


def score_digits(name: str, samples, readings) -> dict:
    right = [r == s.label for s, r in zip(samples, readings, strict=True)]
    by_class: dict[str, list[bool]] = defaultdict(list)
    for s, ok in zip(samples, right, strict=True):
        if len(s.label) == 1:
            by_class[s.label].append(ok)
    refused = sum(r == "" for r in readings)
    errors = [{"label": s.label, "read": r, "source": s.source} for s, r, ok in zip(samples, readings, right, strict=True) if not ok]
    return {
        "set": name,
        "size": len(samples),
        "accuracy": float(np.mean(right)),
        "refused": refused,
        "per_class": {k: round(float(np.mean(v)), 4) for k, v in sorted(by_class.items())},
        "errors": errors[:40],
    }


def score_non_digits(name: str, samples, readings) -> dict:
    refused = [r == "" for r in readings]
    by_kind: dict[str, list[bool]] = defaultdict(list)
    for s, ok in zip(samples, refused, strict=True):
        by_kind[s.source].append(ok)
    return {
        "set": name,
        "size": len(samples),
        "refused_share": float(np.mean(refused)),
        "per_kind": {k: round(float(np.mean(v)), 3) for k, v in sorted(by_kind.items())},
    }


def mnist_refusals(model: Predictor) -> dict:
    ds = load_dataset()
    probs = model.predict_proba(ds.x_test.astype(np.float32) / 255.0)
    accepted = model.calibration.is_digit(probs)
    right = (probs.argmax(1) == ds.y_test) & accepted
    return {
        "set": "MNIST test", "size": len(ds.y_test), "accuracy": float(right.mean()), "refused_share": float(1 - accepted.mean()),
        "ece": float(calibration.expected_calibration_error(probs, ds.y_test)),
    }  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--model")
    p.add_argument("--json", default=str(OUT / "real_world.json"))
    args = p.parse_args()
    model = Predictor.load(args.model)
    started = time.perf_counter()
    results = [mnist_refusals(model)]
    for name, make in [
        ("font digits, photographed", realworld.font_digit_photos),
        ("font numbers (3-6 digits), photographed, exact", realworld.font_number_photos),
        ("stroke digits, photographed", realworld.stroke_digit_photos),
        ("UCI optdigits, 43 writers, 8x8", realworld.optdigits),
        ("  the same as shipped: 8x8 images, ink to the edge", lambda: realworld.optdigits(as_shipped=True)),
    ]:
        samples = make()
        readings = readings_of(model, samples)
        results.append({**score_digits(name, samples, [number(r) for r in readings]), "ece": ece(samples, readings)})
    samples = realworld.non_digit_photos()
    results.append(score_non_digits("non-digits, photographed", samples, read_all(model, samples)))
    print(f"model {model.name} ({time.perf_counter() - started:.0f} s)")
    print(f"{'set':52} {'size':>5} {'read right':>10} {'refused':>8} {'ECE':>6}")
    for r in results:
        acc = f"{r['accuracy']:.2%}" if "accuracy" in r else "-"
        ref = f"{r['refused_share']:.1%}" if "refused_share" in r else f"{r['refused']}"
        err = f"{r['ece']:.2%}" if r.get("ece") is not None else "-"
        print(f"{r['set']:52} {r['size']:>5} {acc:>10} {ref:>8} {err:>6}")
        weak = {k: v for k, v in (r.get("per_class") or {}).items() if v < 0.97}
        if weak:
            print(f"{'':4}weak classes: " + ", ".join(f"{k}: {v:.0%}" for k, v in weak.items()))
        if "per_kind" in r:
            print(f"{'':4}refused per kind: " + ", ".join(f"{k}: {v:.0%}" for k, v in r["per_kind"].items()))
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps({"model": model.name, "results": results}, indent=2))


if __name__ == "__main__":
    main()
