"""The registry: round trip, broken folders, the active pointer, and atomic saves."""

import json
import shutil
import zipfile

import numpy as np
import pytest

from mnist_core import registry
from mnist_core.model import architectures
from mnist_core.registry import RegistryError


def save_tiny(name, root, card=None):
    model = architectures.build("conv1")
    return registry.save(name, model, card or {"preset": "conv1", "created": registry.now_iso(), "test": {"accuracy": 0.5}}, root=root)


def test_round_trip_keeps_weights_and_card(registry_root):
    model = architectures.build("conv1")
    x = np.random.default_rng(0).random((4, 28, 28, 1), dtype=np.float32)
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, np.arange(4), epochs=1, verbose=0)  # the optimizer now has state
    registry.save("round-trip", model, {"preset": "conv1", "test": {"accuracy": 0.9}})
    loaded = registry.load_model("round-trip")
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), atol=1e-6)
    [info] = registry.list_models()
    assert (info.name, info.preset, info.test_accuracy, info.broken) == ("round-trip", "conv1", 0.9, None)
    with zipfile.ZipFile(registry_root / "round-trip" / "model.keras") as zf:
        assert not json.loads(zf.read("config.json")).get("compile_config")  # saved uncompiled
        assert b"optimizer" not in zf.read("model.weights.h5")  # and without optimizer variables


@pytest.mark.parametrize("name", ["", "Upper", "../etc", "a/b", "-lead", "x" * 65, "spa ce", ".hidden"])
def test_bad_names_are_refused_before_touching_a_path(registry_root, name):
    with pytest.raises(RegistryError, match="not a valid model name"):
        save_tiny(name, registry_root)
    assert list(registry_root.iterdir()) == []


def test_existing_name_is_refused(registry_root):
    save_tiny("twice", registry_root)
    with pytest.raises(RegistryError, match="already exists"):
        save_tiny("twice", registry_root)


def test_broken_folders_are_listed_with_their_reason(registry_root):
    save_tiny("good", registry_root)
    (registry_root / "no-card").mkdir()
    (registry_root / "no-card" / "model.keras").write_bytes(b"x")
    (registry_root / "bad-card").mkdir()
    (registry_root / "bad-card" / "card.json").write_text("{not json")
    (registry_root / "bad-model").mkdir()
    (registry_root / "bad-model" / "card.json").write_text("{}")
    (registry_root / "bad-model" / "model.keras").write_bytes(b"garbage, not a zip")
    reasons = {m.name: m.broken for m in registry.list_models()}
    assert reasons["good"] is None
    assert "card.json is missing" in reasons["no-card"]
    assert "model.keras is missing" in reasons["bad-card"]
    assert "not a valid Keras archive" in reasons["bad-model"]
    assert registry.active()[0].name == "good"


def test_corrupt_zip_that_looks_valid_fails_to_load_with_a_sentence(registry_root):
    info = save_tiny("trunc", registry_root)
    raw = (info.path / "model.keras").read_bytes()
    (info.path / "model.keras").write_bytes(raw[: len(raw) // 2] + raw[-200:])
    with pytest.raises(RegistryError, match="cannot be loaded"):
        registry.load_model("trunc")


def test_active_pointer_and_fallback_to_newest_good_model(registry_root):
    save_tiny("older", registry_root, {"preset": "conv1", "created": "2026-01-01T00:00:00+00:00"})
    save_tiny("newer", registry_root, {"preset": "conv1", "created": "2026-02-01T00:00:00+00:00"})
    assert registry.active() == (registry.get("newer"), None)
    registry.set_active("older")
    assert registry.active()[0].name == "older"
    assert json.loads(json.dumps(registry.list_models()[1].to_json()))["active"] is True
    (registry_root / "ACTIVE").write_text("vanished\n")
    info, warning = registry.active()
    assert info.name == "newer" and "'vanished' is missing" in warning


def test_no_model_says_how_to_train_one(registry_root):
    with pytest.raises(registry.NoModelError, match="python -m mnist_core train"):
        registry.active()


def test_full_disk_during_a_card_update_keeps_the_old_card(registry_root, monkeypatch):
    save_tiny("card", registry_root)
    before = (registry_root / "card" / "card.json").read_text()

    def full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(registry.os, "fsync", full)  # the temp card is written, then the disk is full
    with pytest.raises(RegistryError, match="the old card is intact"):
        registry.update_card("card", {"test": {"accuracy": 1.0}})
    monkeypatch.undo()
    assert (registry_root / "card" / "card.json").read_text() == before
    assert not list((registry_root / "card").glob(".card.json-*"))


def test_crash_in_the_middle_of_a_save_leaves_nothing_half_written(registry_root, monkeypatch):
    save_tiny("keep", registry_root)
    registry.set_active("keep")

    def crash(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(registry.atomic, "write_json", crash)  # the model file is written, the card fails
    with pytest.raises(RegistryError, match=r"Could not save model 'half' \(No space left on device\); nothing was changed"):
        save_tiny("half", registry_root)
    assert [m.name for m in registry.list_models()] == ["keep"]
    assert not (registry_root / "half").exists()
    assert not list(registry_root.glob(".saving-*"))
    assert registry.active()[0].name == "keep"


def test_models_cli_json(registry_root, capsys):
    from mnist_core.__main__ import main

    save_tiny("alpha", registry_root)
    (registry_root / "broken-one").mkdir()
    assert main(["models", "--activate", "alpha"]) == 0
    capsys.readouterr()
    assert main(["models", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["alpha"]["active"] is True and rows["alpha"]["test_accuracy"] == 0.5
    assert rows["broken-one"]["broken"] == "card.json is missing; model.keras is missing"
    assert set(rows["alpha"]) == {"name", "path", "active", "test_accuracy", "broken"}


def test_activate_unknown_model_is_one_sentence(registry_root, capsys):
    from mnist_core.__main__ import main

    assert main(["models", "--activate", "ghost"]) == 2
    assert capsys.readouterr().err.strip() == "error: There is no model named 'ghost'."


def test_a_version_can_be_deleted_but_not_the_active_one(tiny_registry):
    with pytest.raises(registry.RegistryError, match="is the active model"):
        registry.delete("tiny")
    shutil.copytree(tiny_registry / "tiny", tiny_registry / "spare")
    registry.delete("spare")
    assert [m.name for m in registry.list_models()] == ["tiny"] and not list(tiny_registry.glob(".deleting-*"))


def test_a_card_that_names_a_preset_by_its_old_name_shows_and_trains_as_the_preset_it_is_now(tiny_registry):
    from mnist_core import training

    card_file = tiny_registry / "tiny" / "card.json"
    card = json.loads(card_file.read_text())
    card_file.write_text(json.dumps({**card, "preset": "seed004"}))
    info = registry.get("tiny")
    assert info.preset == "conv1" and info.label().endswith("· conv1")
    assert training.TrainConfig.for_preset("seed004", epochs=1).preset == "conv1"
    assert training.TrainConfig.from_dict({**card["config"], "preset": "seed004"}).errors() == {}
