"""Training: settings validation, events, cancellation within one batch, and the CLI."""

import json

import numpy as np
import pytest

from mnist_core import registry, training
from mnist_core.model import architectures, objectives
from mnist_core.training import ConfigError, TrainConfig, cards, pipeline
from mnist_core.training import callbacks as fit_callbacks
from mnist_core.training import events as run_events


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("epochs", 0, "Epochs must be between 1 and 200, not 0."),
        ("epochs", 201, "Epochs must be between 1 and 200"),
        ("batch_size", 4, "Batch size must be between 8 and 4096"),
        ("batch_size", 10000, "Batch size must be between 8 and 4096"),
        ("lr", 0.0, "Learning rate must be between 1e-06 and 1, not 0."),
        ("val_split", 0.9, "Validation split must be between 0 and 0.5, not 0.9."),
        ("epochs", 2.5, "Epochs must be a whole number."),
        ("limit", 10, "The training-set size must be at least 100 images"),
        ("preset", "resnet", "Unknown preset 'resnet'"),
        ("strategy", "tpu", "Strategy must be one of default, mirrored, multiworker."),
        ("schedule", "linear", "Schedule must be one of cosine, constant."),
    ],
)
def test_each_bad_setting_gets_one_sentence_on_its_field(field, value, message):
    config = TrainConfig(**{field: value})
    errors = config.errors()
    assert list(errors) == [field]
    assert errors[field].startswith(message)
    with pytest.raises(ConfigError) as exc:
        config.validate()
    assert exc.value.field == field


def test_preset_defaults_come_from_its_source():
    config = TrainConfig.for_preset("conv2-dropout", epochs=3)
    assert (config.epochs, config.batch_size) == (3, 32)
    assert TrainConfig.for_preset("conv1").epochs == 5


def test_training_512_samples_emits_progress_events(mnist):
    events = []
    config = TrainConfig(preset="conv1", epochs=1, batch_size=32, val_split=0.25, limit=512)
    result = training.train(config, (mnist.x_train, mnist.y_train), events.append)
    kinds = [e.KIND for e in events]
    assert kinds[0] == "start" and kinds[-1] == "end" and "epoch" in kinds
    start = events[0]
    assert start.train_images == 384 and start.val_images == 128
    assert start.total_steps == 12  # ceil(384 / 32)
    batches = [e for e in events if isinstance(e, run_events.Batch)]
    assert batches and batches[-1].global_step == 12
    assert all(np.isfinite(b.loss) and b.images_per_sec > 0 for b in batches)
    epoch = next(e for e in events if isinstance(e, run_events.Epoch))
    assert None not in (epoch.loss, epoch.accuracy, epoch.val_loss, epoch.val_accuracy)
    assert run_events.Event.from_json(epoch.to_json()) == epoch  # what the child writes, the page reads back
    assert not result.stopped and len(result.history["loss"]) == 1


def test_stop_request_ends_training_within_one_batch(mnist):
    steps = []

    def on_event(event):
        if isinstance(event, run_events.Batch):
            steps.append(event.global_step)

    calls = {"n": 0}

    def should_stop():
        calls["n"] += 1
        return calls["n"] >= 3  # asked at the end of the 3rd batch

    config = TrainConfig(preset="conv1", epochs=3, batch_size=16, val_split=0.0, limit=512)
    result = training.train(config, (mnist.x_train, mnist.y_train), on_event, should_stop)
    assert result.stopped
    assert calls["n"] == 3  # no further batch ran after the request
    assert len(result.history.get("loss", [])) <= 1


def test_mirrored_strategy_runs_on_a_single_cpu_device(mnist):
    config = TrainConfig(preset="conv1", epochs=1, batch_size=64, val_split=0.0, limit=256, strategy="mirrored")
    result = training.train(config, (mnist.x_train, mnist.y_train))
    assert np.isfinite(result.history["loss"][0])


