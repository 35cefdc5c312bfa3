"""What runs inside ``model.fit``: progress events, cancellation, and exact batch-norm statistics before each
validation (a short run's moving averages would still sit near their (0, 1) start)."""

from __future__ import annotations

import time
from collections.abc import Callable

import keras
import numpy as np

from mnist_core.training import events as run_events
from mnist_core.training.pipeline import to_model_input

OnEvent = Callable[[run_events.Event], None]


BN_STATS_IMAGES = 2048  # training images behind each recomputation of the batch-norm statistics


def recompute_batch_norm(model: keras.Model, images: np.ndarray, batch_size: int = 256) -> None:
    """Set every batch-norm layer's moving mean and variance to their exact average over ``images`` (uint8).

    Keras starts those statistics at mean 0, variance 1 and moves them 1 % per step, while the first
    conv layer's real variance is about 100 times smaller. After a few hundred steps they still hold
    much of that start, and inference, which uses them, read every digit as one class. Dropout is off
    meanwhile, as it is at inference.
    """
    norms = [layer for layer in model._flatten_layers() if isinstance(layer, keras.layers.BatchNormalization)]
    if not norms or len(images) == 0:
        return
    drops = [layer for layer in model._flatten_layers() if isinstance(layer, keras.layers.Dropout)]
    rates, momenta = [d.rate for d in drops], [n.momentum for n in norms]
    try:
        for d in drops:
            d.rate = 0.0
        for i, start in enumerate(range(0, len(images), batch_size)):
            for n in norms:
                n.momentum = i / (i + 1)  # the i-th batch weighs 1/(i+1): a plain average over the batches
            model(to_model_input(images[start : start + batch_size]), training=True)
    finally:
        for d, rate in zip(drops, rates):
            d.rate = rate
        for n, momentum in zip(norms, momenta):
            n.momentum = momentum


class ProgressCallback(keras.callbacks.Callback):
    """Progress events, cancellation, and exact batch-norm statistics before each validation."""

    def __init__(
        self,
        on_event: OnEvent,
        should_stop: Callable[[], bool],
        steps_per_epoch: int,
        batch_size: int,
        model: keras.Model,
        bn_images: np.ndarray,
    ):
        super().__init__()
        self.on_event, self.should_stop = on_event, should_stop
        self.full_model, self.bn_images = model, bn_images
        self.steps_per_epoch, self.batch_size = steps_per_epoch, batch_size
        self.epoch = 0
        self.stopped = False
        self.epoch_seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        self.epoch_start = self.last_time = time.perf_counter()
        self.last_step = 0

    def on_train_batch_end(self, batch, logs=None):
        if self.should_stop():
            self.stopped = True
            self.model.stop_training = True
        now = time.perf_counter()
        if now - self.last_time >= 0.5 or batch + 1 == self.steps_per_epoch:
            logs = logs or {}
            rate = (batch + 1 - self.last_step) * self.batch_size / max(now - self.last_time, 1e-9)
            self.on_event(
                run_events.Batch(
                    epoch=self.epoch + 1,
                    step=batch + 1,
                    global_step=self.epoch * self.steps_per_epoch + batch + 1,
                    loss=float(logs.get("loss", float("nan"))),
                    accuracy=float(logs.get("accuracy", float("nan"))),
                    images_per_sec=rate,
                )
            )
            self.last_time, self.last_step = now, batch + 1
        if batch + 1 == self.steps_per_epoch and not self.stopped:  # Keras validates right after this batch
            recompute_batch_norm(self.full_model, self.bn_images)

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.perf_counter() - self.epoch_start
        self.epoch_seconds.append(seconds)
        metrics = {k: float(v) for k, v in (logs or {}).items() if k in ("loss", "accuracy", "val_loss", "val_accuracy")}
        self.on_event(run_events.Epoch(epoch=epoch + 1, seconds=seconds, **metrics))
