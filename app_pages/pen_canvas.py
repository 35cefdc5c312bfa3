"""The drawing canvas both Draw modes use: a dark pen on white paper, the picture sent at every pen-up.

streamlit-drawable-canvas 0.13 waits 200 ms after a pen-up before it sends the drawing, and has no argument for
it. The canvas here is the same component, mounted through a small module of ours: it fetches the package's own
bundle from the app's server, sets that wait to ``SEND_DELAY_MS``, and runs it. Should a new version of the bundle
lack the constant, the bundle runs unchanged, 200 ms slower (and ``tests/test_pen_canvas.py`` fails).
"""

from __future__ import annotations

import functools
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import streamlit as st

PACKAGE_COMPONENT = "streamlit-drawable-canvas.streamlit_drawable_canvas"  # served at /_stcore/bidi-components/<this>/
# found without importing the package: its import registers its component, which needs a running app
BUNDLE_DIR = Path(find_spec("streamlit_drawable_canvas").origin).parent / "frontend" / "build"
BUNDLE_JS, BUNDLE_CSS = next(BUNDLE_DIR.glob("index-*.js")), next(BUNDLE_DIR.glob("index-*.css"))
SEND_DELAY = "Bc = 200"  # the send's debounce in the package's minified bundle
SEND_DELAY_MS = 0  # still one send per stroke: a stroke's events come in one browser task
PAPER, INK = "#ffffff", "#111111"

_LOADER = """
let bundle;
export default async function (component) {
  bundle ??= fetch(%(url)s).then((r) => r.text()).then((code) => {
    const fast = code.replace(%(old)s, %(new)s);
    if (fast === code) console.warn("pen canvas: the send delay was not found; each stroke is sent 200 ms late");
    return import(URL.createObjectURL(new Blob([fast], { type: "text/javascript" })));
  });
  return (await bundle).default(component);
}
"""


def bundle_url(base_url_path: str = "") -> str:
    """Where the app's server serves the package's JS bundle."""
    parts = [base_url_path.strip("/"), "_stcore/bidi-components", PACKAGE_COMPONENT, BUNDLE_JS.name]
    return "/" + "/".join(p for p in parts if p)


@functools.cache
def _fast_canvas():
    return st.components.v2.component(
        "mnist_studio.pen_canvas",
        html='<div class="canvas-root"></div>',
        css=BUNDLE_CSS.read_text(),
        js=_LOADER
        % {"url": repr(bundle_url(st.get_option("server.baseUrlPath"))), "old": repr(SEND_DELAY), "new": repr(f"Bc = {SEND_DELAY_MS}")},
    )


def pen_canvas(width: int, height: int, stroke: int, key: str, initial_drawing: dict | None = None):
    """The canvas and its strokes (Fabric.js objects; [] when nothing is drawn)."""
    drawing = {**(initial_drawing or {"objects": []}), "background": PAPER}
    # st_canvas's data, as streamlit-drawable-canvas 0.13 builds it for these arguments
    data = {
        "fillColor": "#eee", "strokeWidth": stroke, "strokeColor": INK, "backgroundColor": PAPER, "backgroundImageURL": None,
        "realtimeUpdateStreamlit": True, "canvasWidth": width, "canvasHeight": height, "drawingMode": "freedraw",
        "initialDrawing": drawing, "displayRadius": 3, "returnImageData": True, "disabled": False,
        "backgroundImageFit": "stretch", "maxDisplayHeight": None, "fontSize": 20, "label": "",
    }  # fmt: skip
    result = _fast_canvas()(
        data=data,
        key=key,
        default={"drawing": {"raw": drawing, "data": None}, "backgroundFit": None},
        on_drawing_change=lambda: None,
        on_backgroundFit_change=lambda: None,
        width="content",
        height="content",
    )
    return _as_result(result.get("drawing") or {"raw": drawing, "data": None})


def sent_drawing(key: str, initial_objects: list[dict]) -> tuple[np.ndarray | None, list[dict]]:
    """What the canvas ``key`` sent last, read before the canvas is drawn again: its RGBA picture (None when
    it is blank, or not sent yet, as after a reload of ``initial_objects``) and its strokes, as ``pen_canvas``
    would return them. A page can so show its reading before the canvas's own rerun."""
    drawing = (st.session_state.get(key) or {}).get("drawing")
    if drawing is None:  # nothing sent since the canvas was (re)loaded
        return None, list(initial_objects)
    canvas, strokes = _as_result(drawing)
    return (canvas.image_data if strokes else None), strokes  # no strokes: skip decoding a blank canvas


def _as_result(drawing: dict):
    """The component's ``drawing`` value ({raw: Fabric.js JSON, data: PNG data URL}) -> (CanvasResult, strokes)."""
    from streamlit_drawable_canvas import CanvasResult

    canvas = CanvasResult(json_data=drawing.get("raw"), image_data_url=drawing.get("data"), return_image_data=True)
    return canvas, (canvas.json_data or {}).get("objects") or []
