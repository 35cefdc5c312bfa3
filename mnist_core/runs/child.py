"""The body of a training run's child process: ``python -m mnist_core train --run-dir RUN``.

It trains, writes the run's events and status, and registers the model; it stops when the app that
started it is gone (``PR_SET_PDEATHSIG``), on SIGTERM, or before saving when a cancel was asked for.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import traceback
from pathlib import Path

from mnist_core import registry
from mnist_core.runs import state as run_state
from mnist_core.runs import supervisor as run_supervisor
from mnist_core.training import events as run_events

NICENESS = 10  # the training child's CPU priority, below the app's


class _Stopped(BaseException):
    """Raised in the child by SIGTERM, or before saving when a cancel was asked for."""


def _die_with_parent() -> None:
    """SIGKILL this process when the thread that started it ends (Linux); exit if that already happened."""
    parent = os.environ.get(run_supervisor.PARENT_ENV)
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    if parent and os.getppid() != int(parent):
        print("The app that started this run is gone; stopping.", file=sys.stderr)
        sys.exit(run_state.EXIT_FAILED)


def _on_sigterm(signum, frame) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: let the clean-up run
    raise _Stopped()


def main(run_dir: Path, data_source: str | None = None, started: float | None = None) -> int:
    """The body of ``python -m mnist_core train --run-dir RUN``: train, report, register."""
    _die_with_parent()
    signal.signal(signal.SIGTERM, _on_sigterm)
    os.nice(NICENESS)  # the app's pages (a stroke on the Draw page) come first; the run takes what is left
    runs = run_dir.parent
    cancel_file = run_dir / run_state.CANCEL
    with run_state.locked(runs):  # waits until the supervisor has recorded the launch
        run_state.update_status(run_dir, child_pid=os.getpid())
    events = open(run_dir / run_state.PROGRESS, "a", buffering=1)  # noqa: SIM115 (open for the whole run)

    def on_event(event: run_events.Event) -> None:
        if isinstance(event, run_events.Saving):  # a short, atomic step: let it finish (SIGKILL still ends a hang)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        events.write(event.stamped().to_json() + "\n")
        if isinstance(event, run_events.Epoch):
            val = f", val_acc {event.val_accuracy:.4f}" if event.val_accuracy is not None else ""
            print(f"epoch {event.epoch}: loss {event.loss:.4f}, acc {event.accuracy:.4f}{val} ({event.seconds:.1f} s)")

    def before_save() -> None:
        if cancel_file.exists():
            raise _Stopped()

    def finish(**status) -> None:
        with run_state.locked(runs):
            run_state.update_status(run_dir, ended=time.time(), **status)

    on_event(run_events.Loading())
    try:
        from mnist_core import data, training

        config = training.TrainConfig.from_dict(json.loads((run_dir / run_state.CONFIG).read_text()))
        config.validate()
        dataset = data.load_dataset(data_source, report=lambda m: print(m, file=sys.stderr))
        before_save()  # a cancel while TensorFlow and MNIST were loading
        info = training.train_and_register(
            config, dataset, on_event, should_stop=cancel_file.exists, before_save=before_save, started=started
        )
        if info is None:
            raise _Stopped()
    except _Stopped:
        finish(state=run_state.CANCELLED, reason="Cancelled by request; nothing was registered.")
        print("Cancelled; nothing was registered.")
        return run_state.EXIT_CANCELLED
    except Exception as exc:
        traceback.print_exc()
        from mnist_core.data import DataError
        from mnist_core.training import ConfigError

        known = isinstance(exc, DataError | ConfigError | registry.RegistryError)
        reason = str(exc) if known else f"{type(exc).__name__}: {exc}"
        finish(state=run_state.FAILED, reason=reason + " Nothing was registered.")
        return run_state.EXIT_FAILED
    finally:
        events.close()
    finish(state=run_state.SUCCEEDED, test_accuracy=info.test_accuracy, reason="")
    print(f"Registered {info.name}: test accuracy {info.test_accuracy:.4%}")
    return 0
