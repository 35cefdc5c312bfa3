"""The one grid of digit tiles every page uses (errors, samples, digits read): tiles of a fixed width in a row that
wraps to the screen."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

import streamlit as st

T = TypeVar("T")


def tile_grid(items: Iterable[T], width: int, key: str | None = None, border: bool = False) -> Iterator[tuple[int, T]]:
    """``for i, item in tile_grid(items, width):`` draws each item into its own tile (keyed ``{key}-tile-{i}``)."""
    with st.container(horizontal=True, gap="small"):
        for i, item in enumerate(items):
            tile_key = None if key is None else f"{key}-tile-{i}"
            with st.container(width=width, gap=None, horizontal_alignment="center", border=border, key=tile_key):
                yield i, item
