"""Figures shared by the pages and the CLI: digit tiles and grids, heatmaps, curves. Interactive charts are Altair
specs (the pages hand them to ``st.altair_chart``); static pictures are numpy images or matplotlib figures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import altair as alt
import numpy as np
import pandas as pd
from PIL import Image, ImageDraw, ImageFont

from mnist_core import formatting

SPLITS = ["train", "validation"]
CELL_PARAM = "cell"  # the confusion matrix's click selection, as named in Streamlit's selection state
RIGHT, WRONG, DIAGONAL, EMPTY = "#16a34a", "#dc2626", "#dbe4f0", "#f8fafc"


# ---------------------------------------------------------------- digits


def upscale(image: np.ndarray, factor: int = 3) -> np.ndarray:
    """A digit enlarged with hard pixel edges (browsers blur small images when they scale them)."""
    return np.kron(np.asarray(image), np.ones((factor, factor), dtype=np.asarray(image).dtype))


def error_caption(true: int, pred: int, confidence: float) -> str:
    """``7 → 2 (98%)``: the caption of a misclassified digit."""
    return f"{int(true)} → {int(pred)} ({formatting.confidence(confidence)})"


def disagreement_caption(pred_a: int, pred_b: int, true: int) -> str:
    """``4 → 9, true 4``: what model A said, what model B said, and the truth."""
    return f"{int(pred_a)} → {int(pred_b)}, true {int(true)}"


def prediction_caption(true: int, pred: int) -> str:
    """``7 / 7``, or ``:red[7 / 2]`` (Streamlit markdown) when the prediction is wrong."""
    text = f"{int(true)} / {int(pred)}"
    return text if true == pred else f":red[{text}]"


def filter_label(true: int | None, pred: int | None) -> str:
    """``true 4 · predicted 9`` for a gallery filter ('' when it lets everything through)."""
    parts = [f"true {true}"] if true is not None else []
    return " · ".join([*parts, f"predicted {pred}"] if pred is not None else parts)


def saliency_overlay(image: np.ndarray, saliency: np.ndarray, factor: int = 8) -> np.ndarray:
    """The digit in dim grey with the saliency map (0..1) laid over it in fire colours, as uint8 RGB."""
    from matplotlib import colormaps

    image = np.asarray(image)
    grey = image.astype(np.float32) / (255.0 if image.dtype == np.uint8 else 1.0)
    strength = np.clip(saliency, 0, 1)
    heat = colormaps["inferno"](0.35 + 0.65 * strength)[..., :3]
    weight = np.sqrt(strength)[..., None] * 0.9  # faint evidence still shows
    rgb = (1 - weight) * (0.08 + 0.4 * grey[..., None]) + weight * heat
    return (np.clip(rgb, 0, 1) * 255).astype(np.uint8).repeat(factor, axis=0).repeat(factor, axis=1)


def digit_grid(images: np.ndarray, titles: Sequence[str], wrong: Sequence[bool] | None = None, cols: int = 8):
    """A static matplotlib grid of digits, each titled; wrong ones titled in red."""
    from matplotlib.figure import Figure

    n = len(images)
    rows = max(1, -(-n // cols))
    fig = Figure(figsize=(cols * 1.0, rows * 1.2), dpi=100, layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i < n:
            ax.imshow(images[i], cmap="gray_r", vmin=0, vmax=255, interpolation="nearest")
            ax.set_title(titles[i], fontsize=9, color=WRONG if wrong is not None and wrong[i] else "#111827")
    return fig


def prediction_grid(images: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray, indices: np.ndarray, cols: int = 8):
    """``digit_grid`` of the chosen test digits, titled ``true / predicted``, wrong ones in red."""
    titles = [f"{y_true[i]} / {y_pred[i]}" for i in indices]
    return digit_grid(images[indices], titles, np.asarray(y_pred)[indices] != np.asarray(y_true)[indices], cols)


# ---------------------------------------------------------------- confusion matrix


def confusion_frame(confusion: np.ndarray, normalise: bool = False) -> pd.DataFrame:
    """One row per cell: counts, the share of the true digit's images, the text and the colours.

    Correct answers (the diagonal) get a flat blue-grey and empty cells near-white, so that the
    errors, shaded by how many there are (square-root scale), stand out even for a model that is
    right 99 % of the time.
    """
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    confusion = np.asarray(confusion)
    n = len(confusion)
    true, pred = np.divmod(np.arange(n * n), n)
    count = confusion.ravel()
    rows = confusion.sum(axis=1)[true]
    share = np.divide(count, rows, out=np.zeros(len(count)), where=rows > 0)
    value = share * 100 if normalise else count.astype(float)
    error = true != pred
    shown = error & (count > 0)
    peak = value[shown].max() if shown.any() else 1.0
    level = np.sqrt(np.where(shown, value, 0) / peak)  # 0..1
    fill = np.where(error, np.where(shown, [to_hex(c) for c in colormaps["OrRd"](0.2 + 0.75 * level)], EMPTY), DIAGONAL)
    return pd.DataFrame(
        {
            "true": true,
            "predicted": pred,
            "count": count,
            "share": share,
            "text": [(f"{v:.1f}" if normalise else f"{int(v)}") if c else "" for v, c in zip(value, count, strict=True)],
            "fill": fill,
            "ink": np.where(shown & (level > 0.6), "white", "#111827"),
            "error": error,
        }
    )


def confusion_chart(confusion: np.ndarray, normalise: bool = False, height: int = 380) -> alt.LayerChart:
    """Interactive heatmap: rows the true digit, columns the prediction; click a cell to select it."""
    cell = alt.selection_point(name=CELL_PARAM, fields=["true", "predicted"], on="click", clear="dblclick")
    axis = {"labelAngle": 0, "labelFontSize": 12, "titleFontSize": 12, "tickSize": 0, "domain": False}
    base = alt.Chart(confusion_frame(confusion, normalise)).encode(
        x=alt.X("predicted:O", title="Predicted digit", axis=alt.Axis(orient="top", **axis)),
        y=alt.Y("true:O", title="True digit", axis=alt.Axis(**axis)),
        tooltip=[
            alt.Tooltip("true:O", title="True"),
            alt.Tooltip("predicted:O", title="Predicted"),
            alt.Tooltip("count:Q", title="Images"),
            alt.Tooltip("share:Q", title="Of the true digit", format=".2%"),
        ],
    )
    rects = base.mark_rect().encode(
        color=alt.Color("fill:N", scale=None),
        opacity=alt.when(cell).then(alt.value(1.0)).otherwise(alt.value(0.35)),
        strokeWidth=alt.when(cell, empty=False).then(alt.value(3)).otherwise(alt.value(1)),
        stroke=alt.when(cell, empty=False).then(alt.value("#111827")).otherwise(alt.value("white")),
    )
    text = base.mark_text(fontSize=11).encode(text="text:N", color=alt.Color("ink:N", scale=None))
    return alt.layer(rects.add_params(cell), text).properties(width="container", height=height)


def clicked_cell(event: Mapping | None) -> tuple[int, int] | None:
    """The (true, predicted) cell clicked in ``confusion_chart``, from the event ``st.altair_chart`` returns."""
    selection = (event or {}).get("selection") if isinstance(event, Mapping) else None
    points = (selection or {}).get(CELL_PARAM) if isinstance(selection, Mapping) else None
    if not points:
        return None
    try:
        return int(points[0]["true"]), int(points[0]["predicted"])
    except (KeyError, TypeError, ValueError, IndexError):
        return None


def report_frame(report: list[dict]) -> pd.DataFrame:
    """The per-class report as a table: precision, recall and F1 in %, support in images."""
    frame = pd.DataFrame(report).rename(columns={"digit": "Digit"}).set_index("Digit")
    frame[["precision", "recall", "f1"]] *= 100
    return frame.rename(columns={"precision": "Precision", "recall": "Recall", "f1": "F1", "support": "Support"})


# ---------------------------------------------------------------- curves and bars


def history_frame(history: Mapping[str, Sequence[float]]) -> pd.DataFrame:
    """Keras' history (``accuracy``, ``val_loss``, ...) as long rows: epoch, metric, split, value."""
    rows = []
    for key, values in (history or {}).items():
        split, metric = ("validation", key[4:]) if key.startswith("val_") else ("train", key)
        if metric in ("accuracy", "loss"):
            rows += [{"epoch": e + 1, "metric": metric, "split": split, "value": float(v)} for e, v in enumerate(values)]
    return pd.DataFrame(rows, columns=["epoch", "metric", "split", "value"])


