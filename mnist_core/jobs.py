"""Training runs in a child process; their state on disk.

A run is a folder ``models/.runs/RUN_ID/`` holding ``config.json`` (the TrainConfig),
``status.json`` (state, pid, times, model name, reason), ``progress.jsonl`` (the training
events, one JSON object a line), ``log.txt`` (the child's stdout and stderr) and, when a
person asked to stop it, ``cancel``. The page only reads these files, so a run survives
reloads, other tabs and a restart of the app.

One run at a time: ``start`` queues the run; a supervisor thread (one per process, started
on first use) launches the first queued run when none is running, escalates a cancel to
SIGTERM then SIGKILL when the child does not stop by itself, and marks a run whose process
is gone as interrupted. Every change of state happens under an exclusive ``flock`` on
``models/.runs/.lock``, so two tabs, or two app processes, never start two runs. App replicas on
other hosts sharing ``models/`` see a run's host in its status; the replica that started it beats
its ``heartbeat`` file, and the others mark it interrupted only once that goes stale.

No orphans: the child asks the kernel (Linux ``PR_SET_PDEATHSIG``) for SIGKILL when the
thread that started it dies. That thread is the supervisor, which lives as long as the app
process; a child started from a Streamlit script thread would die at the end of the rerun.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from mnist_core import locks, registry, run_events
from mnist_core.settings import PROJECT_ROOT, runs_dir

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED, INTERRUPTED = "queued", "running", "succeeded", "failed", "cancelled", "interrupted"
TERMINAL = (SUCCEEDED, FAILED, CANCELLED, INTERRUPTED)
RUN_ID_RE = re.compile(r"\d{8}-\d{6}-[0-9a-f]{4}")
CONFIG, STATUS, LOG, CANCEL, HEARTBEAT = "config.json", "status.json", "log.txt", "cancel", "heartbeat"
PROGRESS = run_events.PROGRESS
QUEUE_FILE, LOCK_FILE = "queue.json", ".lock"
POLL_SECONDS = 0.5  # the supervisor's beat
TERM_AFTER, KILL_AFTER = 5.0, 15.0  # seconds after a cancel request: SIGTERM, then SIGKILL
PARENT_ENV = "MNIST_STUDIO_JOB_PARENT"
HOST_ENV = "MNIST_STUDIO_HOST"  # this replica's host name (default: the machine's); tests set it to play two hosts
HEARTBEAT_STALE = 30.0  # seconds: a run whose replica on another host has not touched its heartbeat since is gone
TRAIN_IMAGES = 60_000
EXIT_FAILED, EXIT_CANCELLED = 1, 3


class JobError(Exception):
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
        """``seed004 · 3 epochs · batch 64 · lr 0.001 · 1,000 images``"""
        c = self.config
        images = f"{c.get('limit') or TRAIN_IMAGES:,} images" + (" + my samples" if c.get("include_samples") else "")
        start = f" · from {c['init_from']}" if c.get("init_from") else ""
        return f"{c.get('preset')} · {c.get('epochs')} epochs · batch {c.get('batch_size')} · lr {c.get('lr', 0):g} · {images}{start}"

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


def _read_json(path: Path, default):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return default


def _runs(runs: Path | None) -> Path:
    return runs if runs is not None else runs_dir()


def get_run(run_id: str, runs: Path | None = None) -> Run:
    if not isinstance(run_id, str) or not RUN_ID_RE.fullmatch(run_id):
        raise JobError(f"{run_id!r} is not a run id.")
    folder = _runs(runs) / run_id
    if not folder.is_dir():
        raise JobError(f"There is no run {run_id!r}.")
    status = _read_json(folder / STATUS, {})
    if not isinstance(status, dict) or "state" not in status:
        status = {"state": INTERRUPTED, "reason": "Its status file is missing or unreadable."}
    return Run(run_id, folder, status, _read_json(folder / CONFIG, {}))


def list_runs(runs: Path | None = None) -> list[Run]:
    """Every run, newest first."""
    root = _runs(runs)
    if not root.is_dir():
        return []
    ids = sorted((p.name for p in root.iterdir() if RUN_ID_RE.fullmatch(p.name) and p.is_dir()), reverse=True)
    return [get_run(i, root) for i in ids]


def current(runs: Path | None = None) -> Run | None:
    """The run that is going, if any."""
    return next((r for r in list_runs(runs) if r.state == RUNNING), None)


def queue(runs: Path | None = None) -> list[Run]:
    """The queued runs, in the order they will start."""
    root = _runs(runs)
    found = [get_run(i, root) for i in _read_json(root / QUEUE_FILE, []) if RUN_ID_RE.fullmatch(i) and (root / i).is_dir()]
    return [r for r in found if r.state == QUEUED]


def _locked(runs: Path):
    return locks.exclusive(runs, LOCK_FILE)


def _update_status(folder: Path, **changes) -> dict:
    """Read-modify-write status.json; the caller holds the lock."""
    status = {**_read_json(folder / STATUS, {}), **changes}
    registry.write_json_atomic(folder / STATUS, status)
    return status


# ---------------------------------------------------------------- the form's checks


def config_errors(config, runs: Path | None = None) -> dict[str, str]:
    """Every bad setting as {field: one sentence}: the TrainConfig's own checks, plus the name."""
    errors = config.errors()
    if config.limit is not None and isinstance(config.limit, int) and config.limit > TRAIN_IMAGES:
        errors["limit"] = f"The training set has {TRAIN_IMAGES:,} images; choose at most that many (or all of them)."
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

    root = _runs(runs)
    with _locked(root):  # checked under the lock: two tabs cannot queue the same name
        for field_name, message in config_errors(config, root).items():
            raise ConfigError(field_name, message)
        run_id = f"{datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"
        folder = root / run_id
        folder.mkdir()
        registry.write_json_atomic(folder / CONFIG, config.to_dict())
        registry.write_json_atomic(folder / STATUS, {"state": QUEUED, "created": time.time()})
        registry.write_json_atomic(root / QUEUE_FILE, [*_read_json(root / QUEUE_FILE, []), run_id])
    tick(root)
    return get_run(run_id, root)


