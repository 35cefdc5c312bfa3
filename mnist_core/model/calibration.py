"""Confidence that means what it says, and "that is not a digit".

A model's softmax ``p`` is turned into calibrated probabilities by temperature scaling
(Guo et al. 2017): ``softmax(log p / T)``, with ``T`` fitted on held-out MNIST by least negative
log-likelihood. The largest calibrated probability is the *digit score*; a mark whose score is under
the model's threshold is refused. The threshold is the score that refuses ``REFUSE_SHARE`` of the
held-out MNIST digits; the studio recipe trains generated non-digits towards the uniform
distribution (``objectives.NON_DIGIT``), so they score low.

Both numbers live in the model card under ``"calibration"``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnist_core import formatting

REFUSE_SHARE = 0.002  # of held-out MNIST digits refused when the threshold is chosen
ECE_BINS = 15


@dataclass(frozen=True)
class Calibration:
    temperature: float = 1.0
    threshold: float = 0.0  # digit score below which a mark is not a digit; 0: never refuse

    @classmethod
    def from_card(cls, card: dict | None) -> Calibration:
        c = (card or {}).get("calibration") or {}
        return cls(float(c.get("temperature", 1.0)), float(c.get("threshold", 0.0)))

    def apply(self, probs: np.ndarray) -> np.ndarray:
        return apply_temperature(probs, self.temperature)

    def is_digit(self, calibrated: np.ndarray) -> np.ndarray:
        return digit_score(calibrated) >= self.threshold


def apply_temperature(probs: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(log p / T), row by row, float32."""
    p = np.asarray(probs, dtype=np.float64)
    if temperature == 1.0:
        return p.astype(np.float32)
    logits = np.log(np.clip(p, 1e-12, 1.0)) / temperature
    logits -= logits.max(axis=-1, keepdims=True)
    e = np.exp(logits)
    return (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)


def digit_score(probs: np.ndarray) -> np.ndarray:
    """How much a mark looks like one digit: its largest (calibrated) probability."""
    return np.asarray(probs, dtype=np.float32).max(axis=-1)


def nll(probs: np.ndarray, labels: np.ndarray) -> float:
    p = np.asarray(probs, dtype=np.float64)[np.arange(len(labels)), np.asarray(labels)]
    return float(-np.log(np.clip(p, 1e-12, 1.0)).mean())


def fit_temperature(probs: np.ndarray, labels: np.ndarray) -> float:
    """The temperature with the least negative log-likelihood on (probs, labels): a golden-section
    search over log T in [log 0.05, log 20] (the likelihood is unimodal in T)."""
    lo, hi = np.log(0.05), np.log(20.0)
    ratio = (np.sqrt(5) - 1) / 2

    def cost(log_t: float) -> float:
        return nll(apply_temperature(probs, float(np.exp(log_t))), labels)

    a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    fa, fb = cost(a), cost(b)
    for _ in range(60):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - ratio * (hi - lo)
            fa = cost(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + ratio * (hi - lo)
            fb = cost(b)
    return float(np.exp((lo + hi) / 2))


def choose_threshold(digit_scores: np.ndarray, refuse_share: float = REFUSE_SHARE) -> float:
    """The score under which ``refuse_share`` of these (real digits') scores fall."""
    return float(np.quantile(np.asarray(digit_scores, dtype=np.float64), refuse_share))


def reliability(probs: np.ndarray, labels: np.ndarray, bins: int = ECE_BINS) -> list[dict]:
    """Per confidence bin: its range, how many readings fell in it, their mean confidence and accuracy."""
    p = np.asarray(probs, dtype=np.float64)
    confidence, right = p.max(axis=1), p.argmax(axis=1) == np.asarray(labels)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    rows = []
    for b in range(bins):
        inside = which == b
        rows.append(
            {
                "low": float(edges[b]),
                "high": float(edges[b + 1]),
                "count": int(inside.sum()),
                "confidence": float(confidence[inside].mean()) if inside.any() else None,
                "accuracy": float(right[inside].mean()) if inside.any() else None,
            }
        )
    return rows


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, bins: int = ECE_BINS) -> float:
    """The count-weighted mean gap between confidence and accuracy over the bins (0: perfectly calibrated)."""
    rows = reliability(probs, labels, bins)
    total = sum(r["count"] for r in rows)
    return float(sum(r["count"] * abs(r["confidence"] - r["accuracy"]) for r in rows if r["count"]) / max(total, 1))


def fit(val_probs: np.ndarray, val_labels: np.ndarray, refuse_share: float = REFUSE_SHARE) -> dict:
    """The card's ``"calibration"`` entry, fitted on held-out MNIST softmax outputs."""
    temperature = fit_temperature(val_probs, val_labels)
    calibrated = apply_temperature(val_probs, temperature)
    return {
        "temperature": round(temperature, 4),
        "threshold": round(choose_threshold(digit_score(calibrated), refuse_share), 6),
        "refuse_share": refuse_share,
        "fitted_on": len(val_labels),
        "val_ece": round(expected_calibration_error(calibrated, val_labels), 5),
        "val_ece_uncalibrated": round(expected_calibration_error(val_probs, val_labels), 5),
    }


def card_metrics(entry: dict, test_probs: np.ndarray, test_labels: np.ndarray) -> list[dict]:
    """The Analysis page's calibration figures (``st.metric`` arguments) from a card's entry and the raw test softmax."""
    return [
        {
            "label": "Calibration error (ECE)",
            "value": formatting.percent(entry["test_ece"], 2),
            "help": "Mean gap between confidence and accuracy",
        },
        {"label": "Before calibration", "value": formatting.percent(expected_calibration_error(test_probs, test_labels), 2)},
        {"label": "Temperature", "value": f"{entry['temperature']:.2f}"},
        {"label": "Test digits refused", "value": formatting.percent(entry["test_refused"], 2)},
    ]


def card_entry(model, val, test, test_probs: np.ndarray | None = None) -> dict:
    """The card's calibration: temperature and digit threshold fitted on ``val``, then measured on ``test``."""
    from mnist_core import evaluation

    entry = fit(evaluation.predict_in_batches(model, val[0]), val[1])
    if test_probs is None:
        test_probs = evaluation.predict_in_batches(model, test[0])
    cal = Calibration.from_card({"calibration": entry})
    calibrated = cal.apply(test_probs)
    entry["test_ece"] = round(expected_calibration_error(calibrated, test[1]), 5)
    entry["test_refused"] = round(float((~cal.is_digit(calibrated)).mean()), 5)
    entry["test_reliability"] = reliability(calibrated, test[1])
    return entry
