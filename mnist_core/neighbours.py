"""The MNIST training digits nearest to a reading, in the model's own feature space.

A digit's features are what the model's softmax heads see: the inputs of every 10-way Dense layer, side by side (both
nets of an ensemble), scaled to unit length, so that distance is 1 - cosine similarity. The 60,000 training digits'
features are computed once per model and cached beside it (``neighbours-<data fingerprint>.npz``, float16, never
committed); a missing, stale or damaged cache is rebuilt, and two processes asking at once build it once (a lock).
Search is exact: one matrix product.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnist_core.storage import atomic, locks

Progress = Callable[[int, int], None]
BATCH = 1000


@dataclass(frozen=True)
class Neighbour:
    index: int  # in the MNIST training set
    label: int
    distance: float  # 1 - cosine similarity of the features, 0 (the same) to 2


def feature_model(model):
    """A Keras model from the same inputs to the features the softmax heads see (concatenated, unit length)."""
    import keras

    heads = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense) and layer.units == 10]
    if not heads:
        raise ValueError("This model has no 10-way Dense layer to take features from.")
    outputs = [head.input for head in heads]  # a Dense layer's input is already one vector per digit
    joined = outputs[0] if len(outputs) == 1 else keras.layers.Concatenate(name="neighbour_features")(outputs)
    return keras.Model(model.inputs, keras.layers.UnitNormalization(name="neighbour_unit")(joined))


def features(model, images: np.ndarray, on_progress: Progress | None = None) -> np.ndarray:
    """uint8 (n, 28, 28) or float (n, 28, 28[, 1]) in [0, 1] -> (n, d) float32 unit-length features."""
    import tensorflow as tf

    fn = tf.function(lambda t: model(t, training=False), reduce_retracing=True)
    out = []
    for start in range(0, len(images), BATCH):
        chunk = np.asarray(images[start : start + BATCH])
        chunk = chunk.astype(np.float32) / 255.0 if chunk.dtype == np.uint8 else chunk.astype(np.float32)
        out.append(np.asarray(fn(tf.constant(chunk.reshape(-1, 28, 28, 1)))))
        if on_progress:
            on_progress(min(start + BATCH, len(images)), len(images))
    return np.concatenate(out) if out else np.zeros((0, 0), np.float32)


def cache_file(model_dir: Path, fingerprint: str) -> Path:
    return Path(model_dir) / f"neighbours-{fingerprint}.npz"


def _model_stamp(model_dir: Path) -> str:
    """Which weights the cache was built from: the model file's size and time, hashed."""
    stat = (Path(model_dir) / "model.keras").stat()
    return hashlib.sha256(f"{stat.st_size} {stat.st_mtime_ns}".encode()).hexdigest()[:16]


class Index:
    """The training digits' features, and the search over them."""

    def __init__(self, vectors: np.ndarray, labels: np.ndarray):
        self.vectors = np.asarray(vectors, np.float32)
        self.labels = np.asarray(labels)

    def nearest(self, query: np.ndarray, k: int = 8) -> list[Neighbour]:
        """The ``k`` training digits nearest to one feature vector, nearest first."""
        similarity = self.vectors @ np.asarray(query, np.float32).reshape(-1)
        top = np.argpartition(-similarity, min(k, len(similarity) - 1))[:k]
        top = top[np.argsort(-similarity[top], kind="stable")]
        return [Neighbour(int(i), int(self.labels[i]), float(max(0.0, 1.0 - similarity[i]))) for i in top]

    @property
    def nbytes(self) -> int:
        return int(self.vectors.nbytes)


def _read(path: Path, stamp: str, n: int) -> np.ndarray | None:
    try:
        with np.load(path, allow_pickle=False) as npz:
            if str(npz["stamp"]) == stamp and npz["vectors"].shape[0] == n:
                return npz["vectors"]
    except (OSError, ValueError, KeyError):
        pass  # missing, damaged or another model's: rebuilt
    return None


def load_index(
    model_dir: Path, model, x_train: np.ndarray, y_train: np.ndarray, fingerprint: str, on_progress: Progress | None = None
) -> Index:
    """The cached index of ``model`` (registered in ``model_dir``) over the training digits; built on first use."""
    path, stamp = cache_file(model_dir, fingerprint), _model_stamp(model_dir)
    vectors = _read(path, stamp, len(x_train))
    if vectors is None:
        with locks.exclusive(Path(model_dir), ".neighbours.lock"):
            vectors = _read(path, stamp, len(x_train))  # another process may have built it meanwhile
            if vectors is None:
                vectors = features(feature_model(model), x_train, on_progress).astype(np.float16)
                with contextlib.suppress(OSError):  # a read-only or full disk only loses the cache
                    atomic.write_npz(path, {"vectors": vectors, "stamp": np.array(stamp)}, compressed=False)
    return Index(vectors, y_train)
