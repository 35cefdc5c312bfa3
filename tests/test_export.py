"""Taking a model away: .keras, SavedModel and .tflite exports, each with its card.json input contract."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import numpy as np
import pytest

from mnist_core import preprocess, registry
from mnist_core.inference import Predictor
from mnist_core.registry import export
from mnist_core.settings import PROJECT_ROOT
from mnist_core.views.examples import list_examples


def tflite_predict(path, images: np.ndarray) -> np.ndarray:
    import tensorflow as tf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tf.lite.Interpreter's deprecation notice (ai_edge_litert replaces it)
        interpreter = tf.lite.Interpreter(model_path=str(path))
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    interpreter.resize_tensor_input(inp["index"], [len(images), 28, 28, 1])
    interpreter.allocate_tensors()
    interpreter.set_tensor(inp["index"], images.reshape(-1, 28, 28, 1).astype(np.float32))
    interpreter.invoke()
    return interpreter.get_tensor(out["index"])


@pytest.fixture(scope="module")
def default_tflite(tmp_path_factory, default_model_name):
    out = tmp_path_factory.mktemp("export") / "default" / "model.tflite"
    return export.export(default_model_name, "tflite", out, PROJECT_ROOT / "models")


def test_the_tflite_model_reads_mnist_as_the_keras_model_does(default_tflite, default_model_name, mnist):
    keras_model = Predictor.load(default_model_name, PROJECT_ROOT / "models")
    x = mnist.x_test[:500].astype(np.float32) / 255
    agree = tflite_predict(default_tflite, x).argmax(1) == keras_model.predict_proba(x).argmax(1)
    assert agree.mean() >= 0.998  # the whole test set is measured in BENCHMARKS.md


def test_load_preprocess_tflite_reads_the_example_images_as_the_app_does(default_tflite, default_model_name):
    card = json.loads((default_tflite.parent / "card.json").read_text())
    app = Predictor.load(default_model_name, PROJECT_ROOT / "models")
    for example in list_examples():
        digits = preprocess.from_image(example.data)
        probs = tflite_predict(default_tflite, np.stack([d.image for d in digits]))
        assert "".join(str(d) for d in probs.argmax(1)) == "".join(str(r.digit) for r in app.read(example.data)) == example.number
    assert card["input"]["shape"] == [None, 28, 28, 1] and card["input"]["range"] == [0.0, 1.0]
    assert "ink" in card["input"] and card["preprocessing"] and card["calibration"]["threshold"] > 0


def test_a_keras_export_is_the_registered_model_with_its_card_beside_it(tiny_registry, tmp_path):
    out = export.export("tiny", "keras", tmp_path / "out" / "tiny.keras")
    assert out.read_bytes() == (tiny_registry / "tiny" / registry.MODEL_FILE).read_bytes()
    card = json.loads((out.parent / "card.json").read_text())
    assert card["name"] == "tiny" and card["format"] == "keras" and card["output"]["shape"] == [None, 10]


def test_a_savedmodel_export_serves_the_same_probabilities(tiny_registry, tmp_path, mnist):
    import tensorflow as tf

    out = export.export("tiny", "savedmodel", tmp_path / "saved")
    loaded = tf.saved_model.load(str(out))  # kept: its functions need its variables alive
    served = loaded.serve(tf.constant(mnist.x_test[:64, :, :, None] / 255, tf.float32)).numpy()
    expected = registry.load_model("tiny")(mnist.x_test[:64, :, :, None] / 255, training=False).numpy()
    assert np.allclose(served, expected, atol=1e-5)


def test_the_cli_exports_and_explains_a_bad_name_in_one_sentence(tiny_registry, tmp_path):
    env = {"MNIST_STUDIO_MODELS": str(tiny_registry), "PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3"}
    ok = subprocess.run(
        [sys.executable, "-m", "mnist_core", "export", "tiny", "--out", str(tmp_path / "t.keras")], capture_output=True, text=True, env=env
    )
    assert ok.returncode == 0 and "exported as keras" in ok.stdout and (tmp_path / "card.json").is_file()
    bad = subprocess.run([sys.executable, "-m", "mnist_core", "export", "nobody"], capture_output=True, text=True, env=env)
    assert (
        bad.returncode == 2
        and bad.stderr.strip().splitlines()[-1] == "error: There is no model named 'nobody'."
        and "Traceback" not in bad.stderr
    )


def test_the_tflite_converter_writes_nothing_into_the_apps_log(tiny_registry, capfd):
    from mnist_core import registry

    model = registry.load_model("tiny")
    capfd.readouterr()
    assert len(export.tflite_bytes(model)) > 1000
    out, err = capfd.readouterr()
    assert out + err == ""
