"""``python -m mnist_core predict``: every format, one entry per file, errors in their entry, exit codes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mnist_core.__main__ import main
from mnist_core.data import synthetic
from tests.conftest import PROJECT_ROOT
from tests.support import inputs


@pytest.fixture(scope="module")
def number(mnist) -> tuple[np.ndarray, str]:
    ids = [int(np.flatnonzero(mnist.y_test == d)[1]) for d in (3, 0, 7)]
    return mnist.x_test[ids], "307"


def write(folder: Path, files: dict[str, tuple[str, bytes]]) -> dict[str, Path]:
    """{case: path}; each case in its own sub-folder so equal file names do not clash."""
    paths = {}
    for i, (case, (name, data)) in enumerate(files.items()):
        path = folder / f"{i:02d}" / name
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
        paths[case] = path
    return paths


def run_json(capsys, *args: str) -> tuple[int, list[dict]]:
    code = main(["predict", "--json", *args])
    return code, json.loads(capsys.readouterr().out)


def test_every_kind_of_file_gets_its_own_entry(tiny_registry, tmp_path, capsys, number):
    good = write(tmp_path / "good", inputs.odd_files(number[0], 3))
    bad = write(tmp_path / "bad", inputs.bad_files())
    blank = write(tmp_path / "blank", inputs.blank_files(3))
    paths = [*good.values(), *bad.values(), *blank.values()]
    code, entries = run_json(capsys, *map(str, paths))
    assert code == 0
    assert [e["file"] for e in entries] == [str(p) for p in paths]
    for case, e in zip([*good, *bad, *blank], entries, strict=True):
        if case in good:
            assert e["error"] is None and len(e["digits"]) == 3, case
            assert [d["box"][0] for d in e["digits"]] == sorted(d["box"][0] for d in e["digits"])
        elif case in bad:
            assert e["digits"] == [] and e["error"].endswith("."), case
        else:
            assert e["error"] is None and e["digits"] == [], case


def test_exit_code_is_non_zero_only_when_every_file_failed(tiny_registry, tmp_path, capsys):
    bad = write(tmp_path, inputs.bad_files())
    code, entries = run_json(capsys, *map(str, bad.values()), str(tmp_path / "missing.png"))
    assert code == 1 and all(e["error"] for e in entries)
    blank = write(tmp_path / "blank", inputs.blank_files(1))
    code, _ = run_json(capsys, str(bad["zero bytes"]), str(blank["all-white photo"]))
    assert code == 0  # a file with no digit is read, not failed


def test_plain_output_one_line_per_file(tiny_registry, tmp_path, capsys, number):
    files = write(tmp_path, {"row": ("row.png", inputs.encode(synthetic.number_row(number[0], 1), "PNG")), **inputs.bad_files()})
    assert main(["predict", str(files["row"]), str(files["zero bytes"]), str(files["SVG"])]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    number_read, shown = lines[0].removeprefix(f"{files['row']}: ").split("  ")
    assert number_read.isdigit() and len(number_read) == 3
    assert re.fullmatch(r"\(confidence ([<>]?\d{1,3}\.\d%(, )?){3}\)", shown)  # one format, the pages' own
    assert "error: This file is empty" in lines[1] and "SVG" in lines[2]


def test_no_model_is_a_clear_sentence(registry_root, tmp_path, capsys):
    (tmp_path / "a.png").write_bytes(inputs.encode(synthetic.number_row(np.zeros((1, 28, 28), np.uint8)), "PNG"))
    assert main(["predict", str(tmp_path / "a.png")]) == 2
    assert "No model is registered yet" in capsys.readouterr().err


def test_default_model_reads_every_format(default_model_name, tmp_path, capsys, number, monkeypatch):
    monkeypatch.setenv("MNIST_STUDIO_MODELS", str(PROJECT_ROOT / "models"))
    good = write(tmp_path, inputs.odd_files(number[0], 5))
    code, entries = run_json(capsys, "--model", default_model_name, *map(str, good.values()))
    assert code == 0
    read = {case: "".join(str(d["digit"]) for d in e["digits"]) for case, e in zip(good, entries, strict=True)}
    assert read == dict.fromkeys(good, number[1])


def test_real_process_never_prints_a_traceback(tiny_registry, tmp_path, number):
    files = write(tmp_path, {"row": ("row.webp", inputs.encode(synthetic.number_row(number[0], 2), "WEBP")), **inputs.bad_files()})
    env = {**os.environ, "MNIST_STUDIO_MODELS": str(tiny_registry)}
    out = subprocess.run(
        [sys.executable, "-m", "mnist_core", "predict", "--json", *map(str, files.values())],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    entries = json.loads(out.stdout)
    assert len(entries) == len(files) and entries[0]["error"] is None and len(entries[0]["digits"]) == 3
    assert all(e["error"] for e in entries[1:])
