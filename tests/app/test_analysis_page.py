"""The Analysis page under Streamlit's AppTest, against the tiny registry.

The gallery is checked against ``evaluation.evaluate`` run independently on the same model.
A click on the confusion matrix is simulated by giving the chart the selection state the
browser would send; tests/e2e/test_analysis_e2e.py clicks a real cell in Chromium.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from mnist_core import evaluation, figures
from tests.app.apptest import open_app_page, run

PER_PAGE = evaluation.PER_PAGE


def open_page(**state) -> AppTest:
    return open_app_page("app_pages/analysis.py", timeout=180, **state)


def gallery(at: AppTest) -> list[tuple[int, str]]:
    """(test image index, caption) of every digit in the error gallery, in order."""
    return [(int(b.key.removeprefix("open-")), b.label) for b in at.button if (b.key or "").startswith("open-")]


def expected(ev: evaluation.Evaluation, indices) -> list[tuple[int, str]]:
    return [(int(i), figures.error_caption(ev.y_true[i], ev.y_pred[i], ev.confidence[i])) for i in indices]


def metric(at: AppTest, label_start: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label_start))


def click_cell(at: AppTest, cell: tuple[int, int] | None) -> AppTest:
    points = [] if cell is None else [{"true": cell[0], "predicted": cell[1]}]
    at.session_state["cm-tiny"] = {"selection": {figures.CELL_PARAM: points}}
    return run(at)


def filters(at: AppTest) -> tuple[str, str]:
    return str(at.selectbox(key="g_true").value), str(at.selectbox(key="g_pred").value)


@pytest.fixture
def tiny_eval(tiny_registry, mnist) -> evaluation.Evaluation:
    return evaluation.evaluate(tiny_registry / "tiny", mnist.x_test, mnist.y_test, mnist.fingerprint)


@pytest.fixture
def worst_cell(tiny_eval) -> tuple[int, int]:
    """The confusion cell with the most errors."""
    off = tiny_eval.confusion * (1 - np.eye(10, dtype=int))
    true, pred = np.unravel_index(off.argmax(), off.shape)
    assert off[true, pred] > 1
    return int(true), int(pred)


def test_headline_metrics_match_the_evaluation(tiny_registry, tiny_eval):
    at = open_page()
    assert metric(at, "Test accuracy") == f"{tiny_eval.accuracy:.2%}"
    assert metric(at, "Loss") == f"{tiny_eval.loss:.4f}"
    assert metric(at, "Errors") == f"{len(tiny_eval.errors):,}"
    card = json.loads((tiny_registry / "tiny" / "card.json").read_text())
    assert metric(at, "Parameters") == f"{card['parameters']:,}"


def test_gallery_shows_the_most_confidently_wrong_digits_first(tiny_eval):
    shown = gallery(open_page())
    assert shown == expected(tiny_eval, tiny_eval.errors[:PER_PAGE])
    assert all(tiny_eval.y_pred[i] != tiny_eval.y_true[i] for i, _ in shown)
    confidences = [tiny_eval.confidence[i] for i, _ in shown]
    assert confidences == sorted(confidences, reverse=True)


def test_filter_by_true_and_predicted_digit(tiny_eval, worst_cell):
    true, pred = worst_cell
    at = open_page()
    at.selectbox(key="g_true").select(true)
    at.selectbox(key="g_pred").select(pred)
    run(at)
    assert gallery(at) == expected(tiny_eval, tiny_eval.select_errors(true, pred)[:PER_PAGE])
    n = int(tiny_eval.confusion[true, pred])
    assert any(f"of {n}** · true {true} · predicted {pred}" in m.value for m in at.markdown)


def test_clicking_a_confusion_cell_selects_its_errors(tiny_eval, worst_cell):
    true, pred = worst_cell
    at = click_cell(open_page(), worst_cell)
    assert filters(at) == (str(true), str(pred))
    assert gallery(at) == expected(tiny_eval, tiny_eval.select_errors(true, pred)[:PER_PAGE])
    assert all(caption.startswith(f"{true} → {pred} (") for _, caption in gallery(at))

    # a diagonal cell holds the right answers: it selects every error on that true digit
    at = click_cell(at, (true, true))
    assert filters(at) == (str(true), "any")
    assert gallery(at) == expected(tiny_eval, tiny_eval.select_errors(true)[:PER_PAGE])

    # clearing the selection (double-click) shows every error again
    at = click_cell(at, None)
    assert filters(at) == ("any", "any")
    assert gallery(at) == expected(tiny_eval, tiny_eval.errors[:PER_PAGE])


def test_a_filter_changed_by_hand_after_a_click_stays(tiny_eval, worst_cell):
    true, _ = worst_cell
    at = click_cell(open_page(), worst_cell)
    at.selectbox(key="g_pred").select("any")
    run(at)
    run(at)  # the chart still reports the old click; it must not win again
    assert filters(at) == (str(true), "any")
    assert gallery(at) == expected(tiny_eval, tiny_eval.select_errors(true)[:PER_PAGE])


def test_pages_and_sort_by_index(tiny_eval):
    assert len(tiny_eval.errors) > 2 * PER_PAGE
    at = open_page()
    at.number_input(key="g_page").set_value(2)
    run(at)
    assert gallery(at) == expected(tiny_eval, tiny_eval.errors[PER_PAGE : 2 * PER_PAGE])
    assert any(f"Errors {PER_PAGE + 1}-{2 * PER_PAGE} of {len(tiny_eval.errors)}" in m.value for m in at.markdown)

    at.selectbox(key="g_order").select("index")  # a new order starts again at page 1
    run(at)
    assert at.number_input(key="g_page").value == 1
    assert gallery(at) == expected(tiny_eval, np.sort(tiny_eval.errors)[:PER_PAGE])


def test_opening_a_digit_shows_its_probabilities_and_saliency(tiny_eval):
    at = open_page()
    first = int(tiny_eval.errors[0])
    at.button(key=f"open-{first}").click()
    run(at)
    assert any(f"Test image **#{first}**" in m.value for m in at.markdown)
    captions = [c.value for c in at.main.caption]
    assert not any("Saliency is not available" in c for c in captions), captions
    assert at.get("button_group"), "the saliency class picker is missing"


def test_first_visit_evaluates_and_caches_the_result(tiny_registry, mnist):
    cache = evaluation.cache_file(tiny_registry / "tiny", mnist.fingerprint)
    cache.unlink()
    at = open_page()
    assert cache.exists()
    ev = evaluation.evaluate(tiny_registry / "tiny", mnist.x_test, mnist.y_test, mnist.fingerprint)
    assert metric(at, "Test accuracy") == f"{ev.accuracy:.2%}"
    # later visits (a rerun, a new session) use the cache and still render
    assert metric(run(at), "Test accuracy") == f"{ev.accuracy:.2%}"
    assert metric(open_page(), "Test accuracy") == f"{ev.accuracy:.2%}"


def test_compare_with_a_better_model(tiny_registry, tiny_eval, mnist):
    # 'oracle': a copy of tiny whose cached test answers are all right
    shutil.copytree(tiny_registry / "tiny", tiny_registry / "oracle")
    perfect = np.eye(10, dtype=np.float16)[mnist.y_test]
    np.savez_compressed(evaluation.cache_file(tiny_registry / "oracle", mnist.fingerprint), probs=perfect)

    at = open_page(a_tab="Compare")
    assert any("Pick a second model" in i.value for i in at.info)
    next(s for s in at.selectbox if s.label == "Compare with").select("oracle")
    run(at)
    assert metric(at, "Errors fixed") == f"{len(tiny_eval.errors):,}"
    assert metric(at, "Errors introduced") == "0"
    assert metric(at, "Disagreements") == f"{len(tiny_eval.errors):,}"
    assert next(m for m in at.metric if m.label == "oracle accuracy").value == "100.00%"
    recall = next(d.value for d in at.dataframe if "change" in d.value.columns)
    assert list(recall["oracle"]) == ["100.00%"] * 10
    assert list(recall["change"]) == [f"{1 - r['recall']:+.2%}" for r in tiny_eval.report()]
    captions = [c.value for c in at.main.caption]
    first = np.sort(tiny_eval.errors)[:PER_PAGE]
    assert captions[-len(first) :] == [figures.disagreement_caption(tiny_eval.y_pred[i], mnist.y_test[i], mnist.y_test[i]) for i in first]

    at.button_group(key="c_kind").set_value("introduced")
    run(at)
    assert any("Disagreements none" in m.value for m in at.markdown)


def test_training_curves_tab(tiny_registry):
    at = open_page(a_tab="Training curves")
    assert not at.info, "tiny's card has a history, so there must be curves"
    assert len(at.get("vega_lite_chart")) == 2  # accuracy and loss


def test_dataset_tab(tiny_eval, mnist):
    at = open_page(a_tab="Dataset")
    captions = [c.value for c in at.main.caption]
    assert [c for c in captions if c.isdigit()] == [str(d) for d in range(10)]  # one of each digit
    grid = figures.random_indices(len(mnist.y_test), 32, seed=0)
    want = [figures.prediction_caption(mnist.y_test[i], tiny_eval.y_pred[i]) for i in grid]
    assert [c for c in captions if " / " in c] == want
    assert any(c.startswith(":red[") for c in want)  # the tiny model gets some of them wrong, shown in red

    next(b for b in at.button if b.label == "Another sample").click()
    run(at)
    assert [c.value for c in at.caption if " / " in c.value] != want


def test_my_samples_tab(tiny_registry, mnist):
    at = open_page(a_tab="My samples")
    assert any("No samples yet" in i.value for i in at.info)

    from mnist_core.samples import SampleStore

    store = SampleStore()
    for i in range(6):
        store.add(mnist.x_test[i], int(mnist.y_test[i]), source="canvas")
    at = open_page(a_tab="My samples")
    assert any(m.label == "tiny on my 6 samples" for m in at.metric)


def test_without_a_model_the_page_says_what_to_do(registry_root):
    at = open_page()
    assert any("No model is registered yet" in i.value for i in at.info)
