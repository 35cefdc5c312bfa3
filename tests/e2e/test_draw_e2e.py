"""Draw digits with the mouse in headless Chromium, like a person, and read the "Prediction" the real model gives."""

from __future__ import annotations

import itertools
import math
import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from app_pages import pen_canvas
from tests.e2e.conftest import wait_for_app
from tests.support import inputs

Point = tuple[float, float]

# Each digit as pen strokes in a unit box (x right, y down), the way people write them.
STROKES: dict[int, list[list[Point]]] = {
    1: [[(0.35, 0.2), (0.6, 0.0), (0.6, 1.0)]],
    7: [[(0.05, 0.05), (0.95, 0.05), (0.4, 1.0)]],
    0: [[(0.5 + 0.45 * math.sin(t / 40 * 2 * math.pi), 0.5 - 0.5 * math.cos(t / 40 * 2 * math.pi)) for t in range(42)]],
    4: [[(0.6, 0.0), (0.05, 0.65), (0.95, 0.65)], [(0.7, 0.3), (0.7, 1.0)]],
}

# (digit, where on the canvas: x, y, width, height as fractions of the canvas side)
CASES = [
    (1, (0.4, 0.15, 0.25, 0.7)),  # tall, in the middle
    (7, (0.08, 0.08, 0.35, 0.4)),  # small, top left
    (0, (0.45, 0.4, 0.45, 0.55)),  # medium, bottom right
    (4, (0.2, 0.2, 0.55, 0.6)),
]


def canvas_box(page) -> dict:
    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for()
    return canvas.bounding_box()


def draw(page, strokes: list[list[Point]], where: tuple[float, float, float, float]) -> None:
    """Each stroke with the mouse button held, in small moves of a few pixels."""
    box = canvas_box(page)
    x, y, w, h = where
    for stroke in strokes:
        points = [(box["x"] + (x + px * w) * box["width"], box["y"] + (y + py * h) * box["height"]) for px, py in stroke]
        page.mouse.move(*points[0])
        page.mouse.down()
        for (x0, y0), (x1, y1) in itertools.pairwise(points):
            steps = max(1, int(math.hypot(x1 - x0, y1 - y0) / 4))
            page.mouse.move(x1, y1, steps=steps)
        page.mouse.up()


def assert_prediction(page, digit: int) -> None:
    """The "Prediction" comes to show ``digit`` and stays there.

    Each stroke is sent at its mouse-up, so a digit of two strokes is read twice:
    first its first stroke, then the whole digit. The last reading is the one that counts.
    """
    value = page.get_by_test_id("stMetric").filter(has_text="Prediction").get_by_test_id("stMetricValue")
    expect(value).to_have_text(str(digit), timeout=30_000)
    page.wait_for_timeout(1000)
    wait_for_app(page)
    expect(value).to_have_text(str(digit), timeout=1)


