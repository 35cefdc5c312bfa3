"""Fit a preset with progress events and cancellation.

``train(config, on_event, should_stop)`` runs ``model.fit`` on a tf.data pipeline and emits
``run_events``: ``Start`` (total steps), ``Batch`` (every half second: running loss, accuracy,
samples/s), ``Epoch`` (train and validation metrics) and ``End``. It stops within one batch when
``should_stop()`` turns true.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from mnist_core import architectures, run_events
from mnist_core.cards import health_warning, provenance, reproduce_command, versions
from mnist_core.fit_callbacks import BN_STATS_IMAGES, ProgressCallback
from mnist_core.objectives import NON_DIGIT, compile_model
from mnist_core.pipeline import make_dataset, split_train_val

OnEvent = Callable[[run_events.Event], None]

LIMITS = {"epochs": (1, 200), "batch_size": (8, 4096), "lr": (1e-6, 1.0), "val_split": (0.0, 0.5), "label_smoothing": (0.0, 0.5), "augment_fade": (0.0, 1.0)}  # fmt: skip
LABELS = {"epochs": "Epochs", "batch_size": "Batch size", "lr": "Learning rate", "val_split": "Validation split", "label_smoothing": "Label smoothing", "augment_fade": "Augmentation fade-out"}  # fmt: skip
STRATEGIES = ("default", "mirrored", "multiworker")
SCHEDULES = ("cosine", "constant")
NON_DIGITS_SHARE = 0.12  # generated non-digit marks per MNIST image when training to refuse them
# The user's own samples are repeated until they make up this share of every epoch: 50 samples
# among 57,000 MNIST images would otherwise be 0.09 % of the gradient and change nothing.
# At 5 % a batch of 128 holds about 6 of them, enough to learn a personal style, while the
# 95 % of MNIST keeps the model from forgetting the rest (see tests/test_finetune.py).
SAMPLES_SHARE = 0.05
# Fine-tuning: the starting model's weights, a low constant rate, a few epochs, a replay slice of MNIST.
FINETUNE = {"epochs": 3, "lr": 1e-4, "schedule": "constant", "limit": 12000, "val_split": 0.05}


class ConfigError(ValueError):
    """A training setting a person chose is out of range. ``field`` names it."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name


@dataclass
class TrainConfig:
    preset: str = "studio"
    epochs: int = 5
    batch_size: int = 128
    lr: float = 1e-3
    augment: bool = False
    val_split: float = 0.1
    seed: int = 0
    limit: int | None = None  # train on the first N training images (quick experiments)
    name: str | None = None  # the registered model's name; suggested when empty
    strategy: str = "default"
    schedule: str = "cosine"  # learning rate: warm-up + cosine decay, or constant (as the seed sources)
    include_samples: bool = False  # mix in the user's own samples (mnist_core.samples), oversampled to SAMPLES_SHARE
    init_from: str | None = None  # start from a registered model's weights (fine-tuning); same preset
    non_digits: bool = False  # also train on generated non-digit marks (mnist_core.outliers), towards "no digit"
    label_smoothing: float = 0.0  # a digit's target: 1 - this on its class, the rest spread over all ten
    augment_fade: float = 0.0  # augmentation fades out over this last share of the run (0: augmented to the end)
    recipe: str | None = None  # the recipe (architectures.RECIPES) these settings started from, if any

    @classmethod
    def for_preset(cls, preset: str, **overrides) -> TrainConfig:
        """The preset's own defaults, with any setting overridden."""
        if preset not in architectures.PRESETS:
            raise ConfigError("preset", f"Unknown preset {preset!r}; choose one of {', '.join(architectures.PRESETS)}.")
        values = {**architectures.PRESETS[preset].defaults, **{k: v for k, v in overrides.items() if v is not None}}
        return cls(preset=preset, **values)

    @classmethod
    def for_recipe(cls, recipe: str, **overrides) -> TrainConfig:
        """A recipe's preset and settings, with any setting overridden (as the Train page's form does)."""
        if recipe not in architectures.RECIPES:
            raise ConfigError("recipe", f"Unknown recipe {recipe!r}; choose one of {', '.join(architectures.RECIPES)}.")
        r = architectures.RECIPES[recipe]
        preset = overrides.pop("preset", None) or r.preset
        return cls.for_preset(preset, **{**r.settings, "recipe": recipe, **{k: v for k, v in overrides.items() if v is not None}})

    @classmethod
    def for_finetune(cls, model: str | None = None, **overrides) -> TrainConfig:
        """Fine-tune the registered ``model`` (the active one by default) on my samples.

        Its own preset, batch size and augmentation; its weights as the start; FINETUNE's low
        constant learning rate, few epochs and MNIST replay slice; any setting overridden.
        """
        from mnist_core import registry

        info = registry.named_or_active(model)
        base = info.card.get("config") or {}
        values = {
            "batch_size": base.get("batch_size", 128),
            "augment": bool(base.get("augment", False)),
            **FINETUNE,
            "include_samples": True,
            "init_from": info.name,
            **{k: v for k, v in overrides.items() if v is not None},
        }
        return cls(preset=info.preset, **values)

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_dict(self) -> dict:
        return asdict(self)

    def errors(self) -> dict[str, str]:
        """Every bad setting, as {field: one clear sentence}."""
        found: dict[str, str] = {}
        if self.preset not in architectures.PRESETS:
            found["preset"] = f"Unknown preset {self.preset!r}; choose one of {', '.join(architectures.PRESETS)}."
        for name, (low, high) in LIMITS.items():
            value = getattr(self, name)
            integral = name in ("epochs", "batch_size")
            if isinstance(value, bool) or not isinstance(value, int | float) or (integral and int(value) != value):
                found[name] = f"{LABELS[name]} must be a {'whole ' if integral else ''}number."
            elif not low <= value <= high:
                found[name] = f"{LABELS[name]} must be between {low:g} and {high:g}, not {value:g}."
        if self.recipe is not None and self.recipe not in architectures.RECIPES:
            found["recipe"] = f"Unknown recipe {self.recipe!r}; choose one of {', '.join(architectures.RECIPES)}."
        if self.limit is not None and (not isinstance(self.limit, int) or self.limit < 100):
            found["limit"] = "The training-set size must be at least 100 images (or empty for all of them)."
        if self.schedule not in SCHEDULES:
            found["schedule"] = f"Schedule must be one of {', '.join(SCHEDULES)}."
        if self.strategy not in STRATEGIES:
            found["strategy"] = f"Strategy must be one of {', '.join(STRATEGIES)}."
        if not isinstance(self.seed, int) or self.seed < 0:
            found["seed"] = "The seed must be a whole number, 0 or more."
        if self.init_from:
            found.update(_init_from_errors(self.init_from, self.preset))
        if self.include_samples:
            found.update(_samples_errors())
        return found

    def validate(self) -> None:
        for name, message in self.errors().items():
            raise ConfigError(name, message)


