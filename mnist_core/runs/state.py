"""A training run's state on disk: ``models/.runs/RUN_ID/`` and the queue file beside the runs.

A run folder holds ``config.json`` (the TrainConfig), ``status.json`` (state, pid, host, times, model
name, reason), ``progress.jsonl`` (the training events, ``run_events``), ``log.txt`` (the child's
stdout and stderr), ``heartbeat`` (touched by the replica that watches its process) and, when a
person asked to stop it, ``cancel``. Every change of state happens under ``locked(runs)``.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

from mnist_core.data import TRAIN_IMAGES
from mnist_core.model.names import current_preset
from mnist_core.settings import runs_dir
from mnist_core.storage import atomic, locks
from mnist_core.training import events as run_events

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED, INTERRUPTED = "queued", "running", "succeeded", "failed", "cancelled", "interrupted"
TERMINAL = (SUCCEEDED, FAILED, CANCELLED, INTERRUPTED)
RUN_ID_RE = re.compile(r"\d{8}-\d{6}-[0-9a-f]{4}")
CONFIG, STATUS, LOG, CANCEL, HEARTBEAT = "config.json", "status.json", "log.txt", "cancel", "heartbeat"
PROGRESS = run_events.PROGRESS
QUEUE_FILE, LOCK_FILE = "queue.json", ".lock"
EXIT_FAILED, EXIT_CANCELLED = 1, 3  # the child's exit codes


class RunError(Exception):
    """A run operation a person asked for cannot be done; the message says why."""


# ---------------------------------------------------------------- runs on disk


@dataclass
class Run:
    id: str
    path: Path
    status: dict
    config: dict

    @property
    def state(self) -> str:
        return self.status.get("state", INTERRUPTED)

    @property
    def name(self) -> str:
        return self.config.get("name") or ""

    @property
    def reason(self) -> str:
        return self.status.get("reason") or ""

    @property
    def test_accuracy(self) -> float | None:
        return self.status.get("test_accuracy")

    @property
    def duration(self) -> float | None:
        """Seconds from launch to end (or to now, while it runs)."""
        started = self.status.get("started")
        if not started:
            return None
        return (self.status.get("ended") or time.time()) - started

    def summary(self) -> str:
        """``conv1 · 3 epochs · batch 64 · lr 0.001 · 1,000 images``"""
        c = self.config
        images = f"{c.get('limit') or TRAIN_IMAGES:,} images" + (" + my samples" if c.get("include_samples") else "")
        start = f" · from {c['init_from']}" if c.get("init_from") else ""
        return f"{current_preset(c.get('preset', '?'))} · {c.get('epochs')} epochs · batch {c.get('batch_size')} · lr {c.get('lr', 0):g} · {images}{start}"

    @property
    def cancel_requested(self) -> bool:
        return (self.path / CANCEL).exists()

    def log_tail(self, lines: int = 12) -> str:
        """The last lines of the child's output: the traceback when it failed."""
        try:
            text = (self.path / LOG).read_bytes()[-20_000:].decode("utf-8", "replace")
        except OSError:
            return ""
        return "\n".join(text.rstrip().splitlines()[-lines:])


def read_json(path: Path, default):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return default


def runs_root(runs: Path | None) -> Path:
    return runs if runs is not None else runs_dir()


def get_run(run_id: str, runs: Path | None = None) -> Run:
    if not isinstance(run_id, str) or not RUN_ID_RE.fullmatch(run_id):
        raise RunError(f"{run_id!r} is not a run id.")
    folder = runs_root(runs) / run_id
    if not folder.is_dir():
        raise RunError(f"There is no run {run_id!r}.")
    status = read_json(folder / STATUS, {})
    if not isinstance(status, dict) or "state" not in status:
        status = {"state": INTERRUPTED, "reason": "Its status file is missing or unreadable."}
    return Run(run_id, folder, status, read_json(folder / CONFIG, {}))


def list_runs(runs: Path | None = None) -> list[Run]:
    """Every run, newest first."""
    root = runs_root(runs)
    if not root.is_dir():
        return []
    ids = sorted((p.name for p in root.iterdir() if RUN_ID_RE.fullmatch(p.name) and p.is_dir()), reverse=True)
    return [get_run(i, root) for i in ids]


def current(runs: Path | None = None) -> Run | None:
    """The run that is going, if any."""
    return next((r for r in list_runs(runs) if r.state == RUNNING), None)


def queue(runs: Path | None = None) -> list[Run]:
    """The queued runs, in the order they will start."""
    root = runs_root(runs)
    found = [get_run(i, root) for i in read_json(root / QUEUE_FILE, []) if RUN_ID_RE.fullmatch(i) and (root / i).is_dir()]
    return [r for r in found if r.state == QUEUED]


def locked(runs: Path):
    """Exclusive across threads, processes and replicas: held around every change of a run or the queue."""
    return locks.exclusive(runs, LOCK_FILE)


def update_status(folder: Path, **changes) -> dict:
    """Read-modify-write status.json; the caller holds the lock."""
    status = {**read_json(folder / STATUS, {}), **changes}
    atomic.write_json(folder / STATUS, status)
    return status
