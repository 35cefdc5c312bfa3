"""Time to accuracy: MNIST test accuracy after each epoch against the wall time since Start, for a recipe.

    .venv/bin/python -m bench.bench_time_to_accuracy --recipe quick --recipe best
    .venv/bin/python -m bench.bench_time_to_accuracy --recipe best --set epochs=35 --set label_smoothing=0 --label "35 epochs"
    .venv/bin/python -m bench.bench_time_to_accuracy --plot          # docs/time-to-accuracy.png from every run recorded

Each run is its own process, timed from that process's start (TensorFlow's import included) to its model being
registered, as a run from the Train page or ``python -m mnist_core train --recipe`` is; it registers into a scratch
folder, so the project's models/ is untouched. After each epoch the run's model is evaluated on the 10,000 test
digits; that evaluation is left out of the clock. Runs are appended to bench/out/time_to_accuracy.json.
Run nothing else meanwhile: two jobs share the two cores.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.support import OUT

STARTED = time.time()  # before TensorFlow's import (in child), which a run from the page also pays

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

RESULT = OUT / "time_to_accuracy.json"
PLOT = Path(__file__).resolve().parent.parent / "docs" / "time-to-accuracy.png"
GOALS = [(1.5, 0.990, "Quick: 99.0 % in 90 s"), (15.0, 0.9965, "Best: 99.65 % in 15 min")]


def child(spec: dict) -> dict:
    """One run, in this process: the recipe with its overrides, through train_and_register."""
    import keras

    from mnist_core import data, evaluation, registry, training
    from mnist_core.training import events as run_events

    dataset = data.load_dataset(None, report=lambda m: None)
    epochs: list[dict] = []

    class TestAccuracy(keras.callbacks.Callback):
        """After each epoch (batch-norm statistics already recomputed): accuracy on the test set, off the clock."""

        paused = 0.0

        def on_epoch_end(self, epoch, logs=None):
            begin = time.time()
            # not model.predict: called inside fit, it left fit's end 30-60 s late (a Keras iterator left behind)
            probs = evaluation.predict_in_batches(self.model, dataset.x_test)
            probs = probs.mean(axis=1) if probs.ndim == 3 else probs  # an ensemble's members view
            accuracy = float((probs.argmax(-1) == dataset.y_test).mean())
            epochs.append({"epoch": epoch + 1, "seconds": round(begin - STARTED - self.paused, 1), "test_accuracy": accuracy})
            print(f"  epoch {epoch + 1}: {accuracy:.2%} at {epochs[-1]['seconds']:.0f} s", file=sys.stderr, flush=True)
            self.paused += time.time() - begin

    timer = TestAccuracy()
    overrides = spec["overrides"]
    if spec["recipe"]:
        config = training.TrainConfig.for_recipe(spec["recipe"], **overrides)
        config = dataclasses.replace(config, **{k: v for k, v in overrides.items() if v is None})  # limit=none: all images
    else:
        config = training.TrainConfig.from_dict(overrides)
    phases: dict[str, float] = {}

    def on_event(event) -> None:  # when each phase began, on the run's clock
        if not isinstance(event, run_events.Batch | run_events.Epoch):
            phases.setdefault(event.KIND, round(time.time() - STARTED - timer.paused, 1))

    info = training.train_and_register(config, dataset, on_event, started=STARTED, callbacks=[timer])
    run_seconds = info.card["run_seconds"] - timer.paused
    fit_seconds = round(phases["end"] - phases["start"], 1)
    registry.update_card(info.name, {"run_seconds": round(run_seconds, 1), "training_seconds": fit_seconds})  # not this bench's checks
    return {
        "label": spec["label"],
        "recipe": spec["recipe"],
        "config": config.to_dict(),
        "epochs": epochs,
        "phases": phases,
        "run_seconds": round(run_seconds, 1),
        "training_seconds": fit_seconds,
        "test_accuracy": info.test_accuracy,
        "model": info.name,
        "calibration": {k: info.card.get("calibration", {}).get(k) for k in ("test_ece", "test_refused")},
        "cpu": _cpu(),
        "when": time.strftime("%Y-%m-%d %H:%M"),
    }


def _cpu() -> str:
    try:
        return next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        return "unknown"


def _value(text: str):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return {"true": True, "false": False, "none": None}.get(text.lower(), text)


def run(recipe: str | None, overrides: dict, label: str, keep: Path | None = None) -> dict:
    """One run in its own process, registered in a scratch registry (``keep``: this one, where the model stays)."""
    with tempfile.TemporaryDirectory() as scratch:
        spec = json.dumps({"recipe": recipe, "overrides": overrides, "label": label})
        env = {**os.environ, "MNIST_STUDIO_MODELS": str(keep or scratch)}
        child_command = [sys.executable, "-m", "bench.bench_time_to_accuracy", "--child", spec]
        done = subprocess.run(child_command, env=env, stdout=subprocess.PIPE, text=True, check=True)  # its progress on stderr
        return json.loads(done.stdout.strip().splitlines()[-1])


def from_card(path: Path, label: str, run_seconds: float | None = None) -> dict:
    """A row from a model card alone (a run made before this benchmark, by an earlier recipe): its validation accuracy
    per epoch, at the end of each epoch's time; ``run_seconds`` when the whole run was timed from outside."""
    card = json.loads(path.read_text())
    ends = [sum(card["epoch_seconds"][: i + 1]) for i in range(len(card["epoch_seconds"]))]
    val = card["history"]["val_accuracy"]
    return {
        "label": label, "recipe": None, "config": card["config"], "from_card": str(path),
        "epochs": [{"epoch": i + 1, "seconds": round(t, 1), "test_accuracy": a} for i, (t, a) in enumerate(zip(ends, val, strict=True))],
        "run_seconds": run_seconds or card.get("run_seconds") or card["training_seconds"], "training_seconds": card["training_seconds"],
        "test_accuracy": card["test"]["accuracy"], "model": card.get("name"),
    }  # fmt: skip


