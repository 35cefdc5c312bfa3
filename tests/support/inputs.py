"""Inputs only the tests and the benchmarks need: drawn canvases, files in every format, bad files.

(What the app itself shows, the Upload page's examples, is built by ``mnist_core.data.synthetic``.)
"""

from __future__ import annotations

import base64
import io
import zlib
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

from mnist_core.data.synthetic import Strokes, _rng, ink_alpha, number_row


def canvas_rgba(
    digit: np.ndarray | Strokes,
    rng: np.random.Generator | int | None = None,
    *,
    size: int = 280,
    stroke_width: int = 18,
    background: tuple[int, int, int] | None = None,
    colour: tuple[int, int, int] = (0, 0, 0),
) -> np.ndarray:
    """A drawing-canvas image (size, size, 4) uint8, as streamlit-drawable-canvas returns it.

    ``digit`` is a 28x28 MNIST image (redrawn with a round brush ``stroke_width`` wide, at a
    random size and place, as a person would) or a list of strokes (lists of (x, y) canvas points).
    ``background`` None: transparent, the ink only in alpha (RGB all ``colour``); else an opaque canvas.
    """
    rng = _rng(rng)
    if isinstance(digit, np.ndarray) and digit.shape == (28, 28):
        ink = _brush_digit(digit, rng, size, stroke_width)
    else:
        ink = _draw_strokes(digit, size, stroke_width)
    out = np.zeros((size, size, 4), np.uint8)
    a = ink[..., None]
    if background is None:
        out[..., :3] = colour
        out[..., 3] = np.round(ink * 255).astype(np.uint8)
    else:
        out[..., :3] = np.round(np.array(background) * (1 - a) + np.array(colour) * a).astype(np.uint8)
        out[..., 3] = 255
    return out


def _brush_digit(digit: np.ndarray, rng: np.random.Generator, size: int, stroke_width: int) -> np.ndarray:
    height = size * rng.uniform(0.5, 0.8)
    shape = ink_alpha(digit, height) > 0.5
    # the pen's path: thin the shape to its middle, then draw it again with a round brush
    depth = ndimage.distance_transform_edt(shape)
    ridge = (depth >= ndimage.maximum_filter(depth, size=5) - 0.5) & (depth > 1)
    middle = depth > max(1.0, 0.6 * float(np.percentile(depth[ridge], 50))) if ridge.any() else shape
    reach = ndimage.distance_transform_edt(~np.pad(middle, stroke_width))
    stroke = np.clip(stroke_width / 2 + 0.5 - reach, 0, 1).astype(np.float32)
    rows, cols = np.flatnonzero(stroke.max(axis=1) > 0), np.flatnonzero(stroke.max(axis=0) > 0)
    stroke = stroke[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1] if rows.size else stroke[:1, :1]
    stroke = stroke[:size, :size]
    h, w = stroke.shape
    canvas = np.zeros((size, size), np.float32)
    y = int(rng.integers(0, size - h + 1))
    x = int(rng.integers(0, size - w + 1))
    canvas[y : y + h, x : x + w] = stroke
    return canvas


def _draw_strokes(strokes: Strokes, size: int, stroke_width: int) -> np.ndarray:
    image = Image.new("L", (size * 2, size * 2), 0)  # drawn at 2x, then halved: anti-aliased edges
    draw = ImageDraw.Draw(image)
    r = stroke_width
    for stroke in strokes:
        points = [(2 * x, 2 * y) for x, y in stroke]
        if len(points) > 1:
            draw.line(points, fill=255, width=2 * stroke_width, joint="curve")
        for x, y in points[:1] + points[-1:]:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    return np.asarray(image.resize((size, size), Image.Resampling.BOX), dtype=np.float32) / 255.0


# ---------------------------------------------------------------- files, good and bad


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    """An image saved as ``fmt`` (PNG, JPEG, BMP, TIFF, GIF, WEBP), in memory."""
    buf = io.BytesIO()
    image.save(buf, format=fmt, **options)
    return buf.getvalue()


