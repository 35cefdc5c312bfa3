"""Fixtures shared by the whole suite: MNIST, isolated registries and a tiny trained model."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
E2E = Path(__file__).resolve().parent / "e2e"


def pytest_collection_modifyitems(items) -> None:
    """Every test under tests/e2e/ drives a browser: marked ``e2e``, so ``-m "not e2e"`` leaves them out."""
    for item in items:
        if E2E in item.path.parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def mnist():
    """The verified MNIST dataset (``make test`` fetches it into the cache first)."""
    from mnist_core.data import load_dataset

    return load_dataset()


@pytest.fixture
def registry_root(tmp_path, monkeypatch) -> Path:
    """An empty registry that the code under test uses instead of ``models/``."""
    root = tmp_path / "models"
    root.mkdir()
    monkeypatch.setenv("MNIST_STUDIO_MODELS", str(root))
    return root


@pytest.fixture(scope="session")
def tiny_registry_template(tmp_path_factory, mnist) -> Path:
    """A registry holding 'tiny': conv1 trained on 2000 images for one epoch (a few seconds)."""
    from mnist_core import registry, training

    root = tmp_path_factory.mktemp("tiny") / "models"
    old = os.environ.get("MNIST_STUDIO_MODELS")
    os.environ["MNIST_STUDIO_MODELS"] = str(root)
    try:
        config = training.TrainConfig(preset="conv1", epochs=1, batch_size=64, lr=1e-3, val_split=0.0, limit=2000, name="tiny")
        training.train_and_register(config, mnist)
        registry.set_active("tiny", root)
    finally:
        if old is None:
            os.environ.pop("MNIST_STUDIO_MODELS", None)
        else:
            os.environ["MNIST_STUDIO_MODELS"] = old
    return root


@pytest.fixture
def tiny_registry(tiny_registry_template, tmp_path, monkeypatch) -> Path:
    """A private copy of the tiny registry, set as the registry root."""
    root = tmp_path / "models"
    shutil.copytree(tiny_registry_template, root)
    monkeypatch.setenv("MNIST_STUDIO_MODELS", str(root))
    return root


@pytest.fixture(scope="session")
def default_model_name() -> str:
    """The committed default model (models/ACTIVE)."""
    from mnist_core import registry

    info, _ = registry.active(PROJECT_ROOT / "models")
    return info.name
