"""``Predictor``: a registered model behind a compiled, thread-safe predict, with top-k, doubt and saliency.

Every browser session shares one Predictor, so everything here is safe to call from many
threads at once. ``predict_proba`` calls a concrete ``tf.function`` traced once at load time
with a fixed input signature: about 1-2 ms a call, where ``model.predict`` costs ~80 ms.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from mnist_core import preprocess
from mnist_core.preprocess import Box, ImageError

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

UNSURE_TOP = 0.7  # below this top probability the reading is flagged as unsure ...
UNSURE_ENTROPY_BITS = 1.0  # ... and likewise above this entropy
CHUNK = 512  # largest batch handed to the model at once
SALIENCY_STEPS = 32
_INDEX_LOCK = threading.Lock()  # one index build per process at a time (across it, a file lock)


@dataclass
class DigitReading:
    digit: int
    confidence: float
    probabilities: np.ndarray  # (10,) float32
    box: Box
    image: np.ndarray  # the (28, 28) the model saw
    crop: np.ndarray  # uint8 grey crop of the original
    top3: list[tuple[int, float]]
    unsure: bool
    candidates: tuple[int, int] | None  # the two most likely digits when unsure
    is_digit: bool = True  # False: the mark does not look like any digit (its score is under the model's threshold)
    digit_score: float = 1.0  # the largest calibrated probability, the score behind is_digit


class Readings(list):
    """The marks of one image or drawing, read left to right and line by line (a list of DigitReading)."""

    @property
    def number(self) -> str:
        """The digits accepted, in reading order; marks that are not a digit are left out."""
        return "".join(str(r.digit) for r in self if r.is_digit)

    @property
    def refused(self) -> int:
        """How many marks are not a digit."""
        return sum(not r.is_digit for r in self)

    @property
    def labels(self) -> list[str]:
        """Each mark's label on its box: the digit, ``7?`` when unsure, or ``not a digit``."""
        return ["not a digit" if not r.is_digit else f"{r.digit}?" if r.unsure else str(r.digit) for r in self]


@dataclass
class PhotoReading:
    readings: Readings  # every mark found, left to right, line by line
    page: np.ndarray | None  # (4, 2) corners of the paper found in the photo (a note on a desk), or None

    @property
    def number(self) -> str:
        return self.readings.number


def top_k(probs: np.ndarray, k: int = 3) -> list[tuple[int, float]]:
    """The k most likely digits with their probabilities, most likely first."""
    p = np.asarray(probs, dtype=np.float64).reshape(-1)
    order = np.argsort(-p, kind="stable")[:k]
    return [(int(i), float(p[i])) for i in order]


def doubt(probs: np.ndarray) -> tuple[int, int] | None:
    """The two most likely digits when the model is not sure (low top probability or high entropy), else None."""
    p = np.clip(np.asarray(probs, dtype=np.float64).reshape(-1), 0.0, 1.0)
    (a, pa), (b, _) = top_k(p, 2)
    return (a, b) if pa < UNSURE_TOP or entropy_bits(p) > UNSURE_ENTROPY_BITS else None


def entropy_bits(probs: np.ndarray) -> float:
    """Shannon entropy of a probability vector, in bits (0: certain, log2(10) = 3.32: no idea)."""
    p = np.asarray(probs, dtype=np.float64).reshape(-1)
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


def reading(probs: np.ndarray, digit: preprocess.Digit, threshold: float = 0.0) -> DigitReading:
    """One mark's reading from its calibrated probabilities; under ``threshold`` it is not a digit."""
    p = np.asarray(probs, dtype=np.float32)
    top3 = top_k(p, 3)
    is_digit = top3[0][1] >= threshold
    candidates = doubt(p) if is_digit else None
    return DigitReading(
        digit=top3[0][0],
        confidence=top3[0][1],
        probabilities=p,
        box=digit.box,
        image=digit.image,
        crop=digit.crop,
        top3=top3,
        unsure=candidates is not None,
        candidates=candidates,
        is_digit=bool(is_digit),
        digit_score=top3[0][1],
    )


