"""Fault injection for the training child, loaded only when a test puts this folder on PYTHONPATH.

- ``MNIST_FAULT_BATCH_SLEEP=S``: sleep S seconds after every training batch (a slow, killable fit).
- ``MNIST_FAULT_PAUSE_SAVE=FILE``: during ``registry.save``, after model.keras and card.json are
  written into the hidden temp folder and before the rename that registers them, create FILE
  and sleep (the worst moment to be killed).
- ``MNIST_FAULT_KILL_AT_BATCH=N`` / ``MNIST_FAULT_KILL_IN_SAVE=K``: SIGKILL itself at the end of
  training batch N, or at the K-th line of ``registry.save`` (see kill_points.py).
"""

import os
import time
from pathlib import Path

if os.environ.get("MNIST_FAULT_BATCH_SLEEP"):
    from mnist_core.training import callbacks as fit_callbacks

    _pause = float(os.environ["MNIST_FAULT_BATCH_SLEEP"])
    _on_batch = fit_callbacks.ProgressCallback.on_train_batch_end

    def _slow_batch(self, batch, logs=None):
        time.sleep(_pause)
        _on_batch(self, batch, logs)

    fit_callbacks.ProgressCallback.on_train_batch_end = _slow_batch

if os.environ.get("MNIST_FAULT_PAUSE_SAVE"):
    from mnist_core import registry
    from mnist_core.storage import atomic

    _marker = Path(os.environ["MNIST_FAULT_PAUSE_SAVE"])
    _write_json = atomic.write_json

    def _pausing_write(path, data):
        _write_json(path, data)
        if Path(path).name == registry.CARD_FILE and Path(path).parent.name.startswith(".saving-"):
            _marker.write_text(str(os.getpid()))
            time.sleep(600)

    atomic.write_json = _pausing_write

if os.environ.get("MNIST_FAULT_KILL_AT_BATCH"):
    from kill_points import kill_at_batch

    kill_at_batch(int(os.environ["MNIST_FAULT_KILL_AT_BATCH"]))

if os.environ.get("MNIST_FAULT_KILL_IN_SAVE"):
    from kill_points import kill_in_save

    kill_in_save(int(os.environ["MNIST_FAULT_KILL_IN_SAVE"]))
