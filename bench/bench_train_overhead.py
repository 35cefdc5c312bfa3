"""Does progress reporting slow training? ``training.train`` vs a plain ``model.fit``.

Same preset, batch size, data pipeline and optimizer; the second epoch of each is timed
(the first includes tracing). Runs alternate A/B to share any machine noise.

    .venv/bin/python -m bench.bench_train_overhead --preset conv1 --batch-size 64 --limit 20000 --rounds 3
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras

from mnist_core import data, training
from mnist_core.model import architectures, objectives
from mnist_core.training import events as run_events
from mnist_core.training import pipeline


class EpochTimer(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.last = time.perf_counter() - self.start


def plain_fit(config: training.TrainConfig, x, y) -> float:
    keras.utils.set_random_seed(config.seed)
    steps = math.ceil(len(x) / config.batch_size) * config.epochs
    model = architectures.build(config.preset)
    objectives.compile_model(model, config, steps)
    timer = EpochTimer()
    model.fit(
        pipeline.make_dataset(x, y, config.batch_size, shuffle=True, augment=False, seed=0),
        epochs=config.epochs,
        callbacks=[timer],
        verbose=0,
    )
    return len(x) / timer.last


def reported_fit(config: training.TrainConfig, x, y) -> float:
    events = []
    result = training.train(config, (x, y), events.append)
    assert any(isinstance(e, run_events.Batch) for e in events)
    return len(x) / result.epoch_seconds[-1]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--preset", default="conv1")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--limit", type=int, default=20000)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    ds = data.load_dataset()
    x, y = ds.x_train[: args.limit], ds.y_train[: args.limit]
    config = training.TrainConfig(preset=args.preset, epochs=2, batch_size=args.batch_size, lr=1e-3, val_split=0.0)
    plain, reported = [], []
    for _ in range(args.rounds):
        plain.append(plain_fit(config, x, y))
        reported.append(reported_fit(config, x, y))
    p50_plain, p50_rep = statistics.median(plain), statistics.median(reported)
    print(f"preset {args.preset}, batch {args.batch_size}, {args.limit} samples, {args.rounds} rounds (2nd epoch timed)")
    print(f"plain model.fit     : {p50_plain:8.0f} samples/s (median; runs {', '.join(f'{v:.0f}' for v in plain)})")
    print(f"training.train()    : {p50_rep:8.0f} samples/s (median; runs {', '.join(f'{v:.0f}' for v in reported)})")
    print(f"ratio               : {p50_rep / p50_plain:.3f} (target >= 0.95)")


if __name__ == "__main__":
    main()
