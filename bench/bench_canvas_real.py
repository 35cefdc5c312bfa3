"""Digits and non-digits drawn with the mouse on the real Draw page in headless Chromium.

The strokes come from bench/realworld.py (two or three hand styles per digit, and drawings that are
not digits: hearts, houses, smileys, ...), with a wobble, at random sizes and places, with pen widths
from 10 to 40 (set with the slider's keys) and mouse speeds from 2 to 12 px per move. The reading is
the page's own: the "Prediction" metric, "?" when the page says the drawing is not a digit.

    .venv/bin/python -m bench.bench_canvas_real [--digits 60] [--non-digits 40] [--models DIR]
    .venv/bin/python -m bench.bench_canvas_real --numbers 40   # "A number" mode: 2-5 digits, exact match
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import math
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from bench import realworld
from bench.support import OUT, write_result
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, AppServer, canvas_box, clear, copy_default_registry, wait_for_app

DEFAULT_PEN = 24  # app_pages/draw.py


def set_pen(page, width: int, current: int) -> int:
    slider = page.get_by_role("slider").first
    slider.focus()
    key = "ArrowRight" if width > current else "ArrowLeft"
    for _ in range(abs(width - current) // 2):
        page.keyboard.press(key)
    wait_for_app(page)
    return width


def draw(page, strokes, where, step_px: float) -> None:
    box = canvas_box(page)
    x, y, w, h = where
    for stroke in strokes:
        points = [(box["x"] + (x + px * w) * box["width"], box["y"] + (y + py * h) * box["height"]) for px, py in stroke]
        page.mouse.move(*points[0])
        page.wait_for_timeout(300)  # a hand comes to rest before it writes (and the canvas's toolbar, shown on hover, moves up)
        page.mouse.down()
        for (x0, y0), (x1, y1) in itertools.pairwise(points):
            page.mouse.move(x1, y1, steps=max(1, int(math.hypot(x1 - x0, y1 - y0) / step_px)))
        page.mouse.up()
        page.wait_for_timeout(60)


def reading(page) -> str:
    """The Prediction once the page has settled after the last stroke."""
    value = page.get_by_test_id("stMetric").filter(has_text="Prediction").get_by_test_id("stMetricValue")
    value.wait_for(timeout=30_000)
    page.wait_for_timeout(700)  # the last stroke's send and its rerun
    wait_for_app(page)
    return value.inner_text().strip()


@contextlib.contextmanager
def app_page(models: Path | None, height: int):
    """The app on a copy of the committed models (or ``models``), open on the Draw page in headless Chromium."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        server = AppServer(models or copy_default_registry(Path(tmp) / "models"))
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": height})
                page.set_default_timeout(120_000)
                page.goto(server.url)
                wait_for_app(page)
                canvas_box(page)
                yield page
                browser.close()
        finally:
            server.stop()


def number_reading(page) -> str:
    value = page.get_by_test_id("stMetric").filter(has_text="Number").get_by_test_id("stMetricValue")
    value.wait_for(timeout=30_000)
    page.wait_for_timeout(700)
    wait_for_app(page)
    return value.inner_text().strip()


