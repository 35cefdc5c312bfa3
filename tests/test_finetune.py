"""Teaching the model my handwriting: samples mixed into training, fine-tuning, evaluation on my samples.

The end-to-end test draws 40 digits in a style MNIST hardly has (a 2 written like a crossed Z,
which the default model reads as a crossed 7), saves 20 of them, fine-tunes the default model on
them, and checks the other 20.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from mnist_core import evaluation, registry, training
from mnist_core.samples import SampleStore
from tests.conftest import PROJECT_ROOT
from tests.support.handwriting import crossed_twos

# ---------------------------------------------------------------- mechanics (fast, tiny model)


def test_samples_are_oversampled_to_a_fixed_share_of_each_epoch():
    x, y = np.zeros((57000, 28, 28), np.uint8), np.zeros(57000, np.uint8)
    xs, ys = np.ones((50, 28, 28), np.uint8), np.full(50, 7, np.uint8)
    mx, my, repeats = training.mix_in_samples(x, y, xs, ys)
    assert repeats == 60 and len(mx) == 57000 + 50 * 60
    assert 0.05 <= (my == 7).mean() < 0.051
    assert training.mix_in_samples(x, y, xs[:0], ys[:0])[2] == 0


def test_finetune_settings_start_from_the_active_model(tiny_registry):
    config = training.TrainConfig.for_finetune()
    assert (config.preset, config.init_from, config.include_samples, config.schedule) == ("conv1", "tiny", True, "constant")
    assert config.lr <= 1e-4 and config.epochs <= 5
    assert config.errors() == {"include_samples": "There are no saved samples to include yet: save some on the Draw or Upload page first."}
    SampleStore().add(crossed_twos(1)[0], 2, "canvas")
    assert config.errors() == {}


def test_a_wrong_starting_model_is_one_sentence(tiny_registry):
    assert "choose the preset conv1" in training.TrainConfig(preset="studio", init_from="tiny").errors()["init_from"]
    assert "no model named 'nope'" in training.TrainConfig(preset="conv1", init_from="nope").errors()["init_from"]


def test_the_card_records_the_samples_and_the_starting_model(tiny_registry, mnist):
    store = SampleStore()
    images = crossed_twos(6, seed=1)
    for image in images:
        store.add(image, 2, "canvas", model="tiny", predicted=7)
    config = training.TrainConfig.for_finetune(epochs=1, limit=600, name="tiny-mine")
    info = training.train_and_register(config, mnist)
    card = info.card
    assert card["samples"]["included"] == 6 and card["samples"]["by_label"] == {"2": 6}
    assert 0.04 < card["samples"]["share_of_epoch"] < 0.07
    assert card["fine_tuned_from"]["name"] == "tiny"
    assert "--init-from tiny" in card["reproduce"] and "--include-samples" in card["reproduce"]
    with np.load(info.path / training.SAMPLES_FILE, allow_pickle=False) as used:
        np.testing.assert_array_equal(used["x"], store.arrays()[0])
    ev = evaluation.evaluate_samples("tiny-mine")
    assert len(ev.y_true) == 6 and ev.confusion.sum() == 6


# ---------------------------------------------------------------- end to end, with the default model


@pytest.fixture
def default_registry(default_model_name, registry_root):
    """A private registry holding a copy of the committed default model, active."""
    shutil.copytree(PROJECT_ROOT / "models" / default_model_name, registry_root / default_model_name)
    registry.set_active(default_model_name, registry_root)
    return registry_root


def test_finetuning_on_my_style_beats_the_original_without_forgetting_mnist(default_registry, default_model_name, mnist):
    images = crossed_twos(40, seed=8)
    saved, held_out = images[:20], images[20:]
    store = SampleStore()
    for image in saved:
        store.add(image, 2, "canvas", model=default_model_name)
    y_held = np.full(20, 2, np.uint8)
    x_held = np.round(held_out * 255).astype(np.uint8)

    config = training.TrainConfig.for_finetune(limit=6000, name="mine")
    tuned = training.train_and_register(config, mnist)
    original = registry.get(default_model_name)

    tuned_model = registry.load_model(tuned.name)
    before = evaluation.evaluate_samples(default_model_name, (x_held, y_held))
    after = evaluation.evaluate_samples(samples=(x_held, y_held), model=tuned_model)
    assert after.accuracy > before.accuracy, (before.accuracy, after.accuracy)
    sevens = np.round(crossed_twos(20, seed=9, digit=7) * 255).astype(np.uint8)  # it learnt the bottom stroke, not "crossed means 2"
    assert evaluation.evaluate_samples(samples=(sevens, np.full(20, 7)), model=tuned_model).accuracy >= 0.9
    assert tuned.test_accuracy >= original.test_accuracy - 0.003, (original.test_accuracy, tuned.test_accuracy)


def test_a_model_of_an_older_architecture_cannot_be_finetuned(tiny_registry):
    """A model registered before its preset changed shape: one sentence, not a shape error mid-run."""
    card_path = tiny_registry / "tiny" / "card.json"
    card = json.loads(card_path.read_text())
    card["parameters"] += 1
    card_path.write_text(json.dumps(card))
    assert "has an older conv1 architecture" in training.TrainConfig(preset="conv1", init_from="tiny").errors()["init_from"]
