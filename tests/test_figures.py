"""Figures: what the charts encode and what the pictures show (no streamlit involved)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from mnist_core import figures, formatting
from mnist_core.views import metrics, softmax_html

CONFUSION = np.diag([50, 60, 40, 0, 0, 0, 0, 0, 0, 0])
CONFUSION[1, 7] = 9  # the worst error: 1 read as 7
CONFUSION[2, 0] = 1


def cell(frame, true: int, pred: int):
    return frame[(frame["true"] == true) & (frame["predicted"] == pred)].iloc[0]


# ---------------------------------------------------------------- confusion matrix


def test_confusion_frame_counts_and_row_shares():
    frame = figures.confusion_frame(CONFUSION)
    assert len(frame) == 100
    assert cell(frame, 1, 7)["count"] == 9 and cell(frame, 1, 7)["share"] == pytest.approx(9 / 69)
    assert cell(frame, 1, 7)["text"] == "9"
    assert cell(frame, 3, 3)["share"] == 0  # a digit that never occurs: no division by zero
    normalised = figures.confusion_frame(CONFUSION, normalise=True)
    assert cell(normalised, 1, 7)["text"] == f"{900 / 69:.1f}"
    assert cell(normalised, 0, 0)["text"] == "100.0"


def test_only_errors_are_coloured_and_the_worst_is_darkest():
    frame = figures.confusion_frame(CONFUSION)
    assert cell(frame, 0, 0)["fill"] == figures.DIAGONAL  # right answers: flat, however many
    assert cell(frame, 0, 1)["fill"] == figures.EMPTY  # no errors: blank, and no number printed
    assert cell(frame, 0, 1)["text"] == ""
    worst, small = cell(frame, 1, 7)["fill"], cell(frame, 2, 0)["fill"]
    assert worst not in (figures.DIAGONAL, figures.EMPTY) and small not in (figures.DIAGONAL, figures.EMPTY)

    def luminance(hex_colour: str) -> float:
        r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    assert luminance(worst) < luminance(small)
    assert cell(frame, 1, 7)["ink"] == "white"  # readable on the dark cell


def test_confusion_chart_is_clickable_by_cell():
    spec = figures.confusion_chart(CONFUSION).to_dict()
    params = spec.get("params", []) + [p for layer in spec["layer"] for p in layer.get("params", [])]
    assert [p["name"] for p in params] == [figures.CELL_PARAM]
    assert params[0]["select"]["type"] == "point"
    assert params[0]["select"]["fields"] == ["true", "predicted"]
    rects = spec["layer"][0]["encoding"]
    assert rects["y"]["field"] == "true" and rects["x"]["field"] == "predicted"
    json.dumps(spec)  # serialisable, as Streamlit needs


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"selection": {"cell": [{"true": 4, "predicted": 9}]}}, (4, 9)),
        ({"selection": {"cell": [{"true": "4", "predicted": "9"}]}}, (4, 9)),
        ({"selection": {"cell": []}}, None),
        ({"selection": {}}, None),
        ({}, None),
        (None, None),
        ({"selection": {"cell": [{"true": 4}]}}, None),
        ({"selection": {"other": [{"true": 4, "predicted": 9}]}}, None),
    ],
)
def test_clicked_cell(event, expected):
    assert figures.clicked_cell(event) == expected


def test_report_frame_in_percent():
    report = [{"digit": d, "precision": 0.5, "recall": 1.0, "f1": 2 / 3, "support": 10 + d} for d in range(10)]
    frame = figures.report_frame(report)
    assert list(frame.columns) == ["Precision", "Recall", "F1", "Support"]
    assert frame.loc[3].tolist() == pytest.approx([50.0, 100.0, 200 / 3, 13])


# ---------------------------------------------------------------- captions and numbers


def test_captions():
    assert figures.error_caption(7, 2, 0.984) == "7 → 2 (98.4%)"
    assert figures.disagreement_caption(4, 9, 4) == "4 → 9, true 4"
    assert figures.prediction_caption(7, 7) == "7 / 7"
    assert figures.prediction_caption(7, 2) == ":red[7 / 2]"
    assert figures.filter_label(None, None) == ""
    assert figures.filter_label(4, None) == "true 4"
    assert figures.filter_label(None, 0) == "predicted 0"
    assert figures.filter_label(4, 9) == "true 4 · predicted 9"


@pytest.mark.parametrize(("seconds", "text"), [(None, "-"), (3.2, "3 s"), (90, "1.5 min"), (5400, "1.5 h")])
def test_duration(seconds, text):
    assert formatting.duration(seconds) == text


def test_headline_metrics():
    from mnist_core.evaluation import Evaluation

    probs = np.eye(10, dtype=np.float32)[[1, 2, 3, 3]]
    ev = Evaluation(probs, np.array([1, 2, 3, 4]))
    values = {m["label"]: m["value"] for m in metrics.headline_metrics(ev, {"parameters": 1234567, "training_seconds": 125})}
    assert values == {
        "Test accuracy": "75.00%",
        "Loss": f"{ev.loss:.4f}",
        "Errors (of 4)": "1",
        "Parameters": "1,234,567",
        "Training time": "2.1 min",
    }
    assert metrics.headline_metrics(ev, {})[3]["value"] == "-"  # an old card without the number


# ---------------------------------------------------------------- curves and other charts


def test_history_frame_splits_train_and_validation():
    history = {"accuracy": [0.9, 0.95], "val_accuracy": [0.92, 0.96], "loss": [0.3, 0.2], "val_loss": [0.25, 0.15], "lr": [1e-3, 1e-4]}
    frame = figures.history_frame(history)
    assert len(frame) == 8  # the learning rate is not a curve here
    row = frame[(frame["metric"] == "loss") & (frame["split"] == "validation") & (frame["epoch"] == 2)]
    assert row["value"].tolist() == [0.15]
    charts = figures.curve_charts(history)
    assert list(charts) == ["accuracy", "loss"]


def test_no_history_no_curves():
    assert figures.curve_charts({}) == {}
    assert figures.history_frame({}).empty


def test_probabilities_chart_marks_truth_and_prediction():
    probs = np.full(10, 0.01)
    probs[3], probs[8] = 0.2, 0.71
    data = figures.probabilities_chart(probs, true=3).data
    assert data.loc[3, "role"] == "true digit" and data.loc[8, "role"] == "prediction" and data.loc[0, "role"] == "other"


def test_class_counts_chart_shares_per_split():
    y_train, y_test = np.array([0, 0, 0, 1]), np.array([1, 1])
    data = figures.class_counts_chart(y_train, y_test).data
    assert data[(data["split"] == "train") & (data["digit"] == 0)]["share"].item() == pytest.approx(0.75)
    assert data[(data["split"] == "test") & (data["digit"] == 1)]["images"].item() == 2
    assert data.groupby("split")["share"].sum().tolist() == pytest.approx([1.0, 1.0])


def test_true_vs_predicted_stays_within_half_a_digit():
    y_true, y_pred = np.arange(100) % 10, (np.arange(100) + 1) % 10
    data = figures.true_vs_predicted_chart(y_true, y_pred, np.arange(0, 100, 2)).data
    assert len(data) == 50
    assert ((data["x"] - data["true"]).abs() < 0.5).all() and ((data["y"] - data["predicted"]).abs() < 0.5).all()
    assert (data["answer"] == "wrong").all()


# ---------------------------------------------------------------- pictures


def test_upscale_keeps_hard_edges():
    img = np.array([[0, 255], [128, 0]], np.uint8)
    big = figures.upscale(img, 3)
    assert big.shape == (6, 6) and big.dtype == np.uint8
    assert big[:3, 3:].min() == 255 and big[3:, :3].max() == 128 and set(np.unique(big)) == {0, 128, 255}


def test_saliency_overlay_lights_up_where_the_evidence_is():
    image = np.zeros((28, 28), np.uint8)
    saliency = np.zeros((28, 28), np.float32)
    saliency[10, 10] = 1.0
    rgb = figures.saliency_overlay(image, saliency, factor=4)
    assert rgb.shape == (112, 112, 3) and rgb.dtype == np.uint8
    assert rgb[40:44, 40:44].mean() > 4 * rgb[0:4, 0:4].mean()


def test_digit_grid_titles_wrong_ones_in_red():
    images = np.zeros((3, 28, 28), np.uint8)
    fig = figures.prediction_grid(images, np.array([1, 2, 3]), np.array([1, 5, 3]), np.array([0, 1, 2]), cols=2)
    titled = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in titled] == ["1 / 1", "2 / 5", "3 / 3"]
    assert titled[1].title.get_color() == figures.WRONG and titled[0].title.get_color() != figures.WRONG
    assert len(fig.axes) == 4  # 2 x 2, the last one blank


def test_one_of_each_and_random_indices():
    y = np.array([3, 1, 3, 0, 1, 2])
    assert figures.one_of_each(y).tolist() == [3, 1, 5, 0]  # first 0, 1, 2, 3; 4-9 never occur
    a, b = figures.random_indices(1000, 32, seed=5), figures.random_indices(1000, 32, seed=5)
    assert a.tolist() == b.tolist() and len(set(a.tolist())) == 32 and a.tolist() == sorted(a.tolist())
    assert figures.random_indices(1000, 32, seed=6).tolist() != a.tolist()
    assert len(figures.random_indices(5, 32)) == 5


def test_softmax_bars_draw_every_digit_to_scale_and_highlight_only_the_top_one():
    probs = np.array([0.01, 0.02, 0.9, 0.0004, 0.03, 0.01, 0.01, 0.01, 0.0096, 0.0])
    html = softmax_html.softmax_bars(probs)
    widths = [float(w) for w in re.findall(r'class="softmax-bar" style="width: ([0-9.]+)%"', html)]
    assert widths == pytest.approx(100 * probs, abs=0.01)
    assert re.findall(r'softmax-top" data-digit="(\d)"', html) == ["2"]
    assert 'aria-label="Probability of each digit; the most likely is 2 at 90.0%"' in html
    assert "<0.1%" in html  # never a rounded 0.0 % for a digit the model did consider


@pytest.mark.parametrize(("p", "decimals", "text"), [(0.97, 0, "97%"), (0.004, 0, "<1%"), (0.9996, 1, ">99.9%"), (0.5, 1, "50.0%")])
def test_percent_for_people(p, decimals, text):
    assert formatting.percent(p, decimals) == text


def test_one_confidence_format_on_every_page():
    assert [formatting.confidence(p) for p in (0.97312, 0.99996, 1.0, 0.00004)] == ["97.3%", ">99.9%", ">99.9%", "<0.1%"]
    assert figures.error_caption(3, 5, 0.99996) == "3 → 5 (>99.9%)"  # the error galleries
    assert ">99.9%" in softmax_html.softmax_bars(np.eye(10)[4])  # the Draw page's bars


def test_a_tiny_scan_is_shown_enlarged_pixel_by_pixel_with_its_box_and_a_big_photo_shrunk():
    from PIL import Image

    tiny = Image.fromarray(np.tile(np.array([[0, 255], [255, 0]], np.uint8), (4, 4)))  # 8x8 checkerboard
    shown = figures.boxed_image(tiny, [(0, 0, 8, 8)], ["4"])
    assert shown.size == (240, 240)
    pixels = np.asarray(shown.convert("L"))
    assert pixels[100, 100] in (0, 255) and pixels[100, 100] == pixels[119, 119]  # a 30x30 block, not a blur
    big = figures.boxed_image(Image.new("L", (4000, 3000), 255), [(100, 100, 400, 500)], ["7"])
    assert big.size == (1200, 900)
