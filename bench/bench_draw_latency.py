"""Draw page latency: from the mouse-up that ends a stroke to the "Prediction" on screen.

Starts ``streamlit run app.py`` on a copy of the committed models/ (or ``--models DIR``), draws
single-stroke digits on the canvas in headless Chromium with real mouse moves, and times each one
inside the browser: a capture-phase ``mouseup`` listener and a MutationObserver that sees the
"Prediction" metric appear, both on ``performance.now()``. The canvas is cleared before each digit,
so every sample is one full round trip: the canvas's send (``app_pages/pen_canvas.py``), the PNG upload,
the fragment rerun (decode, preprocess, predict) and the browser drawing the result.

    .venv/bin/python -m bench.bench_draw_latency [--samples 60] [--models DIR] [--file-watcher auto]

``--file-watcher auto`` runs the server with Streamlit's file watcher on (as ``streamlit run`` does without
the project's config), watching the project and the ``.venv`` inside it; the server's idle CPU over
``--idle-seconds`` and its inotify-overflow log lines are reported either way.

It also times, in this process, the work the page does for one stroke before and after the
"Prediction" is written (PNG decode + ``read_canvas``; then ``saliency``), as CPU time and wall time,
since wall times on a shared machine mostly measure the other processes.

Each sample is split: mouse-up -> the drawing sent (``WebSocket.send``: the component's send
delay, 0 here and 200 ms in the package as shipped, and its PNG); sent -> the server's first message back (the
rerun's first delta); -> the Prediction in the DOM; -> the page settled (the last DOM change after it, once the
app is idle).

Prints p50/p90/p99 in milliseconds and writes bench/out/draw_latency.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench.support import percentile, write_result
from tests.support import inputs
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, STROKES, AppServer, canvas_box, clear, copy_default_registry, draw, wait_for_app

SINGLE_STROKE = [1, 7, 0]  # one send per digit: a second stroke would be timed from its own mouse-up
PLACES = [(0.3, 0.15, 0.35, 0.7), (0.1, 0.1, 0.4, 0.45), (0.4, 0.35, 0.5, 0.55), (0.2, 0.2, 0.6, 0.6)]

PROBE = """() => {
  window.__lat = {up: null, sent: null, delta: null, shown: null, last: null};
  window.addEventListener('mouseup', () => {
    Object.assign(window.__lat, {up: performance.now(), sent: null, delta: null, shown: null, last: null});
  }, true);
  const send = WebSocket.prototype.send;  // the canvas's drawing leaving the browser
  WebSocket.prototype.send = function (...args) {
    if (!this.__probed) {  // the server's answer: the first message after the drawing was sent
      this.__probed = true;
      this.addEventListener('message', () => {
        if (window.__lat.sent !== null && window.__lat.delta === null) window.__lat.delta = performance.now();
      });
    }
    if (window.__lat.up !== null && window.__lat.sent === null) window.__lat.sent = performance.now();
    return send.apply(this, args);
  };
  const seen = () => [...document.querySelectorAll('[data-testid="stMetric"]')].some(m => m.innerText.includes('Prediction'));
  new MutationObserver(() => {
    if (window.__lat.up === null) return;
    if (window.__lat.shown === null && seen()) window.__lat.shown = performance.now();
    if (window.__lat.shown !== null) window.__lat.last = performance.now();  // the page still changing
  }).observe(document.body, {childList: true, subtree: true, characterData: true, attributes: true});
}"""


def server_work(root: Path, n: int = 50) -> dict:
    """CPU and wall ms per stroke of the page's own work, on drawn MNIST test digits."""
    import base64
    import io

    import numpy as np
    from PIL import Image

    from mnist_core.data import load_dataset
    from mnist_core.inference import Predictor

    model = Predictor.load(root=root)
    x_test = load_dataset().x_test
    urls = []
    for i in range(n):
        buf = io.BytesIO()
        rgba = inputs.canvas_rgba(x_test[i], i, size=336, stroke_width=24, background=(255, 255, 255), colour=(17, 17, 17))
        Image.fromarray(rgba).save(buf, format="PNG")
        urls.append(base64.b64encode(buf.getvalue()))

    def read(i: int):
        return model.read_canvas(np.asarray(Image.open(io.BytesIO(base64.b64decode(urls[i])))))

    readings = [read(i) for i in range(n)]  # warm-up
    out = {}
    for name, step in (("read_ms", read), ("saliency_ms", lambda i: model.saliency(readings[i].image, readings[i].digit))):
        cpu, wall = time.process_time(), time.perf_counter()
        for i in range(n):
            step(i)
        out[name] = {"cpu": round(1000 * (time.process_time() - cpu) / n, 1), "wall": round(1000 * (time.perf_counter() - wall) / n, 1)}
    return out


