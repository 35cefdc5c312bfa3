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
# The component's own toolbar (upload, undo, redo, pen, bin) shows on hover only, so not by touch, and while hidden
# it still lies over the canvas's top-right corner and takes the strokes begun there. The page has its own buttons.
HIDE_TOOLBAR = ".dc-toolbar {display: none !important}"

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
        css=BUNDLE_CSS.read_text() + HIDE_TOOLBAR,
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


class StrokeHistory:
    """Undo, Redo and Clear for the canvas ``key``: it is reloaded with fewer or more strokes. The page's own
    buttons, which work by touch (the component's hover toolbar is hidden: see ``HIDE_TOOLBAR``)."""

    def __init__(self, key: str):
        self.key = key

    def _state(self, name: str, default):
        return st.session_state.get(f"{self.key}_{name}", default)

    def _set(self, name: str, value) -> None:
        st.session_state[f"{self.key}_{name}"] = value

    @property
    def initial(self) -> dict:
        """What the canvas is loaded with: the strokes, and a round that changes at each reload."""
        return {"objects": self._state("initial", []), "round": self._state("round", 0)}

    def sent(self) -> tuple[np.ndarray | None, list[dict]]:
        """The canvas's picture and strokes, as last sent (``sent_drawing``)."""
        return sent_drawing(self.key, self._state("initial", []))

    def strokes(self) -> list[dict]:
        """The strokes on the canvas: what it last sent, or what was just loaded into it (an undo clicked twice
        quickly comes before the canvas sends its reloaded drawing back)."""
        return self.sent()[1]

    def load(self, strokes: list[dict]) -> None:
        """Redraw the canvas with ``strokes``: a new initial drawing makes the component load it and send it back,
        picture and all. Until then the page reads the strokes as given, without a picture."""
        self._set("initial", strokes)
        self._set("seen", len(strokes))
        self._set("round", self._state("round", 0) + 1)
        if self.key in st.session_state:
            st.session_state[self.key]["drawing"] = None

    def clear(self) -> None:
        self.load([])
        self._set("redo", [])

    def undo(self) -> None:
        if strokes := self.strokes():
            self._set("redo", [*self._state("redo", []), strokes[-1]])
            self.load(strokes[:-1])

    def redo(self) -> None:
        if undone := self._state("redo", []):
            self._set("redo", undone[:-1])
            self.load([*self.strokes(), undone[-1]])

    def drawn(self, strokes: list[dict]) -> None:
        """Note the strokes the canvas holds now: a new stroke makes what was undone gone for good."""
        if len(strokes) > self._state("seen", 0):
            self._set("redo", [])
        self._set("seen", len(strokes))

    def buttons(self, strokes: list[dict], width: int | str = "content") -> None:
        """Undo, Redo and Clear in a row."""
        with st.container(horizontal=True, gap="small", width=width, key=f"{self.key}-actions"):
            st.button("Undo", icon=":material/undo:", on_click=self.undo, disabled=not strokes, help="Take back the last stroke",
                      key=f"{self.key}-undo")  # fmt: skip
            st.button("Redo", icon=":material/redo:", on_click=self.redo, disabled=not self._state("redo", []),
                      help="Put the stroke back", key=f"{self.key}-redo")  # fmt: skip
            st.button("Clear", icon=":material/delete:", on_click=self.clear, disabled=not strokes, key=f"{self.key}-clear")


_WIDTH_PROBE_JS = """
export default function (component) {
  const { setStateValue, parentElement } = component;
  const host = parentElement.host ?? parentElement;
  let last = 0;
  const report = () => {
    const width = Math.floor(host.getBoundingClientRect().width);
    if (width > 0 && Math.abs(width - last) >= 8) { last = width; setStateValue("width", width); }
  };
  const observer = new ResizeObserver(report);
  observer.observe(host);
  report();
  return () => observer.disconnect();
}
"""


@functools.cache
def _width_probe():
    return st.components.v2.component("mnist_studio.width_probe", html="<div></div>", js=_WIDTH_PROBE_JS)


def available_width(key: str) -> int | None:
    """The width in CSS pixels of the container this is called in, as the browser lays it out now (None until
    the browser has said; a change of width, a phone turned, reruns the caller)."""
    result = _width_probe()(key=key, default={"width": None}, on_width_change=lambda: None, width="stretch", height="content")
    return result.get("width")