def odd_files(digit_images: Sequence[np.ndarray], rng: np.random.Generator | int | None = None) -> dict[str, tuple[str, bytes]]:
    """The same number written on paper, saved in every format and mode people upload: {case: (file name, bytes)}.

    Each one reads as the digits given; "animated GIF" shows them in its first frame only
    and "EXIF-rotated JPEG" stores the pixels turned a quarter and says so in its EXIF tag.
    """
    rng = _rng(rng)
    row = number_row(digit_images, rng, jpeg_quality=None)
    grey = row.convert("L")
    ink = 255 - np.asarray(grey)
    files: dict[str, tuple[str, bytes]] = {}
    for fmt, ext in (("PNG", "png"), ("JPEG", "jpg"), ("BMP", "bmp"), ("TIFF", "tif"), ("GIF", "gif"), ("WEBP", "webp")):
        files[fmt] = (f"number.{ext}", encode(row, fmt))
    twelve_bit = (np.asarray(grey, dtype=np.uint16) * 16).astype(np.uint16)  # a 12-bit scanner in a 16-bit file
    files["16-bit greyscale TIFF"] = ("scan16.tif", encode(Image.fromarray(twelve_bit), "TIFF"))
    files["CMYK JPEG"] = ("print.jpg", encode(row.convert("CMYK"), "JPEG", quality=90))
    files["1-bit PNG"] = ("fax.png", encode(grey.point(lambda v: 255 if v > 128 else 0).convert("1"), "PNG"))
    clean = np.where(ink > np.median(ink) + 40, 255 - ink, 255).astype(np.uint8)  # a drawing tool's export: flat paper
    palette = Image.fromarray(clean).quantize(8)
    background = int(np.bincount(np.asarray(palette).ravel()).argmax())
    files["palette PNG with transparency"] = ("sticker.png", encode(palette, "PNG", transparency=background))
    paper = float(np.median(ink))
    alpha = Image.fromarray(np.clip((ink - paper) / max(float(ink.max()) - paper, 1.0) * 1.5 * 255, 0, 255).astype(np.uint8))
    files["LA PNG, ink on transparent"] = ("ink.png", encode(Image.merge("LA", (Image.new("L", grey.size, 30), alpha)), "PNG"))
    white_ink = Image.merge("RGBA", (*Image.new("RGB", grey.size, (255, 255, 255)).split(), alpha))
    files["RGBA PNG, white ink on transparent"] = ("white.png", encode(white_ink, "PNG"))
    files["RGBA PNG, opaque"] = ("opaque.png", encode(row.convert("RGBA"), "PNG"))
    other = number_row(list(digit_images)[::-1], rng, jpeg_quality=None).resize(row.size)
    files["animated GIF"] = ("anim.gif", encode(row, "GIF", save_all=True, append_images=[other], duration=200, loop=0))
    exif = Image.Exif()
    exif[0x0112] = 6  # "turn 90 degrees clockwise to display"
    files["EXIF-rotated JPEG"] = ("phone.jpg", encode(row.transpose(Image.Transpose.ROTATE_90), "JPEG", quality=90, exif=exif))
    return files


def bomb_png(width: int = 30000, height: int = 30000) -> bytes:
    """A tiny PNG whose header declares ``width`` x ``height`` pixels (a decompression bomb)."""
    import struct

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    rows = zlib.compress(b"\x00" * (width + 1) * 4)  # a few rows of the promised 900 megapixels
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", rows)
        + chunk(b"IEND", b"")
    )


def bad_files() -> dict[str, tuple[str, bytes]]:
    """Uploads that are not readable images: {case: (file name, bytes)}."""
    page = Image.effect_noise((160, 120), 40).convert("RGB")
    png, jpeg = encode(page, "PNG"), encode(page, "JPEG")  # cut after the header, inside the pixels
    return {
        "zero bytes": ("empty.png", b""),
        "text named .png": ("notes.png", b"These are my notes, not a picture.\n" * 20),
        "truncated PNG": ("cut.png", png[: len(png) * 2 // 3]),
        "truncated JPEG": ("cut.jpg", jpeg[: len(jpeg) * 2 // 3]),
        "PNG bomb 30000x30000": ("bomb.png", bomb_png()),
        "SVG": ("drawing.svg", b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'),
        "PDF": ("scan.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"),
    }


def blank_files(rng: np.random.Generator | int | None = None) -> dict[str, tuple[str, bytes]]:
    """Readable images with no digit in them: {case: (file name, bytes)}."""
    rng = _rng(rng)
    noise = rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)
    paper = np.clip(rng.normal(235, 4, (300, 400)), 0, 255).astype(np.uint8)
    return {
        "all-white photo": ("white.jpg", encode(Image.fromarray(paper).convert("RGB"), "JPEG")),
        "all-black photo": ("black.jpg", encode(Image.new("RGB", (400, 300), (3, 3, 3)), "JPEG")),
        "pure noise": ("noise.png", encode(Image.fromarray(noise), "PNG")),
        "1x1 image": ("dot.png", encode(Image.new("L", (1, 1), 0), "PNG")),
        "10000x50 strip": ("strip.png", encode(Image.new("L", (10000, 50), 250), "PNG")),
    }


def arc(cx: float, cy: float, r: float, start: float, end: float, n: int = 24) -> list[tuple[float, float]]:
    t = np.radians(np.linspace(start, end, n + 1))
    return list(zip((cx + r * np.cos(t)).tolist(), (cy + r * np.sin(t)).tolist(), strict=True))


# A heart as one pen stroke in a unit box (x right, y down): a mark the non-digit generator never draws.
HEART = [*arc(0.28, 0.3, 0.22, 180, 360), *arc(0.72, 0.3, 0.22, 180, 360), (0.5, 1.0), (0.06, 0.35)]


def heart_ink(size: int = 200, pen: int = 12) -> np.ndarray:
    """A drawn heart, white ink on black, uint8 (size, size)."""
    m = 0.15 * size
    return canvas_rgba([[(m + x * (size - 2 * m), m + y * (size - 2 * m)) for x, y in HEART]], size=size, stroke_width=pen)[..., 3]


def canvas_payload(rgba: np.ndarray) -> dict:
    """What streamlit-drawable-canvas 0.13 sends at mouse-up with return_image_data=True."""
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    return {"drawing": {"raw": {"objects": [{"type": "path"}]}, "data": url}}
