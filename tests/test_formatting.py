"""Numbers and sentences for people (mnist_core.formatting)."""

from mnist_core import formatting
from mnist_core.formatting import confidence, not_a_digit


def test_a_refused_drawing_names_its_nearest_digit_only_when_one_stands_out():
    assert not_a_digit(4, 0.35) == "That doesn't look like a digit. At most it is a 4, at 35.0%."
    flat = not_a_digit(0, 0.107)  # a house: every digit near 10 %
    assert flat.startswith("That doesn't look like a digit.") and "0" not in flat and "stands out" in flat


def test_confidence_never_rounds_to_a_certainty():
    assert (confidence(0.99996), confidence(0.00004), confidence(0.973)) == (">99.9%", "<0.1%", "97.3%")


def test_refused_marks_are_counted_in_words():
    assert formatting.marks_not_digits(1) == "1 mark is not a digit"
    assert formatting.marks_not_digits(3) == "3 marks are not a digit"
