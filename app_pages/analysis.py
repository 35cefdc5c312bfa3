"""Analysis: how good a model is on the MNIST test set, and where it goes wrong."""

from __future__ import annotations

import json
from pathlib import Path

import streamlit as st

from app_pages.analysis_widgets import inspect, metrics, mnist, pager, tiles
from app_pages.common import no_model_message, selected_model
from app_pages.sample_widgets import samples_report
from mnist_core import evaluation, figures, registry
from mnist_core.data import DataError
from mnist_core.model import calibration
from mnist_core.registry import export
from mnist_core.training import cards
from mnist_core.views.metrics import comparison_metrics, headline_metrics

ANY = "any"


@st.cache_resource(show_spinner=False, max_entries=16)
def _evaluated(path: str, stamp: float, fingerprint: str) -> evaluation.Evaluation:
    ds = mnist()
    return evaluation.evaluate(Path(path), ds.x_test, ds.y_test, fingerprint)


def evaluated(info: registry.ModelInfo, ds) -> evaluation.Evaluation:
    """The model's test-set evaluation: cached beside the model, or computed there once with a progress bar."""
    if not evaluation.cache_file(info.path, ds.fingerprint).exists():
        bar = st.progress(0.0, f"Evaluating {info.name} (only once) ...")
        progress = lambda done, total: bar.progress(done / total, f"Evaluating {info.name}: {done:,} of {total:,} test digits")  # noqa: E731
        evaluation.evaluate(info.path, ds.x_test, ds.y_test, ds.fingerprint, on_progress=progress)
        bar.empty()
    return _evaluated(str(info.path), (info.path / registry.MODEL_FILE).stat().st_mtime, ds.fingerprint)


def errors_tab(info, ev, x) -> None:
    chart_col, table_col = st.columns([5, 4], gap="medium")
    view = chart_col.segmented_control("View", ["Counts", "Row %"], default="Counts", key="cm_view", label_visibility="collapsed")
    chart = figures.confusion_chart(ev.confusion, normalise=view == "Row %")
    event = chart_col.altair_chart(chart, key=f"cm-{info.name}", on_select="rerun", selection_mode=figures.CELL_PARAM, width="stretch")
    chart_col.caption("Rows: the true digit; columns: what the model said. Click a cell to see its errors below; double-click to clear.")
    table_col.table(figures.report_frame(ev.report()).reset_index().style.format("{:.2f}%", subset=["Precision", "Recall", "F1"]).hide())

    # a new click on the matrix sets the gallery's filter; the filter boxes can change it afterwards
    clicked, state = figures.clicked_cell(event), st.session_state
    current = tuple(None if state.get(k, ANY) == ANY else state[k] for k in ("g_true", "g_pred"))
    state["g_true"], state["g_pred"] = (ANY if d is None else d for d in evaluation.follow_click(clicked, state.get("g_cell"), current))
    state["g_cell"] = clicked

    st.subheader("Error gallery")
    with st.container(horizontal=True, vertical_alignment="bottom"):
        true, pred = (
            st.selectbox(label, [ANY, *range(10)], key=key, width=120) for label, key in (("True digit", "g_true"), ("Predicted", "g_pred"))
        )
        true, pred = (None if d == ANY else d for d in (true, pred))
        order = st.selectbox(
            "Sort by", ["confidence", "index"], key="g_order", format_func={"confidence": "most confident", "index": "index"}.get, width=160
        )
        page = pager("g_page", ev.select_errors(true, pred, order), (true, pred, order))
    where = figures.filter_label(true, pred)
    st.markdown(f"**Errors {page.describe()}**" + (f" · {where}" if where else "") + " · click a caption for a closer look")
    if not page.total:
        st.info("No errors match this filter." if where else "This model gets every test digit right.")
    captions = [figures.error_caption(ev.y_true[i], ev.y_pred[i], ev.confidence[i]) for i in page.indices]
    tiles(x, page.indices, captions, open_one=lambda i: inspect(info, ev, i))


def compare_tab(ev, ev_b, name_a: str, name_b: str, x) -> None:
    comp = evaluation.Comparison(ev, ev_b)
    metrics(comparison_metrics(comp, name_a, name_b))
    with st.expander("Recall per digit"):
        rows = comp.per_class_delta()
        st.dataframe(
            {"digit": [r["digit"] for r in rows], name_a: [f"{r['recall_a']:.2%}" for r in rows],
             name_b: [f"{r['recall_b']:.2%}" for r in rows], "change": [f"{r['delta']:+.2%}" for r in rows]},
            hide_index=True,
        )  # fmt: skip
    with st.container(horizontal=True, vertical_alignment="bottom"):
        kind = st.segmented_control("Show", comp.KINDS, default="all", key="c_kind") or "all"
        page = pager("c_page", comp.select(kind), (name_a, name_b, kind))
    st.markdown(f"**Disagreements {page.describe()}** · captioned {name_a}'s answer → {name_b}'s, and the true digit")
    tiles(x, page.indices, [figures.disagreement_caption(ev.y_pred[i], ev_b.y_pred[i], ev.y_true[i]) for i in page.indices])


