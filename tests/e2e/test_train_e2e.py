"""The Train page in headless Chromium: start a tiny run and watch it finish, cancel a run.

The app runs on a private copy of the tiny registry. Its training children sleep 0.1 s per batch
(tests/faults/sitecustomize.py), so a 1000-image run lasts long enough to watch and to cancel.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from mnist_core import registry
from tests.conftest import PROJECT_ROOT
from tests.support.browser import SLOW, AppServer, fill_number, open_train, settle, use_a_subset, wait_for_app


@pytest.fixture(scope="module")
def train_server(tiny_registry_template, tmp_path_factory):
    root = tmp_path_factory.mktemp("train-e2e") / "models"
    shutil.copytree(tiny_registry_template, root)
    with pytest.MonkeyPatch.context() as env:  # the server and its training children inherit these
        env.setenv("PYTHONPATH", f"{PROJECT_ROOT / 'tests' / 'faults'}{os.pathsep}{PROJECT_ROOT}")
        env.setenv("MNIST_FAULT_BATCH_SLEEP", "0.1")
        server = AppServer(root)
    yield server
    server.stop()


def set_up_tiny_run(page, name: str) -> None:
    batch = page.get_by_label("Batch size", exact=True)

    def pick_conv1() -> None:
        page.get_by_label("Architecture").click()
        page.get_by_role("option", name="conv1").click()

    settle(page, pick_conv1, lambda: page.get_by_text("173,738 parameters.").count() > 0 and batch.input_value() == "64", "the preset")
    use_a_subset(page)
    fill_number(page, "Training images (the first N)", 1000)
    fill_number(page, "Epochs", 1)
    fill_number(page, "Batch size", 16)
    fill_name(page, name)
    expect(page.get_by_role("button", name="Start training")).to_be_enabled(timeout=SLOW)


def fill_name(page, name: str) -> None:
    name_box = page.get_by_label("New model's name")

    def fill() -> None:
        name_box.fill(name)
        name_box.press("Enter")

    settle(page, fill, lambda: name_box.input_value() == name, "the name")


def progress_value(page) -> float | None:
    bar = page.locator("[data-testid='stProgress'] [role='progressbar']")
    if not bar.count():
        return None
    value = bar.first.get_attribute("aria-valuenow")
    return float(value) if value else None


def test_a_tiny_run_started_from_the_page_shows_progress_finishes_and_appears_in_the_picker(page, train_server):
    open_train(page, train_server)
    set_up_tiny_run(page, "e2e-run")
    page.get_by_role("button", name="Start training").click()
    expect(page.get_by_text("Training e2e-run")).to_be_visible(timeout=60_000)

    seen: set[float] = set()
    done = page.get_by_text(re.compile(r"e2e-run is registered: test accuracy \d+\.\d+%"))
    deadline = time.monotonic() + 240
    while not done.count() and time.monotonic() < deadline:
        value = progress_value(page)
        if value is not None:
            seen.add(value)
        page.wait_for_timeout(250)
    expect(done).to_be_visible(timeout=SLOW)
    assert any(0 < v < 100 for v in seen), f"the progress bar never showed a run part-way: {sorted(seen)}"
    assert len({v for v in seen if v > 0}) >= 2, f"the progress bar did not advance: {sorted(seen)}"

    make_active = page.get_by_role("button", name="Make it the active model")
    expect(make_active).to_be_visible(timeout=SLOW)
    deadline = time.monotonic() + 60
    while registry.active(train_server.models_root)[0].name != "e2e-run":  # a click during a poll rerun can be lost
        assert time.monotonic() < deadline, "clicking 'Make it the active model' never made it active"
        if make_active.is_visible():
            make_active.click()
        wait_for_app(page)
        page.wait_for_timeout(500)

    picker = page.get_by_test_id("stSidebar").get_by_role("combobox")
    picker.click()
    expect(page.get_by_role("option", name=re.compile(r"^e2e-run · \d+\.\d+% · conv1"))).to_be_visible(timeout=SLOW)
    page.keyboard.press("Escape")

    page.get_by_role("button", name="Open in Analysis").first.click()  # the link to the model
    expect(page.get_by_role("heading", name="Analysis", exact=True)).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("stSidebar").get_by_role("combobox")).to_have_value(re.compile(r"^e2e-run · "), timeout=SLOW)


def test_cancel_stops_a_run_and_registers_nothing(page, train_server):
    open_train(page, train_server)
    set_up_tiny_run(page, "e2e-cancel")
    page.get_by_role("button", name="Start training").click()
    cancel = page.get_by_role("button", name="Cancel this run")
    expect(cancel).to_be_visible(timeout=60_000)
    expect(page.get_by_text(re.compile(r"Epoch 1 of 1 · step \d+ of 63"))).to_be_visible(timeout=60_000)
    cancel.click()
    expect(page.get_by_text("e2e-cancel was cancelled. Cancelled by request; nothing was registered.")).to_be_visible(timeout=30_000)
    expect(cancel).to_be_hidden()
    assert "e2e-cancel" not in [m.name for m in registry.list_models(train_server.models_root)]


def test_open_in_analysis_shows_the_new_model_on_the_sidebar_and_the_page_every_time(page, train_server):
    """Train, then "Open in Analysis", ten times: the sidebar's picker, its caption and the Analysis page
    all name the new model, and the caption knows it is not the active one."""
    open_train(page, train_server)
    set_up_tiny_run(page, "e2e-open-0")
    fill_number(page, "Training images (the first N)", 200)
    fill_number(page, "Batch size", 64)
    sidebar = page.get_by_test_id("stSidebar")
    for i in range(10):
        name = f"e2e-open-{i}"
        fill_name(page, name)
        page.get_by_role("button", name="Start training").click()
        expect(page.get_by_text(re.compile(rf"{name} is registered: test accuracy"))).to_be_visible(timeout=120_000)
        active = registry.active(train_server.models_root)[0].name
        assert active != name
        page.get_by_role("button", name="Open in Analysis").first.click()
        expect(page.get_by_role("heading", name="Analysis", exact=True)).to_be_visible(timeout=60_000)
        wait_for_app(page)
        expect(sidebar.get_by_role("combobox")).to_have_value(re.compile(rf"^{name} · "), timeout=SLOW)
        expect(sidebar.get_by_text(f"Used on these pages; the active model is {active}.")).to_be_visible(timeout=SLOW)
        expect(sidebar.get_by_text("The active model, used by default")).to_have_count(0)
        expect(page.get_by_text(re.compile(rf"^Model: {name} · "))).to_be_visible(timeout=SLOW)
        page.wait_for_timeout(1500)  # and it stays so
        expect(sidebar.get_by_role("combobox")).to_have_value(re.compile(rf"^{name} · "))
        page.get_by_role("link", name="Train").click()
        expect(page.get_by_role("heading", name="Train", exact=True)).to_be_visible(timeout=60_000)
        wait_for_app(page)


# TensorFlow 2.21 prints these two lines at import whatever TF_CPP_MIN_LOG_LEVEL says (tensorflow#100442).
TENSORFLOW_IMPORT_LINES = re.compile(
    r"WARNING: All log messages before absl::InitializeLog\(\)|port\.cc:\d+\] oneDNN custom operations are on"
)


def test_using_every_page_leaves_no_warning_and_no_traceback_in_the_server_log(page, train_server):
    """After this module's runs (short trainings, Open in Analysis): draw, upload, Analysis's tabs, My samples."""
    from mnist_core.views.examples import list_examples

    page.goto(train_server.url + "/")
    page.get_by_text("Draw a digit from 0 to 9").wait_for(timeout=120_000)
    box = page.locator("canvas.upper-canvas").first.bounding_box()
    page.mouse.move(box["x"] + 0.55 * box["width"], box["y"] + 0.15 * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + 0.55 * box["width"], box["y"] + 0.85 * box["height"], steps=30)
    page.mouse.up()
    expect(page.get_by_test_id("stMetric").filter(has_text="Prediction")).to_be_visible(timeout=SLOW)
    page.get_by_role("link", name="Upload").click()
    page.get_by_role("button", name=list_examples()[0].title).click()
    expect(page.get_by_test_id("stMetric").filter(has_text="Number read")).to_be_visible(timeout=SLOW)
    page.get_by_role("link", name="Analysis").click()
    for tab in ("Training curves", "Calibration", "Compare", "Dataset", "Errors"):
        page.get_by_role("tab", name=tab).click()
        wait_for_app(page)
    page.get_by_role("link", name="My samples").click()
    expect(page.get_by_role("heading", name="My samples")).to_be_visible(timeout=SLOW)
    page.get_by_role("link", name="Train").click()
    expect(page.get_by_role("heading", name="History")).to_be_visible(timeout=SLOW)
    wait_for_app(page)
    use_a_subset(page)  # shows the training-set size input
    assert not page.get_by_test_id("stException").count()
    log = Path(train_server.log.name).read_text()
    noisy = [
        line
        for line in log.splitlines()
        if re.search(r"warn|error|traceback|exception", line, re.I) and not TENSORFLOW_IMPORT_LINES.search(line)
    ]
    assert not noisy, "\n".join(noisy[:20])