def clear(page) -> None:
    """Click Clear until the Prediction is gone (Streamlit can drop a click that lands during a rerun)."""
    metric = page.get_by_test_id("stMetric").filter(has_text="Prediction")
    for attempt in range(3):
        wait_for_app(page)
        page.get_by_role("button", name="Clear").click()
        try:
            metric.wait_for(state="detached", timeout=10_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    wait_for_app(page)


@pytest.fixture
def draw_page(app_server, page):
    page.goto(app_server.url)
    wait_for_app(page)
    page.get_by_text("Draw a digit from 0 to 9").wait_for(timeout=120_000)  # the first visit loads the model
    return page


@pytest.mark.parametrize(("digit", "where"), CASES, ids=[f"{d}" for d, _ in CASES])
def test_a_digit_drawn_with_the_mouse_is_read(draw_page, digit, where):
    draw(draw_page, STROKES[digit], where)
    assert_prediction(draw_page, digit)
    assert draw_page.get_by_text("What the model sees").is_visible()


def test_the_canvas_sends_each_stroke_without_the_packages_wait(app_server, page):
    """The canvas runs the package's own bundle, fetched from the app's server, with its 200 ms wait set to none."""
    warnings, fetched = [], []
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    page.on("response", lambda r: fetched.append(r.status) if r.url.endswith(pen_canvas.bundle_url()) else None)
    page.goto(app_server.url)
    wait_for_app(page)
    draw(page, STROKES[7], CASES[1][1])
    assert_prediction(page, 7)
    assert fetched == [200]
    assert not [w for w in warnings if "pen canvas" in w]


def test_digits_drawn_one_after_another_with_clear_in_between(draw_page):
    for digit, where in CASES[:3]:
        draw(draw_page, STROKES[digit], where)
        assert_prediction(draw_page, digit)
        clear(draw_page)
        assert draw_page.get_by_text("Draw a digit from 0 to 9").is_visible()


def test_the_prediction_follows_each_stroke(draw_page):
    """A 1 becomes a 4 when its other stroke is added: the reading updates at mouse-up."""
    where = (0.2, 0.2, 0.55, 0.6)
    first, second = STROKES[4][1], STROKES[4][0]
    draw(draw_page, [first], where)
    assert_prediction(draw_page, 1)
    draw(draw_page, [second], where)
    assert_prediction(draw_page, 4)


def test_undo_and_redo_are_buttons_beside_the_canvas(draw_page):
    """No hover needed: Undo takes the 4 back to its first stroke, a 1; Redo brings the 4 back."""
    where = (0.2, 0.2, 0.55, 0.6)
    actions = draw_page.locator(".st-key-canvas-actions")  # the page's own, not the canvas toolbar's (shown on hover)
    undo, redo = (actions.get_by_role("button", name=name) for name in ("Undo", "Redo"))
    expect(undo).to_be_disabled()
    draw(draw_page, [STROKES[4][1]], where)
    assert_prediction(draw_page, 1)
    draw(draw_page, [STROKES[4][0]], where)
    assert_prediction(draw_page, 4)
    expect(redo).to_be_disabled()
    undo.click()
    assert_prediction(draw_page, 1)
    redo.click()
    assert_prediction(draw_page, 4)
    undo.click()
    assert_prediction(draw_page, 1)
    undo.click()
    expect(draw_page.get_by_text("Draw a digit from 0 to 9")).to_be_visible(timeout=10_000)
    expect(undo).to_be_disabled()
    redo.click()
    assert_prediction(draw_page, 1)


def touch_stroke(cdp, points: list[Point]) -> None:
    """One finger stroke, as a phone's touch screen sends it."""
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": points[0][0], "y": points[0][1]}]})
    for x, y in points[1:]:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def test_on_a_phone_a_finger_drawn_digit_is_read_in_view_of_the_canvas(app_server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=3, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(app_server.url)
        wait_for_app(page)
        page.get_by_text("Draw a digit from 0 to 9").first.wait_for(timeout=120_000)
        box = canvas_box(page)
        cdp = context.new_cdp_session(page)
        x, y, h = box["x"] + 0.55 * box["width"], box["y"] + 0.15 * box["height"], 0.7 * box["height"]
        touch_stroke(cdp, [(x, y + h * i / 24) for i in range(25)])
        reading = page.locator(".st-key-phone-reading")
        expect(reading).to_contain_text("1", timeout=30_000)
        wait_for_app(page)
        inside = page.evaluate(
            """() => { const r = document.querySelector('.st-key-phone-reading').getBoundingClientRect();
                       return r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0; }"""
        )
        assert inside, "the reading is not on screen with the canvas"
        assert re.search(r"\d+(\.\d)?%", reading.inner_text()), "the confidence is not beside the digit"
        scroll = page.evaluate("() => [window.scrollX, window.scrollY, document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll[0] == 0 and scroll[1] == 0, f"drawing scrolled the page: {scroll}"
        assert scroll[2] <= scroll[3], f"the page scrolls sideways: {scroll}"
        strokes_before = page.locator("canvas.lower-canvas").first.evaluate("c => c.toDataURL()")
        title = page.get_by_role("heading", name="Draw a digit").bounding_box()
        touch_stroke(cdp, [(title["x"] + 40, title["y"] + 10 - 8 * i) for i in range(10)])  # a swipe on the page, off the canvas
        page.wait_for_timeout(800)
        assert page.locator("canvas.lower-canvas").first.evaluate("c => c.toDataURL()") == strokes_before, (
            "a swipe off the canvas drew on it"
        )
    finally:
        context.close()


def test_a_drawn_heart_is_not_a_digit(draw_page):
    """The big digit gives way to "?" and a sentence; the probabilities stay, dimmed."""
    draw(draw_page, [inputs.HEART], (0.15, 0.15, 0.7, 0.7))
    value = draw_page.get_by_test_id("stMetric").filter(has_text="Prediction").get_by_test_id("stMetricValue")
    expect(value).to_have_text("?", timeout=30_000)
    expect(draw_page.get_by_text("That doesn't look like a digit.")).to_be_visible()
    expect(draw_page.locator(".softmax-dimmed")).to_have_count(1)  # the ten bars, greyed
    clear(draw_page)
    draw(draw_page, STROKES[7], CASES[1][1])
    assert_prediction(draw_page, 7)  # and a digit after it is read again
    expect(draw_page.get_by_text("That doesn't look like a digit.")).to_have_count(0)


def test_a_refused_drawing_offers_its_digit_but_not_save_as_read(draw_page):
    draw(draw_page, [inputs.HEART], (0.15, 0.15, 0.7, 0.7))
    expect(draw_page.get_by_text("A digit after all? It's a …")).to_be_visible(timeout=30_000)
    expect(draw_page.get_by_role("button", name=re.compile(r"^Save as a \d"))).to_have_count(0)


def test_a_number_drawn_on_the_wide_canvas_is_read_left_to_right_and_each_digit_can_be_saved(draw_page):
    page = draw_page
    page.get_by_test_id("stButtonGroup").get_by_text("A number", exact=True).click()
    wait_for_app(page)
    expect(page.get_by_text("Write a number of two or more digits")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("heading", name="Draw a number")).to_be_visible()
    box = canvas_box(page)
    assert box["width"] / box["height"] > 2.5  # the wide canvas, about 3:1
    for digit, left in ((4, 0.12), (7, 0.42), (1, 0.7)):
        draw(page, STROKES[digit], (left, 0.15, 0.18, 0.7))
        page.wait_for_timeout(400)
    number = page.get_by_test_id("stMetric").filter(has_text="Number").get_by_test_id("stMetricValue")
    expect(number).to_have_text("471", timeout=30_000)
    tiles = page.locator("[class*='st-key-number-tile-']")
    expect(tiles).to_have_count(3)
    tiles.nth(1).get_by_role("button", name="Save").click()
    page.get_by_role("button", name="Save as a 7").click()
    expect(page.get_by_text(re.compile(r"Saved as a 7 in My samples"))).to_be_visible(timeout=30_000)


IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"


def test_on_a_phone_the_number_canvas_fits_the_screen_and_reads_a_finger_drawn_number(app_server, browser):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=3, is_mobile=True, has_touch=True, user_agent=IPHONE
    )
    page = context.new_page()
    try:
        page.goto(app_server.url)
        wait_for_app(page)
        page.get_by_test_id("stButtonGroup").get_by_text("A number", exact=True).tap()
        wait_for_app(page)
        expect(page.get_by_text("Write a number of two or more digits")).to_be_visible(timeout=30_000)
        box = canvas_box(page)
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, f"the canvas runs off the screen: {box}"
        assert box["width"] / box["height"] > 2.5  # still the wide canvas
        cdp = context.new_cdp_session(page)
        for digit, left in ((1, 0.15), (7, 0.5)):
            x0, y0, w, h = box["x"] + left * box["width"], box["y"] + 0.15 * box["height"], 0.2 * box["width"], 0.7 * box["height"]
            for stroke in STROKES[digit]:
                points = [(x0 + px * w, y0 + py * h) for px, py in stroke]
                touch_stroke(
                    cdp, [p for a, b in itertools.pairwise(points) for p in (a, ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2))] + points[-1:]
                )
            page.wait_for_timeout(400)
        number = page.get_by_test_id("stMetric").filter(has_text="Number").get_by_test_id("stMetricValue")
        expect(number).to_have_text("17", timeout=30_000)
        scroll = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll[0] <= scroll[1], f"the page scrolls sideways: {scroll}"
    finally:
        context.close()
