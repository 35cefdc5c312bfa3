"""A training run's progress events: one dataclass per kind, one JSON line each in ``RUN/progress.jsonl``.

The training callback writes them (``training.train`` hands each to its ``on_event``); the run's
child process stamps and appends them; the Train page (``progress``), the CLI and the benchmarks
read them back with ``Event.from_json``. Field names live here only.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from mnist_core import formatting

PROGRESS = "progress.jsonl"
# fields named differently in runs written earlier: the images a run trains on, and how fast
RENAMED = {"train_samples": "train_images", "val_samples": "val_images", "samples_per_sec": "images_per_sec"}


@dataclass(kw_only=True)
class Event:
    KIND: ClassVar[str] = ""
    time: float | None = None  # when the child wrote it (time.time())

    def to_json(self) -> str:
        values = {k: v for k, v in dataclasses.asdict(self).items() if v is not None}
        return json.dumps({"type": self.KIND, **values})

    @staticmethod
    def from_json(line: str | bytes) -> Event:
        data = json.loads(line)
        cls = KINDS.get(data.pop("type", None), Event)
        known = {f.name for f in dataclasses.fields(cls)}
        data = {RENAMED.get(k, k): v for k, v in data.items()}  # a run written before the fields were renamed
        return cls(**{k: v for k, v in data.items() if k in known})

    def stamped(self) -> Event:
        return dataclasses.replace(self, time=time.time())


@dataclass(kw_only=True)
class Loading(Event):
    KIND: ClassVar[str] = "loading"


@dataclass(kw_only=True)
class Start(Event):
    KIND: ClassVar[str] = "start"
    total_steps: int
    steps_per_epoch: int
    epochs: int
    train_images: int
    val_images: int = 0
    user_samples: int = 0
    non_digits: int = 0
    sample_repeats: int = 0


@dataclass(kw_only=True)
class Batch(Event):
    KIND: ClassVar[str] = "batch"
    epoch: int
    step: int
    global_step: int
    loss: float
    accuracy: float
    images_per_sec: float


@dataclass(kw_only=True)
class Epoch(Event):
    KIND: ClassVar[str] = "epoch"
    epoch: int
    seconds: float
    loss: float | None = None
    accuracy: float | None = None
    val_loss: float | None = None
    val_accuracy: float | None = None


@dataclass(kw_only=True)
class End(Event):
    KIND: ClassVar[str] = "end"
    stopped: bool
    seconds: float


@dataclass(kw_only=True)
class Evaluating(Event):
    KIND: ClassVar[str] = "evaluating"


@dataclass(kw_only=True)
class Calibrating(Event):
    KIND: ClassVar[str] = "calibrating"


@dataclass(kw_only=True)
class Saving(Event):
    KIND: ClassVar[str] = "saving"
    name: str


@dataclass(kw_only=True)
class Registered(Event):
    KIND: ClassVar[str] = "registered"
    name: str
    test_accuracy: float


KINDS: dict[str, type[Event]] = {c.KIND: c for c in (Loading, Start, Batch, Epoch, End, Evaluating, Calibrating, Saving, Registered)}


# ---------------------------------------------------------------- the Train page's view of a run

PHASE_TEXT = {
    "starting": "Starting the training process ...",
    "loading": "Loading TensorFlow and MNIST ...",
    "evaluating": "Evaluating on the 10,000 test digits ...",
    "calibrating": "Calibrating its confidence on the held-out images ...",
    "saving": "Saving the model ...",
    "done": "Registered.",
}


@dataclass
class Progress:
    phase: str = "starting"  # starting, loading, training, evaluating, calibrating, saving, done
    total_steps: int = 0
    step: int = 0
    epoch: int = 0
    epochs: int = 0
    train_images: int = 0
    images_per_sec: float | None = None
    batch_loss: float | None = None
    batch_accuracy: float | None = None
    eta_seconds: float | None = None
    epoch_rows: list[dict] = field(default_factory=list)  # epoch, loss, accuracy, val_loss, val_accuracy, seconds
    batch_losses: list[dict] = field(default_factory=list)  # step, loss (thinned to a few hundred points)

    @property
    def fraction(self) -> float:
        return min(self.step / self.total_steps, 1.0) if self.total_steps else 0.0

    @property
    def history(self) -> dict[str, list[float]]:
        """The per-epoch metrics so far, shaped like Keras' ``History.history``."""
        keys = [k for k in ("loss", "accuracy", "val_loss", "val_accuracy") if any(r.get(k) is not None for r in self.epoch_rows)]
        return {k: [r.get(k) for r in self.epoch_rows] for k in keys}

    def metrics(self) -> list[tuple[str, str, list[float] | None]]:
        """(label, value, sparkline) for the live run's figures; "-" until the first batch. The batch loss has its curve."""
        values = [
            f"{self.epoch} / {self.epochs}", f"{self.images_per_sec or 0:,.0f}", f"{self.batch_loss or 0:.4f}", f"{self.batch_accuracy or 0:.2%}",
        ]  # fmt: skip
        labels = ["Epoch", "Samples / s", "Running batch loss", "Batch accuracy"]
        losses = [b["loss"] for b in self.batch_losses]
        curves = [None, None, losses if len(losses) >= 2 else None, None]  # one point has no extent to draw
        return [(label, value if self.step else "-", curve) for label, value, curve in zip(labels, values, curves, strict=True)]

    def describe(self) -> str:
        """The progress bar's text."""
        if self.phase in PHASE_TEXT:
            return PHASE_TEXT[self.phase]
        eta = f" · about {formatting.clock(self.eta_seconds)} left" if self.eta_seconds is not None else ""
        return f"Epoch {max(self.epoch, 1)} of {self.epochs} · step {self.step:,} of {self.total_steps:,}{eta}"


