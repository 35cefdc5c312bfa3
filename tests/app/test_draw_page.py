"""The Draw page under AppTest: the canvas result is injected as the Components v2 payload.

The drawings are MNIST test digits redrawn with a round brush on a canvas-sized image
(``inputs.canvas_rgba``), the way the browser component returns them.
"""

from __future__ import annotations

import json
import re
import threading
import time

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from mnist_core.inference import Predictor
from tests.conftest import PROJECT_ROOT
from tests.support import inputs
from tests.support.inputs import canvas_payload

SIZE = 336  # the page's canvas


def drawing(digit: np.ndarray, seed: int) -> np.ndarray:
    return inputs.canvas_rgba(digit, seed, size=SIZE, stroke_width=24, background=(255, 255, 255), colour=(17, 17, 17))


@pytest.fixture(scope="module")
def drawings(tiny_registry_template, mnist) -> dict:
    """Two drawings of different digits that the tiny model reads right, and one it hesitates on.

    Each is (rgba, digit, unsure): the tiny model is often unsure even when right.
    """
    model = Predictor.load(root=tiny_registry_template)
    found: dict = {}
    for i in range(300):
        rgba = drawing(mnist.x_test[i], i)
        reading = model.read_canvas(rgba)
        if reading is None:
            continue
        label = int(mnist.y_test[i])
        if reading.digit == label and "right" not in found:
            found["right"] = (rgba, label, reading.unsure)
        elif reading.digit == label and label != found["right"][1]:
            found.setdefault("other", (rgba, label, reading.unsure))
        if reading.unsure:
            found.setdefault("doubtful", (rgba, reading.candidates, True))
        if len(found) == 3:
            return found
    pytest.fail("the tiny model read too few test drawings right")


GETTING_READY = "Getting the model ready"


def open_app(wait_for_model: bool = True) -> AppTest:
    """The app as a first visit opens it; by default, run again until the model (loading in the background) is read."""
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=60).run()
    deadline = time.monotonic() + 60
    while wait_for_model and any(GETTING_READY in i.body for i in at.info) and time.monotonic() < deadline:
        time.sleep(0.2)
        at.run()
    return at


def draw(at: AppTest, rgba: np.ndarray) -> AppTest:
    """Stroke on the canvas currently shown, as the browser would report it at mouse-up."""
    at.session_state["canvas"] = canvas_payload(rgba)
    return at.run()


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.main.metric}


def softmax_rows(at: AppTest) -> list[dict]:
    """The probability bars, as the page drew them: digit, probability, highlighted or not."""
    [html] = [h.proto.body for h in at.get("html") if 'class="softmax"' in h.proto.body]
    rows = re.findall(r'class="softmax-digit-row( softmax-top)?" data-digit="(\d)" data-probability="([0-9.]+)"', html)
    return [{"digit": d, "probability": float(p), "top": bool(top)} for top, d, p in rows]


def canvas_props(at: AppTest) -> dict:
    return json.loads(at.get("bidi_component")[0].proto.json)


def test_the_app_opens_on_the_draw_page_with_an_invitation_and_no_prediction(tiny_registry):
    at = open_app()
    assert not at.exception
    assert at.title[0].value == "Draw a digit"
    assert "Draw a digit from 0 to 9" in at.info[0].body
    assert "Prediction" not in metrics(at)
    props = canvas_props(at)
    assert props["canvasWidth"] >= 280 and props["canvasHeight"] >= 280
    assert props["drawingMode"] == "freedraw" and props["returnImageData"] is True


def test_the_first_visit_shows_the_canvas_while_the_model_loads_and_reads_what_was_drawn_meanwhile(tiny_registry, drawings, monkeypatch):
    from mnist_core import inference

    released, load = threading.Event(), inference.Predictor.load.__func__

    def slow_load(cls, *args, **kwargs):
        released.wait(60)  # TensorFlow and the model, taking their time
        return load(cls, *args, **kwargs)

    monkeypatch.setattr(inference.Predictor, "load", classmethod(slow_load))
    at = open_app(wait_for_model=False)
    assert not at.exception
    assert canvas_props(at)["canvasWidth"] >= 280  # drawable at once
    assert any(GETTING_READY in i.body for i in at.info) and "Prediction" not in metrics(at)
    rgba, digit, _ = drawings["right"]
    at = draw(at, rgba)  # drawn before the model is ready: it waits
    assert "Prediction" not in metrics(at) and not at.exception
    released.set()
    deadline = time.monotonic() + 60
    while "Prediction" not in metrics(at) and time.monotonic() < deadline:
        time.sleep(0.2)
        at.run()
    assert metrics(at)["Prediction"] == str(digit)  # read as soon as the model is


