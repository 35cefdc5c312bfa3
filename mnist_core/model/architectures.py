"""The model zoo: one builder per preset.

Every model takes float32 (n, 28, 28, 1) in [0, 1] (ink = 1) and returns softmax (n, 10).
Each preset records the settings its source used, which the Train page offers as defaults.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import keras
import numpy as np
from keras import layers

from mnist_core.model.layers import Deskew

INPUT_SHAPE = (28, 28, 1)


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    build: Callable[[], keras.Model]
    defaults: dict = field(default_factory=dict)  # epochs, batch_size, lr, val_split, augment, non_digits


def _model(name: str, *body: layers.Layer) -> keras.Model:
    return keras.Sequential([keras.Input(INPUT_SHAPE), *body], name=name)


def build_conv4_dense256() -> keras.Model:
    return _model(
        "conv4-dense256",
        layers.Conv2D(32, 5, padding="same", activation="relu"),
        layers.Conv2D(32, 5, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Dropout(0.25),
        layers.Conv2D(64, 3, padding="same", activation="relu"),
        layers.Conv2D(64, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2, strides=2),
        layers.Dropout(0.1),
        layers.Flatten(),
        layers.Dense(256, activation="relu"),
        layers.Dense(10, activation="softmax"),
    )


def build_conv2_dropout() -> keras.Model:
    return _model(
        "conv2-dropout",
        layers.Conv2D(32, 3, activation="relu"),
        layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Dropout(0.25),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    )


def build_conv3() -> keras.Model:
    return _model(
        "conv3",
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(64, 3, activation="relu"),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dense(10, activation="softmax"),
    )


def build_conv2() -> keras.Model:
    return _model(
        "conv2",
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dense(10, activation="softmax"),
    )


def build_conv1() -> keras.Model:
    return _model(
        "conv1",
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(32, activation="relu"),
        layers.Dense(10, activation="softmax"),
    )


def _conv_bn(filters: int, kernel: int, strides: int = 1, padding: str = "valid") -> list[layers.Layer]:
    return [
        layers.Conv2D(filters, kernel, strides=strides, padding=padding, use_bias=False),
        layers.BatchNormalization(),
        layers.Activation("relu"),
    ]


STUDIO_MEMBERS = 2
MEAN_LAYER = "members_mean"  # the averaging layer that marks an ensemble


def _studio_member(inputs: keras.KerasTensor) -> keras.KerasTensor:
    """Three conv blocks with batch norm; strided 5x5 convs learn their own pooling. The first block, on the
    full-size image, has 16 filters: with 32 it cost half of all the multiply-adds for little accuracy."""
    body = [
        *_conv_bn(16, 3),
        *_conv_bn(16, 3),
        *_conv_bn(16, 5, strides=2, padding="same"),
        layers.Dropout(0.4),
        *_conv_bn(64, 3),
        *_conv_bn(64, 3),
        *_conv_bn(64, 5, strides=2, padding="same"),
        layers.Dropout(0.4),
        *_conv_bn(128, 4),
        layers.Flatten(),
        layers.Dropout(0.4),
        layers.Dense(10, activation="softmax"),
    ]
    x = inputs
    for layer in body:
        x = layer(x)
    return x


def build_studio(members: int = STUDIO_MEMBERS) -> keras.Model:
    """An ensemble in one model: a deskew, then ``members`` independent conv nets whose softmax outputs are averaged.

    Each member is trained with its own loss (see ``members_view``), as if it were trained alone,
    and the saved model is one ordinary functional model.
    """
    inputs = keras.Input(INPUT_SHAPE)
    straight = Deskew(name="deskew")(inputs)  # slanted handwriting, straightened (mnist_core.model.layers)
    outputs = [_studio_member(straight) for _ in range(members)]
    return keras.Model(inputs, layers.Average(name=MEAN_LAYER)(outputs) if members > 1 else outputs[0], name="studio")


def members_view(model: keras.Model) -> keras.Model | None:
    """For an ensemble model: the same layers with the members' softmax stacked, (n, members, 10).

    Training fits this view with a per-member loss; None for a model that is not an ensemble.
    """
    try:
        mean = model.get_layer(MEAN_LAYER)
    except ValueError:
        return None
    stacked = layers.Concatenate(axis=1)([layers.Reshape((1, 10))(t) for t in mean.input])
    return keras.Model(model.input, stacked, name=f"{model.name}_members")


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in [
        Preset(
            "studio",
            "The default's architecture: a deskew, then two 7-layer conv nets with batch norm and dropout, averaged in one model.",
            build_studio,
            {"epochs": 11, "batch_size": 128, "lr": 3e-3, "val_split": 0.05, "augment": True, "non_digits": True, "augment_fade": 0.4},
        ),
        Preset(
            "studio-single",
            "One of the default's two nets alone, after the same deskew: half the work per image, for quick runs.",
            lambda: build_studio(members=1),
            {"epochs": 2, "batch_size": 128, "lr": 3e-3, "val_split": 0.05, "augment": False, "non_digits": True},
        ),
        Preset(
            "conv4-dense256",
            "Two 5x5 and two 3x3 conv pairs, max-pooling, dropout, Dense 256.",
            build_conv4_dense256,
            {"epochs": 10, "batch_size": 128, "lr": 1e-3, "val_split": 0.2, "augment": False, "schedule": "constant"},
        ),
        Preset(
            "conv2-dropout",
            "Conv 32 + Conv 64, max-pooling, dropout, Dense 128 (source: 98.86 %).",
            build_conv2_dropout,
            {"epochs": 12, "batch_size": 32, "lr": 1e-3, "val_split": 0.0, "augment": False, "schedule": "constant"},
        ),
        Preset(
            "conv3",
            "Three 3x3 convs with two max-poolings, Dense 128.",
            build_conv3,
            {"epochs": 5, "batch_size": 64, "lr": 1e-3, "val_split": 0.2, "augment": False, "schedule": "constant"},
        ),
        Preset(
            "conv2",
            "Two 3x3 convs with max-pooling, Dense 128.",
            build_conv2,
            {"epochs": 5, "batch_size": 64, "lr": 1e-3, "val_split": 0.0, "augment": False, "schedule": "constant"},
        ),
        Preset(
            "conv1",
            "The smallest: one conv, max-pooling, Dense 32; 173,738 parameters (source: 98.16 %).",
            build_conv1,
            {"epochs": 5, "batch_size": 64, "lr": 1e-3, "val_split": 0.0, "augment": False, "schedule": "constant"},
        ),
    ]
}


@dataclass(frozen=True)
class Recipe:
    """A starting point for the Train page's form: a preset and what it changes in its defaults."""

    label: str
    preset: str
    settings: dict  # epochs, batch_size, limit (None: all 60,000 images) ...
    note: str  # what it usually reaches (measured, BENCHMARKS.md)