def _init_from_errors(name: str, preset: str) -> dict[str, str]:
    from mnist_core import registry

    try:
        info = registry.get(name)
    except registry.RegistryError as exc:
        return {"init_from": f"Cannot fine-tune from {name!r}: {exc}"}
    if info.broken:
        return {"init_from": f"Cannot fine-tune from {name!r}: {info.broken}."}
    if info.preset != preset:
        return {"init_from": f"{name!r} is a {info.preset} model; fine-tuning keeps its architecture, so choose the preset {info.preset}."}
    had, has = info.card.get("parameters"), architectures.parameter_count(preset)
    if had and had != has:
        return {"init_from": f"{name!r} has an older {preset} architecture ({had:,} parameters, now {has:,}); train a new one."}
    return {}


def _samples_errors() -> dict[str, str]:
    from mnist_core.samples import SamplesError, SampleStore

    try:
        if SampleStore().count() == 0:
            return {"include_samples": "There are no saved samples to include yet: save some on the Draw or Upload page first."}
    except SamplesError as exc:
        return {"include_samples": str(exc)}
    return {}


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
    train_samples: int = 0  # MNIST training images
    user_samples: tuple[np.ndarray, np.ndarray] | None = None  # the user's samples mixed in (x, y), once each
    sample_repeats: int = 0  # how often each of them appeared per epoch
    val: tuple[np.ndarray, np.ndarray] | None = None  # the held-out MNIST images (calibration fits on them)
    replicas: int = 1  # model copies trained in sync (GPUs, workers)


