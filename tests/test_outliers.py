"""The generated non-digit marks the studio recipe learns to refuse."""

import numpy as np

from mnist_core import outliers, preprocess


def test_the_same_seed_gives_the_same_marks_and_another_seed_others():
    a, b, c = outliers.non_digits(40, seed=3), outliers.non_digits(40, seed=3), outliers.non_digits(40, seed=4)
    assert a.shape == (40, 28, 28) and a.dtype == np.uint8
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_every_mark_has_ink_normalised_like_a_digit():
    marks = outliers.non_digits(60, seed=0).astype(np.float32) / 255
    assert (marks.reshape(60, -1).max(1) == 1.0).all()
    for m in marks[:10]:
        rows, cols = np.flatnonzero(m.max(1) > preprocess.INK_LEVEL), np.flatnonzero(m.max(0) > preprocess.INK_LEVEL)
        assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 <= preprocess.BOX + 4  # fits the 20x20 box, as digits do


def test_no_letter_that_reads_as_a_digit_is_generated():
    assert not set(outliers.LETTERS) & set("OoIlSsZzBGqgbD")