def test_cancelled_run_registers_nothing(mnist, registry_root):
    config = TrainConfig(preset="conv1", epochs=1, batch_size=32, val_split=0.0, limit=512, name="never")
    assert training.train_and_register(config, mnist, should_stop=lambda: True) is None
    assert registry.list_models() == []


def test_cli_train_registers_a_model_with_a_complete_card(registry_root, capsys):
    from mnist_core.__main__ import main

    code = main(["train", "--preset", "conv1", "--epochs", "1", "--limit", "600", "--val-split", "0.1", "--name", "cli-model"])
    assert code == 0
    assert "Registered cli-model: test accuracy" in capsys.readouterr().out
    card = json.loads((registry_root / "cli-model" / "card.json").read_text())
    assert card["preset"] == "conv1" and card["parameters"] == 173_738
    assert card["config"]["epochs"] == 1 and card["config"]["limit"] == 600
    assert card["data"]["fingerprint"] and card["versions"]["keras"].startswith("3.")
    assert card["reproduce"].startswith("python -m mnist_core train --preset conv1 --epochs 1 --batch-size 64")
    assert len(card["history"]["val_accuracy"]) == 1
    assert 0 < card["test"]["accuracy"] <= 1 and len(card["test"]["per_class"]) == 10
    assert np.array(card["test"]["confusion"]).sum() == 10000
    assert card["training_seconds"] > 0


def test_cli_bad_setting_is_one_sentence_not_a_traceback(registry_root, capsys):
    from mnist_core.__main__ import main

    assert main(["train", "--preset", "conv1", "--epochs", "0"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "error: Epochs must be between 1 and 200, not 0."


def test_each_ensemble_member_is_scored_by_its_own_loss():
    """Not the loss of the averaged output: a member that is sure and wrong costs as much as alone."""
    y = np.array([3, 7])
    right = np.full(10, 0.01)
    right[3] = 0.91
    wrong = np.full(10, 0.01)
    wrong[7] = 0.91
    stacked = np.stack([np.stack([right, wrong]), np.stack([wrong, wrong])]).astype(np.float32)  # (n=2, members=2, 10)
    expected = [np.mean([-np.log(0.91), -np.log(0.01)]), np.mean([-np.log(0.91), -np.log(0.91)])]
    np.testing.assert_allclose(np.asarray(objectives.members_loss(y, stacked)), expected, rtol=1e-5)


def test_an_ensemble_trains_and_registers_as_one_averaging_model(mnist, registry_root):
    config = TrainConfig(preset="studio", epochs=1, batch_size=64, val_split=0.25, limit=256, name="tiny-ensemble")
    info = training.train_and_register(config, mnist)
    card = info.card
    assert {"accuracy", "val_accuracy", "loss", "val_loss"} <= card["history"].keys()
    model = registry.load_model("tiny-ensemble")
    assert model.output_shape == (None, 10)
    x = mnist.x_test[:8].astype(np.float32)[..., None] / 255.0
    members = np.asarray(architectures.members_view(model)(x, training=False))
    np.testing.assert_allclose(np.asarray(model(x, training=False)), members.mean(axis=1), atol=1e-6)


def _accuracy(model, images, labels, training_mode: bool) -> float:
    probs = model(pipeline.to_model_input(images), training=training_mode).numpy()
    return float((probs.argmax(1) == labels).mean())


def test_a_short_studio_run_reads_digits_in_inference_mode_as_in_training_mode(mnist):
    """Batch-norm statistics after 10 steps used to hold their start (0, 1): inference read every digit as one class."""
    config = TrainConfig.for_preset("studio", epochs=2, limit=1000, val_split=0.0)
    result = training.train(config, (mnist.x_train, mnist.y_train))
    x, y = mnist.x_test[:500], mnist.y_test[:500]
    in_training_mode = _accuracy(result.model, x, y, training_mode=True)
    in_inference_mode = _accuracy(result.model, x, y, training_mode=False)
    assert in_training_mode > 0.4
    assert in_inference_mode >= in_training_mode - 0.05
    assert np.bincount(result.model.predict(pipeline.to_model_input(x), verbose=0).argmax(1), minlength=10).max() < 0.3 * len(x)


@pytest.mark.parametrize("preset", ["conv3", "conv2", "conv1"])
def test_a_short_seed_run_reads_digits_in_inference_mode_as_in_training_mode(mnist, preset):
    config = TrainConfig.for_preset(preset, epochs=1, limit=640)
    result = training.train(config, (mnist.x_train, mnist.y_train))
    x, y = mnist.x_test[:500], mnist.y_test[:500]
    assert _accuracy(result.model, x, y, training_mode=False) >= _accuracy(result.model, x, y, training_mode=True) - 0.05 > 0.4


def test_recomputed_batch_norm_statistics_are_the_images_own():
    import keras

    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(4, 3, use_bias=False), keras.layers.BatchNormalization()])
    images = np.random.default_rng(0).integers(0, 256, (600, 28, 28), dtype=np.uint8)
    fit_callbacks.recompute_batch_norm(model, images, batch_size=128)
    conv_out = model.layers[0](pipeline.to_model_input(images)).numpy()
    norm = model.layers[1]
    np.testing.assert_allclose(norm.moving_mean.numpy(), conv_out.mean(axis=(0, 1, 2)), rtol=0.02, atol=1e-4)
    np.testing.assert_allclose(norm.moving_variance.numpy(), conv_out.var(axis=(0, 1, 2)), rtol=0.1)


