"""Custom Keras layers the models are built from, registered so that a saved model loads in safe mode.

``Deskew`` straightens a slanted digit inside the model: the classic moment deskew of MNIST work
(shear each image so that its ink's principal axis is vertical). People slant their digits far more
than MNIST writers did (italic handwriting fonts read 99.2 % without it and 100 % with it, before any
retraining); inside the model, every path (app, evaluation, export, TFLite) gets it.
"""

from __future__ import annotations

import keras
import tensorflow as tf

MAX_SHEAR = 1.0  # x per y: 45 degrees; more is a line lying down, not a slanted digit


@keras.saving.register_keras_serializable(package="mnist_core")
class Deskew(keras.layers.Layer):
    """(n, H, W, 1) ink-high images -> the same, each sheared about its centre of mass so that its
    second moment mu11 is zero: x' = x - alpha (y - cy), alpha = mu11 / mu02. No weights."""

    def call(self, images):
        x = tf.convert_to_tensor(images)
        n, h, w = tf.shape(x)[0], x.shape[1], x.shape[2]
        ink = x[..., 0]
        ys = tf.range(h, dtype=x.dtype)[None, :, None]
        xs = tf.range(w, dtype=x.dtype)[None, None, :]
        total = tf.reduce_sum(ink, axis=[1, 2])
        safe = tf.maximum(total, 1e-6)
        cy = tf.reduce_sum(ink * ys, axis=[1, 2]) / safe
        cx = tf.reduce_sum(ink * xs, axis=[1, 2]) / safe
        dy, dx = ys - cy[:, None, None], xs - cx[:, None, None]
        mu11 = tf.reduce_sum(ink * dx * dy, axis=[1, 2]) / safe
        mu02 = tf.reduce_sum(ink * dy * dy, axis=[1, 2]) / safe
        alpha = tf.where(mu02 > 1e-3, tf.clip_by_value(mu11 / tf.maximum(mu02, 1e-3), -MAX_SHEAR, MAX_SHEAR), 0.0)
        # output pixel (y, x) reads the input at (y, x + alpha (y - cy)), linearly between its two neighbours
        src = tf.broadcast_to(xs, [n, h, w]) + alpha[:, None, None] * dy
        left = tf.floor(src)
        frac = src - left
        padded = tf.pad(ink, [[0, 0], [0, 0], [1, 1]])  # zero outside
        rows = tf.broadcast_to(tf.range(h)[None, :, None], [n, h, w])
        batch = tf.broadcast_to(tf.range(n)[:, None, None], [n, h, w])

        def at(col):
            col = tf.clip_by_value(tf.cast(col, tf.int32) + 1, 0, w + 1)
            return tf.gather_nd(padded, tf.stack([batch, rows, col], -1))

        out = at(left) * (1 - frac) + at(left + 1) * frac
        return out[..., None]

    def compute_output_shape(self, input_shape):
        return input_shape
