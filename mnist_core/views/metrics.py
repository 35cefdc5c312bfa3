"""The Analysis page's rows of numbers, as keyword arguments for one ``st.metric`` each."""

from __future__ import annotations

from collections.abc import Mapping

from mnist_core import formatting
from mnist_core.training import cards


def headline_metrics(ev, card: Mapping) -> list[dict]:
    """Keyword arguments for one ``st.metric`` each: accuracy, loss, errors, parameters, training time."""
    params = card.get("parameters")
    return [
        {"label": "Test accuracy", "value": f"{ev.accuracy:.2%}"},
        {"label": "Loss", "value": f"{ev.loss:.4f}", "help": "Mean cross-entropy on the test set"},
        {"label": f"Errors (of {len(ev.y_true):,})", "value": f"{len(ev.errors):,}"},
        {"label": "Parameters", "value": "-" if params is None else f"{params:,}"},
        {"label": "Training time", "value": formatting.duration(cards.run_seconds(card)), "help": cards.WHOLE_RUN},
    ]


def comparison_metrics(comp, name_a: str, name_b: str) -> list[dict]:
    """Keyword arguments for ``st.metric``: B's accuracy with the delta, errors fixed and introduced, disagreements."""
    return [
        {"label": f"{name_b} accuracy", "value": f"{comp.b.accuracy:.2%}", "delta": f"{comp.accuracy_delta * 100:+.2f} points vs {name_a}"},
        {"label": "Errors fixed", "value": f"{len(comp.fixed):,}", "help": f"Wrong in {name_a}, right in {name_b}"},
        {"label": "Errors introduced", "value": f"{len(comp.introduced):,}", "help": f"Right in {name_a}, wrong in {name_b}"},
        {"label": "Disagreements", "value": f"{len(comp.disagreements):,}", "help": "Test digits the two models read differently"},
    ]
