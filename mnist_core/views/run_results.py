"""What the Train page shows of finished runs: the model a run registered, how it compares with the
active model, and the history table's rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import altair as alt
import pandas as pd

from mnist_core import formatting, registry, runs
from mnist_core.model.names import current_preset
from mnist_core.training import events as run_events


@dataclass
class ComparisonSummary:
    active_name: str
    accuracy_active: float
    accuracy_new: float
    per_class: list[dict]  # digit, recall_active, recall_new, delta

    @property
    def accuracy_delta(self) -> float:
        return self.accuracy_new - self.accuracy_active

    def table(self) -> list[dict]:
        """Per digit: recall of the active and the new model, and the change in points."""
        return [
            {"digit": r["digit"], "recall, active": f"{r['recall_active']:.2%}", "recall, new": f"{r['recall_new']:.2%}",
             "change (points)": f"{r['delta'] * 100:+.2f}"}
            for r in self.per_class
        ]  # fmt: skip


def registered_model(name: str) -> registry.ModelInfo | None:
    """The model a run registered, with ``active`` true when it is the model in use; None if it is gone."""
    try:
        model = registry.get(name)
        model.active = not model.broken and registry.active()[0].name == name
    except registry.RegistryError:
        return None
    return model


def compare_with_active(name: str) -> ComparisonSummary | None:
    """The new model against the active one, from their cards (test accuracy, per-class recall)."""
    try:
        new = registry.get(name)
        active, _ = registry.active()
    except registry.RegistryError:
        return None
    if active.name == new.name or new.test_accuracy is None or active.test_accuracy is None:
        return None
    per_new = (new.card.get("test") or {}).get("per_class") or []
    per_active = (active.card.get("test") or {}).get("per_class") or []
    rows = [
        {"digit": a["digit"], "recall_active": a["recall"], "recall_new": b["recall"], "delta": b["recall"] - a["recall"]}
        for a, b in zip(per_active, per_new, strict=False)
    ]
    return ComparisonSummary(active.name, active.test_accuracy, new.test_accuracy, rows)


def _when(timestamp: float | None) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M") if timestamp else ""


HISTORY_COLUMNS = ["started", "status", "model", "test accuracy", "recipe", "images", "duration", "reason"]


def _recipe(c: dict) -> str:
    """The settings in one short line: ``studio · 35 ep · batch 128 · lr 0.003 · aug · val 5%``."""
    parts = [current_preset(c.get("preset", "?")), f"{c.get('epochs')} ep", f"batch {c.get('batch_size')}", f"lr {c.get('lr', 0):g}"]
    parts += ["aug"] if c.get("augment") else []
    parts += [f"val {c.get('val_split'):.0%}"] if c.get("val_split") else []
    return " · ".join(str(p) for p in parts)


def history_rows(all_runs: list[runs.Run]) -> list[dict]:
    """One row per run for the history table, ready to show."""
    rows = []
    for r in all_runs:
        c = r.config
        values = [
            _when(r.status.get("started") or r.status.get("created")), r.state, r.name,
            f"{r.test_accuracy:.2%}" if r.test_accuracy is not None else "", _recipe(c),
            f"{c.get('limit') or runs.TRAIN_IMAGES:,}", formatting.clock(r.duration), r.reason,
        ]  # fmt: skip
        rows.append(dict(zip(HISTORY_COLUMNS, values, strict=True)))
    return rows


def learning_curves(all_runs: list[runs.Run]) -> pd.DataFrame:
    """Per epoch of each run: minutes since its Start and its validation accuracy (training accuracy for a run with
    nothing held out), so that runs with other batch sizes or epochs are compared by what they learnt per minute."""
    rows = []
    for r in all_runs:
        started = r.status.get("started")
        for e in run_events.read(r.path) if started else []:
            if not isinstance(e, run_events.Epoch) or not e.time:
                continue
            held_out = e.val_accuracy is not None
            accuracy = e.val_accuracy if held_out else e.accuracy
            if accuracy is not None:
                rows.append({"run": r.name, "minutes": (e.time - started) / 60, "epoch": e.epoch,
                             "accuracy": accuracy, "on": "validation" if held_out else "training"})  # fmt: skip
    return pd.DataFrame(rows, columns=["run", "minutes", "epoch", "accuracy", "on"])


def learning_curves_chart(frame: pd.DataFrame, height: int = 300) -> alt.Chart:
    return (
        alt.Chart(frame)
        .mark_line(point=alt.OverlayMarkDef(size=30))
        .encode(
            x=alt.X("minutes:Q", title="Minutes since Start", axis=alt.Axis(format=".1f")),
            y=alt.Y("accuracy:Q", title="Validation accuracy", scale=alt.Scale(zero=False), axis=alt.Axis(format=".1%")),
            color=alt.Color("run:N", title=None, legend=alt.Legend(orient="bottom", columns=2, labelLimit=260)),
            tooltip=["run:N", "epoch:Q", alt.Tooltip("minutes:Q", format=".1f"), alt.Tooltip("accuracy:Q", format=".2%"), "on:N"],
        )
        .properties(height=height)
    )
