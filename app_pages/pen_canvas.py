"""The drawing canvas both Draw modes use: a dark pen on white paper, the picture sent at every pen-up."""

from __future__ import annotations

from streamlit_drawable_canvas import st_canvas


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
