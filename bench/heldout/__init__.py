"""Held-out non-digit drawings, as data. Each set is a JSON file of pen strokes per kind (``{kind: [[[x, y], ...], ...]}``
in a unit box, y down), and ``manifest.json`` says what each set is, when it was written and what it may inform. No
training generator draws these kinds: score a model on them, do not tune to them."""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST: list[dict] = json.loads((HERE / "manifest.json").read_text())

Strokes = list[list[tuple[float, float]]]


def strokes(title: str) -> dict[str, Strokes]:
    """{kind: its strokes} of the set titled ``title`` in the manifest."""
    entry = next((e for e in MANIFEST if e["title"] == title), None)
    if entry is None:
        raise KeyError(f"No held-out set {title!r}; the manifest has {', '.join(e['title'] for e in MANIFEST)}.")
    data = json.loads((HERE / entry["file"]).read_text())
    return {kind: [[(float(x), float(y)) for x, y in stroke] for stroke in kind_strokes] for kind, kind_strokes in data.items()}


def sets(*titles: str) -> dict[str, dict[str, Strokes]]:
    return {title: strokes(title) for title in titles}