def curve_charts(history: Mapping[str, Sequence[float]], height: int = 300) -> dict[str, alt.Chart]:
    """One chart per metric (accuracy, loss): train and validation per epoch. Empty without a history.

    Loss is on a log scale, so the late epochs, where a good model is made, are not a flat line.
    """
    frame = history_frame(history)
    charts = {}
    for metric, fmt, axis_fmt, scale in (
        ("accuracy", ".2%", ".1%", alt.Scale(zero=False)),
        ("loss", ".4f", ".3~g", alt.Scale(type="log")),
    ):
        part = frame[(frame["metric"] == metric) & (frame["value"] > 0)]
        if part.empty:
            continue
        charts[metric] = (
            alt.Chart(part)
            .mark_line(point=alt.OverlayMarkDef(size=20))
            .encode(
                x=alt.X("epoch:Q", title="Epoch", axis=alt.Axis(tickMinStep=1, format="d")),
                y=alt.Y(
                    "value:Q",
                    title=metric.capitalize() + (" (log scale)" if metric == "loss" else ""),
                    scale=scale,
                    axis=alt.Axis(format=axis_fmt),
                ),
                color=alt.Color("split:N", title=None, scale=alt.Scale(domain=SPLITS), legend=alt.Legend(orient="top")),  # never on a line
                tooltip=["epoch:Q", "split:N", alt.Tooltip("value:Q", title=metric, format=fmt)],
            )
            .properties(height=height)
        )
    return charts