class Predictor:
    """A loaded model with a compiled predict; build it with ``Predictor.load``."""

    def __init__(self, model, name: str = "model", info=None, warning: str | None = None):
        import tensorflow as tf

        from mnist_core.model.calibration import Calibration

        self.model = model
        self.calibration = Calibration.from_card(info.card if info is not None else None)
        self.name = name
        self.info = info
        self.warning = warning  # set when the active pointer had to be ignored
        self.neighbour_index = self.neighbour_features = None  # built on the first nearest_training_digits call
        spec = tf.TensorSpec([None, 28, 28, 1], tf.float32)
        # traced here, once, on one thread: later calls from any thread only run it
        self._predict = tf.function(lambda x: model(x, training=False), input_signature=[spec]).get_concrete_function()
        self._saliency = tf.function(
            self._integrated_gradients, input_signature=[tf.TensorSpec([28, 28], tf.float32), tf.TensorSpec([], tf.int32)]
        ).get_concrete_function()
        self._predict(tf.zeros([1, 28, 28, 1]))

    @classmethod
    def load(cls, name: str | None = None, root: Path | None = None) -> Predictor:
        """The registered model ``name`` (None: the active one) from ``root`` (default: the registry)."""
        from mnist_core import registry

        if name:
            info, warning = registry.get(name, root), None
        else:
            info, warning = registry.active(root)
        model = registry.load_model(info.name, root)
        return cls(model, info.name, info, warning)

    def nearest_training_digits(self, images: np.ndarray, k: int = 8, on_progress=None) -> list[list]:
        """For each (28, 28) image the model saw, the ``k`` MNIST training digits nearest to it in the model's own
        feature space (``neighbours.Neighbour``: index, label, distance), nearest first. The first call per model
        builds or reads the cached index (``on_progress(done, total)`` while it builds)."""
        from mnist_core import neighbours

        with _INDEX_LOCK:
            if self.neighbour_index is None:
                from mnist_core.data import load_dataset

                if self.info is None:
                    raise ValueError("Nearest training digits need a registered model (its folder holds the index).")
                data = load_dataset()
                self.neighbour_features = neighbours.feature_model(self.model)
                self.neighbour_index = neighbours.load_index(
                    self.info.path, self.model, data.x_train, data.y_train, data.fingerprint, on_progress
                )
        queries = neighbours.features(self.neighbour_features, np.asarray(images, np.float32).reshape(-1, 28, 28, 1))
        return [self.neighbour_index.nearest(q, k) for q in queries]

    def predict_proba(self, batch: np.ndarray) -> np.ndarray:
        """float (n, 28, 28[, 1]) in [0, 1] -> calibrated probabilities (n, 10) float32 (the model card's
        temperature applied to its softmax); a single (28, 28) counts as n = 1."""
        x = np.asarray(batch, dtype=np.float32)
        if x.shape == (28, 28):
            x = x[None]
        if x.ndim == 3:
            x = x[..., None]
        if x.ndim != 4 or x.shape[1:] != (28, 28, 1):
            raise ValueError(f"predict_proba needs (n, 28, 28) or (n, 28, 28, 1) images, not {x.shape}.")
        if len(x) == 0:
            return np.zeros((0, 10), np.float32)
        x = np.ascontiguousarray(x)
        parts = [self._predict(x[i : i + CHUNK]).numpy() for i in range(0, len(x), CHUNK)]
        return self.calibration.apply(parts[0] if len(parts) == 1 else np.concatenate(parts))

    def _integrated_gradients(self, x, cls):
        import tensorflow as tf

        alphas = tf.reshape(tf.linspace(1.0 / SALIENCY_STEPS, 1.0, SALIENCY_STEPS), [-1, 1, 1, 1])
        path = alphas * tf.reshape(x, [1, 28, 28, 1])  # from a black image to x
        with tf.GradientTape() as tape:
            tape.watch(path)
            score = self.model(path, training=False)[:, cls]
        grads = tape.gradient(score, path)
        return tf.reshape(x, [28, 28]) * tf.reduce_mean(grads, axis=0)[:, :, 0]

    def straightened(self, x28: np.ndarray) -> np.ndarray | None:
        """The 28x28 as the model's own deskew layer straightens it; None for a model without one."""
        try:
            layer = self.model.get_layer("deskew")
        except ValueError:
            return None
        return np.asarray(layer(np.asarray(x28, np.float32).reshape(1, 28, 28, 1)))[0, :, :, 0]

    def saliency(self, x28: np.ndarray, cls: int) -> np.ndarray:
        """Where the evidence for ``cls`` lies (integrated gradients, positive part), (28, 28) in [0, 1]."""
        x = np.asarray(x28, dtype=np.float32).reshape(28, 28)
        if not 0 <= int(cls) <= 9:
            raise ValueError(f"cls must be a digit 0-9, not {cls}.")
        attribution = np.maximum(self._saliency(x, np.int32(cls)).numpy(), 0.0)
        peak = float(attribution.max())
        return (attribution / peak if peak > 0 else attribution).astype(np.float32)

    def read_canvas(self, rgba: np.ndarray) -> DigitReading | None:
        """A drawing -> its reading, or None when the canvas is (nearly) empty."""
        digit = preprocess.canvas_digit(rgba)
        if digit is None:
            return None
        return reading(self.predict_proba(digit.image[None])[0], digit, self.calibration.threshold)

    def read_canvas_number(self, rgba: np.ndarray) -> Readings:
        """A wide drawing of several digits -> each one's reading, left to right (Upload's segmentation)."""
        ink = preprocess.canvas_ink(rgba)
        if ink is None or not float(ink.max()) > 0.1:
            return Readings()
        # dark ink on white paper, like a scan; the canvas has paper beyond its edges, where a photo has the unknown
        pad = max(ink.shape) // 8
        readings = self.read(np.pad(np.round(255 * (1 - ink)).astype(np.uint8), pad, constant_values=255))
        h, w = ink.shape
        for r in readings:
            x0, y0, x1, y1 = r.box
            r.box = (max(0, x0 - pad), max(0, y0 - pad), min(w, x1 - pad), min(h, y1 - pad))
        return readings

    def read(self, data: bytes | Image.Image | np.ndarray) -> Readings:
        """Every digit of an image (bytes, PIL image or array), left to right; ImageError when unreadable."""
        return self.read_photo(data).readings

    def read_photo(self, data: bytes | Image.Image | np.ndarray) -> PhotoReading:
        """Like ``read``, with the paper the digits were found on, when the photo shows one lying on a desk."""
        found = preprocess.find_digits(data)
        page = None if found.page is None else found.page.corners
        if not found.digits:
            return PhotoReading(Readings(), page)
        probs = self.predict_proba(np.stack([d.image for d in found.digits]))
        readings = Readings(reading(p, d, self.calibration.threshold) for p, d in zip(probs, found.digits, strict=True))
        return PhotoReading(readings, page)


