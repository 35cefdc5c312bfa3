"""The README's three screenshots of the "teach it your handwriting" loop, taken in headless Chromium.

1. Draw: a 2 written like a crossed Z is read as a 7; "Wrong? It's a 2" saves it.
2. Train: "Fine-tune the active model on my samples", then the run finishes.
3. My samples read by the fine-tuned model; a new crossed 2 on the Draw page, read as a 2 by the
   fine-tuned model and as a 7 by the default one.

Writes docs/loop-1-draw.png, loop-2-train.png, loop-3-samples.png, loop-3-finetuned.png and
loop-3-original.png (loop-failed.png: the page when a step failed).

It runs the real app on a private copy of models/ with 19 more such twos already saved (the
generator of tests/test_finetune.py), and fine-tunes for real (a minute or two on 2 cores).

    .venv/bin/python -m scripts.loop_screenshots [--out docs]
"""

from __future__ import annotations

import argparse
import os
import re
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# A crossed Z: top bar, diagonal, bottom bar, and the bar through the middle (unit box, y down).
CROSSED_TWO = [[(0.05, 0.0), (0.95, 0.0), (0.05, 1.0), (1.0, 1.0)], [(0.25, 0.5), (0.75, 0.5)]]
WHERE = (0.28, 0.18, 0.44, 0.64)
ANOTHER_CROSSED_TWO = [[(0.15, 0.0), (1.0, 0.0), (0.0, 1.0), (0.8, 1.0)], [(0.25, 0.5), (0.8, 0.5)]]  # slanted; the default model says 7


def draw(page, strokes, where) -> None:
    """Each stroke with the mouse button held, in small moves, like a person."""
    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for(state="visible")
    page.wait_for_timeout(1500)  # let the page settle: a box taken mid-layout puts strokes elsewhere
    box = canvas.bounding_box()
    x, y, w, h = where
    for stroke in strokes:
        points = [(box["x"] + (x + px * w) * box["width"], box["y"] + (y + py * h) * box["height"]) for px, py in stroke]
        page.mouse.move(*points[0])
        page.mouse.down()
        for px, py in points[1:]:
            page.mouse.move(px, py, steps=20)
        page.mouse.up()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    import numpy as np
    from playwright.sync_api import sync_playwright

    from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, AppServer, copy_default_registry
    from tests.support.handwriting import crossed_twos

    with tempfile.TemporaryDirectory() as tmp:
        root = copy_default_registry(Path(tmp) / "models")
        os.environ["MNIST_STUDIO_MODELS"] = str(root)
        from mnist_core import registry
        from mnist_core.samples import SampleStore

        active = registry.active(root)[0].name
        store = SampleStore()
        for image in crossed_twos(19, seed=8):
            store.add(image, 2, "canvas", crop=(255 - np.round(image * 255)).astype(np.uint8), model=active, predicted=7)
        server = AppServer(root)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
                page.set_default_timeout(60_000)
                try:
                    loop(page, server.url, root, args.out)
                except Exception:
                    page.screenshot(path=str(args.out / "loop-failed.png"))
                    raise
                finally:
                    browser.close()
        finally:
            server.stop()
    print("wrote", *sorted(p.name for p in args.out.glob("loop-*.png")))


def loop(page, url: str, root: Path, out: Path) -> None:
    from mnist_core import registry
    from tests.support.browser import wait_for_app

    # 1. Draw: read as a 7; "Wrong? It's a 2" saves it.
    page.goto(url)
    wait_for_app(page)
    page.get_by_text("Draw a digit from 0 to 9").wait_for()
    draw(page, CROSSED_TWO, WHERE)
    reading = page.get_by_test_id("stMetric").filter(has_text="Prediction").get_by_test_id("stMetricValue")
    page.wait_for_function("(el) => el.innerText.trim() === '7'", arg=reading.element_handle())  # the crossed Z, read as a 7
    wait_for_app(page)
    fix = page.get_by_role("radiogroup", name="Wrong? It's a …")
    try:
        fix.wait_for(timeout=30_000)
    except Exception:
        raise SystemExit(
            "The Draw page shows no 'Wrong? It's a …': it must call app_pages.sample_widgets.sample_controls (see README)."
        ) from None
    fix.get_by_role("radio", name="2", exact=True).click()  # "Wrong? It's a …"
    page.get_by_text("Saved as a 2").wait_for()
    wait_for_app(page)
    page.mouse.move(1200, 160)  # off the canvas (its toolbar shows under the pointer), on nothing
    page.screenshot(path=str(out / "loop-1-draw.png"))

    # 2. Train: fine-tune the active model on my samples.
    page.get_by_role("link", name="Train").click()
    page.get_by_role("button", name="Fine-tune the active model on my samples").click()
    page.get_by_text("Fine-tuning").first.wait_for()
    wait_for_app(page)
    page.wait_for_timeout(2000)
    wait_for_app(page)
    for _ in range(3):  # a click during a rerun can be lost
        page.get_by_role("button", name="Start training").click()
        try:
            page.get_by_text("Started").first.wait_for(timeout=20_000)
            break
        except Exception:
            continue
    page.get_by_text("is registered").first.wait_for(timeout=600_000)
    wait_for_app(page)
    page.get_by_text("is registered").first.scroll_into_view_if_needed()
    page.mouse.move(1200, 160)  # off the button that took Start's place, and its tooltip
    page.wait_for_timeout(500)
    page.screenshot(path=str(out / "loop-2-train.png"))

    # 3. My samples, read by the fine-tuned model.
    tuned = next(m.name for m in registry.list_models(root) if m.card.get("fine_tuned_from"))
    for _ in range(3):  # a click while the Train page polls its run can be lost
        page.get_by_role("link", name="My samples").click()
        try:
            page.get_by_role("heading", name="My samples").wait_for(timeout=20_000)
            break
        except Exception:
            continue
    wait_for_app(page)
    picker = page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox")
    if tuned not in picker.inner_text():  # the Train page may have picked it already
        picker.click()
        page.get_by_role("option").filter(has_text=tuned).click()
    page.get_by_text(f"{tuned} reads these right").wait_for()
    wait_for_app(page)
    page.mouse.move(1200, 160)
    page.screenshot(path=str(out / "loop-3-samples.png"))

    # 3b. A new crossed Z (another size, place and bar) on the Draw page, read by the fine-tuned model.
    page.get_by_role("link", name="Draw").click()
    page.get_by_text("Draw a digit from 0 to 9").wait_for()
    wait_for_app(page)
    draw(page, ANOTHER_CROSSED_TWO, (0.3, 0.15, 0.42, 0.68))
    reading = page.get_by_test_id("stMetric").filter(has_text="Prediction").get_by_test_id("stMetricValue")
    page.wait_for_function("(el) => el.innerText.trim() === '2'", arg=reading.element_handle())
    wait_for_app(page)
    page.mouse.move(1200, 160)
    page.screenshot(path=str(out / "loop-3-finetuned.png"))
    original = registry.active(root)[0].name
    page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").click()
    page.get_by_role("option", name=re.compile(rf"^{re.escape(original)} ")).click()
    page.get_by_text(f"Read live by {original} each time").wait_for()
    wait_for_app(page)
    page.mouse.move(1200, 160)
    page.wait_for_timeout(500)
    print(f"the same drawing: {original} reads {reading.inner_text()}, {tuned} read 2")
    page.screenshot(path=str(out / "loop-3-original.png"))


if __name__ == "__main__":
    main()
