"""What the benchmarks share: where their results go, one way to take a percentile, and a result file per run."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "out"  # results, never committed (.gitignore)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100), interpolated between the nearest values; NaN for no values."""
    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else float("nan")


def write_result(name: str, result) -> Path:
    """``result`` as bench/out/NAME.json (the machine-readable twin of what the benchmark prints)."""
    OUT.mkdir(exist_ok=True)
    path = OUT / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, default=str))
    return path
