"""Seconds per epoch of a run started from the Train page, next to the same settings through the CLI.

The page run is started by clicking Start in headless Chromium, and the page stays open,
polling the run folder every second and redrawing its charts, for the whole run: the
overhead a user really causes. The CLI run is ``python -m mnist_core train`` with the same
settings. Runs alternate (CLI, page, CLI, page, ...) so that a change in the machine's load
hits both alike. Each side's epochs come from its model card (``epoch_seconds``, measured by
the training callback); the first epoch (graph tracing) is reported apart from the rest.

    .venv/bin/python -m bench.bench_train_page [--pairs 3] [--limit 12000] [--epochs 3]

Private temporary registries only; it stops by itself (each run is bounded to 15 minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, PROJECT_ROOT, SLOW, AppServer, fill_number, open_train, use_a_subset

PRESET = "studio"
RUN_LIMIT_S = 900


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: set[int]) -> float:
    """User + system CPU time of these processes, from /proc."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICK


def descendants(pid: int) -> set[int]:
    found = {pid}
    while True:
        before = len(found)
        for entry in Path("/proc").iterdir():
            try:
                if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) in found:
                    found.add(int(entry.name))
            except OSError:
                continue
        if len(found) == before:
            return found


def card(root: Path, name: str) -> dict:
    return json.loads((root / name / "card.json").read_text())


def cli_run(root: Path, name: str, limit: int, epochs: int) -> dict:
    env = {**os.environ, "MNIST_STUDIO_MODELS": str(root), "TF_CPP_MIN_LOG_LEVEL": "2"}
    cmd = [sys.executable, "-m", "mnist_core", "train", "--preset", PRESET, "--limit", str(limit), "--epochs", str(epochs), "--name", name]
    started = time.perf_counter()
    subprocess.run(cmd, cwd=PROJECT_ROOT, env=env, check=True, timeout=RUN_LIMIT_S, capture_output=True)
    return {**card(root, name), "wall": time.perf_counter() - started}


def page_run(page, server: AppServer, name: str, limit: int, epochs: int) -> dict:
    from playwright.sync_api import expect

    open_train(page, server)
    use_a_subset(page)
    fill_number(page, "Training images (the first N)", limit)
    fill_number(page, "Epochs", epochs)
    box = page.get_by_label("New model's name")
    box.fill(name)
    box.press("Enter")
    expect(page.get_by_role("button", name="Start training")).to_be_enabled(timeout=SLOW)
    browser = descendants(os.getpid()) - descendants(server.proc.pid) - {os.getpid()}
    cpu_before = cpu_seconds({server.proc.pid}), cpu_seconds(browser)
    started = time.perf_counter()
    page.get_by_role("button", name="Start training").click()
    expect(page.get_by_text(f"{name} is registered")).to_be_visible(timeout=RUN_LIMIT_S * 1000)
    wall = time.perf_counter() - started
    overhead = (cpu_seconds({server.proc.pid}) - cpu_before[0], cpu_seconds(browser) - cpu_before[1])
    return {**card(server.models_root, name), "wall": wall, "app_cpu": overhead[0] / wall, "browser_cpu": overhead[1] / wall}


def summary(cards: list[dict]) -> dict:
    first = [c["epoch_seconds"][0] for c in cards]
    rest = [s for c in cards for s in c["epoch_seconds"][1:]]
    return {
        "first": statistics.median(first),
        "rest": statistics.median(rest),
        "rest_all": rest,
        "wall": statistics.median(c["wall"] for c in cards),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--limit", type=int, default=12000)
    ap.add_argument("--epochs", type=int, default=3)
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the app server on the way out
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench-train-") as tmp:
        cli_root, page_root = Path(tmp) / "cli" / "models", Path(tmp) / "page" / "models"
        cli_root.mkdir(parents=True)
        page_root.mkdir(parents=True)
        server = AppServer(page_root)
        cli_cards, page_cards = [], []
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.set_default_timeout(60_000)
                for i in range(args.pairs):
                    cli_cards.append(cli_run(cli_root, f"cli-{i}", args.limit, args.epochs))
                    page_cards.append(page_run(page, server, f"page-{i}", args.limit, args.epochs))
                    print(f"pair {i + 1}: cli {cli_cards[-1]['epoch_seconds']}  page {page_cards[-1]['epoch_seconds']}", flush=True)
                browser.close()
        finally:
            server.stop()
        same = {k: v for k, v in cli_cards[0]["config"].items() if k != "name"} == {
            k: v for k, v in page_cards[0]["config"].items() if k != "name"
        }
        assert same, (cli_cards[0]["config"], page_cards[0]["config"])
        cli, page_ = summary(cli_cards), summary(page_cards)
        images = cli_cards[0]["data"].get("train_images", cli_cards[0]["data"].get("train_samples"))
        print(f"\n{PRESET}, {images} training images x {args.epochs} epochs, {args.pairs} runs each (median seconds)")
        print("| started from | epoch 1 (s) | later epochs (s) | images/s, later epochs | wall, start to registered (s) |")
        print("|---|---|---|---|---|")
        for label, s in (("CLI", cli), ("Train page (open, polling)", page_)):
            print(f"| {label} | {s['first']:.2f} | {s['rest']:.2f} | {images / s['rest']:.0f} | {s['wall']:.1f} |")
        app_cpu = statistics.median(c["app_cpu"] for c in page_cards)
        browser_cpu = statistics.median(c["browser_cpu"] for c in page_cards)
        print(f"\nwhile a page run goes: app server {app_cpu:.1%} of one core, Chromium {browser_cpu:.1%} (median over runs)")
        print(f"later epochs, all: cli {cli['rest_all']}  page {page_['rest_all']}")
        print(f"page / cli, later epochs: {page_['rest'] / cli['rest']:.3f}")


if __name__ == "__main__":
    main()
