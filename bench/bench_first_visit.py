"""The first visit after a cold start: how soon the Draw page's canvas can be drawn on, and how soon a digit drawn
at once is read.

Each round starts the app afresh (``streamlit run app.py``, headless, its own port), waits for its health check,
opens the Draw page in headless Chromium and times from the health check's answer to: the page's title shown; the
canvas shown; a "7" drawn with the mouse as soon as the canvas is there; its Prediction shown.

    .venv/bin/python -m bench.bench_first_visit [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str, timeout: float = 180) -> float:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return time.monotonic()
        except OSError:
            time.sleep(0.05)
    raise TimeoutError("the app did not answer its health check")


def one_round(browser) -> dict[str, float]:
    port = _port()
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.headless", "true"]
    server = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        healthy = _healthy(url)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url)
        page.get_by_role("heading", name="Draw a digit").wait_for(timeout=120_000)
        title = time.monotonic() - healthy
        canvas = page.locator("canvas.upper-canvas").first
        canvas.wait_for(timeout=120_000)
        shown = time.monotonic() - healthy
        box = canvas.bounding_box()
        x, y, w = box["x"], box["y"], box["width"]
        page.mouse.move(x + 0.3 * w, y + 0.25 * w)
        page.mouse.down()
        for fx, fy in [(0.7, 0.25), (0.6, 0.45), (0.5, 0.65), (0.45, 0.8)]:
            page.mouse.move(x + fx * w, y + fy * w, steps=6)
        page.mouse.up()
        drawn = time.monotonic() - healthy
        page.get_by_test_id("stMetric").filter(has_text="Prediction").wait_for(timeout=120_000)
        read = time.monotonic() - healthy
        value = page.get_by_test_id("stMetric").filter(has_text="Prediction").get_by_test_id("stMetricValue").inner_text()
        page.close()
        return {"title": title, "canvas": shown, "drawn": drawn, "read": read, "digit": value.strip()}
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        print("seconds after the health check: page title shown / canvas shown / a 7 drawn / its Prediction shown")
        for i in range(args.rounds):
            r = one_round(browser)
            print(
                f"  round {i + 1}: {r['title']:5.1f} / {r['canvas']:5.1f} / {r['drawn']:5.1f} / {r['read']:5.1f}   read as {r['digit']}",
                flush=True,
            )
        browser.close()


if __name__ == "__main__":
    main()
