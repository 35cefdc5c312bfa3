"""The running app and a browser, shared by the browser tests, the benchmarks and the screenshot script: a server
on a free port, the system Chromium, and a person's pen strokes on the Draw page's canvas."""

from __future__ import annotations

import itertools
import math
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppServer:
    """``streamlit run app.py`` on a free port, against a given registry root (``options``: more flags, last wins)."""

    def __init__(self, models_root: Path, *options: str):
        self.models_root = models_root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "MNIST_STUDIO_MODELS": str(models_root), "TF_CPP_MIN_LOG_LEVEL": "2"}
        self.log = open(models_root.parent / f"streamlit-{self.port}.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(self.port), "--server.headless", "true",
             "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false",
             "--server.address", "127.0.0.1", *options],  # loopback only
            cwd=PROJECT_ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2).status == 200:
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"streamlit did not start: {Path(self.log.name).read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
        self.log.close()


def copy_default_registry(dest: Path) -> Path:
    """A private copy of the committed models/ (the default model), without runs or samples."""
    shutil.copytree(PROJECT_ROOT / "models", dest, ignore=shutil.ignore_patterns(".runs", ".samples", ".saving-*"))
    return dest


def wait_for_app(page) -> None:
    """Wait until Streamlit has finished running the script."""
    page.wait_for_selector("[data-testid='stApp']")
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)


# ---------------------------------------------------------------- the Draw page

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


def touch_stroke(cdp, points: list[Point]) -> None:
    """One finger stroke, as a phone's touch screen sends it."""
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": points[0][0], "y": points[0][1]}]})
    for x, y in points[1:]:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"


@contextmanager
def phone_draw_page(server: AppServer, browser) -> Iterator[tuple]:
    """(page, CDP session for touch) of the Draw page on a 390 px touch phone, once it invites a digit."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=3, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(server.url)
        wait_for_app(page)
        page.get_by_text("Draw a digit from 0 to 9").first.wait_for(timeout=120_000)
        yield page, context.new_cdp_session(page)
    finally:
        context.close()


# ---------------------------------------------------------------- the Train page

SLOW = 30_000  # ms: reruns on a busy 2-core machine can take seconds


def open_train(page, server: AppServer) -> None:
    page.goto(server.url + "/")  # the app's own entry first: it sets up the navigation
    page.get_by_role("link", name="Train").wait_for(state="attached")
    page.goto(server.url + "/train")
    expect(page.get_by_role("heading", name="Train", exact=True)).to_be_visible(timeout=60_000)
    wait_for_app(page)


def settle(page, action, done, what: str) -> None:
    """Do ``action`` until ``done()`` holds: a change made while a periodic fragment rerun is in flight
    can be dropped by Streamlit (a known run_every issue), so an unlucky click is repeated."""
    for _ in range(4):
        action()
        wait_for_app(page)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if done():
                return
            page.wait_for_timeout(200)
    raise AssertionError(f"the page did not take {what}")


def fill_number(page, label: str, value: int) -> None:
    box = page.get_by_label(label, exact=True)

    def fill() -> None:
        box.fill(str(value))
        box.press("Enter")

    def kept() -> bool:  # still there after the rerun that follows
        if box.input_value() != str(value):
            return False
        page.wait_for_timeout(600)
        return box.input_value() == str(value)

    settle(page, fill, kept, label)


def use_a_subset(page) -> None:
    limit = page.get_by_label("Training images (the first N)")
    settle(page, lambda: page.get_by_text("Train on all 60,000 images").click(), lambda: limit.count() > 0, "the subset toggle")
