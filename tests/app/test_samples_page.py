"""The My samples page under AppTest: grid, filter, relabel, delete, import, a damaged store."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from mnist_core.samples import SampleStore
from tests.app.apptest import open_app_page, run


def open_page() -> AppTest:
    return open_app_page("app_pages/samples.py")


def tiles(at: AppTest) -> dict[int, int]:
    """{sample id: label shown} for every tile on the page."""
    return {int(s.key.removeprefix("label-")): s.value for s in at.selectbox if (s.key or "").startswith("label-")}


@pytest.fixture
def store(tiny_registry, mnist) -> SampleStore:
    """Eight MNIST test digits (labels 7 2 1 0 4 1 4 9) saved as samples, beside the tiny model."""
    store = SampleStore()
    for image, label in zip(mnist.x_test[:8], mnist.y_test[:8]):
        store.add(image, int(label), "canvas", crop=255 - image, model="tiny", predicted=int(label))
    return store


def test_an_empty_store_says_how_to_fill_it(tiny_registry):
    at = open_page()
    assert any("No samples yet" in i.value for i in at.info)
    assert all(b.disabled for b in at.get("download_button"))


def test_grid_shows_every_sample_with_what_the_model_reads(store):
    at = open_page()
    assert tiles(at) == {s.id: s.label for s in store.list()}
    metric = next(m for m in at.metric if m.label.startswith("tiny reads these right"))
    assert metric.value.endswith("%")
    assert [b.label for b in at.get("download_button")] == ["Download .npz", "Download .zip (PNGs + labels.csv)"]


def test_filter_by_label(store):
    at = open_page()
    chips = at.pills(key="samples_filter")
    assert chips.options[:3] == ["All (8)", "0 (1 sample)", "1 (2 samples)"]
    chips.set_value(4)
    run(at)
    assert sorted(tiles(at).values()) == [4, 4]


def test_relabel_and_delete_change_the_store(store):
    at = open_page()
    first, second = store.list()[:2]
    at.selectbox(key=f"label-{first.id}").set_value(3)
    run(at)
    assert store.get(first.id).label == 3
    at.button(key=f"del-{second.id}").click()
    run(at)
    assert second.id not in {s.id for s in store.list()} and store.count() == 7
    assert second.id not in tiles(at)
    assert any(f"Sample {second.id} deleted" in s.value for s in at.success)


def test_import_an_export_back(store, tmp_path):
    data = store.export_zip()
    store.delete([s.id for s in store.list()])
    at = open_page()
    assert next(b for b in at.button if b.label == "Import").disabled  # nothing chosen yet: nothing to import
    at.file_uploader(key="samples_upload").set_value(("mine.zip", data, "application/zip"))
    run(at)
    next(b for b in at.button if b.label == "Import").click()
    run(at)
    assert any("Imported 8 samples from mine.zip" in s.value for s in at.success)
    assert store.count() == 8 and len(tiles(at)) == 8


def test_a_bad_import_is_one_sentence(store):
    at = open_page()
    at.file_uploader(key="samples_upload").set_value(("mine.npz", b"PK\x03\x04 broken", "application/octet-stream"))
    run(at)
    next(b for b in at.button if b.label == "Import").click()
    run(at)
    assert any(e.value.startswith("mine.npz: This file is damaged") for e in at.error)
    assert store.count() == 8


def test_a_damaged_store_is_set_aside_and_the_page_works(tiny_registry):
    path = tiny_registry / ".samples" / "samples.db"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a database" * 300)
    at = open_page()
    assert any("was damaged, so it was set aside" in w.value and "nothing was deleted" in w.value for w in at.warning)
    assert any("No samples yet" in i.value for i in at.info)
    assert any("set aside earlier" in c.value for c in at.caption)
    assert (path.parent / next(p.name for p in path.parent.iterdir() if ".damaged-" in p.name)).read_bytes().startswith(b"not a database")
    at = open_page()  # the next visit: a working, empty store and no alarm
    assert not any("was damaged" in w.value for w in at.warning)
