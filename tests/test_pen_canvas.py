"""The Draw canvas's fast send relies on one constant in streamlit-drawable-canvas's bundle: it must be there."""

from __future__ import annotations

from app_pages import pen_canvas


def test_the_packages_bundle_has_the_send_delay_the_canvas_sets():
    bundle = pen_canvas.BUNDLE_JS.read_text()
    assert bundle.count(pen_canvas.SEND_DELAY) == 1  # else the canvas waits 200 ms per stroke again
    assert "Nh((c) => Ic(h, c), Bc)" in bundle  # and it is the drawing's sender that uses it


def test_the_bundle_is_fetched_from_the_apps_own_server_under_its_base_path():
    name = pen_canvas.BUNDLE_JS.name
    assert pen_canvas.bundle_url() == f"/_stcore/bidi-components/streamlit-drawable-canvas.streamlit_drawable_canvas/{name}"
    assert (
        pen_canvas.bundle_url("/studio/") == f"/studio/_stcore/bidi-components/streamlit-drawable-canvas.streamlit_drawable_canvas/{name}"
    )
