"""The app shell: it starts whatever state models/ is in, and the sidebar says what it uses."""

import re

from streamlit.testing.v1 import AppTest

from tests.conftest import PROJECT_ROOT

APP = str(PROJECT_ROOT / "app.py")


def run_app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=60).run()


def test_app_starts_with_broken_versions_beside_a_good_one(tiny_registry):
    (tiny_registry / "bad-card").mkdir()
    (tiny_registry / "bad-card" / "card.json").write_text("{truncated")
    (tiny_registry / "bad-card" / "model.keras").write_bytes(b"PK\x03\x04 not really")
    (tiny_registry / "no-model").mkdir()
    (tiny_registry / "no-model" / "card.json").write_text("{}")
    at = run_app()
    assert not at.exception
    picker = at.sidebar.selectbox(key="model_name")
    assert len(picker.options) == 1  # broken versions are not offered
    assert re.match(r"tiny · \d+\.\d+% · conv1$", picker.options[0])
    assert any("The active model" in c.value for c in at.sidebar.caption)
    assert picker.value == "tiny"


def test_missing_active_model_falls_back_with_a_warning(tiny_registry):
    (tiny_registry / "ACTIVE").write_text("deleted-model\n")
    at = run_app()
    assert not at.exception
    assert any("'deleted-model' is missing" in w.value and "'tiny'" in w.value for w in at.sidebar.warning)
    assert at.sidebar.selectbox(key="model_name").value == "tiny"


def test_empty_registry_says_how_to_get_a_model(registry_root):
    at = run_app()
    assert not at.exception
    assert any("No model yet" in w.value for w in at.sidebar.warning)


def test_a_run_queued_before_a_restart_starts_when_the_app_does(tiny_registry):
    """Nobody has to open the Train page: the app's first page view picks the queue up."""
    import json
    import time

    from mnist_core import runs, training
    from mnist_core.settings import runs_dir

    root = runs_dir()
    (root / "20260101-120000-abcd").mkdir(parents=True)
    config = training.TrainConfig.for_preset("conv1", epochs=1, limit=500, name="queued-before")
    (root / "20260101-120000-abcd" / runs.CONFIG).write_text(json.dumps(config.to_dict()))
    (root / "20260101-120000-abcd" / runs.STATUS).write_text(json.dumps({"state": runs.QUEUED, "created": time.time()}))
    (root / runs.QUEUE_FILE).write_text('["20260101-120000-abcd"]')
    at = run_app()
    assert not at.exception
    deadline = time.monotonic() + 30
    while runs.get_run("20260101-120000-abcd").state == runs.QUEUED and time.monotonic() < deadline:
        time.sleep(0.2)
    assert runs.get_run("20260101-120000-abcd").state != runs.QUEUED
    assert runs.wait("20260101-120000-abcd", timeout=240).state == runs.SUCCEEDED