def measure(url: str, samples: int, warmup: int = 3) -> tuple[list[float], list[float], list[dict]]:
    """(mouse-up to Prediction shown, of which mouse-up to the drawing sent, and every step) per digit, in ms."""
    from playwright.sync_api import sync_playwright

    latencies: list[float] = []
    to_send: list[float] = []
    steps: list[dict] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.set_default_timeout(120_000)  # the first load of the model on a busy machine
        page.goto(url)
        wait_for_app(page)
        canvas_box(page)
        page.evaluate(PROBE)
        for i in range(warmup + samples):
            digit = SINGLE_STROKE[i % len(SINGLE_STROKE)]
            draw(page, STROKES[digit], PLACES[i % len(PLACES)])
            page.wait_for_function("() => window.__lat.shown !== null", timeout=30_000)
            lat, sent = page.evaluate("() => [window.__lat.shown - window.__lat.up, window.__lat.sent - window.__lat.up]")
            wait_for_app(page)
            page.wait_for_timeout(300)  # quiet for a moment: the page has settled
            t = page.evaluate("() => window.__lat")
            if i >= warmup:
                latencies.append(lat)
                to_send.append(sent)
                steps.append({"sent": t["sent"] - t["up"], "delta": t["delta"] - t["sent"], "shown": t["shown"] - t["delta"],
                              "settled": t["last"] - t["shown"]})  # fmt: skip
            clear(page)
        browser.close()
    return latencies, to_send, steps


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def idle_cpu_percent(url: str, pid: int, seconds: float) -> float:
    """The server's CPU while one tab sits open on the Draw page, doing nothing."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.set_default_timeout(120_000)
        page.goto(url)
        wait_for_app(page)
        canvas_box(page)
        page.wait_for_timeout(3000)
        before, start = cpu_seconds(pid), time.perf_counter()
        page.wait_for_timeout(seconds * 1000)
        used = cpu_seconds(pid) - before
        browser.close()
    return round(100 * used / (time.perf_counter() - start), 2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=60)
    parser.add_argument("--models", type=Path, help="registry root (default: a copy of the committed models/)")
    parser.add_argument("--file-watcher", choices=["none", "auto"], default="none", help="Streamlit's server.fileWatcherType")
    parser.add_argument("--idle-seconds", type=float, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.models or copy_default_registry(Path(tmp) / "models")
        server = AppServer(root, "--server.fileWatcherType", args.file_watcher, "--server.runOnSave", "false")
        try:
            idle = idle_cpu_percent(server.url, server.proc.pid, args.idle_seconds) if args.idle_seconds else None
            load_before = os.getloadavg()[0]
            started = time.time()
            latencies, to_send, steps = measure(server.url, args.samples)
            load_after = os.getloadavg()[0]
        finally:
            server.stop()
        overflow = sum("queue overflow" in line.lower() for line in Path(server.log.name).read_text().splitlines())
        work = server_work(root)
    result = {
        "file_watcher": args.file_watcher,
        "server_idle_cpu_percent": idle,
        "inotify_overflow_log_lines": overflow,
        "samples": len(latencies),
        "p50_ms": round(statistics.median(latencies), 1),
        "p90_ms": round(percentile(latencies, 90), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "min_ms": round(min(latencies), 1),
        "max_ms": round(max(latencies), 1),
        "mouse_up_to_sent_p50_ms": round(statistics.median(to_send), 1),
        "sent_to_shown_p50_ms": round(statistics.median([a - b for a, b in zip(latencies, to_send, strict=True)]), 1),
        "split_p50_ms": {k: round(statistics.median(st[k] for st in steps), 1) for k in ("sent", "delta", "shown", "settled")},
        "split_p90_ms": {k: round(percentile([st[k] for st in steps], 90), 1) for k in ("sent", "delta", "shown", "settled")},
        "load_average_1min": [round(load_before, 2), round(load_after, 2)],
        "server_work_per_stroke": work,
        "cpus": os.cpu_count(),
        "seconds": round(time.time() - started, 1),
    }
    write_result("draw_latency", {**result, "latencies_ms": [round(v, 1) for v in latencies]})
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
