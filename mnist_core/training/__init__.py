"""Training: the settings a person chooses (``config``), the fit and the progress events it writes (``fit``), and the
whole run that evaluates, calibrates and registers what the fit made (``register``)."""

from mnist_core.training.config import FINETUNE, LABELS, LIMITS, SAMPLES_SHARE, SCHEDULES, STRATEGIES, ConfigError, TrainConfig
from mnist_core.training.fit import NON_DIGITS_SHARE, OnEvent, TrainResult, mix_in_samples, train
from mnist_core.training.register import SAMPLES_FILE, train_and_register

__all__ = [
    "FINETUNE", "LABELS", "LIMITS", "NON_DIGITS_SHARE", "SAMPLES_FILE", "SAMPLES_SHARE", "SCHEDULES", "STRATEGIES",
    "ConfigError", "OnEvent", "TrainConfig", "TrainResult", "mix_in_samples", "train", "train_and_register",
]  # fmt: skip
