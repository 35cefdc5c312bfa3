"""One app replica for tests/test_replicas.py: ``python -m tests.support.replica registry ID N`` registers,
activates and deletes N versions of a small model; ``... queue ID N HOST`` queues N tiny runs and
supervises the shared queue (as host HOST) until every run in it has ended."""

from __future__ import annotations

import random
import sys
import time

import keras

from mnist_core import registry, runs, training


def churn(tag: str, n: int) -> None:
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
    mine = []
    for i in range(n):
        name = f"{tag}-{i:03d}"
        registry.save(name, model, {"preset": "tiny", "test": {"accuracy": 0.5}})
        registry.set_active(name)
        mine.append(name)
        others = [m.name for m in registry.list_models()]
        if i % 2 and others:  # and now and then any version, one the other replica may be deleting
            try:
                registry.set_active(random.choice(others))
            except registry.RegistryError as exc:
                assert "no model named" in str(exc), exc
        if len(mine) > 2:  # delete my version from two rounds ago (unless it is active again)
            try:
                registry.delete(mine.pop(0))
            except registry.RegistryError as exc:
                assert "active" in str(exc), exc
        print(name, flush=True)


def queue(tag: str, n: int) -> None:
    for i in range(n):
        config = training.TrainConfig.for_preset("conv1", epochs=1, limit=300, val_split=0.0, name=f"{tag}-run-{i}")
        runs.start(config)
    deadline = time.time() + 600
    while time.time() < deadline:
        runs.tick()
        if all(r.state in runs.TERMINAL for r in runs.list_runs()):
            return
        time.sleep(0.5)
    raise SystemExit("the queue did not finish in 10 minutes")


if __name__ == "__main__":
    {"registry": churn, "queue": queue}[sys.argv[1]](sys.argv[2], int(sys.argv[3]))
