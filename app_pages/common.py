"""UI pieces shared by every page: the model picker and the cached Predictor."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from mnist_core import cards, formatting, jobs, registry
from mnist_core.settings import runs_dir


@st.cache_resource(show_spinner=False)
def _supervise_runs(root: str) -> None:
    jobs.tick(Path(root))


def resume_training_queue() -> None:
    """Once per app process: runs queued before a restart start now, not when someone opens Train."""
    _supervise_runs(str(runs_dir()))


@st.cache_resource(show_spinner="Loading the model ...")
def _predictor(name: str, stamp: float):
    from mnist_core.inference import Predictor

    return Predictor.load(name)


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


def predictor():
    """One shared, thread-safe Predictor per model version, for every browser session."""
    info = selected_model()
    if info is None:
        return None
    return _predictor(info.name, (info.path / registry.MODEL_FILE).stat().st_mtime)


def predictor_for(info: registry.ModelInfo):
    """The shared cached Predictor of a given model (one picked on a page rather than in the sidebar)."""
    return _predictor(info.name, (info.path / registry.MODEL_FILE).stat().st_mtime)


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
