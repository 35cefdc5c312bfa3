"""How long a run will take, before it starts, from the cards of earlier runs on this machine: seconds per training
image per epoch of the same preset, and the time around the fit (loading, drawing the non-digit marks, evaluating,
calibrating, saving) that a card's ``run_seconds`` holds beyond its epochs."""

from __future__ import annotations

import statistics

from mnist_core import registry
from mnist_core.data import TRAIN_IMAGES
from mnist_core.model import architectures

STARTUP_SECONDS = 15.0  # around the fit, for a preset no card has timed whole: TensorFlow, MNIST, evaluate, save


def _images(data: dict) -> int | None:
    """The images a card's run trained on (``train_samples`` in cards written before it was ``train_images``)."""
    return data.get("train_images", data.get("train_samples"))


def _seconds_per_image(card: dict) -> float | None:
    """One card's measured seconds per MNIST training image per epoch (validation included)."""
    epochs, images = card.get("epoch_seconds") or [], _images(card.get("data") or {})
    if not epochs or not images:
        return None
    return sum(epochs) / (len(epochs) * images)


def _around_fit(card: dict) -> float | None:
    """One card's seconds outside its epochs: the whole run less the epochs."""
    if "run_seconds" not in card or not card.get("epoch_seconds"):
        return None
    return max(card["run_seconds"] - sum(card["epoch_seconds"]), 0.0)


def _alike(config, models: list[registry.ModelInfo] | None) -> list[tuple[dict, float]]:
    """Cards of earlier runs, each with how much more work an image is for ``config``'s preset than for the card's
    (FLOPs per image): the same preset's cards when there are any (those with the same augmentation first), else every
    preset's, scaled."""
    good = [m for m in (registry.list_models() if models is None else models) if not m.broken and m.preset in architectures.PRESETS]
    same = [m for m in good if m.preset == config.preset]
    alike = [m for m in same if bool((m.card.get("config") or {}).get("augment")) == bool(config.augment)]
    chosen = alike or same or good
    flops = architectures.forward_flops
    return [(m.card, 1.0 if m.preset == config.preset else flops(config.preset) / flops(m.preset)) for m in chosen]


def _median_rate(cards: list[tuple[dict, float]]) -> float | None:
    """Seconds per image: the median over earlier runs (scaled to this preset's work per image); None if none was timed."""
    rates = [r * scale for c, scale in cards if (r := _seconds_per_image(c)) is not None]
    return statistics.median(rates) if rates else None


def training_images(config) -> int:
    """The MNIST images a run trains on: the first ``limit`` (or all), less the validation share."""
    return round((config.limit or TRAIN_IMAGES) * (1 - (config.val_split or 0)))


def run_seconds(config, models: list[registry.ModelInfo] | None = None) -> float | None:
    """The whole run's wall time, from Start to registered, or None when no earlier run was timed."""
    cards = _alike(config, models)  # the registry is read once
    rate = _median_rate(cards)
    if rate is None:
        return None
    around = [s for c, _ in cards if (s := _around_fit(c)) is not None]
    return (statistics.median(around) if around else STARTUP_SECONDS) + rate * training_images(config) * config.epochs