_cache: dict[Path, tuple[int, list[Event]]] = {}
_lock = threading.Lock()


def read(folder: Path) -> list[Event]:
    """A run folder's events, read incrementally (only complete lines) and cached per process."""
    path = Path(folder) / PROGRESS
    with _lock:
        offset, events = _cache.get(path, (0, []))
        try:
            with open(path, "rb") as f:
                if os.fstat(f.fileno()).st_size < offset:
                    offset, events = 0, []
                f.seek(offset)
                chunk = f.read()
        except OSError:
            return []
        complete = chunk[: chunk.rfind(b"\n") + 1]
        events = events + [Event.from_json(line) for line in complete.splitlines() if line.strip()]
        if path not in _cache and len(_cache) >= 8:  # only the live run is read often
            _cache.clear()
        _cache[path] = (offset + len(complete), events)
        return events


def progress(folder: Path, max_points: int = 300) -> Progress:
    """What the Train page shows of a run, from its events."""
    p = Progress()
    started_at, first = None, None
    for event in read(folder):
        match event:
            case Start():
                p.phase, started_at = "training", event.time
                p.total_steps, p.epochs, p.train_images = event.total_steps, event.epochs, event.train_images
            case Batch():
                p.step, p.epoch = event.global_step, event.epoch
                p.images_per_sec, p.batch_loss, p.batch_accuracy = event.images_per_sec, event.loss, event.accuracy
                p.batch_losses.append({"step": event.global_step, "loss": event.loss})
                # the rate since the first batch, not since Start: the first batch waits for the graph to be
                # built (seconds), and counting that made the early estimates far too long
                first = first or (event.global_step, event.time or 0)
                if started_at and (event.time or 0) > first[1] and p.step > first[0]:
                    rate = (p.step - first[0]) / (event.time - first[1])
                    p.eta_seconds = max((p.total_steps - p.step) / rate - (time.time() - event.time), 0.0)
            case Epoch():
                p.epoch_rows.append({k: getattr(event, k) for k in ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds")})
            case Loading():
                p.phase = event.KIND
            case Evaluating() | Calibrating() | Saving():
                p.phase, p.eta_seconds, p.step = event.KIND, None, p.total_steps
            case Registered():
                p.phase = "done"
    stride = math.ceil(len(p.batch_losses) / max_points) if p.batch_losses else 1
    p.batch_losses = p.batch_losses[::-1][::stride][::-1]  # thinned, always ending with the latest
    return p
