"""Analysis page speed: the first visit (evaluates the test set) and later visits (cached), in Chromium.

Starts ``streamlit run app.py`` on a copy of the committed models/ (or ``--models DIR``) and times,
inside the browser on ``performance.now()``, from the user's action to the page being rendered:
no script running, the metrics and the confusion matrix drawn, and every gallery image loaded.

- first visit: the model's evaluation cache is deleted first, so the page evaluates the 10,000 test
  digits (with its progress bar) and writes the cache;
- later visit, same tab: Draw page -> Analysis in the sidebar (the usual way there);
- later visit, new tab: a fresh browser session opening /analysis (loads the whole app);
- a click on the confusion matrix's worst cell until the gallery shows its errors;
- switching to the Dataset tab (the heaviest: 42 digit tiles and two charts);
- and, for comparison, the page's Python alone: AppTest reruns with everything cached.

    .venv/bin/python -m bench.bench_analysis [--models DIR] [--visits 7]

Prints the medians and maxima in seconds and writes bench/out/analysis.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.support import OUT, write_result
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, AppServer, copy_default_registry, wait_for_app

# Resolves with performance.now() once the Analysis page is fully drawn and `extra` (JS) holds.
DONE = """async (extra) => {
  const why = () => {
    if (document.querySelector('[data-testid="stStatusWidget"]')) return 'script running';
    const h1 = document.querySelector('[data-testid="stMain"] h1');
    if (!h1 || !h1.innerText.startsWith('Analysis')) return 'not on the Analysis page';
    if (document.querySelectorAll('[data-testid="stMetric"]').length < 5) return 'no metrics';
    const imgs = [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stImage"] img')];
    if (imgs.some(i => !i.complete || i.naturalWidth === 0)) return 'images loading';
    return eval(extra) ? '' : 'not drawn yet';
  };
  const limit = performance.now() + 240000;
  let reason;
  while ((reason = why()) && performance.now() < limit) await new Promise(r => requestAnimationFrame(r));
  if (reason) throw new Error('the page was not drawn within 240 s: ' + reason);
  return performance.now();
}"""
# the confusion matrix drawn and the first gallery page's 24 digits shown
ERRORS_TAB = (
    '!!document.querySelector(\'[data-testid="stVegaLiteChart"] svg path[aria-label^="Predicted digit"]\')'
    ' && document.querySelectorAll(\'[data-testid="stMain"] [data-testid="stImage"] img\').length >= 24'
)
# the class counts, 10 + 32 digits and the scatter drawn
DATASET_TAB = (
    "document.body.innerText.includes('True against predicted')"
    ' && document.querySelectorAll(\'[data-testid="stMain"] [data-testid="stImage"] img\').length >= 42'
    " && document.querySelectorAll('[data-testid=\"stVegaLiteChart\"] svg').length >= 2"
)
SAW_PROGRESS = """() => { window.__progress = false;
  new MutationObserver(() => { if (document.querySelector('[data-testid="stProgress"]')) window.__progress = true; })
    .observe(document.body, {childList: true, subtree: true}); }"""


def settled_on(page, heading: str) -> None:
    """Wait until the page titled ``heading`` has finished running."""
    page.locator("[data-testid='stMain'] h1", has_text=heading).wait_for()
    wait_for_app(page)


def timed(page, action, extra: str = ERRORS_TAB) -> float:
    """Seconds from ``action()`` (a click) to the Analysis page drawn with ``extra`` true."""
    start = page.evaluate("() => performance.now()")
    action()
    try:
        return (page.evaluate(DONE, extra) - start) / 1000
    except Exception:
        OUT.mkdir(exist_ok=True)
        page.screenshot(path=str(OUT / "analysis-failed.png"))
        raise


def open_analysis(page) -> float:
    """Draw page -> Analysis in the sidebar."""
    page.get_by_role("link", name="Draw").click()
    settled_on(page, "Draw")
    page.wait_for_timeout(500)
    return timed(page, page.get_by_role("link", name="Analysis").click)


def script_times(root: Path, runs: int = 7) -> list[float]:
    """The page's Python alone (no browser): AppTest reruns of the Errors tab once everything is cached."""
    from streamlit.testing.v1 import AppTest

    os.environ["MNIST_STUDIO_MODELS"] = str(root)
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=300)
    at.switch_page("app_pages/analysis.py")
    at.run()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
    return times


