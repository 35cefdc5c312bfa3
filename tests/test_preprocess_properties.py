"""Property-based: whatever array or bytes reach the preprocessing, the answer is a valid 28x28
in [0, 1], None / no digit, or our own ImageError (one clear sentence) - never another exception."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

from mnist_core import preprocess
from mnist_core.preprocess import ImageError
from tests.support import inputs

DTYPES = st.sampled_from(["bool", "uint8", "int8", "uint16", "int32", "int64", "uint64", "float16", "float32", "float64"])
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)


def arrays(min_dims: int = 0, max_dims: int = 4, max_side: int = 40):
    return DTYPES.flatmap(
        lambda dtype: hnp.arrays(
            dtype,
            hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=0, max_side=max_side),
            elements=hnp.from_dtype(np.dtype(dtype), allow_nan=True, allow_infinity=True) if "float" in dtype else None,
        )
    )


def canvases():
    """Mostly canvas-shaped arrays (H, W, 1-4 channels), with values anywhere in the dtype's range."""
    return DTYPES.flatmap(
        lambda dtype: hnp.arrays(
            dtype,
            st.tuples(st.integers(0, 48), st.integers(0, 48), st.sampled_from([1, 2, 3, 4, 5])),
            elements=hnp.from_dtype(np.dtype(dtype), allow_nan=True, allow_infinity=True) if "float" in dtype else None,
        )
    )


def assert_digit_image(x) -> None:
    assert isinstance(x, np.ndarray)
    assert x.shape == (28, 28) and x.dtype == np.float32
    assert np.isfinite(x).all() and x.min() >= 0.0 and x.max() <= 1.0


def assert_clear(err: ImageError) -> None:
    message = str(err)
    assert message and "\n" not in message and message.endswith(".")


def check(fn, value) -> object:
    try:
        return fn(value)
    except ImageError as err:
        assert_clear(err)
        return err


@SETTINGS
@given(arrays())
def test_normalize_any_array(a):
    out = check(preprocess.normalize, a)
    if not isinstance(out, ImageError) and out is not None:
        assert_digit_image(out)


@SETTINGS
@given(st.one_of(canvases(), arrays()))
def test_from_canvas_any_array(a):
    out = check(preprocess.from_canvas, a)
    if not isinstance(out, ImageError) and out is not None:
        assert_digit_image(out)


@SETTINGS
@given(st.one_of(canvases(), arrays(max_side=64)))
def test_from_image_any_array(a):
    out = check(preprocess.from_image, a)
    if not isinstance(out, ImageError):
        assert isinstance(out, list)
        for digit in out:
            assert_digit_image(digit.image)
            x0, y0, x1, y1 = digit.box
            assert 0 <= x0 < x1 <= a.shape[1] and 0 <= y0 < y1 <= a.shape[0]


@SETTINGS
@given(st.sampled_from([np.array(["a", "b"]), np.array([1 + 2j]), np.array([object(), None]), [[1, 2], [3]], "text", None]))
def test_non_numeric_input_is_a_clear_error(a):
    for fn in (preprocess.normalize, preprocess.from_canvas, preprocess.from_image):
        out = check(fn, a)
        assert isinstance(out, ImageError)


@SETTINGS
@given(st.binary(max_size=2000))
def test_from_image_any_bytes(data):
    out = check(preprocess.from_image, data)
    assert isinstance(out, (list, ImageError))


VALID_FILES = [data for _, data in inputs.odd_files(np.full((2, 28, 28), 0, np.uint8) + np.eye(28, dtype=np.uint8) * 255, 1).values()]


@SETTINGS
@given(st.sampled_from(VALID_FILES), st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=8), st.integers(0, 10**6))
def test_damaged_image_files(data, flips, cut):
    """Real files of every format with bytes changed and cut short: read, or refused with one sentence."""
    damaged = bytearray(data)
    for position, value in flips:
        damaged[position % len(damaged)] = value
    damaged = bytes(damaged[: max(1, len(damaged) - cut % len(damaged))])
    out = check(preprocess.from_image, damaged)
    if isinstance(out, list):
        for digit in out:
            assert_digit_image(digit.image)


@SETTINGS
@given(st.sampled_from(["1", "L", "P", "RGB", "RGBA", "LA", "CMYK", "I", "I;16", "F", "YCbCr", "HSV", "LAB", "PA", "La", "RGBa"]))
def test_every_pil_mode(mode):
    image = Image.new("L", (60, 40), 230)
    image.paste(20, (25, 8, 32, 32))  # a "1"
    try:
        image = image.convert(mode)
    except (ValueError, OSError):
        return  # PIL itself cannot make this mode from L
    out = check(preprocess.from_image, image)
    assert isinstance(out, (list, ImageError))
