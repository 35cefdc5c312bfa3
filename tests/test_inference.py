"""Predictor: compiled and thread-safe predict, readings, saliency, the CLI entry; accuracy of the whole
pipeline on generated scans, canvases and numbers with the default model."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from mnist_core import inference, preprocess
from mnist_core.data import synthetic
from mnist_core.inference import Predictor
from mnist_core.registry import RegistryError
from tests.conftest import PROJECT_ROOT
from tests.support import inputs


@pytest.fixture
def tiny(tiny_registry) -> Predictor:
    return Predictor.load()


@pytest.fixture(scope="module")
def batch(mnist) -> np.ndarray:
    return mnist.x_test[:64].astype(np.float32) / 255.0


# ---------------------------------------------------------------- mechanics (tiny model)


def test_load_active_and_by_name(tiny_registry):
    active = Predictor.load()
    assert active.name == "tiny" and active.info.name == "tiny" and active.warning is None
    assert Predictor.load("tiny").name == "tiny"
    with pytest.raises(RegistryError, match="no model named"):
        Predictor.load("nope")


def test_predict_proba_matches_keras_and_sums_to_one(tiny, batch):
    probs = tiny.predict_proba(batch)
    assert probs.shape == (64, 10) and probs.dtype == np.float32
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert np.allclose(probs, tiny.model.predict(batch[..., None], verbose=0), atol=1e-5)


def test_predict_proba_input_shapes(tiny, batch):
    expected = tiny.predict_proba(batch[:3])
    assert np.allclose(tiny.predict_proba(batch[:3, :, :, None]), expected)
    assert np.allclose(tiny.predict_proba(batch[0]), expected[:1])
    assert tiny.predict_proba(np.zeros((0, 28, 28))).shape == (0, 10)
    many = np.concatenate([batch] * 10)  # 640: more than one chunk
    assert np.allclose(tiny.predict_proba(many), np.concatenate([tiny.predict_proba(batch)] * 10), atol=1e-6)
    with pytest.raises(ValueError, match="28, 28"):
        tiny.predict_proba(np.zeros((2, 32, 32)))


def test_sixteen_threads_get_the_single_threaded_answers(tiny, mnist):
    inputs = [mnist.x_test[i * 8 : i * 8 + 1 + i % 5].astype(np.float32) / 255.0 for i in range(16)]
    expected = [tiny.predict_proba(x) for x in inputs]
    start = threading.Barrier(16)

    def worker(i: int) -> list[np.ndarray]:
        start.wait()  # all 16 predict at the same moment
        return [tiny.predict_proba(inputs[i]) for _ in range(20)]

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(worker, range(16)))  # an exception in a thread is raised here
    for got_all, want in zip(results, expected, strict=True):
        for got in got_all:
            np.testing.assert_allclose(got, want, atol=1e-6)


def test_saliency_points_at_the_ink(tiny, batch):
    x = batch[0]
    cls = int(tiny.predict_proba(x)[0].argmax())
    heat = tiny.saliency(x, cls)
    assert heat.shape == (28, 28) and heat.min() >= 0 and heat.max() == pytest.approx(1.0)
    assert heat[x == 0].max() == 0  # nothing drives the prediction where there is no ink
    assert not np.allclose(heat, tiny.saliency(x, (cls + 1) % 10))
    with pytest.raises(ValueError):
        tiny.saliency(x, 10)


def test_read_canvas(tiny, mnist):
    canvas = inputs.canvas_rgba(mnist.x_test[0], 1)
    got = tiny.read_canvas(canvas)
    assert got.digit == int(got.probabilities.argmax()) and got.confidence == pytest.approx(float(got.probabilities.max()))
    assert got.top3[0] == (got.digit, pytest.approx(got.confidence)) and len(got.top3) == 3
    assert got.top3[0][1] >= got.top3[1][1] >= got.top3[2][1]
    assert got.box == preprocess.canvas_digit(canvas).box
    assert got.image.shape == (28, 28) and got.crop.dtype == np.uint8
    assert got.unsure == (got.candidates is not None)
    assert tiny.read_canvas(np.zeros((280, 280, 4), np.uint8)) is None


def test_read_returns_one_reading_per_digit_in_order(tiny, mnist):
    readings = tiny.read(inputs.encode(synthetic.number_row(mnist.x_test[:4], 3), "PNG"))
    assert len(readings) == 4
    assert [r.box[0] for r in readings] == sorted(r.box[0] for r in readings)
    assert tiny.read(inputs.blank_files(0)["all-white photo"][1]) == []
    with pytest.raises(preprocess.ImageError):
        tiny.read(b"")


def test_top_k_and_doubt():
    sure = np.array([0.01, 0.0, 0.0, 0.0, 0.97, 0.0, 0.0, 0.0, 0.0, 0.02])
    torn = np.array([0.0, 0.0, 0.0, 0.0, 0.52, 0.0, 0.0, 0.0, 0.0, 0.48])
    spread = np.array([0.72] + [0.28 / 9] * 9)  # top is fine, but the rest is spread thin: high entropy
    assert inference.top_k(sure) == [(4, pytest.approx(0.97)), (9, pytest.approx(0.02)), (0, pytest.approx(0.01))]
    assert inference.doubt(sure) is None
    assert inference.doubt(torn) == (4, 9)
    assert inference.doubt(spread) == (0, 1)
    assert inference.entropy_bits(np.full(10, 0.1)) == pytest.approx(np.log2(10))


def test_read_file_entry_contract(tiny, mnist, tmp_path):
    good = tmp_path / "number.png"
    good.write_bytes(inputs.encode(synthetic.number_row(mnist.x_test[:3], 4), "PNG"))
    entry = inference.read_file_entry(tiny, good)
    assert set(entry) == {"file", "digits", "number", "not_digits", "error"} and entry["file"] == str(good) and entry["error"] is None
    assert len(entry["digits"]) == 3 and len(entry["number"]) == 3 and entry["not_digits"] == 0
    for d in entry["digits"]:
        assert set(d) == {"digit", "confidence", "probabilities", "box", "is_digit", "digit_score"}
        assert d["is_digit"] is True and d["digit_score"] == d["confidence"]
        assert isinstance(d["digit"], int) and 0 <= d["digit"] <= 9
        assert len(d["probabilities"]) == 10 and abs(sum(d["probabilities"]) - 1) < 1e-4
        assert d["confidence"] == max(d["probabilities"])
        assert len(d["box"]) == 4 and all(isinstance(v, int) for v in d["box"])
    bad = tmp_path / "notes.png"
    bad.write_text("not an image")
    for path, says in [(bad, "not an image"), (tmp_path / "missing.png", "no such file"), (tmp_path, "folder")]:
        entry = inference.read_file_entry(tiny, path)
        assert entry["digits"] == [] and says in entry["error"]


def test_a_mark_under_the_cards_threshold_is_refused_and_left_out_of_the_number(tiny, mnist, tmp_path):
    from mnist_core.model.calibration import Calibration

    image = tmp_path / "number.png"
    image.write_bytes(inputs.encode(synthetic.number_row(mnist.x_test[:3], 4), "PNG"))
    scores = [r.digit_score for r in tiny.read(image.read_bytes())]
    tiny.calibration = Calibration(temperature=1.0, threshold=sorted(scores)[1])  # the least sure one falls under it
    entry = inference.read_file_entry(tiny, image)
    refused = [d for d in entry["digits"] if not d["is_digit"]]
    assert len(refused) == 1 and refused[0]["digit_score"] == pytest.approx(min(scores), abs=1e-6)
    assert entry["not_digits"] == 1
    assert entry["number"] == "".join(str(d["digit"]) for d in entry["digits"] if d["is_digit"]) and len(entry["number"]) == 2


def test_the_cards_temperature_softens_the_probabilities_it_shows(tiny, batch):
    from mnist_core.model.calibration import Calibration

    raw = tiny.predict_proba(batch)
    tiny.calibration = Calibration(temperature=2.0)
    soft = tiny.predict_proba(batch)
    assert (soft.argmax(1) == raw.argmax(1)).all()
    assert (soft.max(1) <= raw.max(1) + 1e-6).all() and soft.max(1).mean() < raw.max(1).mean()
    np.testing.assert_allclose(soft.sum(1), 1, atol=1e-5)


# ---------------------------------------------------------------- accuracy with the default model


@pytest.fixture(scope="module")
def default(default_model_name) -> Predictor:
    return Predictor.load(default_model_name, PROJECT_ROOT / "models")


def test_single_digit_accuracy_on_scans_and_canvases(default, mnist):
    """A few hundred single digits: photographed pages (uneven light, noise, JPEG) and drawn canvases."""
    rng = np.random.default_rng(2024)
    picks = rng.choice(len(mnist.y_test), 300, replace=False)
    images, labels, kinds = [], [], []
    for n, i in enumerate(picks):
        if n % 2:
            found = preprocess.from_image(synthetic.scan_page([mnist.x_test[i]], rng, size=(400, 300), digit_height=(40, 100)))
            images.append(found[0].image if len(found) == 1 else None)
            kinds.append("scan")
        else:
            canvas = inputs.canvas_rgba(mnist.x_test[i], rng, stroke_width=int(rng.integers(14, 26)))
            images.append(preprocess.from_canvas(canvas))
            kinds.append("canvas")
        labels.append(int(mnist.y_test[i]))
    ok = np.array([im is not None for im in images])
    predicted = np.full(len(images), -1)
    predicted[ok] = default.predict_proba(np.stack([im for im in images if im is not None])).argmax(axis=1)
    correct = predicted == np.array(labels)
    kinds = np.array(kinds)
    summary = {k: f"{correct[kinds == k].mean():.1%}" for k in ("scan", "canvas")}
    assert correct.mean() >= 0.98, f"single-digit accuracy {correct.mean():.1%} ({summary})"


def test_exact_number_accuracy_on_rows(default, mnist):
    """Whole numbers of 3-6 digits, on paper, on a blackboard and on ruled pages in two lines."""
    rng = np.random.default_rng(7)
    right, total, wrong = 0, 0, []
    for n in range(80):
        ids = rng.choice(len(mnist.y_test), int(rng.integers(3, 7)), replace=False)
        truth = "".join(str(int(mnist.y_test[i])) for i in ids)
        if n % 4 == 3:
            image = synthetic.compose(mnist.x_test[ids], rng, size=(720, 400), digit_height=60, per_line=3, ruled=True).image
        else:
            image = synthetic.number_row(mnist.x_test[ids], rng, digit_height=float(rng.uniform(40, 90)), dark_ink=n % 4 != 2)
        read = "".join(str(r.digit) for r in default.read(image))
        right += read == truth
        total += 1
        if read != truth:
            wrong.append(f"{truth}->{read}")
    assert right / total >= 0.9, f"exact-number accuracy {right / total:.1%}; misread: {wrong}"


def test_the_default_model_straightens_a_slanted_digit_and_reads_it_the_same_slanted_or_not(default_model_name, mnist):
    from scipy import ndimage

    model = Predictor.load(default_model_name, PROJECT_ROOT / "models")
    one = mnist.x_test[2].astype(np.float32) / 255  # a 1
    shear = np.array([[1, 0], [0.6, 1]])  # x += 0.6 (y - 14): a 1 slanted by about 31 degrees
    slanted = ndimage.affine_transform(one, shear, offset=(0, -0.6 * 14), order=1)
    straight = model.straightened(slanted)
    cols = lambda a: np.flatnonzero(a.max(0) > 0.3)  # noqa: E731
    assert np.ptp(cols(straight)) < np.ptp(cols(slanted)) - 3  # narrower: upright again
    assert model.predict_proba(slanted).argmax() == model.predict_proba(one).argmax() == mnist.y_test[2]


def test_a_page_of_readings_says_its_number_its_refused_marks_and_its_box_labels():
    def mark(digit: int, sure: float, threshold: float = 0.5):
        probs = np.full(10, (1 - sure) / 9, np.float32)
        probs[digit] = sure
        found = preprocess.Digit(box=(0, 0, 1, 1), image=np.zeros((28, 28), np.float32), crop=np.zeros((1, 1), np.uint8))
        return inference.reading(probs, found, threshold)

    page = inference.Readings([mark(4, 0.99), mark(7, 0.3), mark(2, 0.55)])  # a 4, a mark under the threshold, an unsure 2
    assert page.number == "42"
    assert page.refused == 1
    assert page.labels == ["4", "not a digit", "2?"]
    assert inference.Readings().number == "" and inference.Readings().refused == 0
