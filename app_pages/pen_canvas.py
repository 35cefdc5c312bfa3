"""The drawing canvas both Draw modes use: a dark pen on white paper, the picture sent at every pen-up."""

from __future__ import annotations

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import CanvasResult, st_canvas


def pen_canvas(width: int, height: int, stroke: int, key: str, initial_drawing: dict | None = None):
    """The canvas and its strokes (Fabric.js objects; [] when nothing is drawn)."""
    canvas = st_canvas(
        stroke_width=stroke,
        stroke_color="#111111",
        background_color="#ffffff",
        width=width,
        height=height,
        drawing_mode="freedraw",
        return_image_data=True,
        initial_drawing=initial_drawing,
        key=key,
    )
    return canvas, (canvas.json_data or {}).get("objects") or []


def sent_drawing(key: str, initial_objects: list[dict]) -> tuple[np.ndarray | None, list[dict]]:
    """What the canvas ``key`` sent last, read before the canvas is drawn again: its RGBA picture (None when
    it is blank, or not sent yet, as after a reload of ``initial_objects``) and its strokes, as ``pen_canvas``
    would return them. A page can so show its reading before the canvas's own rerun."""
    drawing = (st.session_state.get(key) or {}).get("drawing")
    if drawing is None:  # nothing sent since the canvas was (re)loaded
        return None, list(initial_objects)
    canvas = CanvasResult(json_data=drawing.get("raw"), image_data_url=drawing.get("data"), return_image_data=True)
    strokes = (canvas.json_data or {}).get("objects") or []
    return (canvas.image_data if strokes else None), strokes  # no strokes: skip decoding a blank canvas
