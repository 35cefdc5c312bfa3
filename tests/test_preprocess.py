"""Preprocessing: what the model sees from drawings, scans, photos and bad files (no model needed).

A reading is "right" here when the 28x28 we produce matches the MNIST digit it was made from
(same normalisation applied to the original): the model-level accuracy is in test_inference.py.
"""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image, ImageDraw
from scipy import ndimage

from mnist_core import preprocess
from mnist_core.data import synthetic
from mnist_core.preprocess import ImageError
from tests.conftest import PROJECT_ROOT
from tests.support import inputs, photos


@pytest.fixture(scope="module")
def digits(mnist):
    """The first 0, 4 and 9 of the MNIST test set (4 and 9 are the classic mix-up)."""
    idx = [int(np.flatnonzero(mnist.y_test == d)[0]) for d in (0, 4, 9)]
    return mnist.x_test[idx]


def reference(digit: np.ndarray) -> np.ndarray:
    return preprocess.normalize(digit / 255.0)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Correlation of two 28x28 after a slight blur (a one-pixel shift is still the same digit)."""
    a, b = ndimage.gaussian_filter(a, 1.0), ndimage.gaussian_filter(b, 1.0)
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def iou(a, b) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union


def assert_reads_as(found: list[preprocess.Digit], originals: np.ndarray, min_similarity: float = 0.85) -> None:
    assert len(found) == len(originals), f"found {len(found)} digits, expected {len(originals)}"
    for got, original in zip(found, originals, strict=True):
        assert got.image.shape == (28, 28) and got.image.dtype == np.float32
        assert similarity(got.image, reference(original)) > min_similarity


# ---------------------------------------------------------------- normalize: the MNIST recipe


def test_normalize_fits_20x20_keeps_aspect_and_centres_mass():
    ink = np.zeros((300, 500), np.float32)
    ink[40:240, 100:160] = 1.0  # a bar 200 tall, 60 wide, off-centre
    out = preprocess.normalize(ink)
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert out.min() >= 0 and out.max() == pytest.approx(1.0)
    rows, cols = np.flatnonzero(out.max(axis=1) > 0.05), np.flatnonzero(out.max(axis=0) > 0.05)
    assert rows[-1] - rows[0] + 1 == 20  # the long side becomes 20 px
    assert 5 <= cols[-1] - cols[0] + 1 <= 7  # 60/200 of it, aspect kept
    cy = (out.sum(axis=1) * np.arange(28)).sum() / out.sum()
    cx = (out.sum(axis=0) * np.arange(28)).sum() / out.sum()
    assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5


def test_normalize_reproduces_mnist_digits(mnist):
    """MNIST digits are already normalised: running them through again changes almost nothing."""
    for img in mnist.x_test[:50]:
        assert similarity(reference(img), img / 255.0) > 0.9


def test_normalize_thickens_a_thin_pen_line():
    ink = np.zeros((400, 400), np.float32)
    ink[50:350, 198:201] = 1.0  # a "1" written with a 3 px pen, 300 px tall
    out = preprocess.normalize(ink)
    assert (out > 0.5).sum() >= 30  # MNIST-like stroke: ~2 px wide over 20 rows, not a faint hairline


@pytest.mark.parametrize("blank", [np.zeros((50, 50)), np.zeros((0, 10)), np.full((5, 5), np.nan), -np.ones((9, 9))])
def test_normalize_without_ink_is_none(blank):
    assert preprocess.normalize(blank) is None


# ---------------------------------------------------------------- canvas


def test_canvas_transparent_and_opaque_backgrounds_agree(digits):
    transparent = inputs.canvas_rgba(digits[1], 7)
    assert transparent[..., :3].max() == 0  # drawable-canvas' default: the ink only in alpha
    white_paper = inputs.canvas_rgba(digits[1], 7, background=(255, 255, 255))
    blackboard = inputs.canvas_rgba(digits[1], 7, background=(0, 0, 0), colour=(255, 255, 255))
    a, b, c = (preprocess.from_canvas(x) for x in (transparent, white_paper, blackboard))
    assert similarity(a, b) > 0.99 and similarity(a, c) > 0.99
    assert similarity(a, reference(digits[1])) > 0.75


def test_canvas_drawing_looks_like_the_mnist_digit(mnist):
    rng = np.random.default_rng(3)
    scores = [similarity(preprocess.from_canvas(inputs.canvas_rgba(img, rng)), reference(img)) for img in mnist.x_test[:40]]
    assert np.median(scores) > 0.8


def test_canvas_box_and_crop():
    canvas = inputs.canvas_rgba([[(100, 60), (100, 220)]], stroke_width=20)  # a "1"
    digit = preprocess.canvas_digit(canvas)
    x0, y0, x1, y1 = digit.box
    assert (88 <= x0 <= 92) and (108 <= x1 <= 112) and (48 <= y0 <= 52) and (228 <= y1 <= 232)
    assert digit.crop.shape == (y1 - y0, x1 - x0) and digit.crop.dtype == np.uint8
    assert digit.crop.min() == 0 and digit.crop[:, 0].max() == 255  # ink dark on white, like paper


@pytest.mark.parametrize(
    "canvas",
    [
        np.zeros((280, 280, 4), np.uint8),  # untouched transparent canvas
        np.full((280, 280, 4), 255, np.uint8),  # untouched white canvas
        inputs.canvas_rgba([[(140, 140)]], stroke_width=18),  # one tap: a dot
        inputs.canvas_rgba([[(140, 140), (150, 146)]], stroke_width=40),  # one tap of a fat brush
        inputs.canvas_rgba([[(20, 20)], [(250, 30)], [(60, 250)]], stroke_width=3),  # three specks
    ],
    ids=["transparent", "white", "dot", "fat dot", "specks"],
)
def test_empty_or_nearly_empty_canvas_is_none(canvas):
    assert preprocess.from_canvas(canvas) is None


def test_canvas_of_the_wrong_shape_is_a_clear_error():
    with pytest.raises(ImageError, match="RGBA"):
        preprocess.from_canvas(np.zeros((280, 280, 5), np.uint8))


# ---------------------------------------------------------------- photos and scans


def test_scanned_page_one_digit_off_centre(mnist):
    rng = np.random.default_rng(11)
    for i in range(8):
        img = mnist.x_test[i]
        page = synthetic.compose([img], rng, size=(640, 480), jpeg_quality=60)
        found = preprocess.from_image(page.image)
        assert_reads_as(found, [img])
        assert iou(found[0].box, page.boxes[0]) > 0.7
        x0, y0, x1, y1 = found[0].box
        assert found[0].crop.shape == (y1 - y0, x1 - x0)


def test_number_row_left_to_right(digits):
    found = preprocess.from_image(synthetic.number_row(digits, 5))
    assert_reads_as(found, digits)
    assert [d.box[0] for d in found] == sorted(d.box[0] for d in found)


def test_light_ink_on_dark_board(digits):
    assert_reads_as(preprocess.from_image(synthetic.number_row(digits, 6, dark_ink=False)), digits)


def test_two_lines_on_ruled_paper_read_top_to_bottom(mnist):
    six = mnist.x_test[10:16]
    page = synthetic.compose(six, 8, size=(720, 480), digit_height=70, per_line=3, ruled=True)
    found = preprocess.from_image(page.image)
    assert_reads_as(found, six, min_similarity=0.8)
    for got, expected in zip(found, page.boxes, strict=True):
        assert iou(got.box, expected) > 0.6


def test_broken_strokes_and_specks_stay_one_digit(mnist):
    five = mnist.x_test[int(np.flatnonzero(mnist.y_test == 5)[0])].copy()
    rows = np.flatnonzero(five.max(axis=1) > 0)
    five[rows[0] + 4 : rows[0] + 6] = 0  # the bar of the 5 drawn apart from its body
    page = synthetic.compose([five], 2, size=(400, 300), digit_height=120, jpeg_quality=None)
    pixels = np.asarray(page.image).copy()
    for y, x in [(20, 20), (280, 370), (30, 350)]:
        pixels[y : y + 3, x : x + 3] = 30  # dust
    found = preprocess.from_image(pixels)
    assert len(found) == 1
    assert similarity(found[0].image, reference(mnist.x_test[int(np.flatnonzero(mnist.y_test == 5)[0])])) > 0.8


@pytest.mark.parametrize("pair", [(0, 8), (2, 3), (4, 5)])
def test_touching_digits_are_cut_apart(mnist, pair):
    ids = [int(np.flatnonzero(mnist.y_test == d)[0]) for d in pair]
    layout = synthetic.compose(mnist.x_test[ids], 0, digit_height=60, gap=(-0.03, -0.01), jpeg_quality=None)
    assert_reads_as(preprocess.from_image(layout.image), mnist.x_test[ids], min_similarity=0.8)


def test_box_is_in_original_coordinates_for_big_photos(digits):
    """Photos above the working size are segmented smaller; the boxes still refer to the original pixels."""
    layout = synthetic.compose(digits[:1], 4, size=(640, 480), digit_height=100, jpeg_quality=None)
    big = layout.image.resize((2560, 1920), Image.Resampling.BICUBIC)  # 4.9 megapixels
    (found,) = preprocess.from_image(inputs.encode(big, "PNG"))
    expected = tuple(v * 4 for v in layout.boxes[0])
    assert iou(found.box, expected) > 0.7


# ---------------------------------------------------------------- every format and mode people upload


@pytest.fixture(scope="module")
def odd_files(digits):
    return inputs.odd_files(digits, 9)


CASES = list(inputs.odd_files(np.zeros((3, 28, 28), np.uint8), 0))  # the case names only


@pytest.mark.parametrize("case", CASES)
def test_every_format_and_mode_reads_the_same_number(case, odd_files, digits):
    _, data = odd_files[case]
    found = preprocess.from_image(data)
    assert_reads_as(found, digits)
    reference_boxes = [d.box for d in preprocess.from_image(odd_files["PNG"][1])]
    for got, expected in zip(found, reference_boxes, strict=True):
        assert iou(got.box, expected) > 0.8  # EXIF rotation applied: same upright coordinates


def test_decode_gives_upright_first_frame(odd_files):
    rotated = preprocess.decode(odd_files["EXIF-rotated JPEG"][1])
    upright = preprocess.decode(odd_files["JPEG"][1])
    assert rotated.size == upright.size
    gif = preprocess.decode(odd_files["animated GIF"][1])
    assert gif.tell() == 0


# ---------------------------------------------------------------- bad uploads: one clear sentence each


@pytest.mark.parametrize(
    ("case", "says"),
    [
        ("zero bytes", "empty"),
        ("text named .png", "not an image we can read"),
        ("truncated PNG", "damaged or cut short"),
        ("truncated JPEG", "damaged or cut short"),
        ("PNG bomb 30000x30000", "too large"),
        ("SVG", "SVG"),
        ("PDF", "PDF"),
    ],
)
def test_bad_upload_is_one_clear_sentence(case, says):
    _, data = inputs.bad_files()[case]
    with pytest.raises(ImageError) as err:
        preprocess.from_image(data)
    message = str(err.value)
    assert says in message
    assert message.endswith(".") and "\n" not in message and "Traceback" not in message


@pytest.mark.parametrize("case", list(inputs.blank_files(0)))
def test_image_without_a_digit_finds_nothing(case):
    _, data = inputs.blank_files(0)[case]
    assert preprocess.from_image(data) == []


def test_long_strip_with_a_number(digits):
    row = np.asarray(synthetic.number_row(digits, 2, digit_height=36).convert("L"))
    strip = np.full((50, 10000), 240, np.uint8)
    strip[: min(50, row.shape[0]), 5000 : 5000 + row.shape[1]] = row[:50]
    found = preprocess.from_image(inputs.encode(Image.fromarray(strip), "PNG"))
    assert_reads_as(found, digits, min_similarity=0.8)
    assert all(5000 <= d.box[0] < 5000 + row.shape[1] for d in found)


def test_too_many_bytes_is_refused_before_decoding():
    with pytest.raises(ImageError, match="MB"):
        preprocess.decode(b"\x89PNG" + bytes(preprocess.MAX_BYTES))


def test_pixel_limit_counts_pixels_not_bytes():
    big = inputs.encode(Image.new("1", (8000, 6000)), "PNG")  # 48 megapixels in a few kB
    assert len(big) < 100_000
    with pytest.raises(ImageError, match="40 megapixels"):
        preprocess.decode(big)


def test_png_bomb_is_refused_without_allocating_it():
    """Decoding the 900-megapixel header in a fresh process: refused, and the process stays small."""
    code = (
        "import resource, sys\n"
        "from mnist_core import preprocess\nfrom tests.support import inputs, photos\n"
        "data = inputs.bomb_png()\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "try:\n"
        "    preprocess.from_image(data)\n"
        "except preprocess.ImageError as exc:\n"
        "    print(exc)\n"
        "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120, check=True)
    message, grown_mb = out.stdout.strip().splitlines()
    assert "too large" in message
    assert int(grown_mb) < 50  # the pixels (900 MB) were never allocated


def test_pil_image_and_array_inputs(digits):
    row = synthetic.number_row(digits, 5)
    assert_reads_as(preprocess.from_image(row), digits)
    assert_reads_as(preprocess.from_image(np.asarray(row)), digits)
    assert_reads_as(preprocess.from_image(np.asarray(row.convert("L")).astype(np.float64) / 255), digits)
    with pytest.raises(ImageError):
        preprocess.from_image(np.zeros((10, 10, 7)))


def test_decode_passes_pil_images_through_the_same_checks():
    with pytest.raises(ImageError, match="too large"):
        preprocess.decode(Image.new("1", (8000, 6000)))
    assert preprocess.decode(Image.open(io.BytesIO(inputs.encode(Image.new("L", (5, 5)), "PNG")))).size == (5, 5)


def test_a_small_tight_crop_of_a_digit_is_found(mnist):
    """A low-resolution scan cut to the digit itself: the ink fills most of it, and nothing is lost."""
    found = []
    for digit in mnist.x_test[:60]:
        rows, cols = np.flatnonzero(digit.max(1) > 60), np.flatnonzero(digit.max(0) > 60)
        tight = 255 - digit[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
        page = Image.fromarray(tight).resize((32, 32), Image.Resampling.BILINEAR)  # stretched to fill, as low-res sets are
        found.append(len(preprocess.from_image(page)))
    assert 0 not in found, f"no digit found in crops {[i for i, n in enumerate(found) if n == 0]}"
    assert found.count(1) >= 55


@pytest.mark.parametrize("size", [8, 64, 120])
def test_a_tight_crop_at_any_small_size_is_one_digit(mnist, size):
    """An 8x8 scan (one pixel a stroke) and a crop the digit fills to its edges, with strokes too thick for
    the page: each is one digit (before: 1 of 60 found at 8 px, 44 at 64 px, 43 at 120 px)."""
    found = []
    for digit in mnist.x_test[:60]:
        rows, cols = np.flatnonzero(digit.max(1) > 60), np.flatnonzero(digit.max(0) > 60)
        tight = 255 - digit[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
        found.append(len(preprocess.from_image(Image.fromarray(tight).resize((size, size), Image.Resampling.BILINEAR))))
    assert found.count(1) >= 55, f"{found.count(1)} of 60 crops read as one digit ({found.count(0)} as none)"


def test_a_digit_filling_its_photo_keeps_its_long_strokes(mnist):
    """A digit 290 px tall in a 300 px photo, strokes 40 px wide: the stem of a 1, the bar of a 4 or the side of an
    8 spans most of the photo, and is a stroke, not a ruled line to remove (before: 17 of 60 not one digit)."""
    read = []
    for digit in mnist.x_test[:60]:
        ink = synthetic.ink_alpha(digit, 290)
        x = (300 - ink.shape[1]) // 2
        rgb = np.full((300, 300, 3), photos.PAPER, np.float32)
        rgb[5 : 5 + ink.shape[0], x : x + ink.shape[1]] *= 1 - 0.85 * ink[..., None]
        read.append(len(preprocess.from_image(photos.jpeg(Image.fromarray(rgb.astype(np.uint8))))))
    assert read.count(1) >= 58, f"{read.count(1)} of 60 read as one digit ({read.count(0)} as none)"


def test_a_small_digit_on_a_big_photo_is_found(mnist):
    """A 120 px digit on a 3000x2000 photo is well under 0.5 % of its pixels; it used to read as a blank page."""
    page = {"size": (3000, 2000), "digit_height": 120, "light": 0.0}  # evenly lit, as a scanner or a flash lights it
    layout = synthetic.compose([mnist.x_test[0]], np.random.default_rng(3), **page)
    [digit] = preprocess.from_image(layout.image)
    (x0, y0, x1, y1), (bx0, by0, bx1, by1) = digit.box, layout.boxes[0]
    assert abs(x0 - bx0) <= 8 and abs(y0 - by0) <= 8 and abs(x1 - bx1) <= 8 and abs(y1 - by1) <= 8


def test_a_five_with_its_bar_written_apart_is_one_digit_and_its_neighbours_stay_apart():
    """Written as people write a 5: the bar is a second stroke that does not touch the rest. Beside it, a 1."""
    page = Image.new("L", (420, 240), 245)
    draw = ImageDraw.Draw(page)
    draw.line([(158, 30), (215, 26)], fill=20, width=9)  # the bar, apart, above and right of the body
    draw.line([(110, 52), (104, 110)], fill=20, width=9)  # the stem
    draw.arc((96, 90, 176, 190), start=-150, end=150, fill=20, width=9)  # the bowl, joined to the stem
    draw.line([(300, 40), (300, 190)], fill=20, width=9)  # a 1 beside it
    found = preprocess.from_image(page)
    assert len(found) == 2
    _, y0, x1, y1 = found[0].box
    assert y0 <= 30 and y1 >= 185 and x1 >= 212  # bar, stem and bowl in one box
    assert found[1].box[0] >= 290