RECIPES: dict[str, Recipe] = {
    "best": Recipe(
        "Best",
        "studio",
        {"epochs": 11, "limit": None, "augment": True, "augment_fade": 0.4},
        "The default model's recipe, shorter: 11 epochs on all 57,000 training images, augmented, the augmentation "
        "fading out over the last 40 % of the run. About 12 min here, about 99.7 % on MNIST test, and it refuses most "
        "marks that are no digit.",
    ),
    "quick": Recipe(
        "Quick",
        "studio-single",
        {"epochs": 1, "limit": None, "augment": False, "augment_fade": 0.0},
        "A first try: one of the default's two nets alone, one epoch over all 57,000 training images, not augmented. "
        "Under 1 min here (the very first run also draws its non-digit marks: about 12 s more), about 99.1 % on MNIST test.",
    ),
}


@lru_cache(maxsize=16)
def parameter_count(preset: str) -> int:
    return int(build(preset).count_params())


@lru_cache(maxsize=16)
def forward_flops(preset: str) -> int:
    """FLOPs (2 x multiply-adds) of one image's forward pass, from the convolutions and dense layers (the rest is small)."""
    flops = 0
    for layer in build(preset)._flatten_layers():
        if isinstance(layer, layers.Conv2D):
            _, h, w, c_out = layer.output.shape
            flops += 2 * h * w * c_out * int(np.prod(layer.kernel_size)) * layer.input.shape[-1]
        elif isinstance(layer, layers.Dense):
            flops += 2 * layer.input.shape[-1] * layer.units
    return int(flops)


def build(preset: str) -> keras.Model:
    if preset not in PRESETS:
        raise ValueError(f"Unknown preset {preset!r}; choose one of {', '.join(PRESETS)}.")
    return PRESETS[preset].build()
