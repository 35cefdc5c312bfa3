"""Training runs, as the Train page and the CLI use them: check a form, queue, cancel, reorder, wait.

One run at a time: ``start`` queues the run and ``run_supervisor`` (a thread per app process) launches
it when no other run is going, in a child process (``run_child``). The page only reads the run's
folder (``run_state``), so a run survives reloads, other tabs and a restart of the app; every change
happens under the runs folder's lock, so two tabs, two app processes or two replicas never start two runs.
"""

from __future__ import annotations

import secrets
import time
from datetime import datetime
from pathlib import Path

from mnist_core import registry
from mnist_core.runs import supervisor as run_supervisor
from mnist_core.runs.state import (
    CANCEL,
    CANCELLED,
    CONFIG,
    FAILED,
    HEARTBEAT,
    INTERRUPTED,
    LOG,
    PROGRESS,
    QUEUE_FILE,
    QUEUED,
    RUNNING,
    STATUS,
    SUCCEEDED,
    TERMINAL,
    TRAIN_IMAGES,
    Run,
    RunError,
    current,
    get_run,
    list_runs,
    locked,
    queue,
    read_json,
    runs_root,
    update_status,
)  # fmt: skip
from mnist_core.runs.supervisor import tick
from mnist_core.storage import atomic
from mnist_core.training import events as run_events

__all__ = [  # the names the pages and the CLI use, in one place
    "CANCEL",
    "CANCELLED",
    "CONFIG",
    "FAILED",
    "HEARTBEAT",
    "INTERRUPTED",
    "LOG",
    "PROGRESS",
    "QUEUED",
    "QUEUE_FILE",
    "RUNNING",
    "STATUS",
    "SUCCEEDED",
    "TERMINAL",
    "TRAIN_IMAGES",
    "Run",
    "RunError",
    "cancel",
    "config_errors",
    "current",
    "get_run",
    "list_runs",
    "move",
    "progress",
    "queue",
    "refresh",
    "start",
    "tick",
    "wait",
]

# ---------------------------------------------------------------- the form's checks


def config_errors(config, runs: Path | None = None) -> dict[str, str]:
    """Every bad setting as {field: one sentence}: the TrainConfig's own checks, plus the name (free in the registry
    and among the queued and running runs)."""
    errors = config.errors()
    name = (config.name or "").strip()
    if not name:
        errors["name"] = "Give the new model a name."
    else:
        try:
            registry.check_name(name)
        except registry.RegistryError:
            errors["name"] = "Use 1-64 lower-case letters, digits, '-' or '_', starting with a letter or digit."
        else:
            if (registry.models_dir() / name).exists():
                errors["name"] = f"A model named {name!r} already exists; choose another name."
            elif any(r.name == name for r in list_runs(runs) if r.state in (QUEUED, RUNNING)):
                errors["name"] = f"A queued or running run will already register {name!r}; choose another name."
    return errors


# ---------------------------------------------------------------- start, cancel, queue


def start(config, runs: Path | None = None) -> Run:
    """Queue a run; it starts at once when no other run is going. Raises ConfigError for a bad setting."""
    from mnist_core.training import ConfigError

    root = runs_root(runs)
    with locked(root):  # checked under the lock: two tabs cannot queue the same name
        for field_name, message in config_errors(config, root).items():
            raise ConfigError(field_name, message)
        run_id = f"{datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"
        folder = root / run_id
        folder.mkdir()
        atomic.write_json(folder / CONFIG, config.to_dict())
        atomic.write_json(folder / STATUS, {"state": QUEUED, "created": time.time()})
        atomic.write_json(root / QUEUE_FILE, [*read_json(root / QUEUE_FILE, []), run_id])
    tick(root)
    return get_run(run_id, root)


def cancel(run_id: str, runs: Path | None = None) -> Run:
    """Stop a running run (within a batch; forced after a few seconds) or take a queued one off the queue."""
    root = runs_root(runs)
    with locked(root):
        run = get_run(run_id, root)
        if run.state == QUEUED:
            update_status(run.path, state=CANCELLED, ended=time.time(), reason="Removed from the queue before it started.")
            atomic.write_json(root / QUEUE_FILE, [i for i in read_json(root / QUEUE_FILE, []) if i != run_id])
        elif run.state == RUNNING and not run.cancel_requested:
            atomic.write_text(run.path / CANCEL, f"{time.time()}\n")
    run_supervisor.wake()
    return get_run(run_id, root)


def move(run_id: str, offset: int, runs: Path | None = None) -> None:
    """Move a queued run earlier (offset < 0) or later in the queue."""
    root = runs_root(runs)
    with locked(root):
        order = list(read_json(root / QUEUE_FILE, []))
        if run_id not in order:
            raise RunError("That run is no longer queued.")
        i = order.index(run_id)
        j = max(0, min(len(order) - 1, i + offset))
        order.insert(j, order.pop(i))
        atomic.write_json(root / QUEUE_FILE, order)


def wait(run_id: str, timeout: float, runs: Path | None = None) -> Run:
    """Block until the run has ended (or the timeout passes); returns its last state."""
    deadline = time.monotonic() + timeout
    while True:
        run = get_run(run_id, runs)
        if run.state in TERMINAL or time.monotonic() > deadline:
            return run
        time.sleep(0.2)


def refresh(runs: Path | None = None) -> list[Run]:
    """What the page calls on every poll: bring states up to date, then every run, newest first."""
    tick(runs)
    return list_runs(runs)


def progress(run: Run, max_points: int = 300) -> run_events.Progress:
    """What the Train page shows of a run (``run_events.progress`` of its folder)."""
    return run_events.progress(run.path, max_points)
