"""Draw, "A number" mode: several digits on a wide canvas, read left to right by Upload's segmentation."""

from __future__ import annotations

import numpy as np
import streamlit as st
from PIL import Image

from app_pages.common import getting_ready
from app_pages.pen_canvas import StrokeHistory, available_width, pen_canvas
from app_pages.sample_widgets import digit_tiles
from mnist_core import preprocess
from mnist_core.figures import boxed_image
from mnist_core.formatting import marks_not_digits

NUMBER_CANVAS = (640, 214)  # the widest: about 3:1 (bench/unseen.py draws its numbers on the same)
MIN_WIDTH = 240  # px: narrower than this, the canvas runs past its container rather than shrink further
NUMBER_STROKE = 16  # on the widest canvas; narrower ones get a thinner pen, in proportion
HISTORY = StrokeHistory("number_canvas")


def canvas_size(room: int | None) -> tuple[int, int]:
    """The number canvas for ``room`` px of width (None: not measured yet): as wide as fits, at most 640, 3:1."""
    width = NUMBER_CANVAS[0] if room is None else int(min(NUMBER_CANVAS[0], max(MIN_WIDTH, room)))
    return width, round(width * NUMBER_CANVAS[1] / NUMBER_CANVAS[0])


@st.fragment
def draw_number(model) -> None:
    """The wide canvas, sized to the room it has; Undo, Redo and Clear; the number read (``st.metric("Number")``),
    the canvas with a box on each digit, and a tile per digit with its top three and Save / "Wrong?"."""
    room = available_width("number-room")
    if room is None:
        return  # the browser says how wide the page is first: a canvas drawn at the wrong size would be redrawn
    width, height = canvas_size(room)
    if st.session_state.get("number_width") not in (None, width):
        HISTORY.load(HISTORY.strokes())  # the screen changed size: the strokes are kept on the new canvas
    st.session_state["number_width"] = width
    pen = max(8, 2 * round(NUMBER_STROKE * width / NUMBER_CANVAS[0] / 2))
    canvas, strokes = pen_canvas(width, height, st.session_state.get("number_stroke", pen), HISTORY.key, HISTORY.initial)
    HISTORY.drawn(strokes)
    with st.container(horizontal=True, gap="small", vertical_alignment="center"):
        HISTORY.buttons(strokes)
        st.slider("Pen width", 6, 36, pen, step=2, key="number_stroke", width=200)
    st.caption("Leave a little space between the digits.")
    if model is None:
        getting_ready()
        return
    if not strokes or canvas.image_data is None:
        st.info("Write a number of two or more digits, left to right. It is read each time you lift the pen.", icon=":material/draw:")
        return
    readings = model.read_canvas_number(canvas.image_data)
    with st.container(key="number-reading"):
        st.metric(label="Number", value=readings.number or "?")
    if readings.refused:
        st.caption(f"{marks_not_digits(readings.refused)}: left out (amber).")
    boxes, refused = [r.box for r in readings], [not r.is_digit for r in readings]
    st.image(boxed_image(_ink_on_paper(canvas.image_data), boxes, readings.labels, refused=refused), width=width)
    digit_tiles(readings, "canvas", "number", model.name)


def _ink_on_paper(rgba: np.ndarray) -> Image.Image:
    return Image.fromarray(np.round(255 * (1 - preprocess.canvas_ink(rgba))).astype(np.uint8)).convert("RGB")
