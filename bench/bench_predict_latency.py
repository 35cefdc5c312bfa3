"""Latency of reading one drawing: ``from_canvas`` + ``Predictor.predict_proba`` on a 280x280 canvas.

    .venv/bin/python -m bench.bench_predict_latency [--model NAME] [--runs 1000] [--accuracy 1000]

Prints p50/p99 of the preprocessing, the compiled predict and both together, and the same
predict through ``model.predict`` for comparison, as a Markdown table for BENCHMARKS.md.
``--accuracy N`` also reads N generated single digits (half photographed pages, half drawn
canvases) and N/3 generated numbers, as the tests do but on more cases.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from bench.support import percentile
from mnist_core import preprocess
from mnist_core.data import load_dataset, synthetic
from mnist_core.inference import Predictor
from tests.support import inputs


def percentiles(samples: list[float]) -> tuple[float, float]:
    ms = [s * 1000 for s in samples]
    return percentile(ms, 50), percentile(ms, 99)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", help="registered model (default: the active one)")
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--keras-runs", type=int, default=50, help="calls of model.predict (slow)")
    ap.add_argument("--accuracy", type=int, default=0, metavar="N", help="also read N generated digits and N/3 numbers")
    args = ap.parse_args()

    predictor = Predictor.load(args.model)
    dataset = load_dataset()
    x_test = dataset.x_test
    rng = np.random.default_rng(0)
    canvases = [inputs.canvas_rgba(x_test[i], rng) for i in rng.choice(len(x_test), 100, replace=False)]
    for c in canvases[:20]:  # warm up: caches, thread pools
        predictor.predict_proba(preprocess.from_canvas(c)[None])

    prep, pred, total = [], [], []
    for n in range(args.runs):
        canvas = canvases[n % len(canvases)]
        t0 = time.perf_counter()
        x = preprocess.from_canvas(canvas)
        t1 = time.perf_counter()
        predictor.predict_proba(x[None])
        t2 = time.perf_counter()
        prep.append(t1 - t0)
        pred.append(t2 - t1)
        total.append(t2 - t0)

    keras_in = preprocess.from_canvas(canvases[0])[None, :, :, None]
    predictor.model.predict(keras_in, verbose=0)
    keras = []
    for _ in range(args.keras_runs):
        t0 = time.perf_counter()
        predictor.model.predict(keras_in, verbose=0)
        keras.append(time.perf_counter() - t0)

    rows = [
        ("from_canvas (280x280 RGBA -> 28x28)", prep),
        ("predict_proba (compiled tf.function), 1 image", pred),
        ("**from_canvas + predict_proba**", total),
        ("model.predict, 1 image (for comparison)", keras),
    ]
    print(f"model {predictor.name} ({predictor.info.preset}), {args.runs} canvases, {platform.machine()}, {os.cpu_count()} CPUs")
    print(f"load average at the end: {', '.join(f'{v:.1f}' for v in os.getloadavg())}\n")
    print("| step | p50 ms | p99 ms |")
    print("|---|---:|---:|")
    for name, samples in rows:
        p50, p99 = percentiles(samples)
        print(f"| {name} | {p50:.2f} | {p99:.2f} |")
    ratio_pred = percentiles(keras)[0] / percentiles(pred)[0]
    ratio_total = percentiles(keras)[0] / percentiles(total)[0]
    print(
        f"\nmodel.predict p50 / compiled predict_proba p50 = {ratio_pred:.0f}x; / whole from_canvas + predict_proba p50 = {ratio_total:.0f}x"
    )
    if args.accuracy:
        accuracy(predictor, dataset.x_test, dataset.y_test, args.accuracy)


def accuracy(predictor: Predictor, x: np.ndarray, y: np.ndarray, n: int) -> None:
    """The whole reading pipeline on generated inputs (the same generators as tests/test_inference.py)."""
    rng = np.random.default_rng(99)
    hits: dict[str, list[bool]] = {"photographed page, one digit": [], "drawn canvas": []}
    for k, i in enumerate(rng.choice(len(x), n, replace=False)):
        if k % 2:
            found = preprocess.from_image(synthetic.scan_page([x[i]], rng, size=(400, 300), digit_height=(40, 100)))
            image, kind = (found[0].image if len(found) == 1 else None), "photographed page, one digit"
        else:
            image = preprocess.from_canvas(inputs.canvas_rgba(x[i], rng, stroke_width=int(rng.integers(14, 26))))
            kind = "drawn canvas"
        hits[kind].append(image is not None and int(predictor.predict_proba(image)[0].argmax()) == int(y[i]))
    rng = np.random.default_rng(7)
    numbers: dict[str, list[bool]] = {"row on paper": [], "row on a blackboard": [], "two lines on ruled paper": []}
    for k in range(n // 3):
        ids = rng.choice(len(x), int(rng.integers(3, 7)), replace=False)
        truth = "".join(str(int(y[i])) for i in ids)
        if k % 4 == 3:
            image, kind = (
                synthetic.compose(x[ids], rng, size=(720, 400), digit_height=60, per_line=3, ruled=True).image,
                "two lines on ruled paper",
            )
        else:
            image = synthetic.number_row(x[ids], rng, digit_height=float(rng.uniform(40, 90)), dark_ink=k % 4 != 2)
            kind = "row on a blackboard" if k % 4 == 2 else "row on paper"
        numbers[kind].append("".join(str(r.digit) for r in predictor.read(image)) == truth)
    print("\n| generated input | cases | accuracy |")
    print("|---|---:|---:|")
    for name, ok in [*hits.items(), ("**all single digits**", [v for kind in hits.values() for v in kind])]:
        print(f"| {name} | {len(ok)} | {np.mean(ok):.1%} |")
    for name, ok in [*numbers.items(), ("**all numbers (3-6 digits, exact)**", [v for kind in numbers.values() for v in kind])]:
        print(f"| {name} | {len(ok)} | {np.mean(ok):.1%} |")


if __name__ == "__main__":
    main()
