"""The Train page under AppTest: the form's checks, and the display of runs written by the tests (plus one real tiny run)."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from mnist_core import registry, runs, training
from mnist_core.model import architectures
from mnist_core.runs import supervisor as run_supervisor
from mnist_core.settings import runs_dir
from tests.app.apptest import open_app_page, run
from tests.conftest import PROJECT_ROOT


def open_page() -> AppTest:
    return open_app_page("app_pages/train.py")


def texts(elements) -> list[str]:
    return [e.value for e in elements]


def sidebar_models() -> list[str]:
    """The sidebar picker's choices, as a fresh visit sees them (AppTest shows no sidebar after switch_page)."""
    at = run(AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=120))
    return [option.split(" · ")[0] for option in at.sidebar.selectbox(key="model_name").options]


def start_button(at: AppTest):
    return next(b for b in at.button if b.label == "Start training")


@pytest.fixture
def live_process():
    """A process that stands in for a training child (alive, with a known start time)."""
    proc = subprocess.Popen(["sleep", "120"])
    yield proc
    proc.kill()
    proc.wait()


def write_run(state: str, name: str, events: list[dict] = (), pid: int | None = None, **status) -> Path:
    """A run folder as the child would leave it."""
    run_id = f"20250101-1200{len(runs.list_runs()):02d}-abcd"
    folder = runs_dir() / run_id
    folder.mkdir(parents=True)
    config = training.TrainConfig.for_preset("conv1", epochs=3, limit=1000, name=name)
    (folder / runs.CONFIG).write_text(json.dumps(config.to_dict()))
    now = time.time()
    if pid is not None:
        status.update(pid=pid, pid_start=run_supervisor._proc_start_time(pid))
    (folder / runs.STATUS).write_text(json.dumps({"state": state, "created": now - 90, "started": now - 80, **status}))
    (folder / runs.PROGRESS).write_text("".join(json.dumps({**e, "time": now - 40 + i}) + "\n" for i, e in enumerate(events)))
    return folder


START = {"type": "start", "total_steps": 48, "steps_per_epoch": 16, "epochs": 3, "train_samples": 1000, "val_samples": 0}
EPOCH1 = {"type": "epoch", "epoch": 1, "loss": 0.9, "accuracy": 0.7, "seconds": 4.0}
BATCH = {"type": "batch", "epoch": 2, "step": 8, "global_step": 24, "loss": 0.5123, "accuracy": 0.84, "samples_per_sec": 1234.0}


def test_every_bad_setting_gets_one_sentence_and_start_waits_until_they_are_fixed(tiny_registry):
    at = open_page()
    assert not start_button(at).disabled
    at.number_input(key="train_epochs").set_value(0)
    at.number_input(key="train_batch").set_value(3)
    at.number_input(key="train_lr").set_value(2.0)
    at.number_input(key="train_val").set_value(0.9)
    at.toggle(key="train_all").set_value(False)
    at.text_input(key="train_name").set_value("tiny")
    run(at)
    at.number_input(key="train_limit").set_value(50)
    run(at)
    errors = texts(at.error)
    assert "Epochs must be between 1 and 200, not 0." in errors
    assert "Batch size must be between 8 and 4096, not 3." in errors
    assert "Learning rate must be between 1e-06 and 1, not 2." in errors
    assert "Validation split must be between 0 and 0.5, not 0.9." in errors
    assert "The training-set size must be at least 100 images (or empty for all of them)." in errors
    assert "A model named 'tiny' already exists; choose another name." in errors
    assert len(errors) == 6 and start_button(at).disabled
    at.text_input(key="train_name").set_value("Not OK!")
    run(at)
    assert any("lower-case letters" in e for e in texts(at.error))

    for key, value in [("train_epochs", 2), ("train_batch", 64), ("train_lr", 0.001), ("train_val", 0.1), ("train_limit", 2000)]:
        at.number_input(key=key).set_value(value)
    at.text_input(key="train_name").set_value("fine")
    run(at)
    assert texts(at.error) == [] and not start_button(at).disabled


