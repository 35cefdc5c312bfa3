"""Nearest training digits: the index's build time and size, search latency in process, and how often a test digit's
neighbours share its label.

    .venv/bin/python -m bench neighbours [--model NAME] [--queries 200] [--rebuild]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from bench.support import percentile, write_result
from mnist_core import neighbours
from mnist_core.data import load_dataset
from mnist_core.inference import Predictor


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model")
    p.add_argument("--queries", type=int, default=200)
    p.add_argument("--rebuild", action="store_true", help="delete the cached index first, to time its build")
    args = p.parse_args()
    data, reader = load_dataset(), Predictor.load(args.model)
    cache = neighbours.cache_file(reader.info.path, data.fingerprint)
    if args.rebuild:
        cache.unlink(missing_ok=True)
    started = time.perf_counter()
    reader.nearest_training_digits(data.x_test[:1] / 255.0, k=1)
    ready = time.perf_counter() - started
    queries = neighbours.features(reader.neighbour_features, data.x_test[: args.queries])
    times, same = [], []
    for i, q in enumerate(queries):
        t = time.perf_counter()
        near = reader.neighbour_index.nearest(q, 8)
        times.append((time.perf_counter() - t) * 1000)
        same.append(np.mean([n.label == data.y_test[i] for n in near]))
    result = {
        "model": reader.name, "index_ready_s": round(ready, 2), "built": args.rebuild,
        "vectors": list(reader.neighbour_index.vectors.shape), "disk_mb": round(cache.stat().st_size / 1e6, 1),
        "memory_mb": round(reader.neighbour_index.nbytes / 1e6, 1), "search_p50_ms": round(percentile(times, 50), 2),
        "search_p90_ms": round(percentile(times, 90), 2), "same_label_share": round(float(np.mean(same)), 4),
    }  # fmt: skip
    print(f"{reader.name}: index {'built' if args.rebuild else 'ready'} in {ready:.1f} s, {result['vectors']} features, "
          f"{result['disk_mb']} MB on disk, {result['memory_mb']} MB in memory")  # fmt: skip
    print(f"search (k=8, {len(times)} test digits): p50 {result['search_p50_ms']} ms, p90 {result['search_p90_ms']} ms; "
          f"neighbours sharing the digit's label: {result['same_label_share']:.2%}")  # fmt: skip
    write_result("neighbours", result)


if __name__ == "__main__":
    main()