def test_a_drawn_digit_is_read_with_its_confidence_probabilities_and_saliency(tiny_registry, drawings):
    rgba, digit, unsure = drawings["right"]
    at = draw(open_app(), rgba)
    assert not at.exception
    shown = metrics(at)
    assert shown["Prediction"] == str(digit)
    assert shown["Confidence"].endswith("%") and 0 < float(shown["Confidence"].strip("<>%")) <= 100
    assert bool(at.warning) == unsure, "the doubt message shows exactly when the model is unsure"
    assert not at.info, "the invitation to draw goes once something is drawn"
    bars = softmax_rows(at)
    assert [b["digit"] for b in bars] == [str(d) for d in range(10)]
    assert [b["digit"] for b in bars if b["top"]] == [str(digit)]
    assert sum(b["probability"] for b in bars) == pytest.approx(1.0, abs=1e-3)
    assert any(s.value == "What the model sees" for s in at.subheader)
    captions = [c for img in at.get("image") for c in img.captions]
    assert any("28×28" in c for c in captions) and any(f"for a {digit}" in c for c in captions)


def test_a_doubtful_drawing_names_the_two_candidates(tiny_registry, drawings):
    rgba, (a, b), _ = drawings["doubtful"]
    at = draw(open_app(), rgba)
    assert [w.body for w in at.warning] == [f"Not sure: a {a} or a {b}?"]
    assert metrics(at)["Prediction"] == str(a)


def test_every_new_stroke_updates_the_prediction(tiny_registry, drawings):
    at = draw(open_app(), drawings["right"][0])
    assert metrics(at)["Prediction"] == str(drawings["right"][1])
    at = draw(at, drawings["other"][0])
    assert metrics(at)["Prediction"] == str(drawings["other"][1])


def test_clear_empties_the_canvas_and_removes_the_prediction(tiny_registry, drawings):
    at = draw(open_app(), drawings["right"][0])
    drawn_over = canvas_props(at)["initialDrawing"]
    at.button[0].click().run()
    fresh = canvas_props(at)["initialDrawing"]
    assert fresh != drawn_over and fresh["objects"] == [], "a new initial drawing makes the browser empty the canvas"
    assert "Prediction" not in metrics(at)
    assert "Draw a digit from 0 to 9" in at.info[0].body
    at = draw(at, drawings["right"][0])  # and the new canvas reads as well
    assert metrics(at)["Prediction"] == str(drawings["right"][1])


def test_undo_clicked_twice_before_the_canvas_answers_takes_back_two_strokes_and_redo_puts_them_back(tiny_registry, drawings):
    at = open_app()
    payload = canvas_payload(drawings["right"][0])
    payload["drawing"]["raw"]["objects"] = [{"type": "path", "path": [["M", k, k]]} for k in range(3)]
    at.session_state["canvas"] = payload
    at = at.run()
    button = {b.label: b for b in at.button}
    at = button["Undo"].click().run()  # the canvas is reloaded with two strokes; it has not sent them back yet
    at = {b.label: b for b in at.button}["Undo"].click().run()
    assert [o["path"] for o in canvas_props(at)["initialDrawing"]["objects"]] == [[["M", 0, 0]]]
    at = {b.label: b for b in at.button}["Redo"].click().run()
    at = {b.label: b for b in at.button}["Redo"].click().run()
    assert [o["path"][0][1] for o in canvas_props(at)["initialDrawing"]["objects"]] == [0, 1, 2]


@pytest.mark.parametrize(
    "canvas",
    [
        np.full((SIZE, SIZE, 4), 255, np.uint8),  # untouched white canvas
        np.zeros((SIZE, SIZE, 4), np.uint8),  # fully transparent canvas
    ],
    ids=["white", "transparent"],
)
def test_an_empty_canvas_is_an_invitation_not_a_prediction(tiny_registry, canvas):
    at = draw(open_app(), canvas)
    assert not at.exception
    assert "Prediction" not in metrics(at)
    assert at.info


def test_a_dot_is_not_read_as_a_digit(tiny_registry):
    canvas = np.full((SIZE, SIZE, 4), 255, np.uint8)
    canvas[160:170, 160:170, :3] = 17
    at = draw(open_app(), canvas)
    assert "Prediction" not in metrics(at)


def test_the_pen_width_is_adjustable_with_a_default_that_suits_the_canvas(tiny_registry):
    at = open_app()
    slider = at.slider(key="stroke_width")
    default = canvas_props(at)["strokeWidth"]
    assert slider.value == default and 0.04 <= default / canvas_props(at)["canvasWidth"] <= 0.1
    slider.set_value(36).run()
    assert canvas_props(at)["strokeWidth"] == 36


def test_without_a_model_the_page_says_how_to_get_one(registry_root):
    at = open_app()
    assert not at.exception
    assert any("No model is registered yet" in i.body for i in at.info)
    assert not at.main.metric
