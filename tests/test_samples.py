"""The samples store: round trip, concurrent saves, export/import, damaged files."""

from __future__ import annotations

import io
import sqlite3
import threading
import zipfile

import numpy as np
import pytest
from PIL import Image

from mnist_core.samples import SamplesError, SampleStore
from mnist_core.samples import db as sample_db


def digit_image(seed: int) -> np.ndarray:
    """A float 28x28 model input in [0, 1], distinct per seed."""
    rng = np.random.default_rng(seed)
    a = np.zeros((28, 28), np.float32)
    a[4:24, 8:20] = rng.random((20, 12), dtype=np.float32)
    return a


@pytest.fixture
def store(registry_root) -> SampleStore:
    return SampleStore()


def test_store_lives_under_the_registry_root(store, registry_root):
    assert store.path == registry_root / ".samples" / "samples.db"
    assert store.path.exists()
    assert sqlite3.connect(store.path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_round_trip_keeps_every_field(store):
    image = digit_image(1)
    crop = np.full((60, 40), 255, np.uint8)
    crop[10:50, 18:22] = 0
    sid = store.add(image, 7, "canvas", crop=crop, model="studio-v1", predicted=1)
    s = store.get(sid)
    assert s.label == 7 and s.source == "canvas" and s.model == "studio-v1" and s.predicted == 1
    assert s.misread and s.has_crop
    assert s.image.dtype == np.uint8 and s.image.shape == (28, 28)
    assert np.abs(s.image.astype(int) - np.round(image * 255)).max() == 0
    np.testing.assert_array_equal(store.crop(sid), crop)
    assert s.created.endswith("+00:00")


def test_list_filter_relabel_delete_counts(store):
    ids = [store.add(digit_image(i), i % 3, "upload") for i in range(9)]
    assert [s.id for s in store.list()] == ids
    assert [s.label for s in store.list(label=2)] == [2, 2, 2]
    store.relabel(ids[0], 9)
    assert store.get(ids[0]).label == 9
    assert store.delete([ids[1], ids[2]]) == 2
    assert store.count() == 7
    assert store.count_by_label() == {0: 2, 1: 2, 2: 2, 3: 0, 4: 0, 5: 0, 6: 0, 7: 0, 8: 0, 9: 1}
    x, y = store.arrays()
    assert x.shape == (7, 28, 28) and x.dtype == np.uint8 and y.dtype == np.uint8
    assert list(y) == [s.label for s in store.list()]


def test_mistakes_are_one_sentence(store):
    with pytest.raises(SamplesError, match="digit from 0 to 9"):
        store.add(digit_image(0), 10, "canvas")
    with pytest.raises(SamplesError, match="28x28"):
        store.add(np.zeros((20, 20)), 3, "canvas")
    with pytest.raises(SamplesError, match="source"):
        store.add(digit_image(0), 3, "webcam")
    with pytest.raises(SamplesError, match="no sample number 99"):
        store.relabel(99, 3)
    assert store.count() == 0


def test_eight_threads_saving_at_once_lose_nothing(store):
    per_thread, errors, ids = 25, [], []
    barrier = threading.Barrier(8)

    def tab(t: int) -> None:
        own = SampleStore(store.path)  # each browser tab opens the store on its own
        barrier.wait()
        try:
            for i in range(per_thread):
                ids.append(own.add(digit_image(t * 100 + i), (t + i) % 10, "canvas", model="m", predicted=t % 10))
        except Exception as exc:  # pragma: no cover - the failure being tested for
            errors.append(exc)

    threads = [threading.Thread(target=tab, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(set(ids)) == 8 * per_thread
    assert store.count() == 8 * per_thread
    assert sorted(s.id for s in store.list()) == sorted(ids)


def _fill(store: SampleStore) -> None:
    crop = np.arange(35 * 20, dtype=np.uint8).reshape(35, 20)
    store.add(digit_image(1), 1, "canvas", crop=crop, model="studio-v1", predicted=7)
    store.add(digit_image(2), 7, "upload", model="studio-v1", predicted=7)
    store.add(digit_image(3), 0, "canvas")


def _same(a: SampleStore, b: SampleStore) -> None:
    sa, sb = a.list(), b.list()
    assert len(sa) == len(sb) == 3
    for x, y in zip(sa, sb):
        np.testing.assert_array_equal(x.image, y.image)
        assert (x.label, x.source, x.created, x.model, x.predicted, x.has_crop) == (
            y.label,
            y.source,
            y.created,
            y.model,
            y.predicted,
            y.has_crop,
        )
        if x.has_crop:
            np.testing.assert_array_equal(a.crop(x.id), b.crop(y.id))


@pytest.mark.parametrize("kind", ["npz", "zip"])
def test_export_then_import_gives_the_same_samples(store, tmp_path, kind):
    _fill(store)
    data = store.export_npz() if kind == "npz" else store.export_zip()
    other = SampleStore(tmp_path / "other" / "samples.db")
    assert other.import_file(data) == (3, 0)
    _same(store, other)
    assert other.import_file(data) == (0, 3)  # importing twice adds nothing
    assert other.count() == 3


def test_exported_npz_is_mnist_shaped_and_loads_without_pickle(store, tmp_path):
    _fill(store)
    store.export_npz(tmp_path / "mine.npz")
    with np.load(tmp_path / "mine.npz", allow_pickle=False) as npz:
        assert npz["x"].shape == (3, 28, 28) and npz["x"].dtype == np.uint8
        assert list(npz["y"]) == [1, 7, 0]


def test_exported_zip_has_pngs_and_labels_csv(store):
    _fill(store)
    with zipfile.ZipFile(io.BytesIO(store.export_zip())) as zf:
        names = zf.namelist()
        csv_text = zf.read("labels.csv").decode()
    assert sum(n.startswith("images/") for n in names) == 3 and sum(n.startswith("crops/") for n in names) == 1
    assert csv_text.splitlines()[0] == "file,label,source,created,model,predicted,crop"


def test_plain_xy_npz_and_minimal_zip_import(store):
    buf = io.BytesIO()
    x = np.zeros((3, 28, 28), np.float32)
    x[:, 10:18, 12:16] = 0.5
    x[2, 5, 5] = 1.0
    np.savez(buf, x=x, y=np.array([3, 3, 3]))
    assert store.import_file(buf.getvalue()) == (2, 1)  # two identical images with one label count once
    assert [s.source for s in store.list()] == ["import", "import"]
    assert store.list()[0].image.max() == 128
    png = io.BytesIO()
    Image.fromarray(np.eye(28, dtype=np.uint8) * 255).save(png, format="PNG")
    minimal = io.BytesIO()
    with zipfile.ZipFile(minimal, "w") as zf:
        zf.writestr("a.png", png.getvalue())
        zf.writestr("labels.csv", "file,label\na.png,1\n")
    assert store.import_file(minimal.getvalue()) == (1, 0)
    assert store.count_by_label()[1] == 1


def test_bad_imports_change_nothing(store):
    _fill(store)
    pickled = io.BytesIO()
    np.savez(pickled, x=np.array([object()], dtype=object), y=np.array([1]))
    wrong_shape = io.BytesIO()
    np.savez(wrong_shape, x=np.zeros((2, 32, 32), np.uint8), y=np.array([1, 2]))
    bad_label = io.BytesIO()
    np.savez(bad_label, x=np.zeros((1, 28, 28), np.uint8), y=np.array([12]))
    no_csv = io.BytesIO()
    with zipfile.ZipFile(no_csv, "w") as zf:
        zf.writestr("images/1.png", b"not a png")
    cases = {
        b"hello": "not a samples file",
        pickled.getvalue(): "never loaded",
        wrong_shape.getvalue(): "28x28",
        bad_label.getvalue(): "digit from 0 to 9",
        no_csv.getvalue(): "labels.csv",
        store.export_zip()[:200]: "damaged",
    }
    for data, message in cases.items():
        with pytest.raises(SamplesError, match=message):
            store.import_file(data)
    assert store.count() == 3


def test_a_file_that_is_not_a_database_is_set_aside_and_a_fresh_store_starts(registry_root):
    path = registry_root / ".samples" / "samples.db"
    path.parent.mkdir(parents=True)
    junk = b"this is not SQLite" * 100
    path.write_bytes(junk)
    store = SampleStore()
    assert store.notice and "set aside" in store.notice and "nothing was deleted" in store.notice
    (aside,) = store.set_aside_files()
    assert aside.read_bytes() == junk  # kept, byte for byte
    assert store.count() == 0
    store.add(digit_image(0), 5, "canvas")
    assert SampleStore().count() == 1 and SampleStore().notice is None


def test_a_store_damaged_while_in_use_keeps_working(store):
    _fill(store)
    store.path.write_bytes(b"\0garbage" * 4096)
    for suffix in ("-wal", "-shm"):
        store.path.with_name(store.path.name + suffix).unlink(missing_ok=True)
    sid = store.add(digit_image(9), 9, "canvas")
    assert store.notice and [s.id for s in store.list()] == [sid]
    assert len(store.set_aside_files()) == 1


def test_damaged_pages_inside_a_valid_file_are_found(registry_root, monkeypatch):
    monkeypatch.setattr(sample_db, "_checked", set())
    store = SampleStore()
    buf = io.BytesIO()
    np.savez(buf, x=np.random.default_rng(0).integers(0, 255, (300, 28, 28), dtype=np.uint8), y=np.arange(300) % 10)
    store.import_file(buf.getvalue())
    with sqlite3.connect(store.path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = bytearray(store.path.read_bytes())
    raw[8192 : 8192 + 4096 * 8] = b"\xa5" * (4096 * 8)  # scribble over pages 3-10 (header intact)
    store.path.write_bytes(bytes(raw))
    monkeypatch.setattr(sample_db, "_checked", set())
    fresh = SampleStore()
    assert fresh.notice and fresh.count() == 0
    assert fresh.set_aside_files()[0].read_bytes() == bytes(raw)
