"""Evaluation: metrics, error selection, gallery paging and model comparison.

The hand-worked case: seven test digits of classes 0-2 (the other seven classes never occur).

    i  true  softmax on 0,1,2   A says   conf   B says
    0   0    .9  .1  0           0        .9     0
    1   0    .6  .3  .1          0        .6     1   <- B introduces an error
    2   1    .7  .2  .1          0 wrong  .7     1   <- B fixes it
    3   1    .2  .8  0           1        .8     1
    4   1    .05 .05 .9          2 wrong  .9     0   <- both wrong, differently
    5   2    0   .6  .4          1 wrong  .6     2   <- B fixes it
    6   2    .1  .1  .8          2        .8     2

A's confusion (rows true, columns predicted): [[2,0,0],[1,1,1],[0,1,1]].
Precision = diagonal / column sum: 2/3, 1/2, 1/2. Recall = diagonal / row sum: 2/2, 1/3, 1/2.
F1 = 2PR/(P+R): 0.8, 0.4, 0.5. Support: 2, 3, 2.
Loss = mean(-ln p_true) = -(ln .9 + ln .6 + ln .2 + ln .8 + ln .05 + ln .4 + ln .8) / 7 = 6.58393 / 7 = 0.940562.
"""

from __future__ import annotations

import numpy as np
import pytest

from mnist_core import evaluation
from mnist_core.evaluation import Comparison, Evaluation

TRUE = np.array([0, 0, 1, 1, 1, 2, 2])
PROBS_A = [[0.9, 0.1, 0], [0.6, 0.3, 0.1], [0.7, 0.2, 0.1], [0.2, 0.8, 0], [0.05, 0.05, 0.9], [0, 0.6, 0.4], [0.1, 0.1, 0.8]]
PRED_B = [0, 1, 1, 1, 0, 2, 2]


def softmax_rows(rows: list[list[float]]) -> np.ndarray:
    probs = np.zeros((len(rows), 10), np.float32)
    probs[:, :3] = rows
    return probs


def one_hot(preds: list[int]) -> np.ndarray:
    probs = np.zeros((len(preds), 10), np.float32)
    probs[np.arange(len(preds)), preds] = 1.0
    return probs


@pytest.fixture
def ev_a() -> Evaluation:
    return Evaluation(softmax_rows(PROBS_A), TRUE)


@pytest.fixture
def comparison(ev_a) -> Comparison:
    return Comparison(ev_a, Evaluation(one_hot(PRED_B), TRUE))


# ---------------------------------------------------------------- metrics, worked by hand


def test_accuracy_and_loss(ev_a):
    assert ev_a.accuracy == pytest.approx(4 / 7)
    assert ev_a.loss == pytest.approx(0.940562, abs=1e-5)


def test_predictions_and_confidence(ev_a):
    assert ev_a.y_pred.tolist() == [0, 0, 0, 1, 2, 1, 2]
    assert ev_a.confidence == pytest.approx([0.9, 0.6, 0.7, 0.8, 0.9, 0.6, 0.8])


def test_confusion_rows_are_true_digits_columns_predictions(ev_a):
    assert ev_a.confusion.shape == (10, 10)
    assert ev_a.confusion[:3, :3].tolist() == [[2, 0, 0], [1, 1, 1], [0, 1, 1]]
    assert ev_a.confusion.sum() == 7
    assert ev_a.confusion[3:].sum() == 0 and ev_a.confusion[:, 3:].sum() == 0


def test_per_class_report(ev_a):
    report = ev_a.report()
    assert [r["digit"] for r in report] == list(range(10))
    expected = [(2 / 3, 1.0, 0.8, 2), (0.5, 1 / 3, 0.4, 3), (0.5, 0.5, 0.5, 2)]
    for row, (precision, recall, f1, support) in zip(report, expected, strict=False):
        assert (row["precision"], row["recall"], row["f1"]) == pytest.approx((precision, recall, f1))
        assert row["support"] == support
    # digits that never occur and are never predicted score 0, not NaN
    assert all(r["precision"] == r["recall"] == r["f1"] == 0 and r["support"] == 0 for r in report[3:])