def probabilities_chart(probs: np.ndarray, true: int, height: int = 200) -> alt.Chart:
    """The softmax as bars: the true digit green, the prediction red when it is wrong."""
    pred = int(np.argmax(probs))
    frame = pd.DataFrame({"digit": np.arange(10), "probability": np.asarray(probs, float)})
    frame["role"] = np.where(frame["digit"] == true, "true digit", np.where(frame["digit"] == pred, "prediction", "other"))
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("digit:O", title=None, axis=alt.Axis(labelAngle=0, labelFontSize=12)),
            y=alt.Y("probability:Q", title="Probability", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
            color=alt.Color(
                "role:N", title=None, scale=alt.Scale(domain=["true digit", "prediction", "other"], range=[RIGHT, WRONG, "#9ca3af"]),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=["digit:O", alt.Tooltip("probability:Q", format=".2%")],
        )
        .properties(height=height)
    )  # fmt: skip


def reliability_chart(curves: Mapping[str, Sequence[Mapping]], height: int = 320) -> alt.LayerChart:
    """Reliability diagram: per confidence bin, the accuracy against the mean confidence, one line per
    curve (``calibration.reliability`` rows); on the diagonal, confidence means what it says."""
    rows = [
        {"curve": name, "confidence": r["confidence"], "accuracy": r["accuracy"], "readings": r["count"]}
        for name, bins in curves.items()
        for r in bins
        if r["count"]
    ]
    frame = pd.DataFrame(rows)
    diagonal = alt.Chart(pd.DataFrame({"confidence": [0.0, 1.0], "accuracy": [0.0, 1.0]})).mark_line(strokeDash=[4, 4], color=MUTED)
    scale = alt.Scale(domain=[0, 1])
    lines = (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X("confidence:Q", title="Confidence shown", scale=scale, axis=alt.Axis(format="%")),
            y=alt.Y("accuracy:Q", title="Share read right", scale=scale, axis=alt.Axis(format="%")),
            color=alt.Color("curve:N", title=None, legend=alt.Legend(orient="bottom")),
            tooltip=["curve", alt.Tooltip("confidence:Q", format=".2%"), alt.Tooltip("accuracy:Q", format=".2%"), "readings"],
        )
    )
    return alt.layer(diagonal.encode(x="confidence:Q", y="accuracy:Q"), lines).properties(height=height)


def class_counts_chart(y_train: np.ndarray, y_test: np.ndarray, height: int = 240) -> alt.Chart:
    """Each digit's share of the train and test splits (their sizes differ), counts in the tooltip."""
    rows = []
    for split, y in (("train", y_train), ("test", y_test)):
        counts = np.bincount(np.asarray(y, int), minlength=10)
        rows += [{"digit": d, "split": split, "images": int(c), "share": c / max(1, counts.sum())} for d, c in enumerate(counts)]
    return (
        alt.Chart(pd.DataFrame(rows))
        .mark_bar()
        .encode(
            x=alt.X("digit:O", title="Digit", axis=alt.Axis(labelAngle=0)),
            xOffset="split:N",
            y=alt.Y("share:Q", title="Share of the split", axis=alt.Axis(format="%")),
            color=alt.Color("split:N", title=None, legend=alt.Legend(orient="top")),
            tooltip=["digit:O", "split:N", "images:Q", alt.Tooltip("share:Q", format=".2%")],
        )
        .properties(height=height)
    )


