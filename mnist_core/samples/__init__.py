"""The user's own labelled samples: the store (``store``), its SQLite file (``db``), its exchange formats (``files``)
and a sample's pieces (``codec``)."""

from mnist_core.samples.codec import SOURCES, Sample, SamplesError
from mnist_core.samples.store import SampleStore

__all__ = ["SOURCES", "Sample", "SampleStore", "SamplesError"]