def calibration_tab(info, ev) -> None:
    entry = info.card.get("calibration")
    if not entry:
        st.info(f"{info.name} is not calibrated: its card has no held-out fit. Run `python -m mnist_core calibrate --model {info.name}`.")
        return
    raw = calibration.reliability(ev.probs, ev.y_true)
    metrics(calibration.card_metrics(entry, ev.probs, ev.y_true))
    st.altair_chart(figures.reliability_chart({"calibrated, as shown": entry["test_reliability"], "raw softmax": raw}), width="stretch")
    st.caption(
        f"On the 10,000 test digits: for the readings shown with a given confidence, the share that was right. On the dashed "
        f"diagonal, confidence means what it says. Fitted on {entry['fitted_on']:,} held-out training images: the temperature, and "
        f"the digit score {entry['threshold']:.3f} under which a mark is not a digit."
    )


def downloads(info: registry.ModelInfo) -> None:
    """The model as .keras or .tflite (converted when clicked), and the card.json that says how to feed it."""
    with st.container(horizontal=True, vertical_alignment="center"):
        st.caption("Take this model away:", width="content")
        keras_file = info.path / registry.MODEL_FILE
        st.download_button(
            ".keras", keras_file.read_bytes, f"{info.name}.keras", "application/octet-stream", icon=":material/download:", on_click="ignore"
        )
        st.download_button(
            ".tflite", lambda: export.tflite_bytes(registry.load_model(info.name)), f"{info.name}.tflite", "application/octet-stream",
            icon=":material/download:", on_click="ignore", help="Converted for TensorFlow Lite when you click (a few seconds)",
        )  # fmt: skip
        card = json.dumps(export.export_card(info, "keras or tflite"), indent=2)
        st.download_button("card.json", card, f"{info.name}.card.json", "application/json", icon=":material/description:", on_click="ignore",
                           help="The input contract: shape, range, ink polarity, preprocessing steps, calibration")  # fmt: skip


def dataset_tab(ds, ev) -> None:
    st.altair_chart(figures.class_counts_chart(ds.y_train, ds.y_test), width="stretch")
    st.markdown("**One of each digit** (the first in the training set)")
    first = figures.one_of_each(ds.y_train)
    tiles(ds.x_train, first, [str(ds.y_train[i]) for i in first], size=48)  # ten in a row on a laptop
    with st.container(horizontal=True, vertical_alignment="center"):
        st.markdown("**Random test digits**, titled true / predicted (red: wrong)", width="stretch")
        if st.button("Another sample", icon=":material/shuffle:", width="content"):
            st.session_state["d_seed"] = st.session_state.get("d_seed", 0) + 1
    seed = st.session_state.get("d_seed", 0)
    grid = figures.random_indices(len(ds.y_test), 32, seed)
    tiles(ds.x_test, grid, [figures.prediction_caption(ds.y_test[i], ev.y_pred[i]) for i in grid], size=56)
    st.markdown("**True against predicted** for 1,000 random test digits (jittered)")
    st.altair_chart(
        figures.true_vs_predicted_chart(ev.y_true, ev.y_pred, figures.random_indices(len(ds.y_test), 1000, seed)), width="stretch"
    )


st.title("Analysis")
st.caption("How good a model is on the 10,000 MNIST test digits, and where it goes wrong.")
if (info := selected_model()) is None:
    no_model_message()
    st.stop()
models = {m.name: m for m in registry.list_models() if not m.broken}
name_a = info.name
by_accuracy = sorted((n for n in models if n != name_a), key=lambda n: -(models[n].test_accuracy or 0))
others = [None, *by_accuracy]
shown, pick_b = st.columns(2, vertical_alignment="bottom")
shown.markdown(f"Model: **{models[name_a].label()}**  \n:gray[Pick another in the sidebar.]")
name_b = pick_b.selectbox(
    "Compare with",
    others,
    format_func=lambda n: "nothing" if n is None else models[n].label(),
    help="The other models, most accurate first.",
)
try:
    ds = mnist()
    ev = evaluated(info, ds)
    ev_b = evaluated(models[name_b], ds) if name_b else None
except (DataError, registry.RegistryError) as exc:
    st.error(str(exc))
    st.stop()
metrics(headline_metrics(ev, info.card))
downloads(info)

tab_names = ["Errors", "Training curves", "Calibration", "Compare", "Dataset", "My samples"]
errors, curves, calibrated, compare, overview, mine = st.tabs(tab_names, key="a_tab", on_change="rerun")
if errors.open:
    with errors:
        errors_tab(info, ev, ds.x_test)
if curves.open:
    with curves:
        charts = figures.curve_charts(info.card.get("history") or {})
        st.caption(cards.curves_note(info.card))
        for col, chart in zip(st.columns(2), charts.values(), strict=False):
            col.altair_chart(chart, width="stretch")
        if not charts:
            st.info("This model's card has no training history.")
if calibrated.open:
    with calibrated:
        calibration_tab(info, ev)
if compare.open:
    with compare:
        if ev_b is None:
            st.info("Pick a second model in **Compare with** above to see what changes between the two.")
        else:
            compare_tab(ev, ev_b, name_a, name_b, ds.x_test)
if overview.open:
    with overview:
        dataset_tab(ds, ev)
if mine.open:
    with mine:
        samples_report(info, models[name_b] if name_b else None)