def true_vs_predicted_chart(y_true: np.ndarray, y_pred: np.ndarray, indices: np.ndarray, seed: int = 0, height: int = 320) -> alt.Chart:
    """A jittered scatter of true against predicted digit: the diagonal is right, the rest wrong."""
    rng = np.random.default_rng(seed)
    t, p = np.asarray(y_true)[indices], np.asarray(y_pred)[indices]
    frame = pd.DataFrame(
        {
            "image": indices,
            "true": t,
            "predicted": p,
            "x": t + rng.uniform(-0.3, 0.3, len(t)),
            "y": p + rng.uniform(-0.3, 0.3, len(t)),
            "answer": np.where(t == p, "right", "wrong"),
        }
    )
    ticks = alt.Axis(values=list(range(10)), grid=False)
    return (
        alt.Chart(frame)
        .mark_circle(size=18)
        .encode(
            x=alt.X("x:Q", title="True digit", scale=alt.Scale(domain=[-0.5, 9.5], nice=False), axis=ticks),
            y=alt.Y("y:Q", title="Predicted digit", scale=alt.Scale(domain=[-0.5, 9.5], nice=False), axis=ticks),
            color=alt.Color("answer:N", title=None, scale=alt.Scale(domain=["right", "wrong"], range=[RIGHT, WRONG]), legend=alt.Legend(orient="top")),
            opacity=alt.when(alt.datum.answer == "wrong").then(alt.value(0.95)).otherwise(alt.value(0.35)),
            tooltip=["image:Q", "true:O", "predicted:O"],
        )
        .properties(height=height)
    )  # fmt: skip


# ---------------------------------------------------------------- dataset overview


def one_of_each(y: np.ndarray) -> np.ndarray:
    """The index of the first image of each digit 0-9 (digits that never occur are left out)."""
    y = np.asarray(y)
    return np.array([np.flatnonzero(y == d)[0] for d in range(10) if (y == d).any()], dtype=int)


def random_indices(n: int, k: int, seed: int = 0) -> np.ndarray:
    """``k`` distinct indices out of ``n``, the same ones for the same seed, in ascending order."""
    return np.sort(np.random.default_rng(seed).choice(n, size=min(k, n), replace=False))


# ---------------------------------------------------------------- reading pages (Draw, Upload)

REFUSED, PAGE = "#d97706", "#059669"  # amber: a mark that is not a digit; green: the paper found in a photo
HIGHLIGHT, MUTED = "#4f46e5", "#cbd5e1"  # the app's primary colour; the other classes
MIN_SIDE = 240  # px: a smaller image is shown enlarged, or an 8x8 scan is a dot on the page


def boxed_image(
    image: Image.Image,
    boxes: Sequence[tuple[int, int, int, int]],
    labels: Sequence[str],
    max_side: int = 1200,
    refused: Sequence[bool] | None = None,
    page: np.ndarray | None = None,
) -> Image.Image:
    """The image in RGB, at most ``max_side`` px wide or tall (a tiny scan enlarged to about ``MIN_SIDE``), a labelled box
    on each mark, those ``refused`` (not digits) in another colour, and the outline of the ``page`` found (4 corners)."""
    out = _displayable(image)
    longest = max(out.size)
    scale = max_side / longest if longest > max_side else max(1, MIN_SIDE // longest)
    if scale != 1:
        resample = Image.Resampling.LANCZOS if scale < 1 else Image.Resampling.NEAREST
        out = out.resize((max(1, round(out.width * scale)), max(1, round(out.height * scale))), resample)
    draw = ImageDraw.Draw(out)
    side = max(out.size)
    line = max(2, round(side / 250))
    font = ImageFont.load_default(size=max(12, round(side / 24)))
    if page is not None:
        draw.polygon([(float(x) * scale, float(y) * scale) for x, y in page], outline=PAGE, width=line)
    for box, label, no in zip(boxes, labels, refused or [False] * len(boxes), strict=True):
        colour = REFUSED if no else HIGHLIGHT
        x0, y0, x1, y1 = (round(v * scale) for v in box)
        draw.rectangle((x0 - line, y0 - line, x1 + line - 1, y1 + line - 1), outline=colour, width=line)
        left, top, right, bottom = draw.textbbox((0, 0), label, font=font)
        w, h = right - left + 2 * line + 4, bottom - top + 2 * line + 4
        ty = y0 - line - h if y0 - line - h >= 0 else min(y1 + line, out.height - h)
        tx = min(max(0, x0 - line), max(0, out.width - w))
        draw.rectangle((tx, ty, tx + w, ty + h), fill=colour)
        draw.text((tx + line + 2 - left, ty + line + 2 - top), label, fill="white", font=font)
    return out


def _displayable(image: Image.Image) -> Image.Image:
    """Any PIL mode as 8-bit RGB: 16-bit and float stretched to full range, transparency on white."""
    if image.mode in ("I", "F") or image.mode.startswith("I;"):
        a = np.asarray(image, dtype=np.float64)
        lo, hi = float(a.min()), float(a.max())
        a = (a - lo) / (hi - lo) * 255 if hi > lo else np.zeros_like(a)
        return Image.fromarray(a.astype(np.uint8)).convert("RGB")
    if "A" in image.getbands() or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, "white")
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")