@pytest.mark.parametrize(
    ("history", "test_accuracy", "expected"),
    [
        ({"val_accuracy": [0.422, 0.123, 0.082]}, 0.0977, "fell at every epoch (42.2% → 12.3% → 8.2%)"),
        ({"val_accuracy": [0.30, 0.45, 0.41]}, 0.40, "ends at 41.0%, below 50%"),
        ({"accuracy": [0.2]}, 0.2286, "test accuracy is 22.9%, below 50%"),
        ({"val_accuracy": [0.97, 0.98, 0.985]}, 0.986, None),
        ({"val_accuracy": [0.99, 0.989]}, 0.99, None),
        ({"val_accuracy": [0.95, 0.90]}, 0.90, "fell at every epoch"),
    ],
)
def test_a_run_that_did_not_learn_gets_a_plain_warning(history, test_accuracy, expected):
    warning = cards.health_warning(history, test_accuracy)
    assert (warning is None) if expected is None else (expected in warning)


def test_the_cards_command_gives_back_the_same_settings():
    """Parsed by the CLI, a card's reproduce command makes the same TrainConfig (augmentation off included)."""
    from mnist_core.__main__ import parser, train_config

    for config in (
        TrainConfig.for_preset("studio", epochs=3, limit=12000, name="quick"),
        TrainConfig.for_preset("studio", augment=False, init_from="studio-v3", lr=2e-4, epochs=3, name="plain"),
        TrainConfig.for_preset("conv1", epochs=2, name="small"),
    ):
        args = parser().parse_args(cards.reproduce_command(config, config.name).split()[3:])
        assert train_config(args) == config


def test_a_recipe_gives_its_settings_and_any_setting_given_beside_it_wins():
    best = TrainConfig.for_recipe("best")
    recipe = architectures.RECIPES["best"]
    assert best.recipe == "best" and best.preset == recipe.preset
    assert all(getattr(best, k) == v for k, v in recipe.settings.items())
    tweaked = TrainConfig.for_recipe("best", epochs=2, batch_size=64, label_smoothing=0.0)
    assert (tweaked.epochs, tweaked.batch_size, tweaked.label_smoothing, tweaked.recipe) == (2, 64, 0.0, "best")
    with pytest.raises(ConfigError, match="Unknown recipe 'fast'; choose one of best, quick"):
        TrainConfig.for_recipe("fast")
    assert TrainConfig(recipe="fast").errors() == {"recipe": "Unknown recipe 'fast'; choose one of best, quick."}


