"""Fine-tuning the default model on 20 of my samples: how long, and what it buys.

Draws 40 crossed twos (a 2 written like a crossed Z, as in tests/test_finetune.py),
saves 20 in a private store, fine-tunes the default model with ``TrainConfig.for_finetune``
and reports the held-out 20 before and after, MNIST test accuracy before and after, and the
wall time of ``train_and_register`` (training, test-set evaluation and the atomic save).

    .venv/bin/python -m bench.bench_finetune --limit 6000          # the end-to-end test's setting
    .venv/bin/python -m bench.bench_finetune                       # the Train page's fine-tune preset
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parent.parent

import numpy as np  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, help="MNIST replay images (default: the preset's)")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--seeds", type=int, nargs="+", default=[8], help="seeds of the 40 drawn samples")
    args = parser.parse_args()

    from mnist_core import data, evaluation, registry, training
    from mnist_core.samples import SampleStore
    from tests.support.handwriting import crossed_twos

    original_root = ROOT / "models"
    default, _ = registry.active(original_root)
    dataset = data.load_dataset()
    print(f"default model {default.name}: MNIST test accuracy {default.test_accuracy:.4%}")
    for seed in args.seeds:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "models"
            shutil.copytree(default.path, root / default.name)
            os.environ["MNIST_STUDIO_MODELS"] = str(root)
            registry.set_active(default.name, root)
            images = crossed_twos(40, seed=seed)
            store = SampleStore()
            for image in images[:20]:
                store.add(image, 2, "canvas")
            held = (np.round(images[20:] * 255).astype(np.uint8), np.full(20, 2, np.uint8))
            config = training.TrainConfig.for_finetune(limit=args.limit, epochs=args.epochs, name="mine")
            started = time.perf_counter()
            tuned = training.train_and_register(config, dataset)
            seconds = time.perf_counter() - started
            before = evaluation.evaluate_samples(default.name, held)
            after = evaluation.evaluate_samples(tuned.name, held)
            print(
                f"seed {seed}: limit {config.limit}, {config.epochs} epochs, lr {config.lr:g}: "
                f"held-out 20 {before.accuracy:.0%} -> {after.accuracy:.0%} (before: read as {np.bincount(before.y_pred, minlength=10).nonzero()[0].tolist()}); "
                f"MNIST test {default.test_accuracy:.4%} -> {tuned.test_accuracy:.4%} ({(tuned.test_accuracy - default.test_accuracy) * 100:+.2f} points); "
                f"train_and_register {seconds:.1f} s (training {tuned.card['training_seconds']} s)"
            )


if __name__ == "__main__":
    main()
