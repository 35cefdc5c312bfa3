"""Upload: scans and photos of handwriting -> every digit found, boxed and read; one table of all, as CSV."""

from __future__ import annotations

import hashlib
import re

import pandas as pd
import streamlit as st

from app_pages.common import no_model_message, predictor
from app_pages.sample_widgets import digit_tiles
from mnist_core.figures import boxed_image
from mnist_core.formatting import confidence, marks_not_digits
from mnist_core.preprocess import FORMATS, MAX_BYTES, ImageError, decode
from mnist_core.views.examples import list_examples

TYPES = ["png", "jpg", "jpeg", "bmp", "tif", "tiff", "gif", "webp"]
# The drop zone would say the server's cap ("200MB per file"), which is there only so that a bigger file reaches the
# decoder and gets its sentence; it says the decoder's limit instead.
DROPZONE_LIMIT = f"""<style>
[data-testid='stFileUploaderDropzoneInstructions'] span {{font-size: 0}}
[data-testid='stFileUploaderDropzoneInstructions'] span::after {{content: 'Up to {MAX_BYTES // 2**20} MB per file'; font-size: 0.875rem}}
</style>"""


def plain(name: str) -> str:
    """A file name shown as typed, not as Markdown (``my_scan*2.png`` stays as it is)."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$:])", r"\\\1", name)


def images_to_read() -> list[tuple[str, bytes]]:
    """(name, bytes) of every image chosen: uploaded files, a camera photo, examples; the same file twice, once."""
    chosen = [(f.name, f.getvalue()) for f in st.file_uploader(
        f"Images of handwritten digits ({FORMATS}, up to {MAX_BYTES // 2**20} MB each)", type=TYPES, accept_multiple_files=True,
        help="One digit or a whole number per image; several images at once are fine.",
    ) or []]  # fmt: skip
    examples = {e.title: e for e in list_examples()}
    picked = st.pills("No scanner at hand? Try an example", list(examples), selection_mode="multi", key="examples")
    chosen += [(title, examples[title].data) for title in picked]
    if st.toggle("Take a photo with the camera", key="use_camera"):
        photo = st.camera_input("Photo of a handwritten number")
        if photo is not None:
            chosen.append(("Camera photo", photo.getvalue()))
    unique: dict[bytes, tuple[str, bytes]] = {}
    for name, data in chosen:
        unique.setdefault(hashlib.sha256(data).digest(), (name, data))
    if len(unique) < len(chosen):
        st.caption("The same file was chosen more than once: it is read once.")
    return list(unique.values())


@st.cache_data(max_entries=64, show_spinner="Reading ...")
def read_image(_model, model_name: str, data: bytes):
    """The digits of one image and the image with them boxed; cached so reruns do not read it again."""
    photo = _model.read_photo(data)
    readings = photo.readings
    boxes, refused = [r.box for r in readings], [not r.is_digit for r in readings]
    return readings, boxed_image(decode(data), boxes, readings.labels, refused=refused, page=photo.page), photo.page is not None


def show_image(name: str, boxed, readings, key: str, on_paper: bool = False) -> None:
    """The image with a box on each digit, the number read, and what the model saw for each digit."""
    with st.container(border=True):
        st.markdown(f"**{plain(name)}**")
        picture, numbers = st.columns([3, 2], gap="medium")
        picture.image(boxed)
        if on_paper:
            picture.caption("Read on the paper found in the photo (outlined in green), straightened; the desk around it is ignored.")
        with numbers:
            if not readings:
                st.info("No handwriting found in this image.", icon=":material/search_off:")
                return
            st.metric(label="Number read", value=readings.number or "?")
            if readings.refused:
                st.warning(f"{marks_not_digits(readings.refused)}: boxed in amber, left out of the number.", icon=":material/block:")
            doubts = [f"digit {i} (a {r.candidates[0]} or a {r.candidates[1]}?)" for i, r in enumerate(readings, 1) if r.unsure]
            if doubts:
                st.warning("Not sure about " + ", ".join(doubts) + ".", icon=":material/help:")
        digit_tiles(readings, "upload", key, model.name)


def table_rows(name: str, readings) -> list[dict]:
    return [
        {"file": name, "position": i, "digit": r.digit, "confidence": round(r.confidence, 4),
         "top3": ", ".join(f"{d} ({confidence(p)})" for d, p in r.top3), "unsure": r.unsure,
         "is_digit": r.is_digit, "box": "{} {} {} {}".format(*r.box)}
        for i, r in enumerate(readings, 1)
    ]  # fmt: skip


st.title("Read handwriting from images")
st.html(DROPZONE_LIMIT)
st.caption("Upload scans or photos of handwritten digits. Each digit found is boxed, read left to right, line by line.")
model = predictor()
if model is None:
    no_model_message()
    st.stop()

rows: list[dict] = []
for position, (name, data) in enumerate(images_to_read()):
    try:
        readings, boxed, on_paper = read_image(model, model.name, data)
    except ImageError as exc:
        st.error(f"**{plain(name)}**: {exc}", icon=":material/broken_image:")
        continue
    show_image(name, boxed, readings, key=f"upload-{position}", on_paper=on_paper)
    rows += table_rows(name, readings)

if rows:
    st.subheader("All results")
    table = pd.DataFrame(rows)
    st.dataframe(
        table.assign(confidence=table.confidence.map(confidence)), hide_index=True,
        column_order=["file", "position", "digit", "confidence", "is_digit", "top3"],
        column_config={"position": "#", "top3": "Top 3", "is_digit": "a digit?"},
    )  # fmt: skip
    st.download_button("Download as CSV", table.to_csv(index=False), "digits.csv", "text/csv", icon=":material/download:")
