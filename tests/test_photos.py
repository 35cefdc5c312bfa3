"""Phone photos as people take them: a note lying on a desk, a page at an angle with the table showing, a hard
shadow across the writing."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_core import preprocess
from mnist_core.inference import Predictor
from tests.support.photos import jpeg, note_on_desk, shadowed, tilted_page, written


@pytest.fixture(scope="module")
def reader(default_model_name) -> Predictor:
    return Predictor.load(default_model_name)


def _read(reader: Predictor, photo: bytes) -> tuple[str, int]:
    readings = reader.read(photo)
    return readings.number, readings.refused


def test_a_note_on_a_desk_is_read_and_the_note_is_found(mnist, reader):
    photo, centre = note_on_desk(mnist, "47")
    assert _read(reader, photo) == ("47", 0)
    found = preprocess.find_digits(photo)
    assert found.page is not None
    corners = found.page.corners
    assert np.allclose(corners.mean(axis=0), centre, atol=12)  # the note, not the desk or the photo
    for digit in found.digits:
        x0, y0, x1, y1 = digit.box
        assert corners[:, 0].min() < x0 and x1 < corners[:, 0].max() and corners[:, 1].min() < y0 and y1 < corners[:, 1].max()


def test_a_tilted_pages_table_edges_are_not_read_as_digits(mnist, reader):
    assert _read(reader, tilted_page(mnist, "3")) == ("3", 0)
    assert _read(reader, tilted_page(mnist, "250")) == ("250", 0)


def test_a_shadows_edge_is_not_a_mark(mnist, reader):
    assert preprocess.from_image(shadowed(mnist, None)) == []  # a shadow on an empty page: nothing to read
    assert _read(reader, shadowed(mnist, "5")) == ("5", 0)
    assert _read(reader, shadowed(mnist, "38")) == ("38", 0)


def test_a_plain_scan_has_no_page_to_find(mnist):
    found = preprocess.find_digits(jpeg(written(mnist, "12", (400, 300), 120)))
    assert found.page is None and len(found.digits) == 2
