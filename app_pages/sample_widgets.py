"""UI for the user's own samples, shared by the pages: save buttons, the Train page's sample options, reports."""

from __future__ import annotations

import streamlit as st

from app_pages.common import predictor_for
from app_pages.tile_grid import tile_grid
from mnist_core import registry
from mnist_core.data import TRAIN_IMAGES


def sample_store():
    """The user's sample store, or None with the reason shown; a damaged file set aside is said once."""
    from mnist_core.samples import SamplesError, SampleStore

    try:
        store = SampleStore()
    except SamplesError as exc:
        st.error(str(exc), icon=":material/error:")
        return None
    if store.notice:
        st.warning(store.notice, icon=":material/warning:")
    return store


def _save_sample(reading, source: str, key: str, model_name: str | None, label: int) -> None:
    """Save a reading with its true label; the same picture saved again is relabelled, not duplicated."""
    import hashlib

    from mnist_core.samples import SamplesError

    store = sample_store()
    if store is None:
        return
    digest = hashlib.sha1(reading.image.tobytes()).hexdigest()
    saved = st.session_state.get(f"{key}-saved")
    try:
        if saved and saved[0] == digest:
            store.relabel(saved[1], label)
            sample_id = saved[1]
        else:
            sample_id = store.add(reading.image, label, source, crop=reading.crop, model=model_name, predicted=reading.digit)
    except SamplesError as exc:
        st.session_state[f"{key}-saved"] = None
        st.toast(str(exc), icon=":material/error:")
        return
    st.session_state[f"{key}-saved"] = (digest, sample_id, label)


def sample_controls(reading, source: str, key: str, model_name: str | None = None) -> None:
    """ "Save as a sample" (the reading was right) and "Wrong? It's a …" (saved with the true digit).

    ``source`` is "canvas" or "upload"; ``key`` must be unique on the page (one per digit read).
    """
    import hashlib

    saved = st.session_state.get(f"{key}-saved")
    if saved and saved[0] != hashlib.sha1(reading.image.tobytes()).hexdigest():
        saved = None  # a new drawing
    fix_key = f"{key}-fix"

    def fix() -> None:
        label = st.session_state.get(fix_key)
        if label is not None:
            _save_sample(reading, source, key, model_name, int(label))
            st.session_state[fix_key] = None

    refused = not reading.is_digit  # "not a digit": nothing to keep as read, but it may be one
    with st.container(horizontal=True, vertical_alignment="bottom", gap="small"):
        if refused:
            st.pills("A digit after all? It's a …", list(range(10)), key=fix_key, on_change=fix)
        else:
            st.pills("Wrong? It's a …", [d for d in range(10) if d != reading.digit], key=fix_key, on_change=fix)
            st.button(
                f"Save as a {reading.digit}",
                key=f"{key}-keep",
                icon=":material/bookmark_add:",
                disabled=bool(saved and saved[2] == reading.digit),
                on_click=_save_sample,
                args=(reading, source, key, model_name, reading.digit),
                help="Keep this digit in My samples with the label the model gave it",
            )
    if saved:
        st.caption(f":material/check_circle: Saved as a **{saved[2]}** in My samples (sample {saved[1]}).")


def sample_popover(reading, source: str, key: str, model_name: str | None = None) -> None:
    """``sample_controls`` behind a small button, for pages that show many digits (Upload)."""
    with st.popover("Save", icon=":material/bookmark_add:", help="Save this digit in My samples, with its true label"):
        sample_controls(reading, source, key, model_name)


DIGIT_PX = 84  # a digit tile: the 28x28 at 3x


