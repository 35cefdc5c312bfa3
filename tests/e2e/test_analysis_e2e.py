"""The Analysis page in headless Chromium: a click on a confusion-matrix cell filters the error gallery."""

from __future__ import annotations

import re

import numpy as np
import pytest
from playwright.sync_api import expect

from mnist_core import evaluation, figures
from tests.support.browser import AppServer, wait_for_app


@pytest.fixture
def tiny_server(tiny_registry):
    server = AppServer(tiny_registry)
    yield server
    server.stop()


def gallery(page):
    return page.locator("button[data-testid='stBaseButton-tertiary']").filter(has_text="→", visible=True)


def test_clicking_a_cell_filters_the_gallery_to_it(tiny_server, tiny_registry, mnist, page):
    ev = evaluation.evaluate(tiny_registry / "tiny", mnist.x_test, mnist.y_test, mnist.fingerprint)
    off = ev.confusion * (1 - np.eye(10, dtype=int))
    true, pred = (int(v) for v in np.unravel_index(off.argmax(), off.shape))  # the cell with the most errors
    want = [figures.error_caption(true, pred, ev.confidence[i]) for i in ev.select_errors(true, pred)[: evaluation.PER_PAGE]]

    page.goto(tiny_server.url)
    wait_for_app(page)
    page.get_by_role("link", name="Analysis").click()
    expect(page.get_by_text(re.compile(rf"^Errors 1-24 of {len(ev.errors)}$"))).to_be_visible(timeout=60_000)
    expect(gallery(page)).to_have_count(evaluation.PER_PAGE)

    # the cell is an SVG rect labelled by Vega; click its middle, where its count is written, as a person would
    cell = page.locator(f"[data-testid='stVegaLiteChart'] path[aria-label^='Predicted digit: {pred}; True digit: {true};']")
    cell.evaluate("e => e.scrollIntoView({block: 'center'})")
    box = cell.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    header = f"Errors 1-{len(want)} of {int(ev.confusion[true, pred])} · true {true} · predicted {pred}"
    expect(page.get_by_text(header)).to_be_visible(timeout=30_000)
    expect(gallery(page)).to_have_text(want)  # exactly these captions, in this order

    # and the filter boxes say so, so the user can widen it by hand
    expect(page.get_by_role("combobox", name="True digit")).to_have_value(str(true))
    expect(page.get_by_role("combobox", name="Predicted")).to_have_value(str(pred))


def test_the_model_downloads_as_keras_and_as_tflite_with_its_card(tiny_server, tiny_registry, page, tmp_path):
    import json

    from tests.test_export import tflite_predict

    page.goto(tiny_server.url)
    wait_for_app(page)
    page.get_by_role("link", name="Analysis").click()
    expect(page.get_by_text("Take this model away:")).to_be_visible(timeout=60_000)
    files = {}
    for label in (".keras", ".tflite", "card.json"):
        with page.expect_download(timeout=60_000) as download:
            page.get_by_role("button", name=label).click()
        files[label] = tmp_path / download.value.suggested_filename
        download.value.save_as(files[label])
    assert files[".keras"].read_bytes() == (tiny_registry / "tiny" / "model.keras").read_bytes()
    assert files[".tflite"].name == "tiny.tflite" and files[".tflite"].read_bytes()[4:8] == b"TFL3"  # a TFLite flatbuffer
    assert tflite_predict(files[".tflite"], np.zeros((2, 28, 28), np.float32)).shape == (2, 10)
    card = json.loads(files["card.json"].read_text())
    assert card["name"] == "tiny" and card["input"]["shape"] == [None, 28, 28, 1]
