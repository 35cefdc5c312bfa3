"""Where a training epoch's time goes: images per second for each part, and the physical limit.

    .venv/bin/python -m bench.bench_train_profile            # about 4 minutes on 2 cores
    .venv/bin/python -m bench.bench_train_profile --quick    # the studio nets' float32 steps only
    .venv/bin/python -m bench.bench_train_profile --quick --threads 1,2   # TensorFlow's intra-op, inter-op threads

Parts: drawing the non-digit marks (and DigitGuard's check), the augmentation, the whole tf.data input, each
preset's forward and backward pass (float32; bfloat16 mixed precision and XLA for the studio nets), the
progress callback and the batch-norm recount. The limit: each preset's FLOPs per image, counted from its
convolutions and dense layers, against what this CPU does in one large matmul and one large convolution.
Run nothing else meanwhile: two jobs share the two cores.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import tensorflow as tf

from mnist_core import data
from mnist_core.data import non_digits
from mnist_core.model import architectures, objectives
from mnist_core.training import pipeline
from mnist_core.training.callbacks import ProgressCallback, recompute_batch_norm


def rate(work, images: int, repeats: int = 3) -> float:
    """Images per second of ``work()`` (which handles ``images``), best of ``repeats`` after one warm-up."""
    work()
    best = min(_timed(work) for _ in range(repeats))
    return images / best


def _timed(work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def cpu_gflops(dtype) -> tuple[float, float]:
    a, b = tf.cast(tf.random.normal([2048, 2048]), dtype), tf.cast(tf.random.normal([2048, 2048]), dtype)
    x, k = tf.cast(tf.random.normal([256, 24, 24, 64]), dtype), tf.cast(tf.random.normal([3, 3, 64, 64]), dtype)
    matmul, conv = tf.function(lambda: tf.matmul(a, b)), tf.function(lambda: tf.nn.conv2d(x, k, 1, "SAME"))
    mm = rate(lambda: matmul().numpy(), 2 * 2048**3, repeats=5) / 1e9
    cv = rate(lambda: conv().numpy(), 2 * 256 * 24 * 24 * 64 * 64 * 9, repeats=5) / 1e9
    return mm, cv


def train_step_rate(preset: str, batch: int, policy: str = "float32", jit: bool = False) -> float:
    keras.mixed_precision.set_global_policy(policy)
    try:
        model = architectures.build(preset)
        view = architectures.members_view(model)
        fit_model = view or model
        fit_model.compile(optimizer="adam", loss=objectives.members_loss if view else objectives.single_loss, jit_compile=jit)
        x, y = np.random.default_rng(0).random((batch, 28, 28, 1), np.float32), np.arange(batch) % 10
        steps = max(4, 2048 // batch)
        return rate(lambda: [fit_model.train_on_batch(x, y) for _ in range(steps)], batch * steps, repeats=2)
    finally:
        keras.mixed_precision.set_global_policy("float32")


def forward_rate(preset: str, batch: int = 1000) -> float:
    model = architectures.build(preset)
    x = np.random.default_rng(0).random((batch, 28, 28, 1), np.float32)
    return rate(lambda: model.predict(x, batch_size=batch, verbose=0), batch)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--threads", help="INTRA,INTER: TensorFlow's thread pools (default: its own choice, one per core)")
    args = p.parse_args()
    if args.threads:
        intra, inter = (int(n) for n in args.threads.split(","))
        tf.config.threading.set_intra_op_parallelism_threads(intra)
        tf.config.threading.set_inter_op_parallelism_threads(inter)
    bs = args.batch_size
    ds = data.load_dataset(None, report=lambda m: None)
    x, y = ds.x_train[:57_000], ds.y_train[:57_000]
    rows: list[tuple[str, str, str]] = []

    mm32, cv32 = cpu_gflops(tf.float32)
    mm16, cv16 = cpu_gflops(tf.bfloat16)
    rows += [("CPU: 2048² matmul / 3x3 conv, float32", f"{mm32:.0f} / {cv32:.0f} GFLOP/s", ""),
             ("CPU: the same in bfloat16 (oneDNN)", f"{mm16:.0f} / {cv16:.0f} GFLOP/s", "")]  # fmt: skip

    if not args.quick:
        marks = 300
        rows.append(
            ("non-digit marks, drawn", f"{rate(lambda: non_digits.non_digits(marks, seed=1), marks, 1):,.0f} marks/s", "once per run")
        )
        guarded = rate(lambda: non_digits.non_digits(marks, seed=1, digits=(x, y)), marks, 1)
        rows.append(("non-digit marks, drawn and checked by DigitGuard", f"{guarded:,.0f} marks/s", "cached after a run's first"))
        guard, sample = non_digits.DigitGuard(x), x[:2000]
        rows.append(("DigitGuard check alone", f"{rate(lambda: guard.digit_like(sample), len(sample)):,.0f} img/s", ""))
        batch = tf.constant(x[:bs, ..., None] / 255.0, tf.float32)
        augment = tf.function(pipeline.augment_batch)
        seed = tf.constant([0, 1], tf.int64)
        rows.append(("augmentation (one batch, one core's share)", f"{rate(lambda: augment(batch, seed).numpy(), bs, 5):,.0f} img/s", ""))
        it = iter(pipeline.make_dataset(x, y, bs, shuffle=True, augment=True, seed=0))
        rows.append(("tf.data input, augmented (both cores)", f"{rate(lambda: [next(it) for _ in range(60)], 60 * bs):,.0f} img/s", ""))

    studio = [p for p in architectures.PRESETS if p.startswith("studio")]
    for preset in studio if args.quick else architectures.PRESETS:
        flops = architectures.forward_flops(preset)
        train = train_step_rate(preset, bs)
        share = 3 * flops * train / 1e9
        rows.append((f"{preset}: forward + backward, float32", f"{train:,.0f} img/s",
                     f"{flops / 1e6:.1f} MFLOP/image forward; x3 for a step = {share:.0f} GFLOP/s, {share / cv32:.0%} of the conv peak"))  # fmt: skip
        if not args.quick:
            rows.append((f"{preset}: forward only (inference)", f"{forward_rate(preset):,.0f} img/s", ""))
    for preset in [] if args.quick else studio:
        rows.append((f"{preset}: bfloat16 mixed precision", f"{train_step_rate(preset, bs, 'mixed_bfloat16'):,.0f} img/s", ""))
        rows.append((f"{preset}: XLA (jit_compile)", f"{train_step_rate(preset, bs, jit=True):,.0f} img/s", ""))
        rows.append((f"{preset}: batch 512", f"{train_step_rate(preset, 512):,.0f} img/s", ""))

    if not args.quick:
        model = architectures.build("studio")
        callback = ProgressCallback(lambda e: None, lambda: False, 1000, bs, model, x[:2048])
        callback.set_model(model)
        callback.on_epoch_begin(0)
        per_batch = _timed(lambda: [callback.on_train_batch_end(i) for i in range(1, 500)]) / 499
        rows.append(("progress callback", f"{per_batch * 1e6:.1f} µs a batch", ""))
        seconds = _timed(lambda: recompute_batch_norm(model, x[:2048]))
        rows.append(("batch-norm recount before each validation (studio)", f"{seconds:.1f} s per epoch", "2,048 images"))

    print(f"| part (batch {bs}) | rate | note |\n|---|---:|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