def summary(values: list[float]) -> dict:
    return {"median_s": round(statistics.median(values), 3), "max_s": round(max(values), 3), "runs": [round(v, 3) for v in values]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=Path, help="registry to copy (default: the committed models/)")
    ap.add_argument("--visits", type=int, default=7)
    args = ap.parse_args()

    import shutil

    from playwright.sync_api import sync_playwright

    from mnist_core import data, evaluation, registry

    with tempfile.TemporaryDirectory(prefix="bench-analysis-") as tmp:
        root = Path(tmp) / "models"
        if args.models:
            shutil.copytree(args.models, root, ignore=shutil.ignore_patterns(".runs", ".samples", ".saving-*"))
        else:
            copy_default_registry(root)
        info = registry.active(root)[0]
        ds = data.load_dataset(report=lambda _: None)
        evaluation.cache_file(info.path, ds.fingerprint).unlink(missing_ok=True)
        results: dict = {"model": info.name, "preset": info.preset, "parameters": info.card.get("parameters")}
        results["load_average_before"] = [round(v, 1) for v in os.getloadavg()]  # the machine may be shared
        server = AppServer(root)
        try:
            time.sleep(3)
            if server.proc.poll() is not None:  # its port was taken: the health check saw someone else's app
                raise SystemExit(f"streamlit exited: {Path(server.log.name).read_text()[-500:]}; run the bench again")
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.set_default_timeout(300_000)
                page.goto(server.url)
                wait_for_app(page)
                page.evaluate(SAW_PROGRESS)
                first = open_analysis(page)
                results["first_visit"] = {"seconds": round(first, 3), "progress_bar_shown": page.evaluate("() => window.__progress")}
                results["cache_written"] = evaluation.cache_file(info.path, ds.fingerprint).exists()
                if not results["cache_written"]:
                    raise SystemExit(f"the first visit did not evaluate {info.name}: {results}; is another app on port {server.port}?")
                results["later_visit_same_tab"] = summary([open_analysis(page) for _ in range(args.visits)])

                ev = evaluation.evaluate(info.path, ds.x_test, ds.y_test, ds.fingerprint)
                off = ev.confusion * (1 - __import__("numpy").eye(10, dtype=int))
                true, pred = (int(v) for v in divmod(int(off.argmax()), 10))
                cell_clicks = []
                for _ in range(3):
                    open_analysis(page)
                    cell = page.locator(f"[data-testid='stVegaLiteChart'] path[aria-label^='Predicted digit: {pred}; True digit: {true};']")
                    cell.evaluate("e => e.scrollIntoView({block: 'center'})")
                    header = f"document.body.innerText.includes('true {true} · predicted {pred}')"
                    box = cell.bounding_box()
                    click = lambda b=box: page.mouse.click(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2)  # noqa: E731
                    cell_clicks.append(timed(page, click, header))
                results["cell_click_to_filtered_gallery"] = summary(cell_clicks)
                tabs = []
                for _ in range(3):
                    open_analysis(page)
                    dataset = page.get_by_role("tab", name="Dataset")
                    tabs.append(timed(page, dataset.click, DATASET_TAB))
                results["dataset_tab"] = summary(tabs)

                fresh = []
                for _ in range(args.visits):
                    context = browser.new_context(viewport={"width": 1280, "height": 800})
                    tab = context.new_page()
                    tab.set_default_timeout(120_000)
                    tab.goto(server.url + "/analysis")
                    fresh.append(tab.evaluate(DONE, ERRORS_TAB) / 1000)  # from the navigation's start
                    context.close()
                results["later_visit_new_tab"] = summary(fresh)
                browser.close()
        finally:
            server.stop()
        results["script_only_warm_rerun"] = summary(script_times(root))

    results["load_average_after"] = [round(v, 1) for v in os.getloadavg()]
    write_result("analysis", results)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