def run_numbers(page, count: int, seed: int) -> dict:
    """Numbers from ``unseen.number_strokes`` drawn with the mouse on the Draw page's wide canvas."""
    from bench import unseen

    page.get_by_test_id("stButtonGroup").get_by_text("A number", exact=True).click()
    wait_for_app(page)
    results = []
    width, height = unseen.NUMBER_CANVAS
    slider_pen = 16  # app_pages/draw_number.py NUMBER_STROKE
    for label, strokes, pen in unseen.number_strokes(count, seed):
        slider = page.get_by_role("slider").first
        slider.focus()
        for _ in range(abs(pen - slider_pen) // 2):
            page.keyboard.press("ArrowRight" if pen > slider_pen else "ArrowLeft")
        slider_pen = pen
        wait_for_app(page)
        box = canvas_box(page)
        while box is None:  # the new canvas is still being laid out
            page.wait_for_timeout(200)
            box = canvas_box(page)
        for stroke in strokes:
            points = [(box["x"] + x / width * box["width"], box["y"] + y / height * box["height"]) for x, y in stroke]
            page.mouse.move(*points[0])
            page.wait_for_timeout(150)
            page.mouse.down()
            for (x0, y0), (x1, y1) in itertools.pairwise(points):
                page.mouse.move(x1, y1, steps=max(1, int(math.hypot(x1 - x0, y1 - y0) / 6)))
            page.mouse.up()
            page.wait_for_timeout(60)
        got = number_reading(page)
        results.append({"label": label, "read": got, "pen": pen})
        page.get_by_role("button", name="Clear").click()
        wait_for_app(page)
        page.get_by_text("Write a number of two or more digits").wait_for(timeout=30_000)  # a fresh, empty canvas
    right = [r["read"] == r["label"] for r in results]
    return {"numbers": len(results), "read_exactly": round(float(np.mean(right)), 4),
            "errors": [r for r in results if r["read"] != r["label"]], "results": results}  # fmt: skip


def cases(n_digits: int, n_shapes: int, seed: int):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n_digits):
        d = i % 10
        styles = realworld.STROKES[d]
        out.append((str(d), f"style {i // 10 % len(styles)}", realworld.wobble(styles[i // 10 % len(styles)], rng, 0.015)))
    kinds = list(realworld.SHAPES)
    for i in range(n_shapes):
        kind = kinds[i % len(kinds)]
        out.append(("", kind, realworld.wobble(realworld.SHAPES[kind], rng, 0.015)))
    return out, rng


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--digits", type=int, default=60)
    p.add_argument("--non-digits", type=int, default=40)
    p.add_argument("--models", type=Path)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--numbers", type=int, default=0, help='draw this many numbers in "A number" mode instead')
    args = p.parse_args()
    if args.numbers:
        return numbers_main(args)

    todo, rng = cases(args.digits, args.non_digits, args.seed)
    results = []
    started = time.time()
    with app_page(args.models, height=800) as page:
        pen = DEFAULT_PEN
        for index, (label, kind, strokes) in enumerate(todo):
            pen = set_pen(page, int(rng.integers(5, 21)) * 2, pen)
            side = rng.uniform(0.35, 0.8)
            where = (rng.uniform(0.02, 0.98 - side * 0.8), rng.uniform(0.02, 0.98 - side), side * 0.8, side)
            draw(page, strokes, where, step_px=float(rng.uniform(2, 12)))
            try:
                got = reading(page)
            except Exception:
                OUT.mkdir(exist_ok=True)
                page.screenshot(path=str(OUT / "canvas_real_failure.png"), full_page=True)
                print(f"no reading for drawing {index} ({label or kind}, pen {pen})")
                raise
            results.append({"label": label, "kind": kind, "read": got, "pen": pen, "side": round(side, 2)})
            clear(page)
    digits = [r for r in results if r["label"]]
    shapes = [r for r in results if not r["label"]]
    per_class = defaultdict(list)
    for r in digits:
        per_class[r["label"]].append(r["read"] == r["label"])
    per_kind = defaultdict(list)
    for r in shapes:
        per_kind[r["kind"]].append(r["read"] == "?")
    summary = {
        "digits": len(digits),
        "digits_read_right": round(float(np.mean([r["read"] == r["label"] for r in digits])), 4) if digits else None,
        "digits_refused": sum(r["read"] == "?" for r in digits),
        "per_class": {k: round(float(np.mean(v)), 3) for k, v in sorted(per_class.items())},
        "non_digits": len(shapes),
        "non_digits_refused": round(float(np.mean([r["read"] == "?" for r in shapes])), 4) if shapes else None,
        "refused_per_kind": {k: round(float(np.mean(v)), 3) for k, v in sorted(per_kind.items())},
        "errors": [r for r in digits if r["read"] != r["label"]],
        "seconds": round(time.time() - started),
    }
    write_result("canvas_real", {**summary, "results": results})
    print(json.dumps({k: v for k, v in summary.items()}, indent=2))
    return 0


def numbers_main(args) -> int:

    started = time.time()
    with app_page(args.models, height=900) as page:
        summary = run_numbers(page, args.numbers, args.seed)
    summary["seconds"] = round(time.time() - started)
    write_result("canvas_numbers", summary)
    print(json.dumps({k: v for k, v in summary.items() if k != "results"}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
