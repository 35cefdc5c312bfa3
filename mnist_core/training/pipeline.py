"""The training input pipeline: per-image augmentation (stateless, seeded per batch) and tf.data batches."""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

AUG_ROTATION_DEG = 15.0
AUG_SLANT = 0.3  # shear, x per y: about 17 degrees of slant either way
AUG_SCALE = 0.12
AUG_ASPECT = 0.2  # log of the width/height change: 0.82x to 1.22x
AUG_SHIFT_PX = 2.5
AUG_ELASTIC_PX = 0.9  # standard deviation of the coarse elastic field
AUG_STROKE_P = 0.2  # each of: thicken (3x3 grey dilation), thin (2x2 grey erosion)
AUG_THICKER_P = 0.05  # two dilations: a fat pen on a small digit
AUG_LOWRES_P = 0.15
AUG_CONTRAST_P = 0.2


def _uniform(seed: tf.Tensor, shape, low: float, high: float) -> tf.Tensor:
    return tf.random.stateless_uniform(shape, seed, low, high)


def _sampling_grid(n: tf.Tensor, seeds: tf.Tensor) -> tf.Tensor:
    """Where each output pixel reads its input: rotation, slant, aspect, zoom, shift and an elastic wobble.

    Returns (n, 28, 28, 2) input coordinates (y, x). Elastic: a coarse 4x4 field of random shifts,
    smoothly upsampled, like a hand that wavers (Simard et al. 2003, done cheaply).
    """
    angle = _uniform(seeds[0], [n], -1.0, 1.0) * (AUG_ROTATION_DEG * math.pi / 180)
    slant = _uniform(seeds[1], [n], -AUG_SLANT, AUG_SLANT)
    zoom = _uniform(seeds[2], [n], 1.0 - AUG_SCALE, 1.0 + AUG_SCALE)
    aspect = tf.exp(_uniform(seeds[3], [n], -AUG_ASPECT, AUG_ASPECT))
    shift = _uniform(seeds[4], [n, 2], -AUG_SHIFT_PX, AUG_SHIFT_PX)
    cos, sin, one, zero = tf.cos(angle), tf.sin(angle), tf.ones([n]), tf.zeros([n])

    def mat(a, b, c, d):  # (n, 2, 2) in (y, x) order
        return tf.stack([tf.stack([a, b], -1), tf.stack([c, d], -1)], 1)

    forward = mat(cos, sin, -sin, cos) @ mat(one, zero, slant, one) @ mat(zoom / aspect, zero, zero, zoom * aspect)
    c = 13.5
    ys, xs = tf.meshgrid(tf.range(28, dtype=tf.float32) - c, tf.range(28, dtype=tf.float32) - c, indexing="ij")
    out = tf.stack([ys, xs], -1)[None] - shift[:, None, None, :]  # (n, 28, 28, 2), about the centre
    coords = tf.einsum("nij,nhwj->nhwi", tf.linalg.inv(forward), out) + c
    coarse = tf.random.stateless_normal([n, 4, 4, 2], seeds[5]) * AUG_ELASTIC_PX
    return coords + tf.image.resize(coarse, [28, 28], method="bicubic")


def _bilinear(images: tf.Tensor, coords: tf.Tensor) -> tf.Tensor:
    """Sample (n, 28, 28, 1) images at (n, 28, 28, 2) coordinates, zero outside."""
    padded = tf.pad(images[..., 0], [[0, 0], [1, 1], [1, 1]])  # coordinates shift by one
    y, x = coords[..., 0] + 1.0, coords[..., 1] + 1.0
    y0, x0 = tf.floor(y), tf.floor(x)
    wy, wx = y - y0, x - x0
    n = tf.shape(images)[0]
    batch = tf.broadcast_to(tf.range(n)[:, None, None], tf.shape(y0))

    def at(yy, xx):
        yy = tf.clip_by_value(tf.cast(yy, tf.int32), 0, 29)
        xx = tf.clip_by_value(tf.cast(xx, tf.int32), 0, 29)
        return tf.gather_nd(padded, tf.stack([batch, yy, xx], -1))

    top = at(y0, x0) * (1 - wx) + at(y0, x0 + 1) * wx
    bottom = at(y0 + 1, x0) * (1 - wx) + at(y0 + 1, x0 + 1) * wx
    return (top * (1 - wy) + bottom * wy)[..., None]


