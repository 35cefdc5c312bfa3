"""Draw: a digit on a canvas, read live at every mouse-up, with what the model sees and where it looked."""

from __future__ import annotations

import numpy as np
import streamlit as st

from app_pages.common import no_model_message, predictor
from app_pages.draw_number import draw_number
from app_pages.pen_canvas import pen_canvas, sent_drawing
from app_pages.sample_widgets import sample_controls
from mnist_core.figures import saliency_overlay, upscale
from mnist_core.formatting import confidence, not_a_digit
from mnist_core.softmax_html import softmax_bars

CANVAS_PX = 336  # 12 canvas pixels per input pixel; fits a 390 px phone screen
DEFAULT_STROKE = 24  # about MNIST's stroke for a digit drawn two thirds of the canvas tall
CANVAS_KEY = "canvas"


def strokes_on_canvas() -> list[dict]:
    """The strokes on the canvas (Fabric.js objects): what it last sent, or what was just loaded into it (an
    undo clicked twice quickly comes before the canvas sends its reloaded drawing back)."""
    return sent_drawing(CANVAS_KEY, st.session_state.get("canvas_initial", []))[1]


def load(strokes: list[dict]) -> None:
    """Redraw the canvas with ``strokes``: a new ``initial_drawing`` makes the component load it and send it
    back, picture and all. Until then the page reads the strokes as given, without a picture."""
    st.session_state["canvas_initial"], st.session_state["canvas_seen"] = strokes, len(strokes)
    st.session_state["canvas_round"] = st.session_state.get("canvas_round", 0) + 1
    if CANVAS_KEY in st.session_state:
        st.session_state[CANVAS_KEY]["drawing"] = None


def clear() -> None:
    load([])
    st.session_state["canvas_redo"] = []


def undo() -> None:
    strokes = strokes_on_canvas()
    if strokes:
        st.session_state["canvas_redo"] = [*st.session_state.get("canvas_redo", []), strokes[-1]]
        load(strokes[:-1])


def redo() -> None:
    undone = st.session_state.get("canvas_redo", [])
    if undone:
        st.session_state["canvas_redo"] = undone[:-1]
        load([*strokes_on_canvas(), undone[-1]])


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
    with st.container(horizontal=True, gap="small", vertical_alignment="center"):
        st.image(upscale(reading.image, 6), caption="The 28×28 input, enlarged", output_format="PNG", clamp=True)
        if (straight := model.straightened(reading.image)) is not None:
            st.image(upscale(np.clip(straight, 0, 1), 6), caption="Straightened (deskew)", output_format="PNG", width=168)
        st.image(saliency_overlay(reading.image, heat, 6), caption=f"Pixels that speak for a {reading.digit}", output_format="PNG")
        with st.container(width=360):
            st.markdown(
                "Your drawing is cropped, scaled to fit 20×20 pixels and centred by its centre of mass in a 28×28 "
                "square, the way the MNIST digits were prepared. In the last picture, the bright pixels pushed "
                f"the model towards **{reading.digit}** (integrated gradients)."
                + (
                    " The default model also straightens a slanted digit before it reads it."
                    if model.straightened(reading.image) is not None
                    else ""
                )
            )


@st.fragment
def draw_and_read(model) -> None:
    """Reruns alone at each stroke, so the rest of the app is not redrawn.

    The order is for speed: the reading is made from what the canvas sent and written first; the
    saliency is computed while the browser draws it; only then come the canvas and its controls again
    (the browser keeps showing the old ones until then), the sample controls and the pictures."""
    initial = {"objects": st.session_state.get("canvas_initial", []), "round": st.session_state.get("canvas_round", 0)}
    rgba, strokes = sent_drawing(CANVAS_KEY, initial["objects"])
    if rgba is not None:
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
        if reading is None:
            st.info("Draw a digit from 0 to 9 in the white square. The model reads it each time you lift the pen.", icon=":material/draw:")
        else:
            show_prediction(reading)
    heat = model.saliency(reading.image, reading.digit) if reading is not None else None
    with pad:
        pen_canvas(CANVAS_PX, CANVAS_PX, st.session_state.get("stroke_width", DEFAULT_STROKE), CANVAS_KEY, initial)
        if len(strokes) > st.session_state.get("canvas_seen", 0):  # a new stroke: what was undone is gone
            st.session_state["canvas_redo"] = []
        st.session_state["canvas_seen"] = len(strokes)
        with st.container(horizontal=True, gap="small", width=CANVAS_PX, key="canvas-actions"):
            st.button("Undo", icon=":material/undo:", on_click=undo, disabled=not strokes, help="Take back the last stroke")
            redo_left = bool(st.session_state.get("canvas_redo"))
            st.button("Redo", icon=":material/redo:", on_click=redo, disabled=not redo_left, help="Put the stroke back")
            st.button("Clear", icon=":material/delete:", on_click=clear, disabled=not strokes)
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

st.title("Draw a number" if st.session_state.get("draw_mode") == "A number" else "Draw a digit")
st.html(BIG_DIGIT)
model = predictor()
if model is None:
    no_model_message()
    st.stop()
with st.container(key="draw-caption"):
    st.caption(f"Read live by **{model.name}** each time you lift the pen.")
mode = st.segmented_control("What you draw", ["A digit", "A number"], default="A digit", key="draw_mode", label_visibility="collapsed")
if mode == "A number":
    draw_number(model)
else:
    draw_and_read(model)
