"""Train: launch a run (architecture, epochs, batch size, ...), watch it, cancel it; every run's history."""

import time

import pandas as pd
import streamlit as st

from app_pages.common import MODEL_PARAM
from app_pages.sample_widgets import training_sample_controls, training_sample_fields
from app_pages.train_widgets import curve_specs, live_run, queue_list
from mnist_core import formatting, registry, runs, training
from mnist_core.data import TRAIN_IMAGES
from mnist_core.model import architectures
from mnist_core.training import estimate
from mnist_core.views import run_results, train_form

PRESETS, S = architectures.PRESETS, st.session_state


def form_config() -> training.TrainConfig:
    return train_form.config(S, **training_sample_fields())


def start_run() -> None:
    busy = runs.current() is not None or bool(runs.queue())
    try:
        run = runs.start(form_config())
    except training.ConfigError as exc:
        S.train_flash = ("error", str(exc), time.time())
        return
    S.train_flash = ("success", train_form.started_message(run.name, busy), time.time())
    S.train_name = registry.suggest_name(S.train_preset)


def open_in_analysis(name: str) -> None:
    S.train_goto = name


if goto := S.pop("train_goto", None):  # the link carries the model, so the next page cannot show another
    st.switch_page("app_pages/analysis.py", query_params={MODEL_PARAM: goto})

train_form.restore(S)

st.title("Train")
st.caption("Runs train in their own process: reload, change pages or open another tab, they go on. One at a time; the others queue.")


def watch() -> None:
    all_runs = runs.refresh()
    running, queued = next((r for r in all_runs if r.state == runs.RUNNING), None), runs.queue()
    if running and runs.progress(running).phase == "done":  # registered: its result replaces the panel now
        running = None
    seen = (running.id if running else None, tuple(r.id for r in queued), sum(r.state in runs.TERMINAL for r in all_runs))
    if S.setdefault("train_seen", seen) != seen:  # a run started or ended: redraw the page (results, history, sidebar picker)
        S.train_seen = seen
        st.rerun(scope="app")
    if running:
        with st.container(border=True):
            live_run(running)
    if queued:
        queue_list(queued)


st.fragment(run_every=1.0 if runs.current() or runs.queue() else 5.0)(watch)()  # a short run's phases last seconds


def run_details(run: runs.Run, key: str) -> None:
    if run.state not in runs.TERMINAL:
        return st.info(f"**{run.name}** is {run.state}.", icon=":material/hourglass_top:")
    if run.state != runs.SUCCEEDED:
        (st.warning if run.state == runs.CANCELLED else st.error)(f"**{run.name}** was {run.state}. {run.reason}", icon=":material/error:")
        if run.state != runs.CANCELLED:
            with st.expander("The last lines of its output"):
                st.code(run.log_tail(), language="text")
        return
    st.success(f"**{run.name}** is registered: test accuracy {run.test_accuracy:.2%}.", icon=":material/check_circle:")
    model, comparison = run_results.registered_model(run.name), run_results.compare_with_active(run.name)
    if model is None:
        st.caption(f"{run.name} is no longer in the registry.")
        return
    if warning := model.card.get("warning"):
        st.warning(f"{warning} Keep the active model.", icon=":material/warning:")
    left, right = st.columns([2, 3])
    if comparison:
        a, b = left.columns(2)
        a.metric(f"Active: {comparison.active_name}", f"{comparison.accuracy_active:.2%}")
        b.metric("New", f"{comparison.accuracy_new:.2%}", f"{comparison.accuracy_delta * 100:+.2f} points", help=run.name)
        worse = comparison.accuracy_delta < 0
        left.button(
            f"Make it the active model ({-comparison.accuracy_delta * 100:.2f} points worse)" if worse else "Make it the active model",
            type="secondary" if worse or warning else "primary", icon=":material/star:", on_click=registry.set_active, args=(run.name,),
            key=f"{key}-activate", help=f"Every page and the CLI will use {run.name} by default.",
        )  # fmt: skip
        right.dataframe(comparison.table(), hide_index=True)
    elif model.active:
        left.caption(f"{run.name} is the active model.")
    left.button("Open in Analysis", icon=":material/analytics:", on_click=open_in_analysis, args=(run.name,), key=f"{key}-open")
    with st.expander("Training curves"):
        for col, spec in zip(st.columns(2), curve_specs(model.card.get("history") or {}).values(), strict=False):
            col.vega_lite_chart(spec, width="stretch")


