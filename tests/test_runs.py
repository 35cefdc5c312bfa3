"""Training runs in a child process: a real tiny run, the queue, cancel, and killing the child."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from mnist_core import registry, runs, training
from mnist_core.runs import child as run_child
from mnist_core.runs import supervisor as run_supervisor
from mnist_core.settings import runs_dir
from mnist_core.views import run_results
from tests.conftest import PROJECT_ROOT

FAULTS = PROJECT_ROOT / "tests" / "faults"


def tiny_config(name: str, **overrides) -> training.TrainConfig:
    """conv1 on 1000 images for one epoch: a few seconds."""
    return training.TrainConfig.for_preset("conv1", **{"epochs": 1, "limit": 1000, "name": name, **overrides})


@pytest.fixture
def slow_batches(monkeypatch):
    """Children started from now on sleep 0.2 s per batch, so a test can act in the middle of a fit."""
    monkeypatch.setenv("PYTHONPATH", f"{FAULTS}{os.pathsep}{PROJECT_ROOT}")
    monkeypatch.setenv("MNIST_FAULT_BATCH_SLEEP", "0.2")


def wait_for(predicate, timeout: float = 120, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def events(run: runs.Run) -> list[dict]:
    path = run.path / runs.PROGRESS
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def running_pid(run: runs.Run) -> int:
    return wait_for(lambda: runs.get_run(run.id).status.get("pid") if runs.get_run(run.id).state == runs.RUNNING else None, what="launch")


def registry_snapshot(root: Path) -> tuple[list[tuple[str, str | None]], str | None]:
    """The good and broken versions, and the active one: what a user of the registry sees."""
    models = registry.list_models(root)
    active = registry.active(root)[0].name if any(not m.broken for m in models) else None
    return sorted((m.name, m.broken) for m in models), active


def test_a_tiny_run_trains_reports_progress_and_registers_the_model(registry_root):
    run = runs.start(tiny_config("from-a-run"))
    assert run.state in (runs.QUEUED, runs.RUNNING)
    done = runs.wait(run.id, timeout=240)

    assert done.state == runs.SUCCEEDED, done.reason + "\n" + done.log_tail()
    model = registry.get("from-a-run")
    assert not model.broken and model.card["config"]["limit"] == 1000
    assert done.test_accuracy == pytest.approx(model.test_accuracy)
    kinds = [e["type"] for e in events(done)]
    assert kinds[:2] == ["loading", "start"] and "epoch" in kinds and kinds[-1] == "registered"
    progress = runs.progress(done)
    assert progress.phase == "done" and progress.fraction == 1.0 and progress.history["loss"]
    assert "Registered from-a-run" in (done.path / runs.LOG).read_text()
    row = run_results.history_rows(runs.list_runs())[0]
    assert (row["status"], row["model"], row["images"], row["test accuracy"]) == (
        "succeeded",
        "from-a-run",
        "1,000",
        f"{model.test_accuracy:.2%}",
    )
    assert row["recipe"].startswith(f"{done.config['preset']} · {done.config['epochs']} ep · batch {done.config['batch_size']}")
    assert run_results.compare_with_active("from-a-run") is None  # the only model: nothing to compare with


def test_bad_settings_and_taken_names_are_refused_before_anything_starts(tiny_registry):
    errors = runs.config_errors(tiny_config("tiny", epochs=0, batch_size=3, limit=50))
    assert set(errors) == {"epochs", "batch_size", "limit", "name"}
    assert "already exists" in errors["name"]
    assert "lower-case" in runs.config_errors(tiny_config("Bad Name"))["name"]
    assert "at most" in runs.config_errors(tiny_config("ok", limit=70_000))["limit"]
    with pytest.raises(training.ConfigError) as refused:
        runs.start(tiny_config("tiny"))
    assert refused.value.field == "name"
    assert runs.list_runs() == []


def test_starts_while_a_run_goes_are_queued_and_the_queue_can_be_edited(tiny_registry, slow_batches):
    first = runs.start(tiny_config("first", batch_size=16))
    running_pid(first)
    second, third, fourth = (runs.start(tiny_config(n, batch_size=16)) for n in ("second", "third", "fourth"))
    assert [r.id for r in runs.queue()] == [second.id, third.id, fourth.id]
    assert runs.get_run(second.id).state == runs.QUEUED
    with pytest.raises(training.ConfigError):  # a queued run already claims that name
        runs.start(tiny_config("third"))

    runs.move(fourth.id, -1)
    assert [r.id for r in runs.queue()] == [second.id, fourth.id, third.id]
    runs.cancel(second.id)  # remove from the queue
    assert runs.get_run(second.id).state == runs.CANCELLED
    assert [r.id for r in runs.queue()] == [fourth.id, third.id]

    wait_for(lambda: any(e["type"] == "batch" for e in events(first)), what="a batch")
    child = Path(f"/proc/{running_pid(first)}/stat").read_text().rsplit(")", 1)[1].split()
    assert int(child[16]) >= run_child.NICENESS > os.nice(0), "the training child should yield the CPU to the app"
    runs.cancel(first.id)
    ended = runs.wait(first.id, timeout=60)
    assert ended.state == runs.CANCELLED and ended.reason == "Cancelled by request; nothing was registered."
    assert not ended.status.get("term_sent"), "the child should stop by itself, within a batch"
    running_pid(fourth)  # the head of the queue starts by itself
    assert [r.id for r in runs.queue()] == [third.id]
    assert sum(r.state == runs.RUNNING for r in runs.list_runs()) == 1
    for run in (third, fourth):
        runs.cancel(run.id)
    assert runs.wait(fourth.id, timeout=60).state == runs.CANCELLED
    assert runs.get_run(third.id).state == runs.CANCELLED
    assert [m.name for m in registry.list_models()] == ["tiny"]


KILLS = np.random.default_rng(20261121)  # seeded: a failure names a kill point that can be replayed
FIT_KILL_BATCHES = sorted(int(b) for b in KILLS.integers(1, 63 + 1, size=3))  # tiny_config: 1000 images, batch 16
SAVE_KILL_FRACTIONS = sorted(float(f) for f in KILLS.uniform(0, 1, size=4))


def kill_env(monkeypatch, name: str, value: int) -> None:
    monkeypatch.setenv("PYTHONPATH", f"{FAULTS}{os.pathsep}{PROJECT_ROOT}")
    monkeypatch.setenv(name, str(value))


def assert_nothing_half_saved(root: Path, before, name: str) -> None:
    """After a kill: the new model is either fully there and loadable, or not listed; the active one is unchanged."""
    models, active = registry_snapshot(root)
    assert active == "tiny"
    assert all(broken is None for _, broken in models), models
    if models != before[0]:
        assert models == sorted([*before[0], (name, None)])
        assert registry.load_model(name, root).output_shape == (None, 10)
    assert not list(root.glob(".saving-*")), "the killed save's temp folder is cleaned up"


@pytest.mark.parametrize("batch", FIT_KILL_BATCHES)
def test_killing_the_child_at_a_random_batch_marks_the_run_interrupted_and_leaves_the_registry_alone(tiny_registry, monkeypatch, batch):
    kill_env(monkeypatch, "MNIST_FAULT_KILL_AT_BATCH", batch)
    before = registry_snapshot(tiny_registry)
    run = runs.start(tiny_config("killed", batch_size=16))
    ended = runs.wait(run.id, timeout=240)
    assert ended.state == runs.INTERRUPTED
    assert "killed" in ended.reason and "SIGKILL" in ended.reason
    assert max(e.get("global_step", 0) for e in events(run)) <= batch
    assert registry_snapshot(tiny_registry) == before
    assert not list(tiny_registry.glob(".saving-*"))


@pytest.fixture(scope="module")
def save_lines(tiny_registry_template, tmp_path_factory) -> int:
    """How many lines a registry.save of the tiny model runs: the range the kill points are drawn from."""
    from tests.faults import kill_points

    model = registry.load_model("tiny", tiny_registry_template)
    card = registry.get("tiny", tiny_registry_template).card
    return kill_points.count_save_lines(registry.save, "count", model, card, root=tmp_path_factory.mktemp("count"))


@pytest.mark.parametrize("fraction", SAVE_KILL_FRACTIONS)
def test_killing_the_child_at_a_random_line_of_the_save_never_lists_a_half_saved_model(tiny_registry, monkeypatch, save_lines, fraction):
    line = max(1, round(fraction * save_lines))
    kill_env(monkeypatch, "MNIST_FAULT_KILL_IN_SAVE", line)
    before = registry_snapshot(tiny_registry)
    run = runs.start(tiny_config("half-saved"))
    ended = runs.wait(run.id, timeout=240)
    assert ended.state == runs.INTERRUPTED, f"killed at line {line} of {save_lines}: {ended.state} {ended.reason}"
    assert_nothing_half_saved(tiny_registry, before, "half-saved")


def test_killing_the_child_during_save_never_lists_a_half_saved_model(tiny_registry, monkeypatch):
    marker = tiny_registry.parent / "saving-now"
    monkeypatch.setenv("PYTHONPATH", f"{FAULTS}{os.pathsep}{PROJECT_ROOT}")
    monkeypatch.setenv("MNIST_FAULT_PAUSE_SAVE", str(marker))
    before = registry_snapshot(tiny_registry)
    run = runs.start(tiny_config("half-saved"))
    wait_for(marker.exists, timeout=240, what="the save")
    assert list(tiny_registry.glob(".saving-half-saved-*")), "the save should be under way in a hidden temp folder"
    assert registry_snapshot(tiny_registry) == before  # not listed while half-written
    os.kill(int(marker.read_text()), signal.SIGKILL)

    ended = runs.wait(run.id, timeout=30)
    assert ended.state == runs.INTERRUPTED
    assert registry_snapshot(tiny_registry) == before
    assert registry.active(tiny_registry)[0].name == "tiny"
    assert not list(tiny_registry.glob(".saving-*")), "the killed save's temp folder is cleaned up"


def test_a_run_that_fails_shows_the_reason(tiny_registry):
    run = runs.start(tiny_config("taken-later"))
    # While the child loads TensorFlow, another process registers a model under the same name.
    shutil.copytree(tiny_registry / "tiny", tiny_registry / "taken-later")
    ended = runs.wait(run.id, timeout=240)
    assert ended.state == runs.FAILED
    assert ended.reason == "A model named 'taken-later' already exists; choose another name. Nothing was registered."
    assert "Traceback" in ended.log_tail(40)
    assert registry.get("taken-later").card == registry.get("tiny").card  # the other model is untouched


def test_a_running_run_whose_process_is_gone_is_interrupted_even_if_its_pid_was_reused(registry_root):
    folder = runs_dir() / "20250101-120000-abcd"
    folder.mkdir(parents=True)
    (folder / runs.CONFIG).write_text(json.dumps(tiny_config("ghost").to_dict()))
    # This test's own pid is alive, but the recorded start time belongs to another process.
    (folder / runs.STATUS).write_text(json.dumps({"state": "running", "started": time.time() - 60, "pid": os.getpid(), "pid_start": 1}))
    [run] = runs.refresh()
    assert run.state == runs.INTERRUPTED and "process is gone" in run.reason


PARENT = """
import sys, time
from mnist_core import runs, training
run = runs.start(training.TrainConfig.for_preset("conv1", epochs=1, limit=1000, batch_size=16, name="orphan"))
print(run.id, flush=True)
time.sleep(600)
"""


def test_the_child_dies_with_the_app_that_started_it(registry_root, slow_batches):
    app = subprocess.Popen([sys.executable, "-c", PARENT], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True)
    try:
        run_id = app.stdout.readline().strip()
        child = running_pid(runs.get_run(run_id))
        wait_for(lambda: runs.get_run(run_id).status.get("child_pid"), what="the child to report in")
        app.kill()
        app.wait()
        wait_for(
            lambda: not Path(f"/proc/{child}").exists() or "Z" in Path(f"/proc/{child}/stat").read_text().split(") ")[1][:1],
            30,
            "the child to die",
        )
    finally:
        app.kill()
    run = runs.refresh()[0]
    assert run.state == runs.INTERRUPTED
    assert registry.list_models() == []


def test_two_tabs_starting_at_once_still_run_one_at_a_time(tiny_registry, slow_batches):
    import threading

    names = ["tab-one", "tab-two"]
    threads = [threading.Thread(target=runs.start, args=(tiny_config(n, batch_size=16),)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    running = wait_for(runs.current, what="a run to start")
    time.sleep(2 * run_supervisor.POLL_SECONDS)  # a few supervisor beats: nothing else may start
    states = sorted(r.state for r in runs.list_runs())
    assert states == [runs.QUEUED, runs.RUNNING] and running.name in names
    for run in sorted(runs.list_runs(), key=lambda r: r.state != runs.QUEUED):  # the queued one first, so it never starts
        runs.cancel(run.id)
    assert runs.wait(running.id, timeout=60).state == runs.CANCELLED


def test_finished_runs_compare_by_validation_accuracy_against_minutes_since_their_start(tmp_path):
    from mnist_core.training import events as run_events
    from mnist_core.views import run_results

    all_runs = []
    for name, start, points in (("fast", 1000.0, [(1060.0, 0.98), (1120.0, 0.99)]), ("slow", 5000.0, [(5300.0, 0.97)])):
        folder = tmp_path / name
        folder.mkdir()
        lines = [
            run_events.Epoch(epoch=i + 1, seconds=1.0, accuracy=0.5, val_accuracy=acc, time=t).to_json()
            for i, (t, acc) in enumerate(points)
        ]
        (folder / run_events.PROGRESS).write_text("\n".join(lines) + "\n")
        all_runs.append(runs.Run(name, folder, {"state": runs.SUCCEEDED, "started": start}, {"name": name}))
    frame = run_results.learning_curves(all_runs)
    assert frame[["run", "minutes", "accuracy"]].values.tolist() == [["fast", 1.0, 0.98], ["fast", 2.0, 0.99], ["slow", 5.0, 0.97]]
    assert set(frame["on"]) == {"validation"}
    assert run_results.learning_curves_chart(frame).to_dict()["encoding"]["x"]["title"] == "Minutes since Start"


def test_the_time_left_counts_from_the_first_batch_not_from_the_graph_being_built(tmp_path):
    """10 s of tracing before the first batch, then 10 steps a second: at step 20 of 1,000, about 98 s are left."""
    from mnist_core.training import events as run_events

    now = time.time()
    events = [
        run_events.Start(total_steps=1000, steps_per_epoch=100, epochs=10, train_images=12800, time=now - 11),
        run_events.Batch(epoch=1, step=10, global_step=10, loss=2.0, accuracy=0.2, images_per_sec=1280, time=now - 1),
        run_events.Batch(epoch=1, step=20, global_step=20, loss=1.5, accuracy=0.4, images_per_sec=1280, time=now),
    ]
    (tmp_path / run_events.PROGRESS).write_text("".join(e.to_json() + "\n" for e in events))
    progress = run_events.progress(tmp_path)
    assert 90 < progress.eta_seconds < 100
    assert "about 1:3" in progress.describe()  # 1:30-1:39, not the 9 minutes the first 11 s suggest
