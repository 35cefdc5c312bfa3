"""Kill points for the fault tests: a process kills itself with SIGKILL at a chosen moment.

- ``kill_at_batch(n)``: at the end of the n-th training batch (counted over all epochs).
- ``kill_in_save(k)``: at the k-th line that ``registry.save`` executes, counting its own lines
  and those of Keras' saving code it calls (writing model.keras), so a kill can land anywhere:
  before, inside or after the archive is written, around the card and the final rename.
``count_save_lines`` runs a save under the same counter, so a test can draw k from the real range.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

WATCHED = (str(Path("mnist_core") / "registry.py"), str(Path("keras") / "src" / "saving"))


def _watched(filename: str) -> bool:
    return any(part in filename for part in WATCHED)


def _line_counter(on_line):
    def local(frame, event, arg):
        if event == "line":
            on_line()
        return local

    return lambda frame, event, arg: local if _watched(frame.f_code.co_filename) else None


def _kill_self() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def count_save_lines(save, *args, **kwargs) -> int:
    """Run ``save(*args, **kwargs)`` and return how many watched lines it executed."""
    count = 0

    def on_line():
        nonlocal count
        count += 1

    sys.settrace(_line_counter(on_line))
    try:
        save(*args, **kwargs)
    finally:
        sys.settrace(None)
    return count


def kill_in_save(k: int) -> None:
    from mnist_core import registry

    save = registry.save

    def killing_save(*args, **kwargs):
        seen = 0

        def on_line():
            nonlocal seen
            seen += 1
            if seen == k:
                _kill_self()

        sys.settrace(_line_counter(on_line))
        try:
            return save(*args, **kwargs)
        finally:
            sys.settrace(None)

    registry.save = killing_save


def kill_at_batch(n: int) -> None:
    from mnist_core.training import callbacks as fit_callbacks

    on_batch = fit_callbacks.ProgressCallback.on_train_batch_end

    def killing_batch(self, batch, logs=None):
        on_batch(self, batch, logs)
        if self.epoch * self.steps_per_epoch + batch + 1 == n:
            _kill_self()

    fit_callbacks.ProgressCallback.on_train_batch_end = killing_batch
