"""The Upload page under AppTest: many files at once, bad ones among them, examples, the camera, the table.

The tiny model reads digits only roughly, so these tests check what the page does with a reading
(one box and one digit per digit found, the number, the table); the browser tests check with the
real model that the number read is right.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from mnist_core.data import synthetic
from mnist_core.views.examples import list_examples
from tests.conftest import PROJECT_ROOT
from tests.support import inputs

MIME = "application/octet-stream"


@pytest.fixture(scope="module")
def number(mnist) -> tuple[str, bytes, str]:
    """A photographed 4-digit number (the first four MNIST test digits) as an uploaded PNG."""
    row = synthetic.number_row(mnist.x_test[:4], 3, jpeg_quality=None)
    return ("number.png", inputs.encode(row, "PNG"), "image/png")


def open_upload_page() -> AppTest:
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=60).run()
    return at.switch_page("app_pages/upload.py").run()


def upload(at: AppTest, files: list[tuple[str, bytes, str]]) -> AppTest:
    at.file_uploader[0].set_value(files)
    return at.run()


def numbers_read(at: AppTest) -> list[str]:
    return [m.value for m in at.metric if m.label == "Number read"]


def allowed(at: AppTest, name: str) -> str:
    """The uploader only offers image types; a person can still rename any file to .png."""
    types = {t.lstrip(".").lower() for t in at.file_uploader[0].allowed_type}
    return name if Path(name).suffix.lstrip(".").lower() in types else name + ".png"


def test_the_page_offers_files_a_camera_and_examples(tiny_registry):
    at = open_upload_page()
    assert not at.exception
    uploader = at.file_uploader[0]
    assert uploader.accept_multiple_files
    assert {"png", "jpg", "jpeg", "bmp", "tif", "tiff", "gif", "webp"} <= set(t.lstrip(".") for t in uploader.allowed_type)
    assert at.toggle(key="use_camera") is not None
    examples = list_examples()
    assert len(examples) >= 3 and sum(e.path.stat().st_size for e in examples) < 100_000
    assert not numbers_read(at), "nothing is read before something is chosen"


def test_a_number_is_boxed_read_and_listed(tiny_registry, number):
    at = upload(open_upload_page(), [number])
    assert not at.exception and not at.error
    (value,) = numbers_read(at)
    assert len(value) == 4 and value.isdigit(), "four digits found, one reading each"
    table = at.dataframe[0].value
    assert list(table["file"]) == ["number.png"] * 4
    assert "".join(str(d) for d in table["digit"]) == value
    assert list(table["position"]) == [1, 2, 3, 4]
    assert table["confidence"].str.fullmatch(r"[<>]?\d{1,3}\.\d%").all()  # the format of every other page
    assert at.get("download_button"), "the results can be downloaded as CSV"
    # the boxed original, then each digit's 28x28
    assert len(at.get("image")) == 1 + 4


def test_bad_files_get_one_sentence_each_and_the_good_ones_are_still_read(tiny_registry, number):
    bad = inputs.bad_files()
    at = open_upload_page()
    files = [(allowed(at, name), data, MIME) for name, data in bad.values()]
    at = upload(at, [files[0], number, *files[1:]])
    assert not at.exception
    errors = [e.body.replace("\\", "") for e in at.error]  # file names are escaped for Markdown
    assert len(errors) == len(bad)
    for (name, _, _), message in zip(files, errors, strict=True):
        assert message.startswith(f"**{name}**: ")
        sentence = message.removeprefix(f"**{name}**: ")
        assert sentence.endswith(".") and "\n" not in sentence and "Traceback" not in sentence
    assert len(numbers_read(at)) == 1 and len(numbers_read(at)[0]) == 4
    assert set(at.dataframe[0].value["file"]) == {"number.png"}


def test_odd_but_valid_images_are_all_read(tiny_registry, mnist):
    odd = inputs.odd_files(mnist.x_test[:3], 5)
    at = open_upload_page()
    at = upload(at, [(allowed(at, name), data, MIME) for name, data in odd.values()])
    assert not at.exception
    assert not at.error, [e.body for e in at.error]
    read = numbers_read(at)
    assert len(read) == len(odd) and all(len(v) == 3 for v in read), read


def test_images_without_handwriting_say_so_without_a_number(tiny_registry):
    blank = inputs.blank_files(1)
    at = upload(open_upload_page(), [(name, data, MIME) for name, data in blank.values()])
    assert not at.exception and not at.error
    assert not numbers_read(at)
    assert sum("No handwriting found" in i.body for i in at.info) == len(blank)
    assert not at.dataframe, "no table without a single digit"


def test_an_example_is_read_at_once(tiny_registry):
    at = open_upload_page()
    example = max(list_examples(), key=lambda e: len(e.number))
    at.get("button_group")[0].set_value([example.title]).run()
    assert not at.exception
    (value,) = numbers_read(at)
    assert len(value) == len(example.number)
    assert set(at.dataframe[0].value["file"]) == {example.title}


def test_a_camera_photo_is_read(tiny_registry, mnist):
    at = open_upload_page()
    at.toggle(key="use_camera").set_value(True).run()
    photo = inputs.encode(synthetic.number_row(mnist.x_test[:2], 4).convert("RGB"), "JPEG")
    at.camera_input[0].set_value(("photo.jpg", photo, "image/jpeg")).run()
    assert not at.exception
    (value,) = numbers_read(at)
    assert len(value) == 2


def test_without_a_model_the_page_says_how_to_get_one(registry_root):
    at = open_upload_page()
    assert not at.exception
    assert any("No model is registered yet" in i.body for i in at.info)
    assert not at.file_uploader


def test_csv_has_one_row_per_digit(tiny_registry, number, mnist):
    same_picture_as_jpeg = inputs.encode(synthetic.number_row(mnist.x_test[:4], 3, jpeg_quality=None), "JPEG")
    at = upload(open_upload_page(), [number, ("again.jpg", same_picture_as_jpeg, "image/jpeg")])
    table = at.dataframe[0].value
    assert len(table) == 8 and list(table["file"]) == ["number.png"] * 4 + ["again.jpg"] * 4
    assert np.array_equal(table["digit"][:4].to_numpy(), table["digit"][4:].to_numpy())
