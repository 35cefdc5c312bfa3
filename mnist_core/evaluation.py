"""How good a model is, and where it goes wrong.

Everything derives from one array: the model's softmax on the test set. It is computed in
batches and cached beside the model, keyed by the data fingerprint.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from mnist_core.storage import atomic

Progress = Callable[[int, int], None]
Cell = tuple[int, int]  # (true digit, predicted digit): one cell of the confusion matrix
Filter = tuple[int | None, int | None]  # (true, predicted) for the error gallery; None means any
PER_PAGE = 24


@dataclass
class Evaluation:
    probs: np.ndarray  # (n, 10) softmax
    y_true: np.ndarray  # (n,)

    @cached_property
    def y_pred(self) -> np.ndarray:
        return self.probs.argmax(axis=1)

    @cached_property
    def confidence(self) -> np.ndarray:
        return self.probs.max(axis=1)

    @property
    def accuracy(self) -> float:
        return float((self.y_pred == self.y_true).mean()) if len(self.y_true) else float("nan")

    @property
    def loss(self) -> float:
        """Mean cross-entropy."""
        p = self.probs[np.arange(len(self.y_true)), self.y_true].astype(np.float64)
        return float(-np.log(np.clip(p, 1e-7, 1.0)).mean())

    @cached_property
    def confusion(self) -> np.ndarray:
        """10x10 counts: rows are the true digit, columns the predicted one."""
        return confusion_matrix(self.y_true, self.y_pred)

    def report(self) -> list[dict]:
        """Per class: precision, recall, F1 and support (a classification report)."""
        return per_class_report(self.confusion)

    @cached_property
    def errors(self) -> np.ndarray:
        """Indices of misclassified digits, most confidently wrong first."""
        wrong = np.flatnonzero(self.y_pred != self.y_true)
        return wrong[np.argsort(-self.confidence[wrong], kind="stable")]

    def select_errors(self, true: int | None = None, pred: int | None = None, order: str = "confidence") -> np.ndarray:
        """The errors with this true and/or predicted digit, by confidence or by index."""
        chosen = self.errors
        if true is not None:
            chosen = chosen[self.y_true[chosen] == true]
        if pred is not None:
            chosen = chosen[self.y_pred[chosen] == pred]
        return np.sort(chosen) if order == "index" else chosen

    def summary(self) -> dict:
        return {
            "accuracy": self.accuracy,
            "loss": self.loss,
            "errors": len(self.errors),
            "samples": len(self.y_true),
            "per_class": self.report(),
            "confusion": self.confusion.tolist(),
        }


# ---------------------------------------------------------------- gallery selection


def filter_for_cell(cell: Cell) -> Filter:
    """The gallery filter for a clicked confusion cell.

    An off-diagonal cell selects exactly its errors; a diagonal cell holds only correct answers,
    so it selects every error on that true digit instead.
    """
    true, pred = int(cell[0]), int(cell[1])
    return (true, None) if true == pred else (true, pred)


def follow_click(clicked: Cell | None, previous: Cell | None, current: Filter) -> Filter:
    """The gallery filter after a rerun of the page.

    A new click on a cell replaces the filter, clearing the click clears it, and otherwise the
    filter (perhaps changed by hand since the last click) stays as it is.
    """
    if clicked == previous:
        return current
    return (None, None) if clicked is None else filter_for_cell(clicked)


@dataclass(frozen=True)
class Page:
    """One page of a gallery: the indices to show and where they sit in the whole list."""

    indices: np.ndarray
    number: int  # 1-based, clamped to the pages there are
    pages: int
    total: int
    per_page: int = PER_PAGE

    def describe(self) -> str:
        """``25-48 of 120`` (or ``none``) for the gallery's header."""
        if not self.total:
            return "none"
        first = (self.number - 1) * self.per_page + 1
        return f"{first}-{first + len(self.indices) - 1} of {self.total}"


