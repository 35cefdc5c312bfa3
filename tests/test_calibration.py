"""Calibration: the temperature that makes confidence honest, the calibration error, the digit threshold."""

import numpy as np

from mnist_core.model import calibration


def _overconfident(n: int = 4000, temperature: float = 2.5, seed: int = 0):
    """Softmax outputs that are honest at ``temperature`` and shown sharpened (T = 1)."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 1.5, (n, 10))
    honest = np.exp(logits / temperature)
    honest /= honest.sum(1, keepdims=True)
    labels = np.array([rng.choice(10, p=p) for p in honest])
    sharp = np.exp(logits)
    return sharp / sharp.sum(1, keepdims=True), labels


def test_the_fitted_temperature_recovers_the_honest_one():
    probs, labels = _overconfident()
    assert abs(calibration.fit_temperature(probs, labels) - 2.5) < 0.25


def test_calibration_cuts_the_calibration_error():
    probs, labels = _overconfident()
    fitted = calibration.apply_temperature(probs, calibration.fit_temperature(probs, labels))
    before = calibration.expected_calibration_error(probs, labels)
    after = calibration.expected_calibration_error(fitted, labels)
    assert before > 0.1 and after < 0.03


def test_reliability_bins_hold_every_reading_once():
    probs, labels = _overconfident(1000)
    rows = calibration.reliability(probs, labels)
    assert len(rows) == calibration.ECE_BINS and sum(r["count"] for r in rows) == 1000
    assert all(r["low"] < r["high"] for r in rows)


def test_the_threshold_refuses_the_chosen_share_of_real_digits():
    scores = np.linspace(0.3, 1.0, 10001)
    threshold = calibration.choose_threshold(scores, 0.002)
    assert abs((scores < threshold).mean() - 0.002) < 0.0005


def test_a_card_without_calibration_never_refuses():
    cal = calibration.Calibration.from_card({"preset": "conv1"})
    probs = np.full((3, 10), 0.1, np.float32)
    assert cal.is_digit(cal.apply(probs)).all()
