"""Draw: a digit on a canvas, read live at every mouse-up, with what the model sees and where it looked."""

from __future__ import annotations

import numpy as np
import streamlit as st

from app_pages.common import getting_ready, no_model_message, predictor_for, selected_model
from app_pages.draw_number import draw_number
from app_pages.pen_canvas import StrokeHistory, pen_canvas
from app_pages.sample_widgets import sample_controls
from mnist_core.figures import saliency_overlay, upscale
from mnist_core.formatting import confidence, not_a_digit
from mnist_core.views.softmax_html import softmax_bars

CANVAS_PX = 336  # 12 canvas pixels per input pixel; fits a 390 px phone screen
DEFAULT_STROKE = 24  # about MNIST's stroke for a digit drawn two thirds of the canvas tall
CANVAS_KEY = "canvas"


HISTORY = StrokeHistory(CANVAS_KEY)


def show_prediction(reading) -> None:
    """The big digit (or "?" for a drawing that is no digit), its confidence, doubt, and the softmax as bars."""
    with st.container(horizontal=True, gap="large", vertical_alignment="bottom"):
        with st.container(key="prediction", width="content"):
            st.metric(label="Prediction", value=str(reading.digit) if reading.is_digit else "?")
        st.metric(label="Confidence", value=confidence(reading.confidence), width="content")
    if not reading.is_digit:
        st.warning(not_a_digit(reading.digit, reading.confidence), icon=":material/block:")
    elif reading.unsure:
        a, b = reading.candidates
        st.warning(f"Not sure: a {a} or a {b}?", icon=":material/help:")
    st.html(softmax_bars(reading.probabilities, dimmed=not reading.is_digit))


def show_what_the_model_sees(model, reading, heat) -> None:
    st.subheader("What the model sees")
    straight = model.straightened(reading.image)
    with st.container(horizontal=True, gap="small", vertical_alignment="center"):
        st.image(upscale(reading.image, 6), caption="The 28×28 input, enlarged", output_format="PNG", clamp=True)
        if straight is not None:
            st.image(upscale(np.clip(straight, 0, 1), 6), caption="Straightened (deskew)", output_format="PNG", width=168)
        if reading.is_digit:
            st.image(saliency_overlay(reading.image, heat, 6), caption=f"Pixels that speak for a {reading.digit}", output_format="PNG")
        with st.container(width=360):
            st.markdown(
                "Your drawing is cropped, scaled to fit 20×20 pixels and centred by its centre of mass in a 28×28 "
                "square, the way the MNIST digits were prepared. "
                + (
                    f"In the last picture, the bright pixels pushed the model towards **{reading.digit}** (integrated gradients)."
                    if reading.is_digit
                    else f"No digit scores high enough for this picture: the closest, a {reading.digit}, scores "
                    f"{confidence(reading.digit_score)}, and the model reads a digit from {confidence(model.calibration.threshold)}. "
                    "So it is not explained as a digit."
                )
                + (" The default model also straightens a slanted digit before it reads it." if straight is not None else "")
            )


@st.fragment
def draw_and_read(model) -> None:
    """Reruns alone at each stroke, so the rest of the app is not redrawn.

    The order is for speed: the reading is made from what the canvas sent and written first; the
    saliency is computed while the browser draws it; only then come the canvas and its controls again
    (the browser keeps showing the old ones until then), the sample controls and the pictures."""
    rgba, strokes = HISTORY.sent()
    if model is None:  # still loading: the strokes wait, and are read as soon as it is ready
        reading = None
    elif rgba is not None:
        reading = st.session_state["draw_reading"] = model.read_canvas(rgba)
    else:  # blank, or reloading after an undo or redo: the last reading stands until the picture comes
        reading = st.session_state.get("draw_reading") if strokes else None
    pad, result_col = st.columns([1, 1.15], gap="large")
    with pad.container(key="phone-reading"):  # on a phone, where the columns stack: in view as you draw
        if reading is None:
            st.caption("Write a digit below with your finger; it is read here.")
        else:
            value = str(reading.digit) if reading.is_digit else "?"
            st.markdown(f"<span class='phone-digit'>{value}</span> {confidence(reading.confidence)}", unsafe_allow_html=True)
    with result_col:
        if model is None:
            getting_ready()
        elif reading is None:
            st.info("Draw a digit from 0 to 9 in the white square. The model reads it each time you lift the pen.", icon=":material/draw:")
        else:
            show_prediction(reading)
    heat = model.saliency(reading.image, reading.digit) if reading is not None and reading.is_digit else None
    with pad:
        pen_canvas(CANVAS_PX, CANVAS_PX, st.session_state.get("stroke_width", DEFAULT_STROKE), CANVAS_KEY, HISTORY.initial)
        HISTORY.drawn(strokes)
        HISTORY.buttons(strokes, width=CANVAS_PX)
        st.slider("Pen width", 8, 48, DEFAULT_STROKE, step=2, key="stroke_width", width=CANVAS_PX)
    if reading is not None:
        with result_col:
            sample_controls(reading, "canvas", key="draw-sample", model_name=model.name)
        show_what_the_model_sees(model, reading, heat)


# The big digit; and on a phone, where the columns stack, a reading above the canvas, in view as you draw.
BIG_DIGIT = """<style>
.st-key-prediction [data-testid='stMetricValue'] {font-size: 4.5rem; line-height: 1.1}
.st-key-phone-reading {display: none}
.st-key-phone-reading .phone-digit {font-size: 2.4rem; font-weight: 600; margin-right: 0.4rem}
@media (max-width: 640px) {
  .st-key-phone-reading {display: flex; min-height: 3.2rem}
  .st-key-draw-caption {display: none}
}
</style>"""

MODES = {"A digit": None, "A number": "number"}  # ?mode=number: the mode survives a reload, as the model does


def _mode_to_url() -> None:
    if MODES.get(st.session_state.get("draw_mode")):
        st.query_params["mode"] = MODES[st.session_state["draw_mode"]]
    else:
        st.query_params.pop("mode", None)


if "draw_mode" not in st.session_state and st.query_params.get("mode") == "number":
    st.session_state["draw_mode"] = "A number"
st.title("Draw a number" if st.session_state.get("draw_mode") == "A number" else "Draw a digit")
st.html(BIG_DIGIT)
if (info := selected_model()) is None:  # listed once a run: the picker's choice, loaded or still loading
    no_model_message()
    st.stop()
model = predictor_for(info, wait=False)
with st.container(key="draw-caption"):
    st.caption(f"Read live by **{info.name}** each time you lift the pen.")
mode = st.segmented_control(
    "What you draw", list(MODES), default="A digit", key="draw_mode", label_visibility="collapsed", on_change=_mode_to_url
)
if mode == "A number":
    draw_number(model)
else:
    draw_and_read(model)
