"""The Draw page while a model trains: stroke latency, and what the strokes cost the training.

Trains the same small studio run twice through the app's own run machinery (``runs.start``: a child
process at niceness 10), on a copy of the committed models/: once alone, once while headless Chromium
draws on the Draw page of an app served from the same registry. Reports the Draw page's mouse-up →
Prediction percentiles during training, and the run's seconds per epoch alone and beside the drawing.

    .venv/bin/python -m bench.bench_draw_while_training [--samples 30] [--epochs 4] [--limit 20000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

from bench.bench_draw_latency import measure
from bench.support import percentile, write_result
from mnist_core import runs, training
from mnist_core.training import events as run_events
from tests.support.browser import AppServer, copy_default_registry


def run(config: training.TrainConfig, root: Path) -> runs.Run:
    os.environ["MNIST_STUDIO_MODELS"] = str(root)
    return runs.start(config)


def epoch_seconds(run_: runs.Run) -> list[float]:
    return [e.seconds for e in run_events.read(run_.path) if isinstance(e, run_events.Epoch)]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--samples", type=int, default=30)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--limit", type=int, default=20000)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = copy_default_registry(Path(tmp) / "models")
        os.environ["MNIST_STUDIO_MODELS"] = str(root)
        config = training.TrainConfig.for_preset("studio", epochs=args.epochs, limit=args.limit, name="alone")
        alone = runs.wait(run(config, root).id, timeout=1800)
        server = AppServer(root)
        try:
            busy = run(training.TrainConfig.for_preset("studio", epochs=args.epochs, limit=args.limit, name="beside"), root)
            while not any(isinstance(e, run_events.Batch) for e in run_events.read(busy.path)):
                time.sleep(0.5)
            result: dict = {}
            drawer = threading.Thread(target=lambda: result.update(lat=measure(server.url, args.samples)[0]))
            drawer.start()
            drawer.join()
            still_training = runs.get_run(busy.id).state == runs.RUNNING
            busy = runs.wait(busy.id, timeout=1800)
        finally:
            server.stop()
        solo, beside = epoch_seconds(alone), epoch_seconds(busy)  # before the folder goes
    lat = result["lat"]
    summary = {
        "draw_p50_ms": round(statistics.median(lat), 1), "draw_p90_ms": round(percentile(lat, 90), 1), "strokes": len(lat),
        "training_still_running_at_the_last_stroke": still_training,
        "epoch_seconds_alone": [round(s, 1) for s in solo], "epoch_seconds_beside_drawing": [round(s, 1) for s in beside],
        "slowdown_median_epoch": round(statistics.median(beside) / statistics.median(solo) - 1, 3),
        "child_niceness": 10, "config": {"preset": "studio", "epochs": args.epochs, "limit": args.limit},
    }  # fmt: skip
    write_result("draw_while_training", {**summary, "latencies_ms": [round(v, 1) for v in lat]})
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
