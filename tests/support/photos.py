"""Phone photos as people take them, for the tests: a note lying on a desk, a page at an angle with the table
showing, a hard shadow across the writing. Drawn with PIL, independently of ``bench/photo_scenes.py``."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from mnist_core.data import synthetic

PAPER, INK = (240, 238, 230), (35, 35, 70)


def written(mnist, labels: str, size: tuple[int, int], height: int) -> Image.Image:
    """The digits ``labels`` (first test digit of each), side by side in the middle of a page of ``size``."""
    glyphs = [synthetic.ink_alpha(mnist.x_test[int(np.flatnonzero(mnist.y_test == int(c))[0])], height) for c in labels]
    gap = height // 4
    width = sum(g.shape[1] for g in glyphs) + gap * (len(glyphs) - 1)
    ink = np.zeros((size[1], size[0]), np.float32)
    x, y = (size[0] - width) // 2, (size[1] - height) // 2
    for g in glyphs:
        ink[y : y + g.shape[0], x : x + g.shape[1]] = g
        x += g.shape[1] + gap
    rgb = np.array(PAPER, np.float32) * (1 - ink[..., None]) + np.array(INK, np.float32) * ink[..., None]
    return Image.fromarray(rgb.astype(np.uint8))


def jpeg(image: Image.Image, seed: int = 0) -> bytes:
    a = np.asarray(image.filter(ImageFilter.GaussianBlur(0.8)), np.float32)
    a += np.random.default_rng(seed).normal(0, 4, (*a.shape[:2], 1))
    buf = io.BytesIO()
    Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=85)
    return buf.getvalue()


def note_on_desk(mnist, labels: str) -> tuple[bytes, tuple[int, int]]:
    """A pink note turned 20 degrees on a dark wooden desk; also where the note's centre lies."""
    note = written(mnist, labels, (280, 280), 90).convert("RGB")
    note = Image.fromarray((np.asarray(note, np.float32) * np.array([1.0, 0.78, 0.85])).astype(np.uint8))  # pink paper
    mask = Image.new("L", note.size, 255).rotate(20, expand=True)
    note = note.rotate(20, expand=True, resample=Image.Resampling.BICUBIC)
    desk = Image.new("RGB", (640, 480), (100, 68, 45))
    at = (200, 60)
    desk.paste(note, at, mask)
    return jpeg(desk), (at[0] + note.width // 2, at[1] + note.height // 2)


def tilted_page(mnist, labels: str) -> bytes:
    """A page shot at an angle that runs off the top and bottom of the photo: the grey table shows as a wedge on
    each side, its edges long straight lines."""
    page = written(mnist, labels, (400, 520), 130 if len(labels) == 1 else 90)
    w, h = 560, 520
    quad = [(110, 0), (450, 0), (530, 520), (30, 520)]  # the page's corners in the photo: its far edge narrower
    rows, rhs = [], []
    for (x, y), (u, v) in zip(quad, [(0, 0), (400, 0), (400, 520), (0, 520)], strict=True):
        rows += [[x, y, 1, 0, 0, 0, -u * x, -u * y], [0, 0, 0, x, y, 1, -v * x, -v * y]]
        rhs += [u, v]
    warped = page.transform((w, h), Image.Transform.PERSPECTIVE, tuple(np.linalg.solve(rows, rhs)), Image.Resampling.BICUBIC)
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).polygon(quad, fill=255)
    photo = Image.new("RGB", (w, h), (90, 90, 95))
    photo.paste(warped, (0, 0), mask)
    return jpeg(photo)


def shadowed(mnist, labels: str | None) -> bytes:
    """A page, and a hard-edged shadow (something held close to it) across it and through the writing."""
    page = written(mnist, labels, (480, 400), 150) if labels else Image.new("RGB", (480, 400), PAPER)
    shade = Image.new("L", page.size, 0)
    ImageDraw.Draw(shade).polygon([(150, 0), (480, 0), (480, 400), (330, 400)], fill=255)  # its edge runs through the middle
    a = np.asarray(page, np.float32) * (1 - 0.5 * np.asarray(shade, np.float32)[..., None] / 255)
    return jpeg(Image.fromarray(a.astype(np.uint8)))