@pytest.mark.parametrize(
    "config",
    [
        TrainConfig.for_recipe("best", name="b"),
        TrainConfig.for_recipe("quick", epochs=2, limit=3000, non_digits=False, label_smoothing=0.05, name="q"),
        TrainConfig.for_recipe("best", preset="conv1", augment=False, augment_fade=0.5, name="other"),
    ],
)
def test_a_recipe_cards_command_is_the_recipe_and_what_differs_and_gives_back_the_same_settings(config):
    from mnist_core.__main__ import parser, train_config

    command = cards.reproduce_command(config, config.name)
    assert command.startswith(f"python -m mnist_core train --recipe {config.recipe} ")
    assert train_config(parser().parse_args(command.split()[3:])) == config


def test_the_quick_recipe_from_the_cli_records_its_recipe_and_the_whole_runs_time(registry_root, capsys):
    from mnist_core.__main__ import main

    assert main(["train", "--recipe", "quick", "--limit", "400", "--epochs", "1", "--name", "quick-small"]) == 0
    assert "Registered quick-small" in capsys.readouterr().out
    card = json.loads((registry_root / "quick-small" / "card.json").read_text())
    quick = architectures.RECIPES["quick"].settings
    assert card["config"]["recipe"] == "quick" and card["preset"] == architectures.RECIPES["quick"].preset
    assert card["config"]["label_smoothing"] == quick.get("label_smoothing", 0.0)
    assert card["config"]["limit"] == 400 and card["config"]["epochs"] == 1
    assert card["reproduce"].startswith("python -m mnist_core train --recipe quick ") and " --limit 400 " in card["reproduce"]
    # the whole run (TensorFlow, MNIST, marks, fit, evaluation, calibration) is longer than its fit
    assert card["run_seconds"] > card["training_seconds"] >= sum(card["epoch_seconds"]) - 0.1 > 0  # (rounded to 0.1 s)
    assert "calibration" in card


def test_label_smoothing_moves_a_digits_target_off_one_and_leaves_a_non_digits_alone():
    probs = np.full((2, 10), 0.01, np.float32)
    probs[:, 3] = 0.91
    y = np.array([3, objectives.NON_DIGIT])
    plain = np.asarray(objectives.single_loss(y, probs))
    smooth = np.asarray(objectives.single_loss(y, probs, smoothing=0.1))
    expected = -(0.91 * np.log(0.91) + 0.09 * np.log(0.01))  # 0.9 + 0.1/10 on the 3, 0.01 on each of the others
    np.testing.assert_allclose(smooth[0], expected, rtol=1e-5)
    assert smooth[0] > plain[0] and smooth[1] == pytest.approx(plain[1])


def test_augmentation_fades_out_over_the_last_steps_of_a_run():
    import tensorflow as tf

    x = tf.zeros([64, 28, 28, 1])
    augmented = tf.ones([64, 28, 28, 1])
    share = [
        float(
            tf.reduce_mean(pipeline.fade_augmentation(x, augmented, tf.constant(step, tf.int64), tf.constant([0, step], tf.int64), 100, 40))
        )
        for step in (0, 60, 80, 99, 100)
    ]
    assert share[0] == share[1] == 1.0  # before the fade: every image augmented
    assert 0.2 < share[2] < 0.8 and share[3] < 0.2 and share[4] == 0.0  # then fewer, and none at the end


def test_a_run_written_before_the_fields_said_images_still_reads():
    start = run_events.Event.from_json('{"type": "start", "total_steps": 4, "steps_per_epoch": 2, "epochs": 2, "train_samples": 900}')
    batch = run_events.Event.from_json(
        '{"type": "batch", "epoch": 1, "step": 1, "global_step": 1, "loss": 1.0, "accuracy": 0.5, "samples_per_sec": 1200.0}'
    )
    assert start.train_images == 900 and batch.images_per_sec == 1200.0