def test_summary_matches_the_properties(ev_a):
    summary = ev_a.summary()
    assert summary["accuracy"] == ev_a.accuracy and summary["errors"] == 3 and summary["samples"] == 7
    assert summary["confusion"][1][:3] == [1, 1, 1]


# ---------------------------------------------------------------- errors and their selection


def test_errors_most_confidently_wrong_first(ev_a):
    assert ev_a.errors.tolist() == [4, 2, 5]


def test_errors_with_ties_keep_index_order():
    ev = Evaluation(one_hot([1, 1, 0, 1]), np.array([0, 0, 0, 0]))
    assert ev.errors.tolist() == [0, 1, 3]


@pytest.mark.parametrize(
    ("true", "pred", "order", "expected"),
    [
        (None, None, "confidence", [4, 2, 5]),
        (None, None, "index", [2, 4, 5]),
        (1, None, "confidence", [4, 2]),
        (1, None, "index", [2, 4]),
        (None, 0, "confidence", [2]),
        (1, 2, "confidence", [4]),
        (2, 1, "confidence", [5]),
        (0, None, "confidence", []),  # every 0 is right
        (1, 1, "confidence", []),  # a diagonal cell holds no errors
    ],
)
def test_select_errors(ev_a, true, pred, order, expected):
    assert ev_a.select_errors(true, pred, order).tolist() == expected


def test_a_perfect_model_has_no_errors():
    ev = Evaluation(one_hot([3, 1, 4]), np.array([3, 1, 4]))
    assert ev.accuracy == 1.0 and len(ev.errors) == 0 and ev.select_errors(3, 5).tolist() == []


# ---------------------------------------------------------------- confusion cell -> gallery filter


def test_an_error_cell_selects_exactly_its_errors(ev_a):
    assert evaluation.filter_for_cell((1, 2)) == (1, 2)
    assert ev_a.select_errors(*evaluation.filter_for_cell((1, 2))).tolist() == [4]


def test_a_diagonal_cell_selects_every_error_of_that_true_digit(ev_a):
    assert evaluation.filter_for_cell((1, 1)) == (1, None)
    assert ev_a.select_errors(*evaluation.filter_for_cell((1, 1))).tolist() == [4, 2]


def test_follow_click():
    # a new click replaces whatever filter was set by hand
    assert evaluation.follow_click((4, 9), None, (None, 3)) == (4, 9)
    assert evaluation.follow_click((4, 9), (7, 1), (7, 1)) == (4, 9)
    # the same click as last time keeps the filter (the user may have changed it since)
    assert evaluation.follow_click((4, 9), (4, 9), (2, None)) == (2, None)
    # clearing the click clears the filter; no click at all leaves it alone
    assert evaluation.follow_click(None, (4, 9), (4, 9)) == (None, None)
    assert evaluation.follow_click(None, None, (5, None)) == (5, None)


# ---------------------------------------------------------------- pagination


def test_paginate_pages_through_everything_once():
    indices = np.arange(100, 150)
    pages = [evaluation.paginate(indices, n, per_page=24) for n in (1, 2, 3)]
    assert [p.pages for p in pages] == [3, 3, 3]
    assert np.concatenate([p.indices for p in pages]).tolist() == indices.tolist()
    assert [p.describe() for p in pages] == ["1-24 of 50", "25-48 of 50", "49-50 of 50"]


def test_paginate_clamps_the_page_number():
    indices = np.arange(30)
    assert evaluation.paginate(indices, 99, per_page=24).number == 2
    assert evaluation.paginate(indices, 0, per_page=24).indices.tolist() == list(range(24))


def test_paginate_nothing():
    page = evaluation.paginate(np.array([], dtype=int), 3)
    assert (page.number, page.pages, page.total, len(page.indices)) == (1, 1, 0, 0)
    assert page.describe() == "none"


# ---------------------------------------------------------------- comparison, worked by hand


