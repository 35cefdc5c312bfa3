"""The Train form's state (mnist_core.views.train_form): what a recipe or an architecture fills in, and what a return
to the page keeps."""

from mnist_core import training
from mnist_core.model import architectures
from mnist_core.views import train_form


def test_a_first_visit_gets_the_best_recipe_on_all_images():
    state = {}
    train_form.restore(state)
    assert state["train_recipe"] == "best" and state["train_preset"] == architectures.RECIPES["best"].preset
    assert state["train_all"] is True
    assert state["train_epochs"] == architectures.PRESETS[state["train_preset"]].defaults["epochs"]
    assert train_form.config(state).limit is None


def test_the_quick_recipe_trains_fewer_epochs_and_the_form_runs_exactly_the_recipe():
    state = {"train_recipe": "quick"}
    train_form.use_recipe(state)
    quick = architectures.RECIPES["quick"]
    assert state["train_preset"] == quick.preset and state["train_epochs"] == quick.settings["epochs"]
    assert state["train_epochs"] < architectures.RECIPES["best"].settings["epochs"]
    assert state["train_all"] is (quick.settings["limit"] is None)
    cfg = train_form.config(state)
    assert (cfg.epochs, cfg.limit, cfg.name, cfg.recipe) == (
        quick.settings["epochs"],
        quick.settings["limit"],
        state["train_name"],
        "quick",
    )
    assert cfg == training.TrainConfig.for_recipe("quick", name=state["train_name"])  # what `train --recipe quick` runs


def test_the_best_recipes_settings_the_form_does_not_show_still_reach_the_run_and_a_field_changed_wins():
    state = {}
    train_form.restore(state)
    state["train_epochs"] = 4
    cfg = train_form.config(state)
    assert cfg.augment_fade == architectures.RECIPES["best"].settings["augment_fade"] > 0
    assert (cfg.epochs, cfg.recipe) == (4, "best")
    state["train_all"], state["train_limit"] = False, 5000
    assert train_form.config(state).limit == 5000


def test_a_return_to_the_page_keeps_what_was_typed():
    state = {}
    train_form.restore(state)
    state.update(train_epochs=7, train_name="  mine  ")
    train_form.remember(state)
    back = {"train_form": state["train_form"]}  # Streamlit dropped the widgets' own state
    train_form.restore(back)
    assert back["train_epochs"] == 7
    assert train_form.config(back).name == "mine"


def test_choosing_an_architecture_resets_its_settings_and_suggests_a_new_name():
    state = {}
    train_form.restore(state)
    state.update(train_preset="conv4-dense256", train_epochs=99)
    train_form.use_preset_defaults(state)
    assert state["train_epochs"] == architectures.PRESETS["conv4-dense256"].defaults["epochs"]
    assert state["train_name"].startswith("conv4-dense256")
    assert state["train_recipe"] is None and train_form.config(state).recipe is None  # no longer the Best recipe


def test_a_form_filled_in_from_a_run_makes_that_run_again():
    run = training.TrainConfig.for_preset("conv1", epochs=3, batch_size=32, lr=1e-4, val_split=0.05, limit=12000, augment=True)
    state = {}
    train_form.use_config(state, run, "again")
    again = train_form.config(state)
    assert (again.preset, again.epochs, again.batch_size, again.lr, again.val_split, again.limit, again.augment, again.name) == (
        "conv1", 3, 32, 1e-4, 0.05, 12000, True, "again",
    )  # fmt: skip