def test_choosing_an_architecture_fills_in_its_settings_and_a_name(tiny_registry):
    at = open_page()
    studio = f"{architectures.build('studio').count_params():,} parameters"  # the default preset, counted here
    assert any(studio in c for c in texts(at.caption))
    at.selectbox(key="train_preset").set_value("conv1")
    run(at)
    assert (at.number_input(key="train_epochs").value, at.number_input(key="train_batch").value) == (5, 64)
    assert at.number_input(key="train_lr").value == pytest.approx(1e-3) and not at.toggle(key="train_aug").value
    assert at.text_input(key="train_name").value.startswith("conv1-")
    assert any("173,738 parameters" in c for c in texts(at.caption))


def test_a_running_run_shows_progress_curves_and_can_be_cancelled(tiny_registry, live_process):
    folder = write_run(
        "running", "in-progress", [START, *[dict(BATCH, global_step=s) for s in (4, 8, 16)], EPOCH1, BATCH], pid=live_process.pid
    )
    at = open_page()
    bar = at.get("progress")[0]
    assert "Epoch 2 of 3 · step 24 of 48" in bar.proto.text and bar.proto.value == 50
    metrics = {m.label: m.value for m in at.main.metric}
    assert metrics == {"Epoch": "2 / 3", "Samples / s": "1,234", "Running batch loss": "0.5123", "Batch accuracy": "84.00%"}
    assert any("Training in-progress" in h for h in texts(at.subheader))
    cancel = next(b for b in at.button if b.label == "Cancel this run")
    cancel.click()
    run(at)
    assert (folder / runs.CANCEL).exists()
    assert "Cancelling ..." in texts(at.info)


def test_a_start_while_a_run_goes_is_queued_and_the_queue_can_be_edited(tiny_registry, live_process):
    write_run("running", "in-progress", [START], pid=live_process.pid)
    at = open_page()
    at.selectbox(key="train_preset").set_value("conv1")
    run(at)
    for name in ("later-a", "later-b"):
        at.text_input(key="train_name").set_value(name)
        start_button(at).click()
        run(at)
    assert any("**later-b** is queued" in s for s in texts(at.success))
    assert [r.name for r in runs.queue()] == ["later-a", "later-b"]
    assert any("1. **later-a**" in m for m in texts(at.markdown)) and any("2. **later-b**" in m for m in texts(at.markdown))
    up = [b for b in at.button if b.key and b.key.startswith("arrow_upward-")]
    up[1].click()
    run(at)
    assert [r.name for r in runs.queue()] == ["later-b", "later-a"]
    remove = [b for b in at.button if b.key and b.key.startswith("close-")]
    remove[0].click()
    run(at)
    assert [r.name for r in runs.queue()] == ["later-a"]
    assert next(r for r in runs.list_runs() if r.name == "later-b").state == runs.CANCELLED


def test_a_finished_run_compares_with_the_active_model_and_can_be_made_active(tiny_registry):
    shutil.copytree(tiny_registry / "tiny", tiny_registry / "better")
    card = json.loads((tiny_registry / "better" / "card.json").read_text())
    card["name"], card["created"] = "better", registry.now_iso()
    card["test"]["accuracy"] += 0.05
    card["test"]["per_class"][3]["recall"] += 0.2
    (tiny_registry / "better" / "card.json").write_text(json.dumps(card))
    write_run("succeeded", "better", [START], ended=time.time(), test_accuracy=card["test"]["accuracy"])
    at = open_page()
    assert any("**better** is registered" in s for s in texts(at.success))
    metrics = {m.label: m for m in at.main.metric}
    assert metrics["New"].delta == "+5.00 points" and metrics["New"].help == "better"
    table = at.dataframe[0].value
    assert list(table["change (points)"])[:4] == ["+0.00", "+0.00", "+0.00", "+20.00"]
    next(b for b in at.button if b.label == "Make it the active model").click()
    run(at)
    assert registry.active()[0].name == "better"
    assert not any(b.label == "Make it the active model" for b in at.button)


