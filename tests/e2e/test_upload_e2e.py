"""Upload images in headless Chromium and read the "Number read" the real model gives."""

from __future__ import annotations

import csv

import pytest

from mnist_core.data import synthetic
from tests.support import inputs
from tests.support.browser import wait_for_app
from tests.support.photos import note_on_desk


def number_photo(mnist, digits: str, seed: int) -> bytes:
    """A photo of ``digits`` written on paper, each digit an MNIST test digit of that class."""
    picks = [int((mnist.y_test == int(d)).nonzero()[0][seed]) for d in digits]
    return inputs.encode(synthetic.number_row(mnist.x_test[picks], seed).convert("RGB"), "JPEG", quality=85)


@pytest.fixture
def upload_page(app_server, page):
    # Open the app at its root and follow the sidebar link, as a person would.
    page.goto(app_server.url)
    wait_for_app(page)
    page.locator("canvas.upper-canvas").first.wait_for(timeout=120_000)  # the first visit loads the model
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Upload").click()
    page.get_by_text("Read handwriting from images").wait_for()
    wait_for_app(page)
    return page


def numbers_read(page) -> list[str]:
    metrics = page.get_by_test_id("stMetric").filter(has_text="Number read")
    return [v.strip() for v in metrics.get_by_test_id("stMetricValue").all_inner_texts()]


def test_a_multi_digit_photo_is_read(upload_page, mnist, tmp_path):
    photo = tmp_path / "year.jpg"
    photo.write_bytes(number_photo(mnist, "2024", seed=1))
    upload_page.locator("input[type=file]").first.set_input_files(str(photo))
    upload_page.get_by_test_id("stMetric").filter(has_text="Number read").wait_for()
    wait_for_app(upload_page)
    assert numbers_read(upload_page) == ["2024"]
    with upload_page.expect_download() as download:
        upload_page.get_by_test_id("stDownloadButton").get_by_role("button", name="Download as CSV").click()
    rows = list(csv.DictReader(open(download.value.path())))  # noqa: SIM115
    assert [(r["file"], r["position"], r["digit"]) for r in rows] == [("year.jpg", str(i), d) for i, d in enumerate("2024", 1)]


def test_a_note_on_a_desk_is_read_on_the_paper_found(upload_page, mnist, tmp_path):
    photo, _ = note_on_desk(mnist, "47")
    (tmp_path / "note.jpg").write_bytes(photo)
    upload_page.locator("input[type=file]").first.set_input_files(str(tmp_path / "note.jpg"))
    upload_page.get_by_test_id("stMetric").filter(has_text="Number read").wait_for()
    wait_for_app(upload_page)
    assert numbers_read(upload_page) == ["47"]
    assert upload_page.get_by_text("Read on the paper found in the photo").is_visible()


def test_a_bad_file_is_one_sentence_and_the_other_files_are_still_read(upload_page, mnist, tmp_path):
    (tmp_path / "notes.png").write_text("These are my notes, not a picture.\n")
    (tmp_path / "phone.jpg").write_bytes(number_photo(mnist, "385", seed=2))
    (tmp_path / "zip.png").write_bytes(inputs.encode(synthetic.number_row(mnist.x_test[[3, 2, 1]], 5), "PNG"))
    files = [str(tmp_path / n) for n in ("notes.png", "phone.jpg", "zip.png")]
    upload_page.locator("input[type=file]").first.set_input_files(files)
    upload_page.get_by_test_id("stAlertContentError").first.wait_for()
    upload_page.get_by_test_id("stMetric").filter(has_text="Number read").nth(1).wait_for()
    wait_for_app(upload_page)
    errors = upload_page.get_by_test_id("stAlertContentError").get_by_test_id("stMarkdownContainer").all_inner_texts()
    assert len(errors) == 1 and errors[0].startswith("notes.png: ") and errors[0].rstrip().endswith(".")
    expected = "".join(str(int(d)) for d in mnist.y_test[[3, 2, 1]])
    assert numbers_read(upload_page) == ["385", expected]
    assert not upload_page.get_by_test_id("stException").count()


def test_an_example_image_is_read_without_any_file(upload_page):
    from mnist_core.views.examples import list_examples

    example = max(list_examples(), key=lambda e: len(e.number))
    upload_page.get_by_role("button", name=example.title).click()
    upload_page.get_by_test_id("stMetric").filter(has_text="Number read").wait_for()
    wait_for_app(upload_page)
    assert numbers_read(upload_page) == [example.number]


def test_a_mark_that_is_not_a_digit_is_boxed_apart_and_left_out_of_the_number(upload_page, mnist, tmp_path):
    photo = tmp_path / "with-a-heart.png"
    first, second = (int((mnist.y_test == d).nonzero()[0][0]) for d in (3, 5))
    page_image = synthetic.compose([mnist.x_test[first], inputs.heart_ink(), mnist.x_test[second]], 5, digit_height=80).image
    photo.write_bytes(inputs.encode(page_image, "PNG"))
    upload_page.locator("input[type=file]").first.set_input_files(str(photo))
    upload_page.get_by_test_id("stMetric").filter(has_text="Number read").wait_for()
    wait_for_app(upload_page)
    assert numbers_read(upload_page) == ["35"]
    assert upload_page.get_by_text("1 mark is not a digit: boxed in amber, left out of the number.").is_visible()
    assert upload_page.get_by_text("not a digit", exact=True).count() == 1  # the refused mark's own label


def test_a_file_over_the_size_limit_is_one_sentence_and_a_file_chosen_twice_is_read_once(upload_page, mnist, tmp_path):
    big = tmp_path / "huge scan.png"
    big.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(21 * 2**20))  # 21 MB
    photo = tmp_path / "phone.jpg"
    photo.write_bytes(number_photo(mnist, "385", seed=2))
    upload_page.locator("input[type=file]").first.set_input_files([str(big), str(photo)])
    upload_page.get_by_test_id("stAlertContentError").first.wait_for(timeout=60_000)
    wait_for_app(upload_page)
    errors = upload_page.get_by_test_id("stAlertContentError").all_inner_texts()
    assert len(errors) == 1 and "huge scan.png" in errors[0] and "20 MB" in errors[0], errors
    upload_page.locator("input[type=file]").first.set_input_files([str(photo), str(photo)])
    upload_page.get_by_text("The same file was chosen more than once").wait_for(timeout=60_000)
    wait_for_app(upload_page)
    assert numbers_read(upload_page) == ["385"]
