"""Training on two machines, played by two worker processes on 127.0.0.1 (MultiWorkerMirroredStrategy)."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mnist_core import registry
from mnist_core.training import cluster
from tests.conftest import PROJECT_ROOT


def free_ports(n: int) -> list[int]:
    """Free ports below the kernel's ephemeral range: a worker that dials a peer not yet listening on an
    ephemeral port can be handed that very port as its own source port, and then talks to itself."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    ports: list[int] = []
    for port in random.Random().sample(range(low - 12_000, low - 100), 200):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        ports.append(port)
        if len(ports) == n:
            return ports
    raise RuntimeError("no free ports")


@pytest.fixture
def started():
    """The worker processes a test starts; killed at its end whatever happened."""
    procs: list[subprocess.Popen] = []
    yield procs
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()


def workers(started, root, tmp_path, *train_args: str) -> list[subprocess.Popen]:
    hosts = ",".join(f"127.0.0.1:{p}" for p in free_ports(2))
    env = {**os.environ, "MNIST_STUDIO_MODELS": str(root), "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONFAULTHANDLER": "1"}
    env.pop("TF_CONFIG", None)
    cmd = [sys.executable, "-m", "mnist_core", "train", "--strategy", "multiworker", "--workers", hosts, *train_args]
    for i in range(2):
        with open(tmp_path / f"worker-{i}.log", "w") as log:
            started.append(
                subprocess.Popen([*cmd, "--worker-index", str(i)], cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=log, text=True)
            )
    return started


def test_two_workers_train_one_model_that_only_the_chief_registers(started, registry_root, tmp_path):
    procs = workers(
        started, registry_root, tmp_path, "--preset", "conv1", "--epochs", "1", "--limit", "300", "--val-split", "0", "--name", "pair"
    )
    outs = [p.communicate(timeout=300)[0] for p in procs]
    logs = [(tmp_path / f"worker-{i}.log").read_text()[-3000:] for i in range(2)]
    assert [p.returncode for p in procs] == [0, 0], logs
    assert "Registered pair" in outs[0] and "worker 1 of 2 finished" in outs[1]
    assert [m.name for m in registry.list_models(registry_root)] == ["pair"]
    card = json.loads((registry_root / "pair" / "card.json").read_text())
    assert card["distribution"] == {"strategy": "multiworker", "workers": 2, "replicas": 2}
    assert "--strategy multiworker" in card["reproduce"]
    assert not (registry_root / ".backup").exists()  # every worker's checkpoint is gone


def test_killing_the_other_worker_fails_the_run_in_one_sentence_instead_of_hanging(started, registry_root, tmp_path):
    procs = workers(
        started,
        registry_root,
        tmp_path,
        "--preset",
        "conv1",
        "--epochs",
        "200",
        "--limit",
        "2000",
        "--val-split",
        "0",
        "--name",
        "doomed",
    )
    chief_log = tmp_path / "worker-0.log"
    deadline = time.time() + 240
    while "epoch=" not in chief_log.read_text():  # both are training (a batch's progress; not the empty bar of start-up)
        if time.time() > deadline or procs[0].poll() is not None:
            for p in procs:
                p.send_signal(signal.SIGABRT)  # PYTHONFAULTHANDLER: each prints where it waits
            time.sleep(2)
            pytest.fail(
                "the workers did not start training:\n" + "\n".join((tmp_path / f"worker-{i}.log").read_text()[-4000:] for i in range(2))
            )
        time.sleep(0.5)
    procs[1].send_signal(signal.SIGKILL)
    killed = time.time()
    try:
        procs[0].wait(timeout=cluster.COLLECTIVE_TIMEOUT_S + 60)
    except subprocess.TimeoutExpired:
        procs[0].kill()
        pytest.fail("the chief hung after its peer died")
    last = [line for line in chief_log.read_text().splitlines() if line.startswith("error:")][-1]
    assert procs[0].returncode == 2, chief_log.read_text()[-3000:]
    assert last.startswith("error: The training cluster lost a worker: worker 1 stopped answering."), last
    assert "Nothing was registered" in last and time.time() - killed < cluster.COLLECTIVE_TIMEOUT_S
    assert registry.list_models(registry_root) == []
