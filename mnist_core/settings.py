"""Where MNIST Studio keeps its files. Every path the project writes comes from here."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def models_dir() -> Path:
    """The registry root: one folder per model version (``MNIST_STUDIO_MODELS`` overrides)."""
    return Path(os.environ.get("MNIST_STUDIO_MODELS", PROJECT_ROOT / "models"))


def runs_dir() -> Path:
    """Training-run folders live inside the registry root, hidden from model listings."""
    return models_dir() / ".runs"


def samples_path() -> Path:
    """The user's own labelled samples (SQLite)."""
    return models_dir() / ".samples" / "samples.db"


def cache_dir() -> Path:
    """The data cache: ``$XDG_CACHE_HOME/mnist-studio`` (default ``~/.cache/mnist-studio``)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "mnist-studio"
