"""How long a run will take, before it starts: seconds per training image per preset, as the cards
of earlier runs on this machine measured them."""

from __future__ import annotations

import statistics

from mnist_core import registry

MNIST_TRAIN = 60_000
STARTUP_SECONDS = 15.0  # start TensorFlow, load MNIST, evaluate, calibrate and save (a 100-image run takes about 10 s)


def _seconds_per_image(card: dict) -> float | None:
    """One card's measured seconds per MNIST training image per epoch (validation included)."""
    epochs, images = card.get("epoch_seconds") or [], (card.get("data") or {}).get("train_samples")
    if not epochs or not images:
        return None
    return sum(epochs) / (len(epochs) * images)


def seconds_per_image(config, models: list[registry.ModelInfo] | None = None) -> float | None:
    """The median over earlier runs of the same preset, those with the same augmentation first; None if none."""
    cards = [m.card for m in (registry.list_models() if models is None else models) if not m.broken and m.preset == config.preset]
    alike = [c for c in cards if bool((c.get("config") or {}).get("augment")) == bool(config.augment)]
    rates = [r for c in (alike or cards) if (r := _seconds_per_image(c)) is not None]
    return statistics.median(rates) if rates else None


def training_images(config) -> int:
    """The MNIST images a run trains on: the first ``limit`` (or all), less the validation share."""
    return round((config.limit or MNIST_TRAIN) * (1 - (config.val_split or 0)))


def run_seconds(config, models: list[registry.ModelInfo] | None = None) -> float | None:
    """The whole run's wall time, or None when no earlier run of the preset was measured."""
    rate = seconds_per_image(config, models)
    if rate is None:
        return None
    return STARTUP_SECONDS + rate * training_images(config) * config.epochs