def digit_tiles(readings, source: str, key: str, model_name: str | None = None) -> None:
    """One tile per digit read: what the model saw, its top three, and Save (with "Wrong?") for each."""
    from mnist_core.figures import upscale
    from mnist_core.formatting import confidence

    for i, r in tile_grid(readings, DIGIT_PX + 8, key=key):
        st.image(upscale(r.image, DIGIT_PX // 28), clamp=True, output_format="PNG")
        lines = [f"**{d}** · {confidence(p)}" if k == 0 else f"{d} · {confidence(p)}" for k, (d, p) in enumerate(r.top3)]
        st.caption("  \n".join(lines if r.is_digit else ["**not a digit**", *lines[:1]]))
        sample_popover(r, source, key=f"{key}-{i}", model_name=model_name)


def training_sample_controls() -> None:
    """On the Train page's form: "Include my samples" and "Fine-tune the active model"."""
    from mnist_core import training

    store = sample_store()
    count = store.count() if store else 0
    st.toggle(
        f"Include my samples ({count} saved)",
        key="train_samples",
        disabled=count == 0,
        help=f"Your samples from My samples are repeated to make up {training.SAMPLES_SHARE:.0%} of each epoch, "
        f"so that a few dozen count among {TRAIN_IMAGES:,} MNIST images. Validation stays MNIST only.",
    )
    init_from = st.session_state.get("train_init_from")
    if init_from:
        st.info(
            f"Fine-tuning **{init_from}**: it starts from that model's weights, at a low constant learning rate, "
            f"for a few epochs over {training.FINETUNE['limit']:,} MNIST images plus your samples.",
            icon=":material/tune:",
        )
        st.button("Train from scratch instead", key="train_finetune_off", on_click=st.session_state.pop, args=("train_init_from", None))
    else:
        st.button(
            "Fine-tune the active model on my samples",
            key="train_finetune",
            icon=":material/tune:",
            disabled=count == 0,
            on_click=_use_finetune_settings,
            help="Fills in the settings: the active model's architecture and weights, learning rate "
            f"{training.FINETUNE['lr']:g} (constant), {training.FINETUNE['epochs']} epochs, your samples included.",
        )


def _use_finetune_settings() -> None:
    from mnist_core import training
    from mnist_core.views import train_form

    try:
        config = training.TrainConfig.for_finetune()
    except registry.RegistryError as exc:
        st.toast(str(exc), icon=":material/error:")
        return
    train_form.use_config(st.session_state, config, registry.suggest_name(f"{config.init_from}-mine")[:64])
    st.session_state.update(train_samples=True, train_init_from=config.init_from)


def training_sample_fields() -> dict:
    """The TrainConfig fields the controls above set: splat into the Train page's TrainConfig(...)."""
    init_from = st.session_state.get("train_init_from")
    fields = {"include_samples": bool(st.session_state.get("train_samples", False)), "init_from": init_from}
    return fields | ({"schedule": "constant"} if init_from else {})


def samples_report(info: registry.ModelInfo, other: registry.ModelInfo | None = None) -> None:
    """On the Analysis page: a model (and the one compared with it) on my samples: accuracy, confusion, misreadings."""
    from mnist_core import evaluation, figures

    store = sample_store()
    if store is None:
        return
    x, y = store.arrays()
    if not len(y):
        st.info("No samples yet: save some on the Draw or Upload page, or import them on **My samples**.", icon=":material/bookmarks:")
        return
    ev = evaluation.evaluate_samples(samples=(x, y), model=predictor_for(info))
    with st.container(horizontal=True):
        st.metric(f"{info.name} on my {len(y)} samples", f"{ev.accuracy:.1%}", border=True, width="content")
        if other is not None:
            ev_b = evaluation.evaluate_samples(samples=(x, y), model=predictor_for(other))
            delta = f"{(ev_b.accuracy - ev.accuracy) * 100:+.1f} points"
            st.metric(f"{other.name} on them", f"{ev_b.accuracy:.1%}", delta, border=True, width="content")
    chart_col, gallery_col = st.columns([2, 3], gap="large")
    chart_col.altair_chart(figures.confusion_chart(ev.confusion, height=300), width="stretch")
    with gallery_col:
        st.markdown(f"**Misread by {info.name}** ({len(ev.errors)}), most confident first")
        with st.container(horizontal=True, gap="small"):
            for i in ev.errors[:48]:
                with st.container(width=96, gap=None, horizontal_alignment="center"):
                    st.image(figures.upscale(x[i]), width=84, output_format="PNG")
                    st.caption(figures.error_caption(ev.y_true[i], ev.y_pred[i], ev.confidence[i]))
        if not len(ev.errors):
            st.success("It reads every one of your samples right.", icon=":material/check_circle:")
