"""The Train page's estimated time (mnist_core.training.estimate), from the cards of earlier runs."""

from types import SimpleNamespace

import pytest

from mnist_core.model import architectures
from mnist_core.training import TrainConfig, estimate


def _model(preset, epoch_seconds, images, run_seconds=None, augment=True):
    card = {"epoch_seconds": epoch_seconds, "data": {"train_samples": images}, "config": {"augment": augment}}
    if run_seconds is not None:
        card["run_seconds"] = run_seconds
    return SimpleNamespace(preset=preset, broken=None, card=card)


def test_the_estimate_is_an_earlier_runs_time_per_image_scaled_plus_its_time_around_the_fit():
    earlier = [_model("studio", [60.0, 60.0], 57_000, run_seconds=150.0), _model("conv1", [1.0], 57_000, run_seconds=9.0)]
    config = TrainConfig.for_preset("studio", epochs=4, limit=30_000, val_split=0.05)
    # 60 s per 57,000 images per epoch, for 28,500 images x 4 epochs, and the 30 s the earlier run spent around its fit
    assert estimate.run_seconds(config, earlier) == pytest.approx(30.0 + 60 / 57_000 * 28_500 * 4)


def test_without_a_whole_run_timed_the_estimate_adds_the_usual_start_up_and_without_any_run_there_is_none():
    config = TrainConfig.for_preset("studio", epochs=1, val_split=0.0)
    assert estimate.run_seconds(config, [_model("studio", [30.0], 60_000)]) == pytest.approx(estimate.STARTUP_SECONDS + 30.0)
    assert estimate.run_seconds(config, []) is None


def test_an_architecture_never_timed_is_estimated_from_another_scaled_by_its_work_per_image():
    single = TrainConfig.for_preset("studio-single", epochs=1, val_split=0.0, augment=True)
    assert architectures.forward_flops("studio") == 2 * architectures.forward_flops("studio-single")
    estimated = estimate.run_seconds(single, [_model("studio", [60.0], 60_000, run_seconds=90.0)])
    assert estimated == pytest.approx(30.0 + 30.0)  # half the work per image; the same time around the fit