def cancel(run_id: str, runs: Path | None = None) -> Run:
    """Stop a running run (within a batch; forced after a few seconds) or take a queued one off the queue."""
    root = _runs(runs)
    with _locked(root):
        run = get_run(run_id, root)
        if run.state == QUEUED:
            _update_status(run.path, state=CANCELLED, ended=time.time(), reason="Removed from the queue before it started.")
            registry.write_json_atomic(root / QUEUE_FILE, [i for i in _read_json(root / QUEUE_FILE, []) if i != run_id])
        elif run.state == RUNNING and not run.cancel_requested:
            registry.write_text_atomic(run.path / CANCEL, f"{time.time()}\n")
    _wake.set()
    return get_run(run_id, root)


def move(run_id: str, offset: int, runs: Path | None = None) -> None:
    """Move a queued run earlier (offset < 0) or later in the queue."""
    root = _runs(runs)
    with _locked(root):
        order = list(_read_json(root / QUEUE_FILE, []))
        if run_id not in order:
            raise JobError("That run is no longer queued.")
        i = order.index(run_id)
        j = max(0, min(len(order) - 1, i + offset))
        order.insert(j, order.pop(i))
        registry.write_json_atomic(root / QUEUE_FILE, order)


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


# ---------------------------------------------------------------- processes


