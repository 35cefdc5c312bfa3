"""The committed default model: it loads, it is active, and it scores what its card says."""

import numpy as np
import pytest

from mnist_core import registry
from mnist_core.inference import Predictor
from tests.conftest import PROJECT_ROOT


@pytest.fixture(scope="module")
def test_set_predictions(mnist, default_model_name) -> tuple[Predictor, np.ndarray]:
    """One batched call over the 10000 test digits (no retraining)."""
    predictor = Predictor.load(default_model_name, root=PROJECT_ROOT / "models")
    x = mnist.x_test.astype(np.float32)[..., None] / 255.0
    return predictor, predictor.predict_proba(x).argmax(axis=1)


def test_default_model_is_active_and_its_card_meets_the_target():
    info, warning = registry.active(PROJECT_ROOT / "models")
    assert warning is None
    assert info.preset == "studio"
    assert info.test_accuracy >= 0.9965
    assert info.card["data"]["fingerprint"] == "c473ce9de4170e6f"  # trained on the verified MNIST


def test_default_model_scores_what_its_card_says_on_the_test_set(mnist, test_set_predictions):
    predictor, predicted = test_set_predictions
    accuracy = (predicted == mnist.y_test).mean()
    assert accuracy >= 0.9965
    assert abs(accuracy - predictor.info.test_accuracy) < 2e-4


def test_default_model_folder_stays_small():
    folder = registry.active(PROJECT_ROOT / "models")[0].path
    assert sum(f.stat().st_size for f in folder.iterdir()) <= 5 * 1024 * 1024