def augment_batch(x: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """Pose, elastic wobble, stroke width, resolution and ink contrast, per image; the same for the same seed.

    Every random number is stateless, drawn from ``seed`` (the run's seed and the batch's index),
    so a run repeats exactly (with TensorFlow's op determinism).
    """
    seeds = tf.random.experimental.stateless_split(seed, num=12)
    n = tf.shape(x)[0]
    x = _bilinear(x, _sampling_grid(n, seeds))
    thick = tf.nn.max_pool2d(x, 3, 1, "SAME")
    cross = tf.constant([[0, 1, 0], [1, 1, 1], [0, 1, 0]], tf.float32)[..., None] - 1.0  # grey dilation by a plus
    thicker = tf.nn.dilation2d(thick, cross, [1, 1, 1, 1], "SAME", "NHWC", [1, 1, 1, 1])
    thin = -tf.nn.max_pool2d(-tf.pad(x, [[0, 0], [0, 1], [0, 1], [0, 0]]), 2, 1, "VALID")
    pick = _uniform(seeds[6], [n, 1, 1, 1], 0.0, 1.0)
    p = AUG_STROKE_P
    x = tf.where(pick < p, thick, tf.where(pick < p + AUG_THICKER_P, thicker, tf.where(pick < 2 * p + AUG_THICKER_P, thin, x)))
    # low resolution: down to 8-16 px and back up, like a small or distant digit
    side = tf.random.stateless_uniform([], seeds[7], 8, 17, dtype=tf.int32)
    low = tf.image.resize(tf.image.resize(x, [side, side], method="area"), [28, 28], method="bilinear")
    x = tf.where(_uniform(seeds[8], [n, 1, 1, 1], 0.0, 1.0) < AUG_LOWRES_P, low, x)
    # ink contrast: faint or saturated strokes
    gamma = tf.exp(_uniform(seeds[9], [n, 1, 1, 1], -0.35, 0.7))
    contrasted = tf.pow(tf.clip_by_value(x, 1e-6, 1.0), gamma)
    x = tf.where(_uniform(seeds[10], [n, 1, 1, 1], 0.0, 1.0) < AUG_CONTRAST_P, contrasted, x)
    peak = tf.reduce_max(x, axis=[1, 2, 3], keepdims=True)
    return tf.clip_by_value(x / tf.maximum(peak, 1e-3), 0.0, 1.0)  # the app always hands the model peak ink 1


def to_model_input(images: np.ndarray) -> np.ndarray:
    """uint8 (n, 28, 28) -> float32 (n, 28, 28, 1) in [0, 1]."""
    return (np.asarray(images, dtype=np.float32) / 255.0)[..., None]


def fade_augmentation(x: tf.Tensor, augmented: tf.Tensor, step: tf.Tensor, seed: tf.Tensor, total_steps: int, fade_steps: int) -> tf.Tensor:
    """Over the last ``fade_steps`` of ``total_steps`` the share of augmented images falls linearly to none:
    the run ends on the digits as they are, so no separate fine-tune without augmentation is needed."""
    share = tf.clip_by_value(tf.cast(total_steps - step, tf.float32) / float(max(fade_steps, 1)), 0.0, 1.0)
    keep = tf.random.stateless_uniform([tf.shape(x)[0], 1, 1, 1], seed) < share
    return tf.where(keep, augmented, x)


def make_dataset(
    x: np.ndarray, y: np.ndarray, batch_size: int, *, shuffle: bool, augment: bool, seed: int, total_steps: int = 0, fade_steps: int = 0
) -> tf.data.Dataset:
    """Batches of float images and int labels. Shuffled (training): it repeats without end, so that
    each batch's index over the whole run seeds its augmentation; fit it with ``steps_per_epoch``.
    ``fade_steps``: augmentation fades out over the last ``fade_steps`` of ``total_steps``."""
    ds = tf.data.Dataset.from_tensor_slices((x, y.astype(np.int32)))
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size).map(lambda a, b: (tf.cast(a, tf.float32)[..., None] / 255.0, b), num_parallel_calls=tf.data.AUTOTUNE)
    if shuffle:
        ds = ds.repeat().enumerate()
        if augment:

            def augmented(i, ab):
                batch_seed = tf.stack([tf.cast(seed, tf.int64), i])
                images = augment_batch(ab[0], batch_seed)
                if fade_steps:
                    images = fade_augmentation(ab[0], images, i, batch_seed + 1, total_steps, fade_steps)
                return images, ab[1]

            ds = ds.map(augmented, num_parallel_calls=tf.data.AUTOTUNE)
        else:
            ds = ds.map(lambda i, ab: ab)
    return ds.prefetch(tf.data.AUTOTUNE)


def split_train_val(x: np.ndarray, y: np.ndarray, val_split: float, seed: int):
    """A seeded split of the training set; the test set is never touched here."""
    if val_split <= 0:
        return (x, y), None
    order = np.random.default_rng(seed).permutation(len(x))
    n_val = max(1, round(len(x) * val_split))
    val, train = order[:n_val], order[n_val:]
    return (x[train], y[train]), (x[val], y[val])


# ---------------------------------------------------------------- fit


def held_out(config, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The validation images a run held out of the training images (x, y), found again from its settings (the split
    is seeded)."""
    if config.limit:
        x, y = x[: config.limit], y[: config.limit]
    return split_train_val(x, y, config.val_split, config.seed)[1]
