"""How far an exported model agrees with the registered one: TFLite argmax against Keras argmax on the
whole MNIST test set, and the size of each format.

    .venv/bin/python -m bench.bench_export [--model NAME]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from mnist_core import registry
from mnist_core.data import load_dataset
from mnist_core.inference import Predictor
from mnist_core.registry import export


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model")
    args = p.parse_args()
    import tensorflow as tf

    name = registry.named_or_active(args.model).name
    ds = load_dataset()
    x = ds.x_test.astype(np.float32)[..., None] / 255
    keras_probs = Predictor.load(name).predict_proba(x)  # calibrated; the argmax is the softmax's
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        path = export.export(name, "tflite", Path(tmp) / "model.tflite")
        seconds = time.perf_counter() - started
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            interpreter = tf.lite.Interpreter(model_path=str(path))
        inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
        interpreter.resize_tensor_input(inp["index"], [1000, 28, 28, 1])
        interpreter.allocate_tensors()
        lite = []
        for i in range(0, len(x), 1000):
            interpreter.set_tensor(inp["index"], x[i : i + 1000])
            interpreter.invoke()
            lite.append(interpreter.get_tensor(out["index"]).copy())
        lite_probs = np.concatenate(lite)
        size = path.stat().st_size
    agree = (lite_probs.argmax(1) == keras_probs.argmax(1)).mean()
    raw = Predictor.load(name).model.predict(x, batch_size=1000, verbose=0)
    print(f"model {name}: .keras {(registry.get(name).path / registry.MODEL_FILE).stat().st_size / 2**20:.1f} MB, "
          f".tflite {size / 2**20:.1f} MB (converted in {seconds:.1f} s)")  # fmt: skip
    print(f"argmax agreement, TFLite vs Keras, MNIST test (10,000): {agree:.4%}")
    print(f"largest probability difference: {np.abs(lite_probs - raw).max():.2e}")
    print(f"TFLite test accuracy {(lite_probs.argmax(1) == ds.y_test).mean():.4%}, Keras {(keras_probs.argmax(1) == ds.y_test).mean():.4%}")


if __name__ == "__main__":
    main()
