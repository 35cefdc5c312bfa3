"""The Draw page's ten probabilities as plain HTML bars: the browser paints them at once (no chart library)."""

from __future__ import annotations

import numpy as np

from mnist_core import formatting
from mnist_core.figures import HIGHLIGHT, MUTED

SOFTMAX_CSS = f"""<style>
.softmax {{display: grid; grid-template-columns: 1.4rem 1fr 3.6rem; gap: 0.35rem 0.6rem; align-items: center}}
.softmax-digit {{font-size: 1.05rem; text-align: right; font-variant-numeric: tabular-nums}}
.softmax-track {{height: 1.15rem; border-radius: 4px; background: rgba(148, 163, 184, 0.18); overflow: hidden}}
.softmax-bar {{display: block; height: 100%; border-radius: 4px; background: {MUTED}; min-width: 2px}}
.softmax-value {{font-size: 0.85rem; text-align: right; font-variant-numeric: tabular-nums; opacity: 0.8}}
.softmax-top .softmax-bar {{background: {HIGHLIGHT}}}
.softmax-top .softmax-digit, .softmax-top .softmax-value {{font-weight: 700; opacity: 1}}
.softmax-dimmed {{opacity: 0.45}}
.softmax-dimmed .softmax-bar {{background: {MUTED}}}
</style>"""


def softmax_bars(probs: np.ndarray, dimmed: bool = False) -> str:
    """HTML: one horizontal bar per digit 0-9 with its probability, the most likely one highlighted
    (``dimmed``: all greyed, for a mark that is not a digit).

    Plain HTML and CSS rather than a chart library: the Draw page redraws it at every stroke, and
    the browser paints it without compiling a chart spec.
    """
    p = np.asarray(probs, dtype=float).reshape(10)
    top = int(np.argmax(p))
    rows = []
    for d, v in enumerate(p):
        cls = "softmax-digit-row softmax-top" if d == top else "softmax-digit-row"
        rows.append(
            f'<div class="{cls}" data-digit="{d}" data-probability="{v:.6f}" style="display: contents">'
            f'<span class="softmax-digit">{d}</span>'
            f'<span class="softmax-track"><span class="softmax-bar" style="width: {100 * v:.2f}%"></span></span>'
            f'<span class="softmax-value">{formatting.confidence(v)}</span></div>'
        )
    label = f"Probability of each digit; the most likely is {top} at {formatting.confidence(p[top])}"
    if dimmed:
        label += ", but the drawing does not look like a digit"
    cls = "softmax softmax-dimmed" if dimmed else "softmax"
    return f'{SOFTMAX_CSS}<div class="{cls}" role="img" aria-label="{label}">{"".join(rows)}</div>'
