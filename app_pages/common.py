"""UI pieces shared by every page: the model picker and the cached Predictor."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from pathlib import Path

import streamlit as st

from app_pages.startup import KERAS, LOADER
from mnist_core import formatting, registry, runs
from mnist_core.settings import runs_dir
from mnist_core.training import cards


@st.cache_resource(show_spinner=False)
def _supervise_runs(root: str) -> None:
    runs.tick(Path(root))


def resume_training_queue() -> None:
    """Once per app process: runs queued before a restart start now, not when someone opens Train."""
    _supervise_runs(str(runs_dir()))


_LOADS: dict[
    tuple[str, float], Future
] = {}  # (model folder, model file's mtime) -> its load  # one shared, thread-safe Predictor per model version, for every session
_LOADS_LOCK = threading.Lock()


def _load(name: str, root: Path):
    KERAS.result()  # Keras imported and patched first (app_pages.startup)
    from mnist_core.inference import Predictor

    return Predictor.load(name, root=root)


def load_in_background(info: registry.ModelInfo) -> Future:
    """The model's Predictor, loading in the background (started once per model version and process)."""
    version = (str(info.path.resolve()), (info.path / registry.MODEL_FILE).stat().st_mtime)
    with _LOADS_LOCK:
        future = _LOADS.get(version)
        if future is None or (future.done() and future.exception() is not None):  # a failed load is tried again
            future = _LOADS[version] = LOADER.submit(_load, info.name, info.path.parent)
    return future


def _predictor(info: registry.ModelInfo, wait: bool):
    future = load_in_background(info)
    if future.done() or not wait:
        return future.result() if future.done() else None
    with st.spinner("Loading the model ..."):
        return future.result()


def selected_model() -> registry.ModelInfo | None:
    """The model picked in the sidebar (the active one by default), or None when there is none."""
    listing = registry.list_models()
    models = {m.name: m for m in listing if not m.broken}
    name = st.session_state.get("model_name")
    if name in models:
        return models[name]
    try:
        return registry.active(models=listing)[0]
    except registry.NoModelError:
        return None


def predictor(wait: bool = True):
    """The Predictor of the model picked in the sidebar, or None when there is no model; with ``wait=False``,
    also None while it is still loading (``model_loading()`` tells the two apart)."""
    info = selected_model()
    return None if info is None else _predictor(info, wait)


def start_loading_model() -> None:
    """Start loading the picked model in the background, so that it is ready when a page asks."""
    if (info := selected_model()) is not None:
        load_in_background(info)


def model_loading() -> bool:
    """Whether the picked model exists but is not loaded yet."""
    info = selected_model()
    return info is not None and not load_in_background(info).done()


def getting_ready() -> None:
    """While the model loads (the first visit after the app starts): say so, and rerun the page once it is ready."""
    st.info("Getting the model ready (a few seconds after the app starts). Draw already: your drawing is read as soon as it is.",
            icon=":material/hourglass_top:")  # fmt: skip
    _rerun_when_ready()


@st.fragment(run_every=0.5)
def _rerun_when_ready() -> None:
    if not model_loading():
        st.rerun()


def predictor_for(info: registry.ModelInfo, wait: bool = True):
    """The shared Predictor of a given model (one picked on a page rather than in the sidebar); with ``wait=False``,
    None while it is still loading."""
    return _predictor(info, wait)


def no_model_message() -> None:
    st.info("No model is registered yet. Train one on the **Train** page, or run `python -m mnist_core train --preset studio`.")


def _show_card(info: registry.ModelInfo) -> None:
    card = info.card
    test = card.get("test") or {}
    st.markdown(f"**{info.name}** · `{info.preset}`  \n{card.get('description', '')}")
    cols = st.columns(3)
    cols[0].metric("Test accuracy", f"{test['accuracy']:.2%}" if "accuracy" in test else "-")
    cols[1].metric("Parameters", f"{card.get('parameters', 0):,}")
    cols[2].metric("Training time", formatting.duration(cards.run_seconds(card)), help=cards.WHOLE_RUN)
    if card.get("reproduce"):
        st.caption("Reproduce with")
        st.code(card["reproduce"], language="bash")
    with st.expander("The whole card (card.json)"):
        st.json(card, expanded=False)


MODEL_PARAM = "model"  # ?model=NAME: a link to a page with that model picked ("Open in Analysis")


def _picked_by_hand() -> None:
    st.query_params.pop(MODEL_PARAM, None)  # the sidebar's pick wins over the link's from now on


def model_sidebar() -> None:
    """The model picker shown on every page. Every page reads its pick through ``selected_model()``."""
    with st.sidebar:
        listing = registry.list_models()
        models = [m for m in listing if not m.broken]
        if not models:
            st.warning("No model yet: train one on the Train page.")
            return
        try:
            current, warning = registry.active(models=listing)
        except registry.NoModelError:
            current, warning = models[0], None
        if warning:
            st.warning(warning)
        names = [m.name for m in models]
        labels = {m.name: m.label() for m in models}
        linked = st.query_params.get(MODEL_PARAM)
        if linked in names:
            st.session_state["model_name"] = linked
        elif st.session_state.get("model_name") not in names:
            st.session_state["model_name"] = current.name
        st.selectbox("Model", names, key="model_name", format_func=lambda n: labels[n], on_change=_picked_by_hand)
        chosen = selected_model()
        if chosen.name == current.name:
            st.caption(":material/check_circle: The active model, used by default and by the CLI.")
        else:
            st.caption(f"Used on these pages; the active model is **{current.name}**.")
        with st.popover("Model card", icon=":material/description:", use_container_width=True):
            _show_card(chosen)
