"""The core installs as a package: its wheel holds every module of every subpackage (a folder the package list
missed imports from a checkout, and fails from an install)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile

from tests.conftest import PROJECT_ROOT


def test_the_wheel_holds_every_module_of_the_core(tmp_path):
    source = tmp_path / "source"  # a copy: the build leaves its build/ folder beside the sources
    shutil.copytree(PROJECT_ROOT / "mnist_core", source / "mnist_core", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "requirements.txt"):
        shutil.copy(PROJECT_ROOT / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(source)],
        check=True, capture_output=True,
    )  # fmt: skip
    [wheel] = tmp_path.glob("*.whl")
    packed = {name for name in zipfile.ZipFile(wheel).namelist() if name.endswith(".py")}
    core = {p.relative_to(source).as_posix() for p in (source / "mnist_core").rglob("*.py")}
    assert core - packed == set()
