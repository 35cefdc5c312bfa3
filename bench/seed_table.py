"""The small-preset table of BENCHMARKS.md, from the model cards in the registry.

.venv/bin/python -m bench.seed_table seed004-v1 seed001-v1 ...
"""

from __future__ import annotations

import statistics
import sys

from mnist_core import registry

SOURCE_ACCURACY = {"conv2-dropout": "98.86 %", "conv1": "98.16 %"}


def main(names: list[str]) -> None:
    print(
        "| preset | parameters | epochs | batch size | test accuracy here | seconds per epoch here (median) | source's accuracy | folder | command |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name in names:
        info = registry.get(name)
        card, config = info.card, info.card["config"]
        size = sum(f.stat().st_size for f in info.path.iterdir()) / 2**20
        print(
            f"| {info.preset} | {card['parameters']:,} | {config['epochs']} | {config['batch_size']} | {info.test_accuracy:.2%} "
            f"| {statistics.median(card['epoch_seconds']):.0f} | {SOURCE_ACCURACY.get(info.preset, 'not reported')} | {size:.1f} MB "
            f"| `{card['reproduce']}` |"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
