"""Training: the settings a person chooses (``config``), the fit (``fit``, with its ``pipeline``, ``callbacks`` and the
progress ``events`` it writes), the whole run that evaluates, calibrates and registers (``register``, ``cards``),
``estimate`` (how long a run takes) and ``cluster`` (several workers).

The names below load their module on first use: the app reads a run's events and cards without importing TensorFlow.
"""

import importlib

_WHERE = {
    "FINETUNE": "config", "LABELS": "config", "LIMITS": "config", "SAMPLES_SHARE": "config", "SCHEDULES": "config",
    "STRATEGIES": "config", "ConfigError": "config", "TrainConfig": "config",
    "NON_DIGITS_SHARE": "fit", "OnEvent": "fit", "TrainResult": "fit", "mix_in_samples": "fit", "train": "fit",
    "SAMPLES_FILE": "register", "train_and_register": "register",
}  # fmt: skip
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(f"mnist_core.training.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'mnist_core.training' has no attribute {name!r}")
