"""``models/``: one folder per version, a model card each, and one active model.

A version is ``models/NAME/`` with ``model.keras`` (no optimizer state) and ``card.json``.
Saves go to a hidden temp folder first and are renamed into place, so a crash never leaves
a half-written version. A folder that cannot be read is listed as broken, with the reason.

Several app replicas may share one ``models/`` (a shared filesystem): every write (register,
activate, delete, card update, temp clean-up) holds ``models/.registry.lock``; reads need no lock,
since each write is one rename.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from mnist_core.model.names import current_preset
from mnist_core.settings import models_dir
from mnist_core.storage import atomic, locks

NAME_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
MODEL_FILE = "model.keras"
CARD_FILE = "card.json"
ACTIVE_FILE = "ACTIVE"
LOCK_FILE = ".registry.lock"


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    try:
        lock = locks.exclusive(root, LOCK_FILE)
        lock.__enter__()
    except OSError as exc:
        raise RegistryError(f"The models folder {root} cannot be changed ({exc.strerror or exc}).") from exc
    try:
        yield
    finally:
        lock.__exit__(None, None, None)


class RegistryError(Exception):
    """A registry operation a person asked for cannot be done; the message says why."""


class NoModelError(RegistryError):
    pass


@dataclass
class ModelInfo:
    name: str
    path: Path
    card: dict
    broken: str | None = None  # why the version cannot be used
    active: bool = False

    @property
    def test_accuracy(self) -> float | None:
        return (self.card.get("test") or {}).get("accuracy")

    @property
    def preset(self) -> str:
        return current_preset(self.card.get("preset", "?"))

    @property
    def created(self) -> str:
        return self.card.get("created", "")

    def label(self) -> str:
        """``name · 99.71% · preset`` for pickers: the accuracy before the preset, so a narrow picker cuts the preset."""
        acc = f"{self.test_accuracy:.2%}" if self.test_accuracy is not None else "not evaluated"
        return f"{self.name} · {acc} · {self.preset}"

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "path": str(self.path),
            "active": self.active,
            "test_accuracy": self.test_accuracy,
            "broken": self.broken,
        }


def check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise RegistryError(
            f"{name!r} is not a valid model name: use 1-64 lower-case letters, digits, '-' or '_', starting with a letter or digit."
        )
    return name


def suggest_name(preset: str, when: datetime | None = None) -> str:
    stamp = (when or datetime.now()).strftime("%Y%m%d-%H%M%S")
    return f"{preset}-{stamp}"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# ---------------------------------------------------------------- atomic writes


# ---------------------------------------------------------------- reading


def _inspect(folder: Path) -> ModelInfo:
    card: dict = {}
    problems = []
    try:
        card = json.loads((folder / CARD_FILE).read_text())
        if not isinstance(card, dict):
            card, problems = {}, ["card.json is not a JSON object"]
    except FileNotFoundError:
        problems.append("card.json is missing")
    except (OSError, ValueError) as exc:
        problems.append(f"card.json is unreadable ({exc})")
    model_path = folder / MODEL_FILE
    if not model_path.exists():
        problems.append("model.keras is missing")
    elif not zipfile.is_zipfile(model_path):
        problems.append("model.keras is not a valid Keras archive")
    return ModelInfo(name=folder.name, path=folder, card=card, broken="; ".join(problems) or None)


def list_models(root: Path | None = None) -> list[ModelInfo]:
    """Every version, newest first; broken ones included with their reason."""
    root = root or models_dir()
    if not root.is_dir():
        return []
    found = []
    for p in root.iterdir():
        if NAME_RE.fullmatch(p.name):
            try:  # another replica may delete a version while this one lists them
                found.append((_inspect(p), p.stat().st_mtime))
            except FileNotFoundError:
                continue
    found = [(i, mtime) for i, mtime in found if i.path.is_dir()]  # gone while read: deleted, not broken
    found.sort(key=lambda pair: (pair[0].created, pair[1]), reverse=True)
    infos = [i for i, _ in found]
    active = _read_pointer(root)
    for info in infos:
        info.active = info.name == active
    return infos


def get(name: str, root: Path | None = None) -> ModelInfo:
    folder = (root or models_dir()) / check_name(name)
    if not folder.is_dir():
        raise RegistryError(f"There is no model named {name!r}.")
    info = _inspect(folder)
    info.active = info.name == _read_pointer(root or models_dir())
    return info


def named_or_active(name: str | None, root: Path | None = None) -> ModelInfo:
    """The model ``name``, or the active one when no name is given (the CLI's ``--model``)."""
    return get(name, root) if name else active(root)[0]


def _read_pointer(root: Path) -> str | None:
    try:
        name = (root / ACTIVE_FILE).read_text().strip()
    except OSError:
        return None
    return name if NAME_RE.fullmatch(name) else None


def active(root: Path | None = None, models: list[ModelInfo] | None = None) -> tuple[ModelInfo, str | None]:
    """The active model and a warning when the pointer had to be ignored (``models``: a listing already made)."""
    root = root or models_dir()
    models = list_models(root) if models is None else models
    good = [m for m in models if not m.broken]
    pointer = _read_pointer(root)
    for m in good:
        if m.name == pointer:
            return m, None
    if pointer is not None and (root / pointer).is_dir():  # registered after the listing was made (another replica)
        with contextlib.suppress(RegistryError):
            if not (fresh := get(pointer, root)).broken:
                return fresh, None
    if not good:
        raise NoModelError("No model is registered yet. Train one on the Train page, or run: python -m mnist_core train --preset studio")
    newest = good[0]
    if pointer is None:
        return newest, None
    why = "is missing" if all(m.name != pointer for m in models) else "is broken"
    return newest, f"The active model {pointer!r} {why}; using the newest good model, {newest.name!r}, instead."


def set_active(name: str, root: Path | None = None) -> None:
    root = root or models_dir()
    with _locked(root):  # checked and written under the lock: a replica cannot delete it in between
        info = get(name, root)
        if info.broken:
            raise RegistryError(f"Model {name!r} cannot be made active: {info.broken}.")
        atomic.write_text(root / ACTIVE_FILE, name + "\n")


def delete(name: str, root: Path | None = None) -> None:
    """Remove a version for good; the active one cannot be removed (activate another first)."""
    root = root or models_dir()
    with _locked(root):
        info = get(name, root)
        if _read_pointer(root) == info.name:
            raise RegistryError(f"Model {name!r} is the active model; make another one active before you delete it.")
        trash = root / f".deleting-{info.name}-{os.getpid()}"
        os.rename(info.path, trash)  # gone from every listing at once, then removed
        shutil.rmtree(trash, ignore_errors=True)


def load_model(name: str | None = None, root: Path | None = None):
    """Load a version (the active one when ``name`` is None) with Keras' safe mode on."""
    import keras

    import mnist_core.model.layers  # noqa: F401  (registers the custom layers a model may hold)

    info = get(name, root) if name else active(root)[0]
    if info.broken:
        raise RegistryError(f"Model {info.name!r} cannot be loaded: {info.broken}.")
    try:
        return keras.saving.load_model(info.path / MODEL_FILE, compile=False, safe_mode=True)
    except Exception as exc:  # Keras raises many kinds for a damaged archive
        raise RegistryError(f"Model {info.name!r} cannot be loaded: {exc}") from exc


# ---------------------------------------------------------------- writing


def save(name: str, model, card: dict, root: Path | None = None, extra_files: dict[str, bytes] | None = None) -> ModelInfo:
    """Register a new version atomically: temp folder, then one rename."""
    root = root or models_dir()
    check_name(name)
    final = root / name
    root.mkdir(parents=True, exist_ok=True)
    with _locked(root):
        if final.exists():
            raise RegistryError(f"A model named {name!r} already exists; choose another name.")
        _save_into(final, model, card, extra_files)
    return get(name, root)


def _save_into(final: Path, model, card: dict, extra_files: dict[str, bytes] | None = None) -> None:
    name, root = final.name, final.parent
    tmp = Path(tempfile.mkdtemp(dir=root, prefix=f".saving-{name}-"))
    try:
        tmp.chmod(0o755)
        bare = type(model).from_config(model.get_config())  # uncompiled: no optimizer state
        bare.set_weights(model.get_weights())
        bare.save(tmp / MODEL_FILE)
        atomic.write_json(tmp / CARD_FILE, {"name": name, **card})
        for fname, blob in (extra_files or {}).items():
            (tmp / fname).write_bytes(blob)
        os.rename(tmp, final)
    except OSError as exc:  # a full disk, a read-only folder: nothing already saved is touched
        shutil.rmtree(tmp, ignore_errors=True)
        raise RegistryError(f"Could not save model {name!r} ({exc.strerror or exc}); nothing was changed.") from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def update_card(name: str, changes: dict, root: Path | None = None) -> dict:
    with _locked(root or models_dir()):  # read, change, write: no other replica's change is lost
        info = get(name, root)
        card = {**info.card, **changes}
        try:
            atomic.write_json(info.path / CARD_FILE, card)
        except OSError as exc:
            raise RegistryError(f"Could not update the card of {name!r} ({exc.strerror or exc}); the old card is intact.") from exc
    return card


def clean_stale_temp(root: Path | None = None) -> None:
    """Remove temp folders left by a save or a delete that was killed (a save in progress holds the lock)."""
    root = root or models_dir()
    if not root.is_dir():
        return
    with contextlib.suppress(RegistryError), _locked(root):  # a read-only models folder has nothing to clean
        for p in [*root.glob(".saving-*"), *root.glob(".deleting-*")]:
            shutil.rmtree(p, ignore_errors=True)