def paginate(indices: np.ndarray, number: int, per_page: int = PER_PAGE) -> Page:
    """Page ``number`` (1-based; clamped) of ``indices``."""
    total = len(indices)
    pages = max(1, -(-total // per_page))
    number = min(max(1, int(number)), pages)
    start = (number - 1) * per_page
    return Page(np.asarray(indices[start : start + per_page]), number, pages, total, per_page)


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n: int = 10) -> np.ndarray:
    return np.bincount(np.asarray(y_true) * n + np.asarray(y_pred), minlength=n * n).reshape(n, n)


def per_class_report(confusion: np.ndarray) -> list[dict]:
    tp = np.diag(confusion).astype(np.float64)
    predicted, support = confusion.sum(axis=0), confusion.sum(axis=1)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros_like(tp), where=support > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    return [
        {"digit": d, "precision": float(precision[d]), "recall": float(recall[d]), "f1": float(f1[d]), "support": int(support[d])}
        for d in range(len(tp))
    ]


@dataclass
class Comparison:
    """Model A against model B on the same images."""

    a: Evaluation
    b: Evaluation

    @property
    def accuracy_delta(self) -> float:
        return self.b.accuracy - self.a.accuracy

    @cached_property
    def fixed(self) -> np.ndarray:
        """Wrong in A, right in B."""
        return np.flatnonzero((self.a.y_pred != self.a.y_true) & (self.b.y_pred == self.b.y_true))

    @cached_property
    def introduced(self) -> np.ndarray:
        """Right in A, wrong in B."""
        return np.flatnonzero((self.a.y_pred == self.a.y_true) & (self.b.y_pred != self.b.y_true))

    @cached_property
    def disagreements(self) -> np.ndarray:
        return np.flatnonzero(self.a.y_pred != self.b.y_pred)

    KINDS = ("all", "fixed", "introduced", "both wrong")

    def select(self, kind: str = "all") -> np.ndarray:
        """Disagreements of one kind, by index: ``fixed``, ``introduced``, ``both wrong`` (differently) or ``all``."""
        if kind == "fixed":
            return self.fixed
        if kind == "introduced":
            return self.introduced
        if kind == "both wrong":
            d = self.disagreements
            return d[(self.a.y_pred[d] != self.a.y_true[d]) & (self.b.y_pred[d] != self.b.y_true[d])]
        if kind == "all":
            return self.disagreements
        raise ValueError(f"unknown kind of disagreement {kind!r}; use one of {', '.join(self.KINDS)}")

    def per_class_delta(self) -> list[dict]:
        ra, rb = self.a.report(), self.b.report()
        return [
            {"digit": d, "recall_a": ra[d]["recall"], "recall_b": rb[d]["recall"], "delta": rb[d]["recall"] - ra[d]["recall"]}
            for d in range(10)
        ]


def predict_in_batches(model, x: np.ndarray, batch_size: int = 1000, on_progress: Progress | None = None) -> np.ndarray:
    """Softmax for uint8 (n, 28, 28) images or float (n, 28, 28, 1) inputs."""
    import tensorflow as tf

    fn = tf.function(lambda t: model(t, training=False), reduce_retracing=True)
    out = []
    for start in range(0, len(x), batch_size):
        chunk = x[start : start + batch_size]
        if chunk.dtype == np.uint8:
            chunk = chunk.astype(np.float32)[..., None] / 255.0
        out.append(np.asarray(fn(tf.constant(chunk, tf.float32))))
        if on_progress:
            on_progress(min(start + batch_size, len(x)), len(x))
    return np.concatenate(out) if out else np.zeros((0, 10), np.float32)


def cache_file(model_dir: Path, fingerprint: str) -> Path:
    return Path(model_dir) / f"evaluation-{fingerprint}.npz"


def evaluate(
    model_dir: Path, x: np.ndarray, y: np.ndarray, fingerprint: str, model=None, on_progress: Progress | None = None
) -> Evaluation:
    """The cached evaluation of the model in ``model_dir``; computed (and cached) on first use."""
    path = cache_file(model_dir, fingerprint)
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as npz:
                probs = npz["probs"].astype(np.float32)
            if probs.shape == (len(y), 10):
                return Evaluation(probs, np.asarray(y))
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache is recomputed
    if model is None:
        from mnist_core import registry

        model = registry.load_model(Path(model_dir).name, root=Path(model_dir).parent)
    probs = predict_in_batches(model, x, on_progress=on_progress)
    with contextlib.suppress(OSError):  # a read-only or full disk only loses the cache
        atomic.write_npz(path, {"probs": probs.astype(np.float16)}, compressed=True)
    return Evaluation(probs.astype(np.float16).astype(np.float32), np.asarray(y))


def evaluate_samples(
    name: str | None = None, samples: tuple[np.ndarray, np.ndarray] | None = None, model=None, root: Path | None = None
) -> Evaluation:
    """A registered model (the active one by default) on the user's own samples.

    ``samples`` is (x uint8 (n, 28, 28), y); by default the sample store's ``arrays()``, oldest
    first, so index i of the result is the i-th sample of ``SampleStore().list()``. ``model`` may
    be a loaded Keras model or a ``Predictor`` (no reload). Not cached: samples come and go.
    """
    if samples is None:
        from mnist_core.samples import SampleStore

        samples = SampleStore().arrays()
    x, y = np.asarray(samples[0]), np.asarray(samples[1]).astype(np.int64)
    if len(x) == 0:
        return Evaluation(np.zeros((0, 10), np.float32), y)
    if model is None:
        from mnist_core import registry

        model = registry.load_model(name, root)
    if hasattr(model, "predict_proba"):  # a Predictor
        probs = model.predict_proba(x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x)
    else:
        probs = predict_in_batches(model, x)
    return Evaluation(np.asarray(probs, np.float32), y)
