"""Draw, "A number" mode: several digits on a wide canvas, read left to right by Upload's segmentation."""

from __future__ import annotations

import streamlit as st

from app_pages.pen_canvas import pen_canvas
from app_pages.sample_widgets import digit_tiles
from mnist_core import preprocess
from mnist_core.figures import boxed_image

NUMBER_CANVAS = (640, 214)  # about 3:1 (bench/unseen.py draws its numbers on the same)
NUMBER_STROKE = 16  # digits here are smaller than on the square canvas
PHONE_NUMBER_CANVAS = (336, 112)  # as wide as the square canvas, which fits a 390 px phone
PHONE_NUMBER_STROKE = 10


def on_phone() -> bool:
    """Whether the browser is a phone's: the server cannot see the screen, but phones say "Mobile" in their User-Agent."""
    return "Mobile" in (st.context.headers.get("User-Agent") or "")


@st.fragment
def draw_number(model) -> None:
    """The wide canvas, the number read (``st.metric("Number")``), the canvas with a box on each digit,
    and a tile per digit with its top three and Save / "Wrong?"."""
    (width, height), pen = (PHONE_NUMBER_CANVAS, PHONE_NUMBER_STROKE) if on_phone() else (NUMBER_CANVAS, NUMBER_STROKE)
    stroke = st.session_state.get("number_stroke", pen)
    canvas, strokes = pen_canvas(width, height, stroke, f"number-canvas-{st.session_state.get('number_round', 0)}")
    with st.container(horizontal=True, gap="small", vertical_alignment="center"):
        if st.button("Clear", icon=":material/delete:", disabled=not strokes, key="number-clear"):
            st.session_state["number_round"] = st.session_state.get("number_round", 0) + 1  # a fresh canvas
            st.rerun(scope="fragment")
        st.slider("Pen width", 6, 36, pen, step=2, key="number_stroke", width=240)
        st.caption("Leave a little space between the digits.")
    if not strokes or canvas.image_data is None:
        st.info("Write a number of two or more digits, left to right. It is read each time you lift the pen.", icon=":material/draw:")
        return
    readings = model.read_canvas_number(canvas.image_data)
    number = "".join(str(r.digit) for r in readings if r.is_digit)
    read, picture = st.columns([1, 3], vertical_alignment="center")
    with read.container(key="number-reading"):
        st.metric(label="Number", value=number or "?")
    if refused := sum(not r.is_digit for r in readings):
        read.caption(f"{refused} mark{'s' if refused > 1 else ''} that {'are' if refused > 1 else 'is'} not a digit, left out (amber).")
    labels = ["not a digit" if not r.is_digit else f"{r.digit}?" if r.unsure else str(r.digit) for r in readings]
    picture.image(
        boxed_image(_ink_on_paper(canvas.image_data), [r.box for r in readings], labels, refused=[not r.is_digit for r in readings])
    )
    digit_tiles(readings, "canvas", "number", model.name)


def _ink_on_paper(rgba):
    import numpy as np
    from PIL import Image

    return Image.fromarray(np.round(255 * (1 - preprocess.canvas_ink(rgba))).astype(np.uint8)).convert("RGB")
