"""What training minimises and reports: each net's cross-entropy, outlier exposure for non-digit marks, the
digit accuracy, and the optimiser with its learning-rate schedule."""

from __future__ import annotations

import functools

import keras

NON_DIGIT = 10  # the label of a generated non-digit mark (mnist_core.data.non_digits): trained towards "no digit"
NON_DIGITS_WEIGHT = 0.5  # their loss (towards the uniform distribution) relative to a digit's


def _digit_or_uniform_loss(y_true, probs, smoothing: float = 0.0):
    """Cross-entropy for a digit (its target smoothed: 1 - smoothing on the digit, the rest spread over all ten);
    for a NON_DIGIT mark, NON_DIGITS_WEIGHT x the cross-entropy with the uniform distribution (outlier exposure,
    Hendrycks et al. 2019): no digit should stand out."""
    ops = keras.ops
    y = ops.cast(y_true, "int32")
    log_p = ops.log(ops.clip(probs, 1e-7, 1.0))
    target = ops.one_hot(ops.minimum(y, 9), 10) * (1.0 - smoothing) + smoothing / 10
    digit = -ops.sum(target * log_p, axis=-1)
    uniform = -ops.mean(log_p, axis=-1)
    return ops.where(ops.equal(y, NON_DIGIT), NON_DIGITS_WEIGHT * uniform, digit)


def members_loss(y_true, y_pred, smoothing: float = 0.0):
    """Each ensemble member's loss (y_pred: n, members, 10), averaged over the members."""
    members = keras.ops.shape(y_pred)[1]
    y = keras.ops.repeat(keras.ops.expand_dims(y_true, 1), members, axis=1)
    return keras.ops.mean(_digit_or_uniform_loss(y, y_pred, smoothing), axis=1)


def single_loss(y_true, y_pred, smoothing: float = 0.0):
    return _digit_or_uniform_loss(y_true, y_pred, smoothing)


class DigitAccuracy(keras.metrics.Metric):
    """Accuracy over the real digits of a batch (non-digit marks have no right digit); an ensemble's
    members (n, members, 10) are averaged first."""

    def __init__(self, name="accuracy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.right = self.add_variable((), initializer="zeros", name="right")
        self.seen = self.add_variable((), initializer="zeros", name="seen")

    def update_state(self, y_true, y_pred, sample_weight=None):
        ops = keras.ops
        if len(y_pred.shape) == 3:
            y_pred = ops.mean(y_pred, axis=1)
        y = ops.reshape(ops.cast(y_true, "int32"), (-1,))
        digit = ops.cast(ops.less(y, NON_DIGIT), "float32")
        right = ops.cast(ops.equal(ops.cast(ops.argmax(y_pred, axis=-1), "int32"), y), "float32")
        self.right.assign_add(ops.sum(right * digit))
        self.seen.assign_add(ops.sum(digit))

    def result(self):
        return self.right / keras.ops.maximum(self.seen, 1.0)

    def reset_state(self):
        self.right.assign(0.0)
        self.seen.assign(0.0)


def compile_model(model: keras.Model, config, total_steps: int, *, members: bool = False) -> None:
    """Adam, at a constant rate or with a short warm-up and cosine decay.

    ``members``: the model outputs each ensemble member's softmax (architectures.members_view);
    each member gets its own loss, and "accuracy" is the ensemble's. Labels may hold NON_DIGIT.
    """
    smoothing = getattr(config, "label_smoothing", 0.0)
    loss = functools.partial(members_loss if members else single_loss, smoothing=smoothing)
    metric = DigitAccuracy()
    rate = config.lr
    if config.schedule != "constant":
        warmup = min(max(total_steps // 20, 1), 1000)
        rate = keras.optimizers.schedules.CosineDecay(
            initial_learning_rate=config.lr / 10,
            decay_steps=max(total_steps - warmup, 1),
            warmup_target=config.lr,
            warmup_steps=warmup,
            alpha=0.01,
        )
    model.compile(optimizer=keras.optimizers.Adam(rate), loss=loss, metrics=[metric])
