"""The Upload page's example images, so that a person without a scanner can try it at once.

They are photos made from MNIST test digits by ``synthetic.examples`` and committed under
``assets/examples/`` (about 80 KB), so the page needs neither MNIST nor a second of work to show
them. Regenerate them with ``python -m mnist_core.views.examples``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from mnist_core.settings import PROJECT_ROOT

EXAMPLES_DIR = PROJECT_ROOT / "assets" / "examples"
MANIFEST = "examples.json"
CHOSEN = (0, 1, 3)  # of synthetic.examples: one digit, a whole number, two lines in uneven light
JPEG_QUALITY = 70


@dataclass(frozen=True)
class ExampleImage:
    title: str
    path: Path
    number: str  # what a person reads in it

    @property
    def data(self) -> bytes:
        return self.path.read_bytes()


def list_examples(folder: Path = EXAMPLES_DIR) -> list[ExampleImage]:
    """The committed examples, in the order the page shows them; [] when the folder is missing."""
    try:
        entries = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return []
    return [ExampleImage(e["title"], folder / e["file"], e["number"]) for e in entries if (folder / e["file"]).is_file()]


def write_examples(folder: Path = EXAMPLES_DIR, seed: int = 0) -> list[ExampleImage]:
    """Make the example photos from the MNIST test set and write them with their manifest."""
    from mnist_core.data import load_dataset, synthetic
    from mnist_core.storage.atomic import write_json

    dataset = load_dataset()
    made = synthetic.examples(dataset.x_test, dataset.y_test, seed=seed)
    folder.mkdir(parents=True, exist_ok=True)
    manifest = []
    for example in (made[i] for i in CHOSEN):
        name = re.sub(r"[^a-z0-9]+", "-", example.title.lower()).strip("-") + ".jpg"
        example.image.convert("RGB").save(folder / name, format="JPEG", quality=JPEG_QUALITY, optimize=True)
        manifest.append({"title": example.title, "file": name, "number": example.number})
    write_json(folder / MANIFEST, manifest)
    return list_examples(folder)


if __name__ == "__main__":
    for example in write_examples():
        print(f"{example.path.relative_to(PROJECT_ROOT)}  {example.path.stat().st_size / 1024:.0f} KB  reads {example.number}")
