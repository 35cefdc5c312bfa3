"""The settings of a training run, as a person chooses them on the Train page or the command line, and every check
of them in one place (``TrainConfig.errors``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from mnist_core.data import TRAIN_IMAGES
from mnist_core.model import architectures
from mnist_core.model.names import current_preset

LIMITS = {"epochs": (1, 200), "batch_size": (8, 4096), "lr": (1e-6, 1.0), "val_split": (0.0, 0.5), "label_smoothing": (0.0, 0.5), "augment_fade": (0.0, 1.0)}  # fmt: skip
LABELS = {"epochs": "Epochs", "batch_size": "Batch size", "lr": "Learning rate", "val_split": "Validation split", "label_smoothing": "Label smoothing", "augment_fade": "Augmentation fade-out"}  # fmt: skip
STRATEGIES = ("default", "mirrored", "multiworker")
SCHEDULES = ("cosine", "constant")
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
    non_digits: bool = False  # also train on generated non-digit marks (mnist_core.data.non_digits), towards "no digit"
    label_smoothing: float = 0.0  # a digit's target: 1 - this on its class, the rest spread over all ten
    augment_fade: float = 0.0  # augmentation fades out over this last share of the run (0: augmented to the end)
    recipe: str | None = None  # the recipe (architectures.RECIPES) these settings started from, if any

    def __post_init__(self) -> None:
        self.preset = current_preset(self.preset)  # an old name (a card's, a command's) runs as the preset it is now

    @classmethod
    def for_preset(cls, preset: str, **overrides) -> TrainConfig:
        """The preset's own defaults, with any setting overridden."""
        preset = current_preset(preset)
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
        elif self.limit is not None and self.limit > TRAIN_IMAGES:
            found["limit"] = f"The training set has {TRAIN_IMAGES:,} images; choose at most that many (or all of them)."
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