def test_finished_runs_are_compared_on_one_chart_of_validation_accuracy_against_minutes(tiny_registry):
    def epoch(n, accuracy):
        return {"type": "epoch", "epoch": n, "seconds": 30.0, "loss": 0.1, "accuracy": 0.9, "val_accuracy": accuracy}

    write_run("succeeded", "batch-64", [START, epoch(1, 0.95), epoch(2, 0.97)], ended=time.time(), test_accuracy=0.97)
    write_run("succeeded", "batch-256", [START, epoch(1, 0.93)], ended=time.time(), test_accuracy=0.93)
    at = open_page()
    assert "Which learnt faster" in texts(at.subheader)
    picked = at.multiselect(key="train_compare")
    assert sorted(picked.format_func(v) for v in picked.value) == ["batch-256", "batch-64"]
    chart = at.get("vega_lite_chart")[-1]
    spec = json.loads(chart.proto.spec)
    assert spec["encoding"]["x"]["title"] == "Minutes since Start" and spec["encoding"]["y"]["title"] == "Validation accuracy"
    picked.set_value([])
    run(at)
    assert "Pick runs that finished at least one epoch." in texts(at.caption)


def test_each_recipe_says_what_it_measured_and_the_page_estimates_its_time(tiny_registry):
    at = open_page()
    notes = texts(at.caption)
    assert any(architectures.RECIPES["best"].note in c for c in notes)
    assert any(m.startswith("Estimated time: ") for m in texts(at.markdown))
    at.segmented_control(key="train_recipe").set_value("quick")
    run(at)
    assert any(architectures.RECIPES["quick"].note in c for c in texts(at.caption))
    assert at.selectbox(key="train_preset").value == architectures.RECIPES["quick"].preset


def test_a_failed_run_shows_its_reason_and_the_end_of_its_output(tiny_registry):
    folder = write_run("failed", "broken-run", [], ended=time.time(), reason="Something went wrong. Nothing was registered.")
    (folder / runs.LOG).write_text("Traceback (most recent call last):\n  ...\nValueError: the last line\n")
    at = open_page()
    assert any("**broken-run** was failed. Something went wrong." in e for e in texts(at.error))
    assert any("ValueError: the last line" in c.value for c in at.code)
    history = at.dataframe[-1].value
    assert list(history["status"]) == ["failed"] and list(history["model"]) == ["broken-run"]


def test_a_run_left_running_by_a_dead_process_is_shown_interrupted(tiny_registry):
    dead = subprocess.Popen(["true"])
    dead.wait()
    write_run("running", "ghost", [START], pid=dead.pid, pid_start=12345)
    at = open_page()
    assert not any(b.label == "Cancel this run" for b in at.button)
    assert any("**ghost** was interrupted" in e for e in texts(at.error))
    assert list(at.dataframe[-1].value["status"]) == ["interrupted"]


def test_a_tiny_run_started_from_the_page_registers_a_model_the_sidebar_offers(tiny_registry):
    at = open_page()
    at.selectbox(key="train_preset").set_value("conv1")
    run(at)
    at.number_input(key="train_epochs").set_value(1)
    at.toggle(key="train_all").set_value(False)
    at.text_input(key="train_name").set_value("from-the-page")
    run(at)
    at.number_input(key="train_limit").set_value(1000)
    start_button(at).click()
    run(at)
    [started] = runs.list_runs()
    assert runs.wait(started.id, timeout=240).state == runs.SUCCEEDED
    run(at)
    assert any("**from-the-page** is registered" in s for s in texts(at.success))
    assert "from-the-page" in sidebar_models()
