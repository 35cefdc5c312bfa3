"""My samples: the digits you saved with their true label; browse, relabel, delete, export, import, measure."""

from __future__ import annotations

import numpy as np
import streamlit as st

from app_pages.common import predictor
from app_pages.sample_widgets import sample_store
from app_pages.tile_grid import tile_grid
from mnist_core import evaluation
from mnist_core.figures import upscale
from mnist_core.samples import SamplesError

TILE_PX = 84  # each 28x28 shown 3x
S = st.session_state


def relabel(store, sample_id: int) -> None:
    try:
        store.relabel(sample_id, S[f"label-{sample_id}"])
    except SamplesError as exc:
        S.samples_flash = ("error", str(exc))


def delete(store, sample_id: int) -> None:
    store.delete(sample_id)
    S.samples_flash = ("success", f"Sample {sample_id} deleted.")


def import_upload(store) -> None:
    upload = S.get("samples_upload")
    if upload is None:
        S.samples_flash = ("error", "Choose an .npz or .zip file to import first.")
        return
    try:
        added, skipped = store.import_file(upload.getvalue())
    except SamplesError as exc:
        S.samples_flash = ("error", f"{upload.name}: {exc}")
        return
    more = f"; {skipped} already here {'was' if skipped == 1 else 'were'} skipped" if skipped else ""
    S.samples_flash = ("success", f"Imported {added} sample{'s' * (added != 1)} from {upload.name}{more}.")


def tile(store, sample, read_as: int | None) -> None:
    st.image(upscale(sample.image, TILE_PX // 28), output_format="PNG")
    if read_as is None:
        st.caption(f"#{sample.id} · {sample.source}")
    else:
        st.caption(f"#{sample.id} · :{'green' if read_as == sample.label else 'red'}[read {read_as}]")
    S.setdefault(f"label-{sample.id}", sample.label)
    with st.container(horizontal=True, gap=None, vertical_alignment="center"):
        st.selectbox(
            "Label",
            range(10),
            key=f"label-{sample.id}",
            label_visibility="collapsed",
            on_change=relabel,
            args=(store, sample.id),
            width=66,
        )
        st.button(
            "",
            key=f"del-{sample.id}",
            icon=":material/delete:",
            on_click=delete,
            args=(store, sample.id),
            type="tertiary",
            help=f"Delete sample {sample.id}",
        )


def gallery(store, total: int) -> None:
    counts = store.count_by_label()
    options = ["all", *[d for d in range(10) if counts[d]]]
    choice = st.pills(
        "Show",
        options,
        key="samples_filter",
        default="all",
        format_func=lambda o: f"All ({total})" if o == "all" else f"{o} ({counts[o]} sample{'s' if counts[o] != 1 else ''})",
    )
    chosen = store.list(None if choice in (None, "all") else int(choice))
    model = predictor()
    read_as = [None] * len(chosen)
    if model is not None and chosen:
        x, y = np.stack([s.image for s in chosen]), np.array([s.label for s in chosen])
        ev = evaluation.evaluate_samples(samples=(x, y), model=model)
        read_as = [int(p) for p in ev.y_pred]
        right = int((ev.y_pred == ev.y_true).sum())
        st.metric(f"{model.name} reads these right", f"{ev.accuracy:.0%}", help=f"{right} of {len(chosen)}", width="content")
    page = evaluation.paginate(np.arange(len(chosen)), S.get("samples_page", 1), per_page=30)
    for _, i in tile_grid(page.indices, TILE_PX + 34, border=True):
        tile(store, chosen[i], read_as[i])
    if page.pages > 1:
        st.number_input(f"Page (of {page.pages}; {page.describe()})", 1, page.pages, key="samples_page", width=220)


st.title("My samples")
st.caption(
    "Digits you saved on the Draw and Upload pages, with their true label. Fine-tune a model on them on the "
    "**Train** page, then pick it in the sidebar to see how it reads them here."
)
store = sample_store()
if store is None:
    st.stop()
if "samples_flash" in S:
    kind, text = S.pop("samples_flash")
    getattr(st, kind)(text)

total = store.count()
if total:
    gallery(store, total)
else:
    st.info(
        "No samples yet. On the **Draw** or **Upload** page, press **Save as a …** when the model is right, "
        "or pick the true digit under **Wrong? It's a …** when it is not. Or import an export below.",
        icon=":material/bookmark_add:",
    )

st.subheader("Export and import")
with st.container(horizontal=True):
    st.download_button("Download .npz", store.export_npz(), "my-samples.npz", icon=":material/download:", disabled=not total)
    st.download_button(
        "Download .zip (PNGs + labels.csv)", store.export_zip(), "my-samples.zip", icon=":material/folder_zip:", disabled=not total
    )
st.caption("The .npz holds `x` (n×28×28, uint8) and `y` like MNIST, plus the crops; it loads with `allow_pickle=False`.")
st.file_uploader("Import an .npz or .zip", type=["npz", "zip"], key="samples_upload")
chosen = S.get("samples_upload") is not None
st.button(
    "Import", icon=":material/upload:", on_click=import_upload, args=(store,), disabled=not chosen,
    help=None if chosen else "Choose an .npz or .zip file above first.",
)  # fmt: skip
aside = store.set_aside_files()
if aside:
    st.caption(f"Damaged samples files set aside earlier (kept, never deleted): {', '.join(p.name for p in aside)} in `{aside[0].parent}`.")