# ---------------------------------------------------------------- fit


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
    x, y = data
    if config.limit:
        x, y = x[: config.limit], y[: config.limit]
    (x_train, y_train), val = split_train_val(x, y, config.val_split, config.seed)
    mnist_train = len(x_train)
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
        from mnist_core import outliers

        marks = max(1, round(NON_DIGITS_SHARE * mnist_train))
        x_train = np.concatenate(
            [x_train, outliers.cached_non_digits(marks, seed=config.seed, digits=(x_train[:mnist_train], y_train[:mnist_train]))]
        )
        y_train = np.concatenate([y_train, np.full(marks, NON_DIGIT, y_train.dtype)])
    steps_per_epoch = math.ceil(len(x_train) / config.batch_size)
    total_steps = steps_per_epoch * config.epochs

    if strategy is None:
        strategy = tf.distribute.MirroredStrategy() if config.strategy == "mirrored" else tf.distribute.get_strategy()
    with strategy.scope():
        model = architectures.build(config.preset)
        if config.init_from:
            from mnist_core import registry

            model.set_weights(registry.load_model(config.init_from).get_weights())
        members = architectures.members_view(model)  # an ensemble fits its members' outputs, each with its own loss
        fit_model = members or model
        compile_model(fit_model, config, total_steps, members=members is not None)

    fade = {"total_steps": total_steps, "fade_steps": round(config.augment_fade * total_steps)}  # augmentation fades out
    train_ds = make_dataset(x_train, y_train, config.batch_size, shuffle=True, augment=config.augment, seed=config.seed, **fade)
    val_ds = make_dataset(*val, 1024, shuffle=False, augment=False, seed=0) if val else None
    progress = ProgressCallback(on_event, should_stop, steps_per_epoch, config.batch_size, model, bn_images)
    callbacks = [progress, *callbacks]
    if backup is not None:  # several workers: each shards the batches by element, and keeps a checkpoint
        shard = tf.data.Options()
        shard.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
        train_ds, val_ds = train_ds.with_options(shard), val_ds.with_options(shard) if val_ds is not None else None
        callbacks.append(keras.callbacks.BackupAndRestore(str(backup)))
        from mnist_core import cluster

        cluster.build_before_fit(fit_model, strategy, config.batch_size)
    on_event(
        run_events.Start(
            total_steps=total_steps,
            steps_per_epoch=steps_per_epoch,
            epochs=config.epochs,
            train_samples=len(x_train),
            val_samples=0 if val is None else len(val[0]),
            user_samples=0 if user is None else len(user[0]),
            non_digits=marks,
            sample_repeats=repeats,
        )
    )
    started = time.perf_counter()
    history = fit_model.fit(
        train_ds, validation_data=val_ds, epochs=config.epochs, steps_per_epoch=steps_per_epoch, callbacks=callbacks, verbose=0
    )
    seconds = time.perf_counter() - started
    on_event(run_events.End(stopped=progress.stopped, seconds=seconds))
    return TrainResult(
        model=model,
        history={k: [float(v) for v in values] for k, values in history.history.items()},
        stopped=progress.stopped,
        seconds=seconds,
        epoch_seconds=progress.epoch_seconds,
        train_samples=mnist_train,
        user_samples=user,
        sample_repeats=repeats,
        val=val,
        replicas=int(strategy.num_replicas_in_sync),
    )


# ---------------------------------------------------------------- train, evaluate, register


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
    """Train, evaluate on the test split, write the card and register atomically.

    ``started``: when the run began (``time.time()``; default now), so that the card's ``run_seconds`` is the
    whole run: loading, training, evaluating and calibrating.

    Returns the registered ``ModelInfo``; None when the run was cancelled (nothing saved) or on a worker that
    is not the chief (the chief registers).
    """
    from mnist_core import calibration, evaluation, registry

    started = time.time() if started is None else started
    name = registry.check_name(config.name or registry.suggest_name(config.preset))
    if (registry.models_dir() / name).exists():
        raise ConfigError("name", f"A model named {name!r} already exists; choose another name.")
    strategy, backup, me = None, None, None
    if config.strategy == "multiworker":
        from mnist_core import cluster

        me = cluster.task()
        strategy = cluster.strategy()
        backup = cluster.backup_dir(registry.models_dir(), name, me)
        if not me.chief:
            on_event = lambda e: None  # noqa: E731  (only the chief reports)
    try:
        data = (dataset.x_train, dataset.y_train)
        result = train(config, data, on_event, should_stop, strategy=strategy, backup=backup, callbacks=callbacks)
    except tf.errors.OpError as exc:
        if me is None:
            raise
        raise cluster.lost_worker(exc) from exc
    if result.stopped:
        return None
    if backup is not None:
        cluster.remove_backup(backup)
    if me is not None and not me.chief:  # another worker: the chief evaluates and registers
        return None
    on_event(run_events.Evaluating())
    probs = evaluation.predict_in_batches(result.model, dataset.x_test)
    ev = evaluation.Evaluation(probs.astype(np.float16).astype(np.float32), dataset.y_test)
    card = {
        "preset": config.preset,
        "description": architectures.PRESETS[config.preset].description,
        "created": registry.now_iso(),
        "config": {**config.to_dict(), "name": name},
        "parameters": int(result.model.count_params()),
        "data": {"source": dataset.source, "fingerprint": dataset.fingerprint, "note": dataset.note, "train_samples": result.train_samples},
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
    if result.val is not None:
        on_event(run_events.Calibrating())
        card["calibration"] = calibration.card_entry(result.model, result.val, (dataset.x_test, dataset.y_test), probs)
    buf = __import__("io").BytesIO()
    np.savez_compressed(buf, probs=probs.astype(np.float16))
    extra = {evaluation.cache_file(Path("."), dataset.fingerprint).name: buf.getvalue()}
    if result.user_samples is not None:  # the samples it learnt from, kept beside it (x, y like MNIST)
        used = __import__("io").BytesIO()
        np.savez_compressed(used, x=result.user_samples[0], y=result.user_samples[1])
        extra[SAMPLES_FILE] = used.getvalue()
    before_save()
    card["run_seconds"] = round(time.time() - started, 1)
    on_event(run_events.Saving(name=name))
    info = registry.save(name, result.model, card, extra_files=extra)
    on_event(run_events.Registered(name=name, test_accuracy=ev.accuracy))
    return info
