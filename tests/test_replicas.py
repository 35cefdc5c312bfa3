"""Several app replicas sharing one models/ folder: registering, activating, deleting and the run queue."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time

import pytest

from mnist_core import registry, runs
from mnist_core.runs import supervisor as run_supervisor
from tests.conftest import PROJECT_ROOT


def replicas(root, *argvs, host_of=lambda i: None):
    procs = []
    for i, argv in enumerate(argvs):
        env = {**os.environ, "MNIST_STUDIO_MODELS": str(root), "TF_CPP_MIN_LOG_LEVEL": "3"}
        if host_of(i):
            env[run_supervisor.HOST_ENV] = host_of(i)
        procs.append(subprocess.Popen([sys.executable, "-m", "tests.support.replica", *argv], cwd=PROJECT_ROOT, env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))  # fmt: skip
    return procs


def test_two_replicas_register_activate_and_delete_50_versions_each_and_nothing_is_lost(registry_root):
    procs = replicas(registry_root, ("registry", "a", "50"), ("registry", "b", "50"))
    seen_active = set()
    while any(p.poll() is None for p in procs):  # meanwhile, a third process reads as the app's pages do
        listing = registry.list_models(registry_root)
        assert not [m for m in listing if m.broken], "a half-written version was listed"
        if listing:
            info, warning = registry.active(registry_root, listing)
            if registry.ACTIVE_FILE in os.listdir(registry_root):
                assert warning is None, warning  # ACTIVE always names a good version
                seen_active.add(info.name)
        time.sleep(0.02)
    outs = [p.communicate() for p in procs]
    assert all(p.returncode == 0 for p in procs), [err[-2000:] for _, err in outs]
    registered = {line for out, _ in outs for line in out.split()}
    assert len(registered) == 100
    left = {m.name for m in registry.list_models(registry_root)}
    # each replica keeps its last two versions, plus any it could not delete because it was active
    assert {"a-048", "a-049", "b-048", "b-049"} <= left <= registered and len(left) < 100
    assert registry.active(registry_root, None)[1] is None
    assert not [p for p in registry_root.iterdir() if p.name.startswith((".saving-", ".deleting-"))]
    assert len(seen_active) > 5


@pytest.mark.parametrize("hosts", [(None, None), ("host-a", "host-b")], ids=["one host", "two hosts"])
def test_two_replicas_sharing_a_queue_never_run_two_runs_at_once(registry_root, hosts):
    procs = replicas(registry_root, ("queue", "a", "2"), ("queue", "b", "2"), host_of=lambda i: hosts[i])
    outs = [p.communicate(timeout=900) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err[-2000:] for _, err in outs]
    all_runs = runs.list_runs(registry_root / ".runs")
    assert len(all_runs) == 4 and all(r.state == runs.SUCCEEDED for r in all_runs), [(r.name, r.state, r.reason) for r in all_runs]
    spans = sorted((r.status["started"], r.status["ended"]) for r in all_runs)
    assert all(end <= next_start for (_, end), (next_start, _) in itertools.pairwise(spans)), spans
    assert {m.name for m in registry.list_models(registry_root)} == {f"{t}-run-{i}" for t in "ab" for i in range(2)}


def test_a_run_another_host_started_is_left_alone_while_its_heartbeat_beats_and_then_marked_gone(registry_root, monkeypatch):
    from mnist_core.storage import atomic

    monkeypatch.setenv(run_supervisor.HOST_ENV, "this-host")
    all_runs = registry_root / ".runs"
    folder = all_runs / "20261203-120000-beef"  # a run a replica on host-b launched (pid 1 means nothing here)
    folder.mkdir(parents=True)
    atomic.write_json(folder / runs.STATUS, {"state": runs.RUNNING, "started": time.time(), "pid": 1, "pid_start": 0, "host": "host-b"})
    (folder / runs.HEARTBEAT).touch()
    run = runs.get_run(folder.name, all_runs)
    run_supervisor._tick(all_runs.resolve(), spawn=True)
    assert runs.get_run(run.id, all_runs).state == runs.RUNNING  # only its heartbeat counts
    stale = time.time() - run_supervisor.HEARTBEAT_STALE - 1
    os.utime(run.path / runs.HEARTBEAT, (stale, stale))
    run_supervisor._tick(all_runs.resolve(), spawn=False)
    gone = runs.get_run(run.id, all_runs)
    assert gone.state == runs.INTERRUPTED and gone.reason == "Its replica on host-b stopped answering."
