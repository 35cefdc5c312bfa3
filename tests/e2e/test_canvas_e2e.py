"""The canvases in headless Chromium: strokes begun anywhere on them, by mouse and by finger; the number canvas on a
narrow window, its Undo and Redo, and its mode kept in the address."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.browser import STROKES, canvas_box, draw, phone_draw_page, touch_stroke, wait_for_app

EDGES = (0.03, 0.5, 0.97)  # where strokes begin: the canvas's corners, edges and middle
GRID = [(fx, fy) for fy in EDGES for fx in EDGES]


def stroke_from(x0: float, y0: float, box: dict) -> list[tuple[float, float]]:
    """A stroke from (x0, y0), as fractions of the canvas, two thirds of the way to its middle (from the middle:
    downwards), in page pixels."""
    tx, ty = (0.5, 0.5) if (x0, y0) != (0.5, 0.5) else (0.5, 1.0)
    points = [(x0 + (tx - x0) * t / 12 * 0.66, y0 + (ty - y0) * t / 12 * 0.66) for t in range(13)]
    return [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]


def read_then_clear(page, reading) -> None:
    """The stroke was read (the reading shows), then Clear, until the reading is gone."""
    expect(reading).to_be_visible(timeout=30_000)
    wait_for_app(page)
    page.locator(".st-key-canvas-actions").get_by_role("button", name="Clear").click()
    expect(reading).to_have_count(0, timeout=30_000)
    wait_for_app(page)


def test_mouse_strokes_begun_anywhere_on_the_canvas_are_read(app_server, page):
    page.goto(app_server.url)
    wait_for_app(page)
    page.get_by_text("Draw a digit from 0 to 9").wait_for(timeout=120_000)
    prediction = page.get_by_test_id("stMetric").filter(has_text="Prediction")
    for fx, fy in GRID:
        box = canvas_box(page)
        points = stroke_from(fx, fy, box)
        page.mouse.move(*points[0])
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(x, y, steps=3)
        page.mouse.up()
        read_then_clear(page, prediction)
    expect(page.locator(".dc-toolbar")).not_to_be_visible()  # one set of Undo and Redo: the page's


def test_finger_strokes_begun_anywhere_on_the_canvas_are_read(app_server, browser):
    with phone_draw_page(app_server, browser) as (page, cdp):
        reading = page.locator(".st-key-phone-reading .phone-digit")
        for fx, fy in GRID:
            touch_stroke(cdp, stroke_from(fx, fy, canvas_box(page)))
            read_then_clear(page, reading)


@pytest.mark.parametrize("width", [390, 700])
def test_the_number_canvas_fits_a_narrow_window_whatever_the_browser_says_it_is(app_server, browser, width):
    """A desktop browser (no "Mobile" in its User-Agent) in a narrow window: the canvas fits, and a number written
    across all of it is read whole; Undo and Redo work on it; the mode survives a reload."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        page.goto(app_server.url)
        wait_for_app(page)
        page.get_by_test_id("stButtonGroup").get_by_text("A number", exact=True).click()
        expect(page.get_by_text("Write a number of two or more digits")).to_be_visible(timeout=60_000)
        wait_for_app(page)
        box = canvas_box(page)
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"the canvas runs off the window: {box}"
        assert 2.5 < box["width"] / box["height"] < 3.5
        for digit, left in ((1, 0.05), (7, 0.3), (1, 0.55), (7, 0.78)):
            draw(page, STROKES[digit], (left, 0.15, 0.17, 0.7))
            page.wait_for_timeout(300)
        number = page.get_by_test_id("stMetric").filter(has_text="Number").get_by_test_id("stMetricValue")
        expect(number).to_have_text("1717", timeout=30_000)
        wait_for_app(page)
        actions = page.locator(".st-key-number_canvas-actions")
        actions.get_by_role("button", name="Undo").click()
        expect(number).to_have_text("171", timeout=30_000)
        wait_for_app(page)
        actions.get_by_role("button", name="Redo").click()
        expect(number).to_have_text("1717", timeout=30_000)
        preview = page.get_by_test_id("stImage").last.bounding_box()
        assert preview["x"] + preview["width"] <= width, f"the boxed preview runs off the window: {preview}"
        scroll = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll[0] <= scroll[1], f"the page scrolls sideways: {scroll}"
        assert "mode=number" in page.url
        page.reload()
        expect(page.get_by_role("heading", name="Draw a number")).to_be_visible(timeout=60_000)
    finally:
        context.close()