def read_file_entry(predictor: Predictor, path: Path, neighbours: int = 0) -> dict:
    """One file -> the CLI's JSON entry (the README's "Command line"). A bad file gives an error sentence, never an exception.
    With ``neighbours`` (``explain``), each digit also lists that many nearest MNIST training digits."""
    path = Path(path)
    entry: dict = {"file": str(path), "digits": [], "number": "", "not_digits": 0, "error": None}
    try:
        if not path.is_file():
            raise ImageError("There is no such file." if not path.exists() else "This is a folder, not an image file.")
        size = path.stat().st_size
        if size > preprocess.MAX_BYTES:
            raise ImageError(f"This file is {size / 2**20:.0f} MB; images up to {preprocess.MAX_BYTES // 2**20} MB can be read.")
        readings = predictor.read(path.read_bytes())
    except ImageError as exc:
        entry["error"] = str(exc)
        return entry
    except OSError as exc:
        entry["error"] = f"This file cannot be opened ({exc.strerror or exc})."
        return entry
    except Exception as exc:  # the contract: one entry per file, whatever happens
        entry["error"] = f"This file could not be read ({type(exc).__name__}: {exc})."
        return entry
    entry["digits"] = [
        {
            "digit": r.digit,
            "confidence": round(float(r.confidence), 6),
            "probabilities": [round(float(v), 6) for v in r.probabilities],
            "box": [int(v) for v in r.box],
            "is_digit": r.is_digit,
            "digit_score": round(float(r.digit_score), 6),
        }
        for r in readings
    ]
    entry["number"] = readings.number  # the accepted digits only
    entry["not_digits"] = readings.refused
    if neighbours and readings:
        found = predictor.nearest_training_digits(np.stack([r.image for r in readings]), k=neighbours)
        for digit, near in zip(entry["digits"], found, strict=True):
            digit["neighbours"] = [{"index": n.index, "label": n.label, "distance": round(n.distance, 6)} for n in near]
    return entry