def test_comparison(comparison):
    assert comparison.b.accuracy == pytest.approx(5 / 7)
    assert comparison.accuracy_delta == pytest.approx(1 / 7)
    assert comparison.fixed.tolist() == [2, 5]
    assert comparison.introduced.tolist() == [1]
    assert comparison.disagreements.tolist() == [1, 2, 4, 5]


@pytest.mark.parametrize(("kind", "expected"), [("all", [1, 2, 4, 5]), ("fixed", [2, 5]), ("introduced", [1]), ("both wrong", [4])])
def test_comparison_select(comparison, kind, expected):
    assert comparison.select(kind).tolist() == expected


def test_comparison_kinds_partition_the_disagreements(comparison):
    parts = np.concatenate([comparison.select(k) for k in ("fixed", "introduced", "both wrong")])
    assert sorted(parts.tolist()) == comparison.disagreements.tolist()


def test_comparison_unknown_kind(comparison):
    with pytest.raises(ValueError, match="unknown kind"):
        comparison.select("better")


def test_comparison_per_class_recall_delta(comparison):
    delta = comparison.per_class_delta()
    assert [d["delta"] for d in delta[:3]] == pytest.approx([-0.5, 1 / 3, 0.5])
    assert delta[1]["recall_a"] == pytest.approx(1 / 3) and delta[1]["recall_b"] == pytest.approx(2 / 3)


def test_a_model_compared_with_itself_changes_nothing(ev_a):
    same = Comparison(ev_a, ev_a)
    assert same.accuracy_delta == 0 and len(same.fixed) == len(same.introduced) == len(same.disagreements) == 0


# ---------------------------------------------------------------- evaluate(): cached beside the model


def test_evaluate_computes_once_then_reads_the_cache(tiny_registry, mnist):
    from mnist_core import registry

    info = registry.get("tiny")
    cache = evaluation.cache_file(info.path, mnist.fingerprint)
    cache.unlink(missing_ok=True)
    seen = []
    first = evaluation.evaluate(info.path, mnist.x_test, mnist.y_test, mnist.fingerprint, on_progress=lambda d, t: seen.append((d, t)))
    assert cache.exists()
    assert seen[-1] == (10000, 10000) and len(seen) > 1  # the first visit can show progress
    assert first.probs.shape == (10000, 10) and 0.5 < first.accuracy < 1.0
    # the card written at training time agrees with the evaluation
    assert first.accuracy == pytest.approx(info.test_accuracy, abs=1e-4)

    seen.clear()
    second = evaluation.evaluate(info.path, mnist.x_test, mnist.y_test, mnist.fingerprint, on_progress=lambda d, t: seen.append(d))
    assert seen == []  # nothing recomputed
    np.testing.assert_array_equal(first.probs, second.probs)
    assert second.errors.tolist() == first.errors.tolist()


def test_a_damaged_cache_is_recomputed(tiny_registry, mnist):
    from mnist_core import registry

    info = registry.get("tiny")
    cache = evaluation.cache_file(info.path, mnist.fingerprint)
    cache.write_bytes(b"not an npz")
    ev = evaluation.evaluate(info.path, mnist.x_test, mnist.y_test, mnist.fingerprint)
    assert ev.accuracy == pytest.approx(info.test_accuracy, abs=1e-4)
    with np.load(cache) as npz:
        assert npz["probs"].shape == (10000, 10)


def test_evaluate_on_the_command_line_draws_its_errors_to_a_png(tiny_registry, mnist, tmp_path, capsys):
    from PIL import Image

    from mnist_core.__main__ import main

    out = tmp_path / "errors.png"
    assert main(["evaluate", "--model", "tiny", "--errors-png", str(out), "--errors-max", "16"]) == 0
    said = capsys.readouterr().out
    assert "16 of the" in said and str(out) in said
    picture = np.asarray(Image.open(out).convert("L"))
    assert picture.shape[1] >= 600 and picture.shape[0] >= 200  # 8 columns and 2 rows of titled digits
    assert (picture < 128).mean() > 0.05  # the digits are drawn, not a blank page
