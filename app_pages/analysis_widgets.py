"""Analysis's building blocks: a grid of digits, a pager, a row of metrics, and a closer look at one test digit."""

from __future__ import annotations

import streamlit as st

from app_pages.common import predictor_for
from app_pages.tile_grid import tile_grid
from mnist_core import evaluation, figures, formatting, registry
from mnist_core.data import load_dataset


@st.cache_resource(show_spinner="Loading MNIST ...")
def mnist():
    return load_dataset(report=lambda _: None)


@st.dialog("A closer look", width="medium")
def inspect(info: registry.ModelInfo, ev: evaluation.Evaluation, i: int) -> None:
    true, pred, image = int(ev.y_true[i]), int(ev.y_pred[i]), mnist().x_test[i]
    st.markdown(f"Test image **#{i}** · true **{true}**, {info.name} says **{pred}** ({formatting.confidence(ev.confidence[i])})")
    left, right = st.columns([2, 3])
    cls = left.segmented_control("Saliency for", [pred, true], default=pred, format_func=lambda c: f"{'said' if c == pred else 'true'} {c}")
    try:
        saliency = predictor_for(info).saliency(image / 255.0, pred if cls is None else cls)
        left.image(figures.saliency_overlay(image, saliency), caption="Bright: the pixels that pushed towards this digit")
    except (registry.RegistryError, ValueError) as exc:
        left.image(figures.upscale(image, 8), caption=f"Saliency is not available: {exc}")
    right.altair_chart(figures.probabilities_chart(ev.probs[i], true), width="stretch")


def tiles(images, indices, captions, open_one=None, size: int = 84) -> None:
    """A wrapping grid of digits; with ``open_one``, each caption is a button that opens its digit."""
    for _, (i, caption) in tile_grid(zip(indices, captions, strict=True), size + 20):
        st.image(figures.upscale(images[i], 3 if size > 56 else 2), width=size)
        if open_one is None:
            st.caption(caption, text_alignment="center")
        elif st.button(caption, key=f"open-{i}", type="tertiary"):
            open_one(int(i))


def pager(key: str, indices, signature) -> evaluation.Page:
    """A page number input that goes back to page 1 whenever the filter (``signature``) changes."""
    if st.session_state.get(f"{key}-sig") != signature:
        st.session_state[f"{key}-sig"], st.session_state[key] = signature, 1
    pages = evaluation.paginate(indices, 1).pages
    st.session_state[key] = min(st.session_state.get(key, 1), pages)
    st.number_input(f"Page (of {pages})", 1, pages, key=key, width=130)
    return evaluation.paginate(indices, st.session_state[key])


def metrics(items: list[dict]) -> None:
    with st.container(horizontal=True):
        for item in items:
            st.metric(**item, border=True, width="content")
