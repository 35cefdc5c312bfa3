"""Training on several machines with TensorFlow's own engine: ``tf.distribute.MultiWorkerMirroredStrategy``.

The cluster comes from the standard ``TF_CONFIG`` environment variable (what Kubernetes operators and
other schedulers set), or from ``--workers host:port,... --worker-index I``, which builds it. Worker 0
(or the task of type "chief") is the chief: only it writes progress, the card and the registered
model. Every worker keeps its own ``BackupAndRestore`` checkpoint, so a worker restarted mid-run
resumes from its last epoch; a run that ends removes them all.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

COLLECTIVE_TIMEOUT_S = 120  # a collective that waits longer than this for a peer fails the run instead of hanging


class ClusterError(Exception):
    """The cluster settings cannot work; the message says why."""


@dataclass(frozen=True)
class Task:
    workers: int
    index: int
    chief: bool

    @property
    def label(self) -> str:
        return f"worker {self.index} of {self.workers}" + (" (chief)" if self.chief else "")


def tf_config_for(workers: list[str], index: int) -> dict:
    """The TF_CONFIG that ``--workers`` and ``--worker-index`` describe."""
    if not workers:
        raise ClusterError("Give the workers as host:port,host:port.")
    for w in workers:
        host, _, port = w.rpartition(":")
        if not host or not port.isdigit():
            raise ClusterError(f"{w!r} is not host:port.")
    if not 0 <= index < len(workers):
        raise ClusterError(f"--worker-index must be 0-{len(workers) - 1} for {len(workers)} workers, not {index}.")
    return {"cluster": {"worker": list(workers)}, "task": {"type": "worker", "index": index}}


def task(environ: dict | None = None) -> Task:
    """This process's place in the cluster, read from TF_CONFIG (no TF_CONFIG: a cluster of one)."""
    raw = (environ if environ is not None else os.environ).get("TF_CONFIG")
    if not raw:
        return Task(1, 0, True)
    try:
        spec = json.loads(raw)
        cluster, me = spec["cluster"], spec["task"]
        kind, index = me["type"], int(me["index"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ClusterError(f"TF_CONFIG is not a cluster spec ({exc}).") from exc
    workers = len(cluster.get("worker", [])) + len(cluster.get("chief", []))
    chief = kind == "chief" or (kind == "worker" and index == 0 and not cluster.get("chief"))
    return Task(workers, index, chief)


def strategy():
    """A MultiWorkerMirroredStrategy over TF_CONFIG's cluster; it waits until every worker has joined."""
    import sys

    import tensorflow as tf

    print(f"{task().label}: waiting for every worker to join ...", file=sys.stderr, flush=True)  # it blocks until they have
    options = tf.distribute.experimental.CommunicationOptions(timeout_seconds=COLLECTIVE_TIMEOUT_S)
    return tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)


def backup_dir(models_root: Path, name: str, me: Task) -> Path:
    """Where this worker keeps its checkpoint: its own folder, removed when the run ends."""
    return models_root / ".backup" / name / f"worker-{me.index}"


def remove_backup(folder: Path) -> None:
    """A finished run's checkpoint, and the run's backup folder once no worker's is left."""
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
    for parent in (folder.parent, folder.parent.parent):
        try:
            parent.rmdir()  # only when empty
        except OSError:
            break


def build_before_fit(model, strategy, batch_size: int) -> None:
    """Keras 3's ``fit`` under MultiWorkerMirroredStrategy first all-reduces a distributed batch only to
    learn its shapes, and that fails (keras-team/keras#20585). Build the model's metrics and loss
    from a local batch of the same shapes instead."""
    import tensorflow as tf

    local = (tf.zeros([batch_size, 28, 28, 1]), tf.zeros([batch_size], tf.int32))

    def build(iterator=None, data_batch=None):
        with strategy.scope():
            model._symbolic_build(data_batch=local)

    model._maybe_symbolic_build = build
    _mean_logs_over_replicas()


def _mean_logs_over_replicas() -> None:
    """Keras 3 averages a step's logs over the workers with ``reduce("MEAN", axis=0)``, which fails for
    the scalar loss and metrics (tensorflow/tensorflow#72388); average the replicas' values instead."""
    from keras.src import tree
    from keras.src.backend.tensorflow import trainer

    if getattr(trainer.reduce_per_replica, "mnist_studio", False):
        return
    original = trainer.reduce_per_replica

    def reduce_per_replica(values, strategy, reduction):
        if reduction in ("auto", "mean") and trainer._collective_all_reduce_multi_worker(strategy):
            return tree.map_structure(lambda v: strategy.reduce("MEAN", v, axis=None), values)
        return original(values, strategy, reduction)

    reduce_per_replica.mnist_studio = True
    trainer.reduce_per_replica = reduce_per_replica


def lost_worker(exc: Exception) -> ClusterError:
    """One sentence for a collective that failed because a peer went away."""
    text = str(exc)
    named = text.split("unhealthy", 1)[-1] if "unhealthy" in text else " ".join(re.findall(r"remote target \S+", text))
    unhealthy = sorted(set(re.findall(r"/job:\w+/replica:\d+/task:(\d+)", named)))
    who = f"worker {', '.join(unhealthy)} stopped answering" if unhealthy else f"a worker could not be reached ({type(exc).__name__})"
    return ClusterError(
        f"The training cluster lost a worker: {who}. Nothing was registered; start the same command on every worker "
        "again and each resumes from its last epoch's checkpoint."
    )