def _proc_start_time(pid: int) -> int | None:
    """The kernel's start time of ``pid`` (clock ticks since boot), or None if it is gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    rest = stat[stat.rfind(")") + 2 :].split()
    return None if rest[0] in ("Z", "X") else int(rest[19])


def _alive(pid: int | None, started: int | None) -> bool:
    """True when ``pid`` still is the process we started (a reused pid has another start time)."""
    if not pid:
        return False
    if Path("/proc/self/stat").exists():
        return started is not None and _proc_start_time(pid) == started
    try:  # no /proc: the best we can do
        os.kill(pid, 0)
    except OSError:
        return False
    return True


_lock = threading.Lock()
_wake = threading.Event()
_roots: set[Path] = set()
_children: dict[int, subprocess.Popen] = {}
_exit_codes: dict[int, int] = {}
_supervisor: threading.Thread | None = None


def tick(runs: Path | None = None) -> None:
    """Make sure this process supervises ``runs``, and bring its states up to date now."""
    global _supervisor
    root = _runs(runs).resolve()
    with _lock:
        _roots.add(root)
        if _supervisor is None or not _supervisor.is_alive():
            _supervisor = threading.Thread(target=_supervise, name="mnist-jobs-supervisor", daemon=True)
            _supervisor.start()
    _tick(root, spawn=threading.current_thread() is _supervisor)
    _wake.set()


def _reap(pid: int) -> int | None:
    """The exit code of a child this process started and that has ended (None if unknown or still running)."""
    proc = _children.get(pid)
    if proc is not None and proc.poll() is not None:
        _exit_codes[pid] = proc.returncode
        _children.pop(pid, None)
    return _exit_codes.get(pid)


def _supervise() -> None:
    """The supervisor thread: it must never end, or the kernel kills the children it started."""
    while True:
        _wake.wait(POLL_SECONDS)
        _wake.clear()
        for pid in list(_children):
            _reap(pid)
        for root in list(_roots):
            try:
                _tick(root, spawn=True)
            except Exception:  # a bad run folder must not stop the supervision; the next beat retries
                traceback.print_exc()


def _tick(root: Path, spawn: bool) -> None:
    if not root.is_dir():
        return
    with _locked(root):
        running = None
        for run in list_runs(root):
            if run.state == RUNNING and _reconcile(run):
                running = run
        order = [i for i in _read_json(root / QUEUE_FILE, []) if (root / i).is_dir() and get_run(i, root).state == QUEUED]
        order += [r.id for r in reversed(list_runs(root)) if r.state == QUEUED and r.id not in order]  # lost from the file
        launch = order.pop(0) if spawn and running is None and order else None
        if order != _read_json(root / QUEUE_FILE, None):
            registry.write_json_atomic(root / QUEUE_FILE, order)
        if launch:
            _launch(get_run(launch, root))


def host() -> str:
    return os.environ.get(HOST_ENV) or socket.gethostname()


def _elsewhere_alive(run: Run) -> bool:
    """A run started by a replica on another host: alive while that replica beats its heartbeat."""
    try:
        return time.time() - (run.path / HEARTBEAT).stat().st_mtime < HEARTBEAT_STALE
    except OSError:
        return time.time() - float(run.status.get("started") or 0) < HEARTBEAT_STALE


def _reconcile(run: Run) -> bool:
    """For a run marked running: escalate a cancel, or mark it ended if its process is gone. True if it still runs.

    A run another host started is only watched: its own replica signals and reaps it; here it is
    marked ended when that replica's heartbeat goes stale."""
    owner = run.status.get("host")
    if owner and owner != host():
        if _elsewhere_alive(run):
            return True
        _update_status(run.path, state=INTERRUPTED, ended=time.time(), reason=f"Its replica on {owner} stopped answering.")
        return False
    pid, started = run.status.get("pid"), run.status.get("pid_start")
    # A child of ours is alive until waitpid says otherwise: a killed multi-threaded process shows
    # as a zombie in /proc a moment before it can be reaped (and its exit code read).
    ours_running = pid in _children and _reap(pid) is None
    if ours_running or _alive(pid, started):
        (run.path / HEARTBEAT).touch()
        if run.cancel_requested:
            waited = time.time() - (run.path / CANCEL).stat().st_mtime
            if waited > KILL_AFTER:
                _signal(pid, signal.SIGKILL)
            elif waited > TERM_AFTER and not run.status.get("term_sent"):
                _signal(pid, signal.SIGTERM)
                _update_status(run.path, term_sent=True)
        return True
    code = _reap(pid) if pid else None
    tail = run.log_tail(3)
    models_root = run.path.parent.parent
    saved = bool(run.name) and any(m.name == run.name and not m.broken for m in registry.list_models(models_root))
    if saved:  # it died after the rename that registers the model, before it could say so
        model = registry.get(run.name, models_root)
        _update_status(run.path, state=SUCCEEDED, ended=time.time(), test_accuracy=model.test_accuracy, reason="")
        return False
    if run.cancel_requested:
        state, reason = CANCELLED, "Cancelled (its process had to be stopped); nothing was registered."
    elif code is not None and code < 0:
        state, reason = INTERRUPTED, f"The training process was killed (signal {-code}, {signal.Signals(-code).name})."
    elif code is not None:
        state, reason = FAILED, f"The training process exited with code {code} before it finished." + (f" {tail}" if tail else "")
    else:
        state, reason = INTERRUPTED, "Its process is gone: the app was restarted or the process was killed."
    _update_status(run.path, state=state, ended=time.time(), reason=reason)
    if run.name:  # a save that was killed leaves a hidden temp folder (never listed); remove it
        registry.clean_stale_temp(models_root)
    return False


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(OSError):
        os.kill(pid, sig)


def _launch(run: Run) -> None:
    """Start the child for ``run`` (the caller holds the lock and is the supervisor thread)."""
    env = {
        **os.environ,
        "MNIST_STUDIO_MODELS": str(run.path.parent.parent),
        PARENT_ENV: str(os.getpid()),
        "PYTHONUNBUFFERED": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
    cmd = [sys.executable, "-m", "mnist_core", "train", "--config", str(run.path / CONFIG), "--run-dir", str(run.path)]
    with open(run.path / LOG, "ab") as log:
        try:
            proc = subprocess.Popen(
                cmd, cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
            )
        except OSError as exc:
            _update_status(run.path, state=FAILED, ended=time.time(), reason=f"The training process could not start: {exc}.")
            return
    _children[proc.pid] = proc
    _update_status(run.path, state=RUNNING, started=time.time(), pid=proc.pid, pid_start=_proc_start_time(proc.pid), host=host())


def progress(run: Run, max_points: int = 300) -> run_events.Progress:
    """What the Train page shows of a run (``run_events.progress`` of its folder)."""
    return run_events.progress(run.path, max_points)