all_runs = runs.list_runs()
last = next((r for r in all_runs if r.state in runs.TERMINAL), None)
if last is not None:
    st.subheader("Last run")
    run_details(last, "last")
st.subheader("New run")
with st.container(border=True):
    st.segmented_control(
        "Start from", list(architectures.RECIPES), key="train_recipe", on_change=train_form.use_recipe, args=(S,),
        format_func=lambda r: architectures.RECIPES[r].label,
    )  # fmt: skip
    if recipe := architectures.RECIPES.get(S.train_recipe):
        st.caption(recipe.note + " Change any setting below.")
    left, right = st.columns(2)
    preset = left.selectbox("Architecture", list(PRESETS), key="train_preset", on_change=train_form.use_preset_defaults, args=(S,))
    left.caption(f"{PRESETS[preset].description} **{architectures.parameter_count(preset):,} parameters.**")
    slots = {}
    for field, label, key, extra in [
        ("epochs", "Epochs", "train_epochs", {"step": 1}),
        ("batch_size", "Batch size", "train_batch", {"step": 16}),
        ("lr", "Learning rate", "train_lr", {"step": 1e-4, "format": "%.4f"}),
    ]:
        left.number_input(label, key=key, **extra)
        slots[field] = left.empty()
    right.toggle(f"Train on all {TRAIN_IMAGES:,} images", key="train_all")
    if not S.train_all:
        right.number_input("Training images (the first N)", key="train_limit", step=1000)
    slots["limit"] = right.empty()
    right.number_input("Validation split (share of the training images held out)", key="train_val", step=0.05, format="%.2f")
    slots["val_split"] = right.empty()
    right.toggle("Augmentation (rotation, zoom, shift, stroke width)", key="train_aug")
    right.text_input("New model's name", key="train_name", max_chars=64)
    slots["name"] = right.empty()
    with right:
        training_sample_controls()
    slots["include_samples"] = slots["init_from"] = right.empty()
    errors = runs.config_errors(form_config())
    for field, message in errors.items():
        slots.get(field, st).error(message, icon=":material/error:")
    if not errors:
        seconds = estimate.run_seconds(form_config())
        st.markdown(
            f"Estimated time: **{formatting.about_minutes(seconds)}**" if seconds is not None
            else "Estimated time: unknown until a first run of this architecture has been timed on this machine."
        )  # fmt: skip
    st.button("Start training", type="primary", icon=":material/play_arrow:", disabled=bool(errors), on_click=start_run)
    train_form.remember(S)  # kept for the next visit
    kind, text, when = S.get("train_flash", ("", "", 0))
    if time.time() - when < 10:  # kept through the reruns a new run causes
        getattr(st, kind)(text)


st.subheader("History")
picked = st.dataframe(
    pd.DataFrame(run_results.history_rows(all_runs), columns=run_results.HISTORY_COLUMNS),
    hide_index=True, on_select="rerun", selection_mode="single-row", key=f"train_history-{len(all_runs)}",
    column_order=[c for c in run_results.HISTORY_COLUMNS if c != "reason"],  # a run's reason is in its details, below
    column_config={
        "started": st.column_config.TextColumn(width=115), "status": st.column_config.TextColumn(width=80),
        "model": st.column_config.TextColumn(width=205), "test accuracy": st.column_config.TextColumn("accuracy", width=72),
        "recipe": st.column_config.TextColumn(width=180), "images": st.column_config.TextColumn(width=62),
        "duration": st.column_config.TextColumn(width=64),
    },
)  # fmt: skip
if picked.selection.rows and all_runs[picked.selection.rows[0]] is last:
    st.caption("That is the last run: its details are above, under **Last run**.")
elif picked.selection.rows:
    run_details(all_runs[picked.selection.rows[0]], "picked")
else:
    st.caption("Pick a run to see its details here.")

finished = [r for r in all_runs if r.state == runs.SUCCEEDED]
if finished:
    st.subheader("Which learnt faster")
    names = {r.id: r.name for r in finished}
    chosen = st.multiselect("Runs to compare", list(names), default=list(names)[:3], format_func=names.get, key="train_compare")
    curves = run_results.learning_curves([r for r in finished if r.id in chosen])
    if curves.empty:
        st.caption("Pick runs that finished at least one epoch.")
    else:
        st.altair_chart(run_results.learning_curves_chart(curves), width="stretch")
        st.caption("Each point is an epoch's validation accuracy, at the minutes since its run's Start.")
