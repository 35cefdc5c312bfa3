"""The sample hooks of app_pages/sample_widgets.py that the Draw, Upload and Train pages call, under AppTest."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from mnist_core.samples import SampleStore
from tests.conftest import PROJECT_ROOT


def controls_script() -> None:
    """A reading of an MNIST 7 (as the model read it: ``digit``) with the save controls under it."""

    import numpy as np
    import streamlit as st

    from app_pages.sample_widgets import sample_controls, sample_popover
    from mnist_core.inference import DigitReading

    image = np.zeros((28, 28), np.float32)
    image[6:22, 12:16] = st.session_state.get("ink", 1.0)
    digit = st.session_state.get("digit", 7)
    probs = np.eye(10, dtype=np.float32)[digit]
    reading = DigitReading(digit, 1.0, probs, (0, 0, 10, 10), image, np.full((30, 20), 200, np.uint8), [(digit, 1.0)], False, None)
    if st.session_state.get("popover"):
        sample_popover(reading, "upload", key="draw", model_name="tiny")
    else:
        sample_controls(reading, "canvas", key="draw", model_name="tiny")


def open_controls(**state) -> AppTest:
    at = AppTest.from_function(controls_script, default_timeout=60)
    at.session_state["root"] = str(PROJECT_ROOT)
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_save_as_a_sample_keeps_a_right_reading(tiny_registry):
    at = open_controls()
    at.button(key="draw-keep").click().run()
    (sample,) = SampleStore().list()
    assert (sample.label, sample.source, sample.model, sample.predicted, sample.has_crop) == (7, "canvas", "tiny", 7, True)
    assert any("Saved as a **7**" in c.value for c in at.caption)
    assert at.button(key="draw-keep").disabled  # the same drawing is not saved twice


def test_wrong_its_a_saves_the_true_digit_and_a_second_pick_relabels(tiny_registry):
    at = open_controls()
    assert 7 not in at.pills(key="draw-fix").options
    at.pills(key="draw-fix").set_value(1).run()
    (sample,) = SampleStore().list()
    assert (sample.label, sample.predicted) == (1, 7) and sample.misread
    at.pills(key="draw-fix").set_value(4).run()
    (sample,) = SampleStore().list()  # still one sample: the same picture, relabelled
    assert sample.label == 4
    at.session_state["ink"] = 0.5  # a new drawing
    at.run()
    at.button(key="draw-keep").click().run()
    assert [s.label for s in SampleStore().list()] == [4, 7]


def test_the_upload_popover_saves_with_source_upload(tiny_registry):
    at = open_controls(popover=True, digit=3)
    at.pills(key="draw-fix").set_value(8).run()
    (sample,) = SampleStore().list()
    assert (sample.label, sample.source, sample.predicted) == (8, "upload", 3)


def train_script() -> None:

    import streamlit as st

    from app_pages.sample_widgets import training_sample_controls, training_sample_fields

    training_sample_controls()
    st.json(training_sample_fields())


def test_train_controls_fill_in_a_finetune_of_the_active_model(tiny_registry):
    at = AppTest.from_function(train_script, default_timeout=60)
    at.session_state["root"] = str(PROJECT_ROOT)
    at.run()
    assert at.toggle(key="train_samples").disabled and at.button(key="train_finetune").disabled
    SampleStore().add(__import__("numpy").ones((28, 28)), 1, "canvas")
    at.run()
    at.button(key="train_finetune").click().run()
    assert not at.exception
    s = at.session_state
    assert (s["train_preset"], s["train_init_from"], s["train_samples"], s["train_lr"]) == ("conv1", "tiny", True, 1e-4)
    assert s["train_name"].startswith("tiny-mine-")
    assert at.json[0].value == '{"include_samples": true, "init_from": "tiny", "schedule": "constant"}'
    assert any("Fine-tuning **tiny**" in i.value for i in at.info)


def report_script() -> None:

    from app_pages.sample_widgets import samples_report
    from mnist_core import registry

    samples_report(registry.get("tiny"), registry.get("tiny"))


def test_analysis_report_on_my_samples(tiny_registry, mnist):
    from mnist_core import evaluation

    at = AppTest.from_function(report_script, default_timeout=60)
    at.session_state["root"] = str(PROJECT_ROOT)
    at.run()
    assert any("No samples yet" in i.value for i in at.info)
    store = SampleStore()
    for image, label in zip(mnist.x_test[:30], mnist.y_test[:30]):
        store.add(image, int(label), "upload")
    at.run()
    assert not at.exception
    expected = evaluation.evaluate_samples("tiny")
    assert at.metric[0].label == "tiny on my 30 samples" and at.metric[0].value == f"{expected.accuracy:.1%}"
    assert at.metric[1].delta == "+0.0 points"
    shown = [c.value for c in at.caption]
    assert len(shown) == min(48, len(expected.errors))
