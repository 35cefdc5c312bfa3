"""``python -m bench NAME [ARGS]`` runs one benchmark (``make bench NAME=... ARGS=...`` too); ``python -m bench`` lists
them by group. Each is also ``python -m bench.bench_NAME``; results go to bench/out/ and into BENCHMARKS.md by hand."""

from __future__ import annotations

import importlib
import sys

GROUPS = {
    "accuracy": ["real_world", "non_digits", "photo_conditions", "robustness", "canvas_real", "finetune"],
    "latency": ["predict_latency", "draw_latency", "first_visit", "analysis", "export", "neighbours"],
    "load": ["load", "load_ws", "draw_while_training"],
    "training": ["time_to_accuracy", "train_profile", "train_overhead", "train_page"],
}


def _summary(name: str) -> str:
    doc = importlib.import_module(f"bench.bench_{name}").__doc__ or ""
    return " ".join(doc.split("\n\n")[0].split())


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        for group, names in GROUPS.items():
            print(f"{group}:")
            for name in names:
                print(f"  {name:22} {_summary(name)[:110]}")
        return 0
    name, *rest = argv
    known = [n for names in GROUPS.values() for n in names]
    if name not in known:
        print(f"No benchmark {name!r}; choose one of: {', '.join(known)}.", file=sys.stderr)
        return 2
    sys.argv = [f"python -m bench {name}", *rest]
    importlib.import_module(f"bench.bench_{name}").main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
