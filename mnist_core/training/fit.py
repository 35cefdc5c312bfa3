"""Fit a preset with progress events and cancellation.

``train(config, data, on_event, should_stop)`` runs ``model.fit`` on a tf.data pipeline and emits
``run_events``: ``Start`` (total steps), ``Batch`` (every half second: running loss, accuracy,
samples/s), ``Epoch`` (train and validation metrics) and ``End``. It stops within one batch when
``should_stop()`` turns true.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from mnist_core.model import architectures
from mnist_core.model.objectives import NON_DIGIT, compile_model
from mnist_core.training import events as run_events
from mnist_core.training.callbacks import BN_STATS_IMAGES, ProgressCallback
from mnist_core.training.config import SAMPLES_SHARE, ConfigError, TrainConfig
from mnist_core.training.pipeline import make_dataset, split_train_val

OnEvent = Callable[[run_events.Event], None]
NON_DIGITS_SHARE = 0.12  # generated non-digit marks per MNIST image when training to refuse them


def mix_in_samples(x: np.ndarray, y: np.ndarray, x_user: np.ndarray, y_user: np.ndarray, share: float = SAMPLES_SHARE):
    """MNIST plus the user's samples, each repeated so that together they are ``share`` of the epoch.

    Returns (x, y, repeats). With no samples, the data comes back unchanged and repeats is 0.
    """
    if len(x_user) == 0:
        return x, y, 0
    repeats = max(1, math.ceil(round(share * len(x) / ((1 - share) * len(x_user)), 6)))
    x_mixed = np.concatenate([x, np.tile(np.asarray(x_user, np.uint8), (repeats, 1, 1))])
    y_mixed = np.concatenate([y, np.tile(np.asarray(y_user).astype(y.dtype), repeats)])
    return x_mixed, y_mixed, repeats


@dataclass
class TrainResult:
    model: keras.Model
    history: dict[str, list[float]]
    stopped: bool
    seconds: float
    epoch_seconds: list[float] = field(default_factory=list)
    train_images: int = 0  # MNIST training images
    user_samples: tuple[np.ndarray, np.ndarray] | None = None  # the user's samples mixed in (x, y), once each
    sample_repeats: int = 0  # how often each of them appeared per epoch
    val: tuple[np.ndarray, np.ndarray] | None = None  # the held-out MNIST images (calibration fits on them)
    replicas: int = 1  # model copies trained in sync (GPUs, workers)


@dataclass
class TrainingSet:
    """What a fit learns from: MNIST's training part with the user's samples and non-digit marks mixed in."""

    x: np.ndarray
    y: np.ndarray
    val: tuple[np.ndarray, np.ndarray] | None  # held-out MNIST
    mnist_images: int  # of x, the MNIST images (they come first)
    bn_images: np.ndarray  # what the batch-norm statistics are refreshed on (no non-digit marks)
    user: tuple[np.ndarray, np.ndarray] | None = None  # the user's samples, once each
    repeats: int = 0  # how often each user sample appears per epoch
    marks: int = 0  # non-digit marks appended


def training_set(config: TrainConfig, data: tuple[np.ndarray, np.ndarray], samples) -> TrainingSet:
    """``data`` cut to ``config.limit``, split for validation, with the samples and non-digit marks it asks for."""
    x, y = data
    if config.limit:
        x, y = x[: config.limit], y[: config.limit]
    (x_train, y_train), val = split_train_val(x, y, config.val_split, config.seed)
    mnist_images = len(x_train)
    user, repeats = None, 0
    if config.include_samples:
        if samples is None:
            from mnist_core.samples import SampleStore

            samples = SampleStore().arrays()
        user = (np.asarray(samples[0], np.uint8), np.asarray(samples[1], np.uint8))
        x_train, y_train, repeats = mix_in_samples(x_train, y_train, *user)
    bn_images = x_train[np.random.default_rng(config.seed).permutation(len(x_train))[:BN_STATS_IMAGES]]
    marks = 0
    if config.non_digits:
        from mnist_core.data import non_digits

        marks = max(1, round(NON_DIGITS_SHARE * mnist_images))
        digits = (x_train[:mnist_images], y_train[:mnist_images])
        x_train = np.concatenate([x_train, non_digits.cached_non_digits(marks, seed=config.seed, digits=digits)])
        y_train = np.concatenate([y_train, np.full(marks, NON_DIGIT, y_train.dtype)])
    return TrainingSet(x_train, y_train, val, mnist_images, bn_images, user, repeats, marks)


def _build(config: TrainConfig, strategy, total_steps: int) -> tuple[keras.Model, keras.Model]:
    """(the model to register, the model to fit: an ensemble fits its members' outputs, each with its own loss)."""
    with strategy.scope():
        model = architectures.build(config.preset)
        if config.init_from:
            from mnist_core import registry

            model.set_weights(registry.load_model(config.init_from).get_weights())
        members = architectures.members_view(model)
        fit_model = members or model
        compile_model(fit_model, config, total_steps, members=members is not None)
    return model, fit_model


def _datasets(config: TrainConfig, data: TrainingSet, total_steps: int):
    fade = {"total_steps": total_steps, "fade_steps": round(config.augment_fade * total_steps)}  # augmentation fades out
    train_ds = make_dataset(data.x, data.y, config.batch_size, shuffle=True, augment=config.augment, seed=config.seed, **fade)
    val_ds = make_dataset(*data.val, 1024, shuffle=False, augment=False, seed=0) if data.val else None
    return train_ds, val_ds


def _for_workers(train_ds, val_ds, backup: Path, fit_model, strategy, batch_size: int):
    """Several workers: each shards the batches by element, and keeps a checkpoint to resume from."""
    from mnist_core.training import cluster

    shard = tf.data.Options()
    shard.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    train_ds, val_ds = train_ds.with_options(shard), val_ds.with_options(shard) if val_ds is not None else None
    cluster.build_before_fit(fit_model, strategy, batch_size)
    return train_ds, val_ds, keras.callbacks.BackupAndRestore(str(backup))


def train(
    config: TrainConfig,
    data: tuple[np.ndarray, np.ndarray],
    on_event: OnEvent = lambda e: None,
    should_stop: Callable[[], bool] = lambda: False,
    samples: tuple[np.ndarray, np.ndarray] | None = None,
    strategy=None,
    backup: Path | None = None,
    callbacks: list[keras.callbacks.Callback] = (),
) -> TrainResult:
    """Fit ``config.preset`` on ``data`` (uint8 training images and labels). Never sees the test set.

    With ``config.include_samples`` the user's samples (``samples``, default: the sample store)
    are mixed into the training part only, oversampled to SAMPLES_SHARE; validation stays MNIST.
    ``strategy``: a tf.distribute strategy made before any other TensorFlow call (multi-worker);
    ``backup``: this worker's BackupAndRestore folder; ``callbacks``: more Keras callbacks (a benchmark's).
    """
    (replace(config, include_samples=False) if samples is not None else config).validate()  # given samples: the store is not asked
    if config.include_samples and samples is not None and len(samples[0]) == 0:
        raise ConfigError("include_samples", "There are no samples to include.")
    keras.utils.set_random_seed(config.seed)
    tf.config.experimental.enable_op_determinism()  # with the stateless augmentation: a rerun repeats the run
    ts = training_set(config, data, samples)
    steps_per_epoch = math.ceil(len(ts.x) / config.batch_size)
    total_steps = steps_per_epoch * config.epochs
    if strategy is None:
        strategy = tf.distribute.MirroredStrategy() if config.strategy == "mirrored" else tf.distribute.get_strategy()
    model, fit_model = _build(config, strategy, total_steps)
    train_ds, val_ds = _datasets(config, ts, total_steps)
    progress = ProgressCallback(on_event, should_stop, steps_per_epoch, config.batch_size, model, ts.bn_images)
    callbacks = [progress, *callbacks]
    if backup is not None:
        train_ds, val_ds, keep = _for_workers(train_ds, val_ds, backup, fit_model, strategy, config.batch_size)
        callbacks.append(keep)
    on_event(
        run_events.Start(
            total_steps=total_steps, steps_per_epoch=steps_per_epoch, epochs=config.epochs, train_images=len(ts.x),
            val_images=0 if ts.val is None else len(ts.val[0]), user_samples=0 if ts.user is None else len(ts.user[0]),
            non_digits=ts.marks, sample_repeats=ts.repeats,
        )
    )  # fmt: skip
    started = time.perf_counter()
    history = fit_model.fit(
        train_ds, validation_data=val_ds, epochs=config.epochs, steps_per_epoch=steps_per_epoch, callbacks=callbacks, verbose=0
    )
    seconds = time.perf_counter() - started
    on_event(run_events.End(stopped=progress.stopped, seconds=seconds))
    return TrainResult(
        model=model, history={k: [float(v) for v in values] for k, values in history.history.items()}, stopped=progress.stopped,
        seconds=seconds, epoch_seconds=progress.epoch_seconds, train_images=ts.mnist_images, user_samples=ts.user,
        sample_repeats=ts.repeats, val=ts.val, replicas=int(strategy.num_replicas_in_sync),
    )  # fmt: skip
