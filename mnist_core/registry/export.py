"""A registered model taken out of the app: as ``.keras``, a TensorFlow SavedModel or ``.tflite``, with a
``card.json`` beside it that says what the model expects (the input contract) and how to read its output.

    python -m mnist_core export NAME --format keras|savedmodel|tflite [--out PATH]
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from mnist_core import registry
from mnist_core.preprocess.normalize import BOX, CENTRE, INK_LEVEL, SIDE
from mnist_core.storage import atomic

FORMATS = {"keras": ".keras", "savedmodel": "", "tflite": ".tflite"}


def input_contract() -> dict:
    """What the exported model expects and returns, in the terms of ``mnist_core.preprocess``."""
    return {
        "input": {
            "shape": [None, SIDE, SIDE, 1],
            "dtype": "float32",
            "range": [0.0, 1.0],
            "ink": "high: 1.0 is ink, 0.0 is paper (white digit on black, as in MNIST)",
        },
        "output": {
            "shape": [None, 10],
            "meaning": "softmax probabilities of the digits 0-9 (an ensemble's averaged)",
            "calibrated": "softmax(log(p) / temperature), temperature from calibration below",
            "not_a_digit": "the largest calibrated probability under calibration.threshold: not a digit",
        },
        "preprocessing": [
            "decode the image (EXIF orientation applied; any alpha composited on white)",
            "grey, then ink high: dark ink on light paper is inverted; a canvas's ink is its alpha",
            "separate the paper from the ink (local threshold), split the marks into digits left to right",
            f"crop each digit to its ink (level > {INK_LEVEL} of its peak)",
            f"scale it to fit a {BOX}x{BOX} box, keeping its aspect ratio",
            f"place it in {SIDE}x{SIDE} with its centre of mass at ({CENTRE}, {CENTRE})",
        ],
        "reference": "mnist_core.preprocess.from_image / from_canvas (this project)",
    }


def export_card(info: registry.ModelInfo, fmt: str) -> dict:
    card = info.card
    return {
        "name": info.name,
        "format": fmt,
        "preset": card.get("preset"),
        "created": card.get("created"),
        "test": {k: (card.get("test") or {}).get(k) for k in ("accuracy", "samples")},
        "calibration": card.get("calibration") or {"temperature": 1.0, "threshold": 0.0},
        **input_contract(),
        "reproduce": card.get("reproduce"),
    }


def default_out(name: str, fmt: str) -> Path:
    return Path("exports") / name / f"model{FORMATS[fmt]}"


def tflite_bytes(model) -> bytes:
    """The model as .tflite. The converter's own chatter (about 80 lines from its C++ and Python sides) is not
    written into the app's log."""
    import tensorflow as tf

    with _quiet():
        return tf.lite.TFLiteConverter.from_keras_model(model).convert()


@contextlib.contextmanager
def _quiet():
    """Standard output and error, down to the file descriptors the C++ libraries write to, to /dev/null."""
    sys.stdout.flush(), sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with open(os.devnull, "w") as null, contextlib.redirect_stdout(null), contextlib.redirect_stderr(null):
        os.dup2(null.fileno(), 1), os.dup2(null.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved[0], 1), os.dup2(saved[1], 2)
            os.close(saved[0]), os.close(saved[1])


def export(name: str, fmt: str, out: Path | None = None, root: Path | None = None) -> Path:
    """Write model ``name`` as ``fmt`` to ``out`` (default ``exports/NAME/model.EXT``) and ``card.json`` beside it."""
    if fmt not in FORMATS:
        raise registry.RegistryError(f"Unknown format {fmt!r}: choose one of {', '.join(FORMATS)}.")
    info = registry.get(name, root)
    if info.broken:
        raise registry.RegistryError(f"Model {name!r} cannot be exported: {info.broken}")
    out = Path(out) if out is not None else default_out(name, fmt)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "keras":
        atomic.write_bytes(out, (info.path / registry.MODEL_FILE).read_bytes())
    else:
        model = registry.load_model(name, root)
        if fmt == "tflite":
            atomic.write_bytes(out, tflite_bytes(model))
        else:
            with tempfile.TemporaryDirectory(dir=out.parent, prefix=".export-") as tmp:
                model.export(str(Path(tmp) / "savedmodel"), verbose=False)
                if out.exists():
                    shutil.rmtree(out)
                Path(tmp, "savedmodel").rename(out)
    atomic.write_text(out.parent / "card.json", json.dumps(export_card(info, fmt), indent=2) + "\n")
    return out