def plot(rows: list[dict], path: Path = PLOT) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5.6), dpi=110)
    for row in rows:
        minutes = [e["seconds"] / 60 for e in row["epochs"]]
        accuracy = [100 * e["test_accuracy"] for e in row["epochs"]]
        from_card = bool(row.get("from_card"))  # its epochs: validation accuracy, from the fit's start (dashed)
        label = f"{row['label']}: {row['test_accuracy']:.2%}" + (" (dashed: validation, per epoch)" if from_card else "")
        (line,) = ax.plot(minutes, accuracy, marker="o", markersize=3, label=label, linestyle="--" if from_card else "-")
        ax.plot([row["run_seconds"] / 60], [100 * row["test_accuracy"]], marker="*", markersize=11, color=line.get_color())
    for minutes, accuracy, text in GOALS:
        ax.plot([minutes], [100 * accuracy], marker="X", color="black", markersize=8)
        ax.annotate(text, (minutes, 100 * accuracy), textcoords="offset points", xytext=(6, -12), fontsize=8)
    ax.set_xscale("log")
    ax.set_xticks([0.5, 1, 2, 5, 10, 15, 30, 60], ["0.5", "1", "2", "5", "10", "15", "30", "60"])
    ax.set_xlim(0.4, max(60, *(r["run_seconds"] / 60 * 1.2 for r in rows)))
    ax.set_ylim(98.0, 99.9)
    ax.set_xlabel("minutes since Start (log scale); ★ = registered: evaluated, calibrated and saved; ✖ = the goals")
    ax.set_ylabel("MNIST test accuracy, %")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, frameon=False)
    ax.set_title("Time to accuracy on this machine (2 CPU cores), each epoch's model", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--recipe", action="append", default=[], help="quick or best; repeat for several runs")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", help="override a setting, as on the Train page")
    p.add_argument("--label", help="the run's name in the table and chart (default: the recipe, with its overrides)")
    p.add_argument("--plot", action="store_true", help="draw the chart from every run recorded")
    p.add_argument("--from-card", type=Path, help="record a run made earlier from its card.json (validation accuracy per epoch)")
    p.add_argument("--run-seconds", type=float, help="with --from-card: the whole run's time, measured from outside")
    p.add_argument("--keep", type=Path, help="register the models in this folder (a registry) and keep them there")
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return
    rows = json.loads(RESULT.read_text()) if RESULT.exists() else []
    overrides = {k: _value(v) for k, v in (item.split("=", 1) for item in args.set)}
    if args.from_card:
        row = from_card(args.from_card, args.label or args.from_card.parent.name, args.run_seconds)
        rows = [r for r in rows if r["label"] != row["label"]] + [row]
        RESULT.parent.mkdir(parents=True, exist_ok=True)
        RESULT.write_text(json.dumps(rows, indent=1))
    for recipe in args.recipe:
        label = args.label or " ".join([recipe, *args.set])
        print(f"{label} ...", file=sys.stderr, flush=True)
        row = run(recipe, overrides, label, args.keep)
        rows = [r for r in rows if r["label"] != label] + [row]
        RESULT.parent.mkdir(parents=True, exist_ok=True)
        RESULT.write_text(json.dumps(rows, indent=1))
        print(f"| {label} | {row['run_seconds'] / 60:.1f} min | {row['test_accuracy']:.2%} |")
    if args.plot:
        plot(rows)
        print(f"wrote {PLOT}")
    print("| run | epoch: minutes since Start, test accuracy | registered after | test accuracy |\n|---|---|---:|---:|")
    for r in rows:
        curve = ", ".join(f"{e['epoch']}: {e['seconds'] / 60:.1f} min {e['test_accuracy']:.2%}" for e in r["epochs"])
        print(f"| {r['label']} | {curve} | {r['run_seconds'] / 60:.1f} min | {r['test_accuracy']:.2%} |")


if __name__ == "__main__":
    main()
