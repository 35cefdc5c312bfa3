"""The Train page's form as state: its fields, their defaults from an architecture or a recipe, and the run config
they make. Works on any mutable mapping (the page passes Streamlit's session state), so it holds no UI."""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import replace

from mnist_core import registry, training
from mnist_core.model import architectures

# setting -> the form field that holds it
FIELDS = {"epochs": "train_epochs", "batch_size": "train_batch", "lr": "train_lr", "val_split": "train_val", "augment": "train_aug"}
# every field kept between visits (Streamlit drops a page's widget state when the user leaves it)
KEPT = ["train_recipe", "train_preset", *FIELDS.values(), "train_all", "train_limit", "train_name"]
DEFAULT_RECIPE = "best"
DEFAULT_LIMIT = 5000


def use_preset_defaults(state: MutableMapping) -> None:
    """The chosen architecture's own settings, and a fresh model name. Another architecture than the recipe's
    leaves the recipe: its settings would no longer be what the run is."""
    recipe = architectures.RECIPES.get(state.get("train_recipe"))
    if recipe is not None and recipe.preset != state["train_preset"]:
        state["train_recipe"] = None
    d = architectures.PRESETS[state["train_preset"]].defaults
    state.update({field: d[setting] for setting, field in FIELDS.items()})
    state["train_name"] = registry.suggest_name(state["train_preset"])


def use_recipe(state: MutableMapping) -> None:
    """The chosen recipe's architecture and settings (a recipe may train on a subset)."""
    recipe = architectures.RECIPES.get(state.get("train_recipe"))
    if recipe is None:
        return
    state["train_preset"] = recipe.preset
    use_preset_defaults(state)
    settings = {**recipe.settings}
    limit = settings.pop("limit", None)
    state["train_all"] = limit is None
    if limit is not None:
        state["train_limit"] = limit
    state.update({FIELDS[k]: v for k, v in settings.items() if k in FIELDS})  # the rest come with the recipe (config)


def use_config(state: MutableMapping, config: training.TrainConfig, name: str) -> None:
    """The form filled in from a run's settings (fine-tuning's): the inverse of ``config``, field by field."""
    state.update({field: getattr(config, setting) for setting, field in FIELDS.items()})
    state.update(train_preset=config.preset, train_all=config.limit is None, train_name=name)
    if config.limit is not None:
        state["train_limit"] = config.limit


def restore(state: MutableMapping) -> None:
    """On a first visit the default recipe; back from another page, the form as it was left."""
    if "train_preset" not in state:
        if saved := state.get("train_form"):
            state.update(saved)
        else:
            state["train_recipe"] = DEFAULT_RECIPE
            use_recipe(state)
    state["train_limit"] = state.get("train_limit", DEFAULT_LIMIT)  # kept while its input is hidden


def remember(state: MutableMapping) -> None:
    state["train_form"] = {k: state[k] for k in KEPT if k in state}


def config(state: MutableMapping, **samples) -> training.TrainConfig:
    """The run the form describes: its recipe (the settings the form does not show, such as label smoothing, come
    from it) with the form's fields over it, or the architecture's defaults (``samples``: the sample fields,
    include_samples and init_from)."""
    fields = dict(
        epochs=state["train_epochs"], batch_size=state["train_batch"], lr=state["train_lr"], augment=state["train_aug"],
        val_split=state["train_val"], limit=None if state["train_all"] else state["train_limit"], name=state["train_name"].strip(), **samples,
    )  # fmt: skip
    if state.get("train_recipe") in architectures.RECIPES:  # the form's limit holds even when empty (all images)
        return replace(
            training.TrainConfig.for_recipe(state["train_recipe"], preset=state["train_preset"], **fields), limit=fields["limit"]
        )
    return training.TrainConfig.for_preset(state["train_preset"], **fields)


def started_message(name: str, queued: bool) -> str:
    return f"**{name}** is queued: it starts when the runs before it end." if queued else f"Started **{name}**."
