"""Draw digits with the mouse in headless Chromium, like a person, and read the "Prediction" the real model gives."""

from __future__ import annotations

import itertools
import re

import pytest
from playwright.sync_api import expect

from app_pages import pen_canvas
from tests.support import inputs
from tests.support.browser import CASES, IPHONE, STROKES, canvas_box, clear, draw, phone_draw_page, touch_stroke, wait_for_app


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


def test_on_a_phone_a_finger_drawn_digit_is_read_in_view_of_the_canvas(app_server, browser):
    with phone_draw_page(app_server, browser) as (page, cdp):
        box = canvas_box(page)
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


def test_a_drawn_heart_is_not_a_digit(draw_page):
    """The big digit gives way to "?" and a sentence; the probabilities stay, dimmed."""
    draw(draw_page, [inputs.HEART], (0.15, 0.15, 0.7, 0.7))
    value = draw_page.get_by_test_id("stMetric").filter(has_text="Prediction").get_by_test_id("stMetricValue")
    expect(value).to_have_text("?", timeout=30_000)
    expect(draw_page.get_by_text("That doesn't look like a digit.")).to_be_visible()
    expect(draw_page.locator(".softmax-dimmed")).to_have_count(1)  # the ten bars, greyed
    expect(draw_page.get_by_text("So it is not explained as a digit.")).to_be_visible()  # no digit's saliency for a heart
    expect(draw_page.get_by_text(re.compile("Pixels that speak for|pushed the model towards"))).to_have_count(0)
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
