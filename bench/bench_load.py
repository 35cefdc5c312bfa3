"""Load: N browser sessions draw digits on one app for a fixed time, on loopback only.

Each session (its own Chromium context) draws a digit with the mouse, waits for the "Prediction"
metric, checks it, clears, and starts again. Reports errors, wrong readings, latency from mouse-up
to the reading (p50/p99), and the server's memory (RSS) over time. Bounded: it stops by itself.

    .venv/bin/python -m bench.bench_load --sessions 20 --seconds 60
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import math
import statistics
import tempfile
import time
from pathlib import Path

from playwright.async_api import async_playwright

from bench.support import percentile
from tests.support.browser import CASES, CHROMIUM, CHROMIUM_ARGS, STROKES, AppServer, copy_default_registry


def rss_mb(pid: int) -> float:
    """Resident memory of the server process and its children, in MB."""
    total = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        if int(fields.get("Pid", 0)) == pid or int(fields.get("PPid", 0)) == pid:
            total += int(fields.get("VmRSS", "0 kB").split()[0])
    return total / 1024


async def draw(page, digit: int, where) -> None:
    box = await page.locator("canvas.upper-canvas").first.bounding_box()
    x, y, w, h = where
    for stroke in STROKES[digit]:
        points = [(box["x"] + (x + px * w) * box["width"], box["y"] + (y + py * h) * box["height"]) for px, py in stroke]
        await page.mouse.move(*points[0])
        await page.mouse.down()
        for (x0, y0), (x1, y1) in itertools.pairwise(points):
            await page.mouse.move(x1, y1, steps=max(1, int(math.hypot(x1 - x0, y1 - y0) / 8)))
        await page.mouse.up()


async def one_user(browser, url: str, clock: dict, results: dict) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    page.set_default_timeout(60_000)
    metric = page.get_by_test_id("stMetric").filter(has_text="Prediction")
    try:
        await page.goto(url)
        await page.get_by_text("Draw a digit from 0 to 9").wait_for()
        results["ready"] += 1
        await clock["start"].wait()  # every session loaded: the timed part starts for all at once
        i = 0
        while time.monotonic() < clock["deadline"]:
            digit, where = CASES[i % len(CASES)]
            i += 1
            await draw(page, digit, where)
            start = time.perf_counter()
            value = metric.get_by_test_id("stMetricValue")
            await value.wait_for()
            results["latency"].append(time.perf_counter() - start)
            got = (await value.inner_text()).strip()
            results["total"] += 1
            if got != str(digit):
                results["wrong"].append((digit, got))
            await page.get_by_role("button", name="Clear").click()
            await metric.wait_for(state="detached")
    except Exception as exc:  # counted, not hidden
        results["errors"].append(f"{type(exc).__name__}: {str(exc)[:200]}")
    finally:
        await context.close()


async def main_async(args) -> None:
    root = copy_default_registry(Path(tempfile.mkdtemp()) / "models")
    server = AppServer(root)
    results = {"latency": [], "total": 0, "wrong": [], "errors": [], "ready": 0}
    memory = []
    clock = {"start": asyncio.Event(), "deadline": 0.0}
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            tasks = [asyncio.create_task(one_user(browser, server.url, clock, results)) for _ in range(args.sessions)]
            warmup_end = time.monotonic() + 300
            while results["ready"] + len(results["errors"]) < args.sessions and time.monotonic() < warmup_end:
                await asyncio.sleep(0.5)
            print(f"{results['ready']} sessions loaded the app; timing {args.seconds} s from now", flush=True)
            clock["deadline"] = time.monotonic() + args.seconds
            clock["start"].set()
            while not all(t.done() for t in tasks):
                memory.append(rss_mb(server.proc.pid))
                await asyncio.sleep(2)
            await browser.close()
    finally:
        server.stop()
    lat = sorted(results["latency"])
    third = max(1, len(memory) // 3)
    print(f"{args.sessions} sessions x {args.seconds} s on {server.url}")
    print(f"readings: {results['total']}, wrong: {len(results['wrong'])} {results['wrong'][:5]}, session errors: {len(results['errors'])}")
    for err in results["errors"][:5]:
        print("  ", err)
    print(
        f"latency mouse-up -> Prediction: p50 {percentile(lat, 50) * 1000:.0f} ms, p99 {percentile(lat, 99) * 1000:.0f} ms, max {max(lat, default=0) * 1000:.0f} ms"
    )
    print(
        f"server RSS MB: first third mean {statistics.mean(memory[:third]):.0f}, last third mean {statistics.mean(memory[-third:]):.0f}, "
        f"max {max(memory):.0f} (samples every 2 s: {', '.join(f'{m:.0f}' for m in memory)})"
    )


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--sessions", type=int, default=20)
    p.add_argument("--seconds", type=int, default=60)
    asyncio.run(main_async(p.parse_args()))


if __name__ == "__main__":
    main()
