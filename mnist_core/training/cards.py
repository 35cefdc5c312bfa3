"""What a model card says about the run that made it: the command that reproduces it, where it started from
and which samples it learnt, the versions, and a plain warning when the run did not learn."""

from __future__ import annotations

import itertools

import numpy as np

# setting -> its flag in ``python -m mnist_core train``; on/off settings are written as a flag (or its --no- form)
FLAGS = {
    "preset": "--preset", "epochs": "--epochs", "batch_size": "--batch-size", "lr": "--lr", "augment": "--augment",
    "val_split": "--val-split", "seed": "--seed", "limit": "--limit", "schedule": "--schedule", "strategy": "--strategy",
    "label_smoothing": "--label-smoothing", "augment_fade": "--augment-fade", "init_from": "--init-from",
    "include_samples": "--include-samples", "non_digits": "--non-digits",
}  # fmt: skip


def reproduce_command(config, name: str) -> str:
    """The one command that makes this model again: its recipe (or preset), then each setting that differs from
    what the recipe would choose (from a preset: its epochs, batch size and rate too), and the split and seed."""
    from mnist_core.training import TrainConfig

    base = TrainConfig.for_recipe(config.recipe) if config.recipe else TrainConfig.for_preset(config.preset)
    always = {"val_split", "seed"} | (set() if config.recipe else {"epochs", "batch_size", "lr"})
    parts = ["python -m mnist_core train", f"--recipe {config.recipe}" if config.recipe else f"--preset {config.preset}"]
    for field, flag in FLAGS.items():
        value, default = getattr(config, field), getattr(base, field)
        if field not in always and value == default:
            continue
        if isinstance(value, bool):
            parts += [flag if value else flag.replace("--", "--no-", 1)] if value or field in ("augment", "non_digits") else []
        elif value is not None:
            parts.append(f"{flag} {value:g}" if isinstance(value, float) else f"{flag} {value}")
    return " ".join([*parts, f"--name {name}"])


def provenance(config, result, samples_file: str) -> dict:
    """The card's record of the user's samples mixed in and of the model it started from."""
    card: dict = {}
    if result.user_samples is not None:
        y_user = result.user_samples[1]
        card["samples"] = {
            "included": len(y_user),
            "by_label": {str(d): int(n) for d, n in enumerate(np.bincount(y_user, minlength=10)) if n},
            "repeats_per_epoch": result.sample_repeats,
            "share_of_epoch": round(
                len(y_user) * result.sample_repeats / max(result.train_images + len(y_user) * result.sample_repeats, 1), 4
            ),
            "file": samples_file,
        }
    if config.init_from:
        from mnist_core import registry

        try:
            start = registry.get(config.init_from)
            card["fine_tuned_from"] = {"name": start.name, "preset": start.preset, "test_accuracy": start.test_accuracy}
        except registry.RegistryError:
            card["fine_tuned_from"] = {"name": config.init_from}
    return card


LOW_ACCURACY = 0.5
FALL_POINTS = 0.01  # a fall this small over the run is noise, not a broken model


def health_warning(history: dict[str, list[float]], test_accuracy: float | None = None) -> str | None:
    """One plain sentence when a finished run should not be used: its validation accuracy fell at
    every epoch (by more than a point in all), or it ends below 50 % (on validation, or on the
    test set when there was none)."""
    val = history.get("val_accuracy") or []
    trail = " → ".join(f"{v:.1%}" for v in val[-6:])
    if len(val) >= 2 and all(b < a for a, b in itertools.pairwise(val)) and val[0] - val[-1] > FALL_POINTS:
        return f"Its validation accuracy fell at every epoch ({trail}): this model has not learnt to read digits."
    if val and val[-1] < LOW_ACCURACY:
        return f"Its validation accuracy ends at {val[-1]:.1%}, below {LOW_ACCURACY:.0%}: this model reads most digits wrong."
    if not val and test_accuracy is not None and test_accuracy < LOW_ACCURACY:
        return f"Its test accuracy is {test_accuracy:.1%}, below {LOW_ACCURACY:.0%}: this model reads most digits wrong."
    return None


WHOLE_RUN = "The whole run: loading, training, evaluating, calibrating"  # what run_seconds counts


def run_seconds(card: dict) -> float | None:
    """The whole run that made a model (start to registered); the fit alone for a card that predates that record."""
    return card.get("run_seconds", card.get("training_seconds"))


def versions() -> dict[str, str]:
    import platform

    import keras
    import tensorflow as tf

    return {"python": platform.python_version(), "tensorflow": tf.__version__, "keras": keras.__version__, "numpy": np.__version__}


def curves_note(card: dict) -> str:
    """What a model's training curves were measured on, in one sentence."""
    held_out = (card.get("config") or {}).get("val_split") or 0
    validation = f" and on the {held_out:.0%} of them held out for validation" if held_out else " (none were held out for validation)"
    return f"Per epoch, on the training images{validation}. The test set is never trained on."
