"""The run supervisor: one thread per app process that launches the first queued run when none is
going, escalates a cancel (SIGTERM, then SIGKILL), and marks a run whose process is gone.

No orphans: the child asks the kernel (Linux ``PR_SET_PDEATHSIG``) for SIGKILL when the thread that
started it dies. That thread is the supervisor, which lives as long as the app process; a child
started from a Streamlit script thread would die at the end of the rerun.

App replicas on other hosts sharing ``models/`` see a run's host in its status; the replica that
started it beats its ``heartbeat`` file, and the others mark it interrupted only once that goes stale.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

from mnist_core import registry
from mnist_core.runs.state import (
    CANCEL,
    CANCELLED,
    CONFIG,
    FAILED,
    HEARTBEAT,
    INTERRUPTED,
    LOG,
    QUEUE_FILE,
    QUEUED,
    RUNNING,
    SUCCEEDED,
    Run,
    get_run,
    list_runs,
    locked,
    read_json,
    runs_root,
    update_status,
)  # fmt: skip
from mnist_core.settings import PROJECT_ROOT
from mnist_core.storage import atomic

POLL_SECONDS = 0.5  # the supervisor's beat
TERM_AFTER, KILL_AFTER = 5.0, 15.0  # seconds after a cancel request: SIGTERM, then SIGKILL
PARENT_ENV = "MNIST_STUDIO_JOB_PARENT"
HOST_ENV = "MNIST_STUDIO_HOST"  # this replica's host name (default: the machine's); tests set it to play two hosts
HEARTBEAT_STALE = 30.0  # seconds: a run whose replica on another host has not touched its heartbeat since is gone


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
    root = runs_root(runs).resolve()
    with _lock:
        _roots.add(root)
        if _supervisor is None or not _supervisor.is_alive():
            _supervisor = threading.Thread(target=_supervise, name="mnist-runs-supervisor", daemon=True)
            _supervisor.start()
    _tick(root, spawn=threading.current_thread() is _supervisor)
    _wake.set()


def wake() -> None:
    """Beat now rather than at the next poll (a cancel was asked for)."""
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
    with locked(root):
        running = None
        for run in list_runs(root):
            if run.state == RUNNING and _reconcile(run):
                running = run
        order = [i for i in read_json(root / QUEUE_FILE, []) if (root / i).is_dir() and get_run(i, root).state == QUEUED]
        order += [r.id for r in reversed(list_runs(root)) if r.state == QUEUED and r.id not in order]  # lost from the file
        launch = order.pop(0) if spawn and running is None and order else None
        if order != read_json(root / QUEUE_FILE, None):
            atomic.write_json(root / QUEUE_FILE, order)
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
        update_status(run.path, state=INTERRUPTED, ended=time.time(), reason=f"Its replica on {owner} stopped answering.")
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
                update_status(run.path, term_sent=True)
        return True
    code = _reap(pid) if pid else None
    tail = run.log_tail(3)
    models_root = run.path.parent.parent
    saved = bool(run.name) and any(m.name == run.name and not m.broken for m in registry.list_models(models_root))
    if saved:  # it died after the rename that registers the model, before it could say so
        model = registry.get(run.name, models_root)
        update_status(run.path, state=SUCCEEDED, ended=time.time(), test_accuracy=model.test_accuracy, reason="")
        return False
    if run.cancel_requested:
        state, reason = CANCELLED, "Cancelled (its process had to be stopped); nothing was registered."
    elif code is not None and code < 0:
        state, reason = INTERRUPTED, f"The training process was killed (signal {-code}, {signal.Signals(-code).name})."
    elif code is not None:
        state, reason = FAILED, f"The training process exited with code {code} before it finished." + (f" {tail}" if tail else "")
    else:
        state, reason = INTERRUPTED, "Its process is gone: the app was restarted or the process was killed."
    update_status(run.path, state=state, ended=time.time(), reason=reason)
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
            update_status(run.path, state=FAILED, ended=time.time(), reason=f"The training process could not start: {exc}.")
            return
    _children[proc.pid] = proc
    update_status(run.path, state=RUNNING, started=time.time(), pid=proc.pid, pid_start=_proc_start_time(proc.pid), host=host())
