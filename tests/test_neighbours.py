"""The nearest MNIST training digits to a reading, in the model's own features: right labels, a cache that heals,
and the explain command's JSON."""

from __future__ import annotations

import json

import numpy as np

from mnist_core import neighbours
from mnist_core.__main__ import main
from mnist_core.data import synthetic
from mnist_core.inference import Predictor
from tests.support import inputs


def sevens_drawn(mnist, count: int = 5) -> list[np.ndarray]:
    """MNIST test 7s redrawn on the Draw page's canvas, as the page reads them."""
    reader = Predictor.load("tiny")
    ids = np.flatnonzero(mnist.y_test == 7)[:count]
    return [reader.read_canvas(inputs.canvas_rgba(mnist.x_test[i], int(i), size=336)).image for i in ids]


def test_a_drawn_7s_nearest_training_digits_are_mostly_7s_with_their_mnist_labels(tiny_registry, mnist):
    reader = Predictor.load("tiny")
    found = reader.nearest_training_digits(np.stack(sevens_drawn(mnist)), k=8)
    assert all(len(near) == 8 for near in found)
    for near in found:
        assert [n.label for n in near] == [int(mnist.y_train[n.index]) for n in near]  # the index is the training set's
        assert [n.distance for n in near] == sorted(n.distance for n in near)  # nearest first
    sevens = sum(n.label == 7 for near in found for n in near)
    assert sevens >= 0.75 * 8 * len(found), f"only {sevens} of {8 * len(found)} neighbours are 7s"


def test_a_damaged_or_stale_index_is_built_again(tiny_registry, mnist):
    folder = tiny_registry / "tiny"
    cache = neighbours.cache_file(folder, mnist.fingerprint)
    Predictor.load("tiny").nearest_training_digits(mnist.x_test[:1] / 255.0, k=3)
    assert cache.exists()
    cache.write_bytes(b"not an npz")
    near = Predictor.load("tiny").nearest_training_digits(mnist.x_test[:1] / 255.0, k=3)[0]
    assert len(near) == 3 and np.load(cache)["vectors"].shape[0] == len(mnist.x_train)  # rebuilt and written again
    with np.load(cache) as npz:
        arrays = dict(npz)
    np.savez(cache, vectors=arrays["vectors"], stamp=np.array("another model"))
    assert Predictor.load("tiny").nearest_training_digits(mnist.x_test[:1] / 255.0, k=3)[0] == near
    with np.load(cache) as npz:
        assert str(npz["stamp"]) != "another model"


def test_explain_prints_predicts_json_with_the_neighbours_of_each_digit(tiny_registry, mnist, tmp_path, capsys):
    path = tmp_path / "number.png"
    synthetic.number_row(mnist.x_test[:3], 3, jpeg_quality=None).save(path)
    assert main(["explain", "--model", "tiny", "--k", "5", "--json", str(path)]) == 0
    [entry] = json.loads(capsys.readouterr().out)
    assert entry["error"] is None and len(entry["digits"]) == 3
    for digit in entry["digits"]:
        near = digit["neighbours"]
        assert len(near) == 5 and set(near[0]) == {"index", "label", "distance"}
        assert all(n["label"] == int(mnist.y_train[n["index"]]) for n in near)
        assert [n["distance"] for n in near] == sorted(n["distance"] for n in near)
