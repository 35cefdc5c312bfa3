"""The generated non-digit marks the studio recipe learns to refuse."""

import numpy as np
import pytest

from mnist_core import preprocess
from mnist_core.data import non_digits


def test_the_same_seed_gives_the_same_marks_and_another_seed_others():
    a, b, c = non_digits.non_digits(40, seed=3), non_digits.non_digits(40, seed=3), non_digits.non_digits(40, seed=4)
    assert a.shape == (40, 28, 28) and a.dtype == np.uint8
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_every_mark_has_ink_normalised_like_a_digit():
    marks = non_digits.non_digits(60, seed=0).astype(np.float32) / 255
    assert (marks.reshape(60, -1).max(1) == 1.0).all()
    for m in marks[:10]:
        rows, cols = np.flatnonzero(m.max(1) > preprocess.INK_LEVEL), np.flatnonzero(m.max(0) > preprocess.INK_LEVEL)
        assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 <= preprocess.BOX + 4  # fits the 20x20 box, as digits do


def test_no_letter_that_reads_as_a_digit_is_generated():
    assert not set(non_digits.LETTERS) & set("OoIlSsZzBGqgbD")


def test_given_real_digits_some_marks_are_mirrored_digits_and_none_lies_as_close_to_a_digit_as_digits_do(mnist):
    from mnist_core.data.non_digits import DigitGuard

    images, labels = mnist.x_train[:21_500], mnist.y_train[:21_500]
    marks = non_digits.non_digits(300, seed=1, digits=(images, labels))
    mirrored = {tuple(m.ravel()) for m in images[np.isin(labels, non_digits.MIRRORED)][:, :, ::-1]}
    assert sum(tuple(m.ravel()) in mirrored for m in marks) >= 15  # about 12 % of 300
    guard = DigitGuard(images)
    assert guard.digit_like(images[-200:]).mean() > 0.5  # real digits it has not compared against
    doodles = np.stack([non_digits._drawn("doodle", np.random.default_rng(i)) for i in range(60)])
    assert guard.digit_like(doodles).mean() < 0.5  # most doodles are nothing like a digit


def test_a_doodle_has_at_least_two_parts_besides_dots():
    rng = np.random.default_rng(0)
    for _ in range(50):
        strokes = non_digits._doodle(rng)
        parts = [s for s in strokes if np.ptp(np.array(s), axis=0).max() > 0.06]
        assert len(parts) >= 2


def test_glyphs_come_from_the_fonts_matplotlib_ships_and_hold_no_digit_latin_letter_or_ring():
    import unicodedata

    from mnist_core.data import glyphs

    chars = {ch for _, ch in glyphs.pool()}
    assert len(chars) > 3000  # thousands of shapes, not a handful
    assert not chars & set("0123456789OoIlSsZzBbGgq٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹०१२३४५६७८९①②③")
    assert not any(unicodedata.category(ch) == "Nd" or ord(ch) < 0x0370 for ch in chars)
    assert not chars & set("○◯●◦ΟοОоЗзбЧчЅѕΒβ")  # a ring is a 0; these letters are 0, 3, 6, 4, 5, 8 in other scripts
    assert {"Ж", "Ψ", "א", "→", "★"} <= chars


def test_a_glyph_mark_is_redrawn_while_it_lies_as_close_to_a_digit_as_most_digits_do(mnist):
    from mnist_core.data.non_digits import DigitGuard

    guard = DigitGuard(mnist.x_train[:21_500])
    assert guard.strict_limit > guard.limit
    rng = np.random.default_rng(5)
    glyph_marks = np.stack([non_digits._drawn("glyph", rng) for _ in range(200)])
    inked = glyph_marks[glyph_marks.reshape(200, -1).max(1) == 255]
    assert len(inked) >= 195  # nearly every pick draws ink
    assert 0.05 < guard.digit_like(inked, strict=True).mean() < 0.8  # some printed shapes are digit-like ...
    assert guard.digit_like(inked, strict=True).mean() > guard.digit_like(inked).mean()  # ... held to the stricter limit


def test_a_short_run_with_few_real_digits_still_gets_guarded_marks(mnist):
    """Under DigitGuard.REFERENCE digits (a short run's) there is nothing held out: fixed limits."""
    from mnist_core.data.non_digits import DigitGuard

    guard = DigitGuard(mnist.x_train[:1000])
    assert 0 < guard.limit < guard.strict_limit
    marks = non_digits.non_digits(80, seed=0, digits=(mnist.x_train[:1000], mnist.y_train[:1000]))
    assert marks.shape == (80, 28, 28) and (marks.reshape(80, -1).max(1) > 0).mean() > 0.9


def test_marks_are_drawn_once_then_read_from_the_cache_and_a_damaged_cache_is_drawn_again(tmp_path, monkeypatch, mnist):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    digits = (mnist.x_train[:500], mnist.y_train[:500])
    first = non_digits.cached_non_digits(20, seed=3, digits=digits)
    np.testing.assert_array_equal(first, non_digits.non_digits(20, seed=3, digits=digits))
    [cached] = (tmp_path / "mnist-studio" / "non-digits").glob("*.npy")
    monkeypatch.setattr(non_digits, "non_digits", lambda *a, **k: pytest.fail("drawn again although cached"))
    np.testing.assert_array_equal(non_digits.cached_non_digits(20, seed=3, digits=digits), first)
    monkeypatch.undo()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cached.write_bytes(b"not an array")
    np.testing.assert_array_equal(non_digits.cached_non_digits(20, seed=3, digits=digits), first)
    assert not np.array_equal(non_digits.cached_non_digits(20, seed=4, digits=digits), first)  # another seed, another file
