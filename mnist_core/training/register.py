"""The whole run: fit, evaluate on the test split, calibrate, write the card and register atomically."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from mnist_core.model import architectures
from mnist_core.training import events as run_events
from mnist_core.training.cards import health_warning, provenance, reproduce_command, versions
from mnist_core.training.config import ConfigError, TrainConfig
from mnist_core.training.fit import OnEvent, train

SAMPLES_FILE = "samples.npz"


def train_and_register(
    config: TrainConfig,
    dataset,
    on_event: OnEvent = lambda e: None,
    should_stop: Callable[[], bool] = lambda: False,
    before_save: Callable[[], None] = lambda: None,
    started: float | None = None,
    callbacks: list[keras.callbacks.Callback] = (),
):
    """Train, evaluate on the test split, calibrate, write the card and register atomically.

    ``started``: when the run began (``time.time()``; default now), so that the card's ``run_seconds`` is the
    whole run: loading, training, evaluating and calibrating.

    Returns the registered ``ModelInfo``; None when the run was cancelled (nothing saved) or on a worker that
    is not the chief (the chief registers).
    """
    from mnist_core import evaluation, registry

    started = time.time() if started is None else started
    name = registry.check_name(config.name or registry.suggest_name(config.preset))
    if (registry.models_dir() / name).exists():
        raise ConfigError("name", f"A model named {name!r} already exists; choose another name.")
    result, me = _fit(config, dataset, name, on_event, should_stop, callbacks)
    if result is None:
        return None  # cancelled, or a worker that is not the chief
    on_event(run_events.Evaluating())
    probs = evaluation.predict_in_batches(result.model, dataset.x_test)
    ev = evaluation.Evaluation(probs.astype(np.float16).astype(np.float32), dataset.y_test)
    card = _card(config, name, dataset, result, ev, me)
    if result.val is not None:
        from mnist_core.model import calibration

        on_event(run_events.Calibrating())
        card["calibration"] = calibration.card_entry(result.model, result.val, (dataset.x_test, dataset.y_test), probs)
    extra = _files_beside(result, probs, dataset.fingerprint)
    before_save()
    card["run_seconds"] = round(time.time() - started, 1)
    on_event(run_events.Saving(name=name))
    info = registry.save(name, result.model, card, extra_files=extra)
    on_event(run_events.Registered(name=name, test_accuracy=ev.accuracy))
    return info


def _fit(config: TrainConfig, dataset, name: str, on_event: OnEvent, should_stop, callbacks):
    """(the fit's result, this worker) -- the result is None when cancelled or on a worker that is not the chief."""
    from mnist_core import registry

    strategy, backup, me = None, None, None
    if config.strategy == "multiworker":
        from mnist_core.training import cluster

        me = cluster.task()
        strategy = cluster.strategy()
        backup = cluster.backup_dir(registry.models_dir(), name, me)
        if not me.chief:
            on_event = lambda e: None  # noqa: E731  (only the chief reports)
    try:
        result = train(
            config, (dataset.x_train, dataset.y_train), on_event, should_stop, strategy=strategy, backup=backup, callbacks=callbacks
        )
    except tf.errors.OpError as exc:
        if me is None:
            raise
        raise cluster.lost_worker(exc) from exc
    if result.stopped:
        return None, me
    if backup is not None:
        cluster.remove_backup(backup)
    return (None if me is not None and not me.chief else result), me


def _card(config: TrainConfig, name: str, dataset, result, ev, me) -> dict:
    from mnist_core import registry

    card = {
        "preset": config.preset,
        "description": architectures.PRESETS[config.preset].description,
        "created": registry.now_iso(),
        "config": {**config.to_dict(), "name": name},
        "parameters": int(result.model.count_params()),
        "data": {"source": dataset.source, "fingerprint": dataset.fingerprint, "note": dataset.note, "train_images": result.train_images},
        **provenance(config, result, SAMPLES_FILE),
        "versions": versions(),
        "reproduce": reproduce_command(config, name),
        "history": result.history,
        "training_seconds": round(result.seconds, 1),
        "epoch_seconds": [round(s, 2) for s in result.epoch_seconds],
        "test": ev.summary(),
        "distribution": {"strategy": config.strategy, "workers": me.workers if me else 1, "replicas": result.replicas},
    }
    if warning := health_warning(result.history, ev.accuracy):
        card["warning"] = warning
    return card


def _files_beside(result, probs: np.ndarray, fingerprint: str) -> dict[str, bytes]:
    """Saved with the model: its test answers (the Analysis page's cache) and the samples it learnt from (x, y like MNIST)."""
    from mnist_core import evaluation

    answers = io.BytesIO()
    np.savez_compressed(answers, probs=probs.astype(np.float16))
    extra = {evaluation.cache_file(Path("."), fingerprint).name: answers.getvalue()}
    if result.user_samples is not None:
        used = io.BytesIO()
        np.savez_compressed(used, x=result.user_samples[0], y=result.user_samples[1])
        extra[SAMPLES_FILE] = used.getvalue()
    return extra
