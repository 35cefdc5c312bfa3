"""Realistic, seeded inputs built from MNIST digits: scanned pages, numbers on paper, drawn canvases.

Used by the tests, the benchmarks and the Upload page's example images. Every function is
deterministic given its ``rng`` (``numpy.random.Generator``) or seed.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter
from scipy import ndimage

Box = tuple[int, int, int, int]
Strokes = Sequence[Sequence[tuple[float, float]]]


def _rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def _ink_alpha(digit: np.ndarray, height: float) -> np.ndarray:
    """A 28x28 uint8 MNIST digit cropped to its ink, upscaled so that its 20x20 box becomes ``height`` pixels.

    As in MNIST, the longer side sets the scale: a flat 2 stays flat, a 1 is as tall as the box.
    """
    d = np.asarray(digit, dtype=np.float32) / 255.0
    rows, cols = np.flatnonzero(d.max(axis=1) > 0.1), np.flatnonzero(d.max(axis=0) > 0.1)
    if rows.size == 0:
        return np.zeros((max(1, int(height)), max(1, int(height) // 2)), np.float32)
    d = d[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    scale = height / max(d.shape)
    size = (max(1, round(d.shape[1] * scale)), max(1, round(d.shape[0] * scale)))
    up = np.asarray(Image.fromarray(d).resize(size, Image.Resampling.BICUBIC), dtype=np.float32)
    # MNIST's grey edges blown up look like a felt pen; sharpen them into a written stroke
    return np.clip((up - 0.25) / 0.5, 0.0, 1.0)


@dataclass
class Layout:
    image: Image.Image
    boxes: list[Box]  # each digit's ink box, in the image's pixels


def compose(
    digit_images: Sequence[np.ndarray],
    rng: np.random.Generator | int | None = None,
    *,
    size: tuple[int, int] | None = None,
    digit_height: float | tuple[float, float] = (50, 110),
    gap: tuple[float, float] = (0.15, 0.45),
    per_line: int | None = None,
    dark_ink: bool = True,
    light: float = 0.45,
    noise: float = 6.0,
    blur: float = 0.8,
    ruled: bool = False,
    jpeg_quality: int | None = 75,
    margin: float = 0.3,
) -> Layout:
    """Write the digits as one or more lines of a number on paper, then photograph it.

    ``size`` None makes the page just big enough for the digits (plus ``margin`` x height);
    otherwise the lines are placed at a random, off-centre spot of a page of that size.
    ``light`` is how uneven the light is (0 = even, 0.5 = half as bright in the darkest corner).
    """
    rng = _rng(rng)
    height = float(digit_height) if isinstance(digit_height, (int, float)) else float(rng.uniform(*digit_height))
    per_line = per_line or max(1, len(digit_images))
    lines = [list(digit_images[i : i + per_line]) for i in range(0, len(digit_images), per_line)] or [[]]
    glyphs = [[_ink_alpha(d, height * rng.uniform(0.9, 1.1)) for d in line] for line in lines]
    line_gap = height * 0.5
    widths = []
    placements = []  # (line, x, y) relative to the block
    y = 0.0
    for line in glyphs:
        x = 0.0
        for g in line:
            jitter = rng.uniform(-0.06, 0.06) * height
            placements.append((g, int(x), int(y + jitter + (height - g.shape[0]) / 2)))
            x += g.shape[1] + rng.uniform(*gap) * height
        widths.append(x)
        y += height * 1.1 + line_gap
    block_w = int(max(widths)) + 1
    block_h = int(y - line_gap) + 1
    pad = int(margin * height)
    if size is None:
        page_w, page_h = block_w + 2 * pad, block_h + 2 * pad
        ox, oy = pad, pad
    else:
        page_w, page_h = size
        if block_w + 2 * pad > page_w or block_h + 2 * pad > page_h:
            raise ValueError(f"{len(digit_images)} digits of height {height:.0f} do not fit on a {page_w}x{page_h} page.")
        ox = int(rng.integers(pad, page_w - block_w - pad + 1))
        oy = int(rng.integers(pad, page_h - block_h - pad + 1))
    ink = np.zeros((page_h, page_w), np.float32)
    boxes = []
    for g, x, y in placements:
        x, y = x + ox, max(0, y + oy)
        region = ink[y : y + g.shape[0], x : x + g.shape[1]]
        g = g[: region.shape[0], : region.shape[1]]
        np.maximum(region, g, out=region)
        rows, cols = np.flatnonzero(g.max(axis=1) > 0.2), np.flatnonzero(g.max(axis=0) > 0.2)
        if rows.size:
            boxes.append((x + int(cols[0]), y + int(rows[0]), x + int(cols[-1]) + 1, y + int(rows[-1]) + 1))
    image = _photograph(ink, rng, dark_ink=dark_ink, light=light, noise=noise, blur=blur, ruled=ruled, jpeg_quality=jpeg_quality)
    return Layout(image=image, boxes=boxes)


def _photograph(
    ink: np.ndarray,
    rng: np.random.Generator,
    *,
    dark_ink: bool,
    light: float,
    noise: float,
    blur: float,
    ruled: bool,
    jpeg_quality: int | None,
) -> Image.Image:
    h, w = ink.shape
    paper = np.array([rng.uniform(225, 250), rng.uniform(220, 245), rng.uniform(205, 240)], np.float32)
    pen = np.array([rng.uniform(10, 50), rng.uniform(10, 50), rng.uniform(30, 90)], np.float32)
    if not dark_ink:  # chalk on a board
        paper, pen = np.array([40, 55, 45], np.float32) + rng.uniform(-10, 10, 3), np.array([230, 230, 225], np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * xx / max(w, 1) + np.sin(angle) * yy / max(h, 1)) + 1
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    vignette = np.hypot(xx - cx, yy - cy) / np.hypot(w, h)
    illumination = 1 - light * np.clip(0.6 * ramp / 2 + 0.6 * vignette, 0, 1)
    rgb = np.broadcast_to(paper, (h, w, 3)).copy()
    if ruled:  # pale blue lines under the ink
        spacing = int(rng.uniform(28, 40))
        rows = np.arange(int(rng.integers(5, spacing)), h, spacing)
        for dy in (0, 1):
            rgb[np.clip(rows + dy, 0, h - 1)] = (150, 180, 230)
    a = ink[..., None]
    rgb = rgb * (1 - a) + pen * a
    rgb = rgb * illumination[..., None]
    image = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))
    if blur > 0:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    rgb = np.asarray(image, dtype=np.float32) + rng.normal(0, noise, (h, w, 1)) + rng.normal(0, noise / 3, (h, w, 3))
    image = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))
    if jpeg_quality:
        buf = io.BytesIO()
        image.save(buf, format="JPEG", quality=int(jpeg_quality))
        image = Image.open(io.BytesIO(buf.getvalue()))
        image.load()
    return image


def scan_page(
    digit_images: Sequence[np.ndarray],
    rng: np.random.Generator | int | None = None,
    *,
    size: tuple[int, int] = (640, 480),
    digit_height: float | tuple[float, float] = (50, 110),
    ruled: bool = False,
    jpeg_quality: int | None = None,
) -> Image.Image:
    """A photographed page: dark ink on light paper, upscaled digits off-centre, uneven light, noise, JPEG."""
    rng = _rng(rng)
    quality = jpeg_quality or int(rng.integers(55, 90))
    return compose(digit_images, rng, size=size, digit_height=digit_height, ruled=ruled, jpeg_quality=quality).image


def number_row(
    digit_images: Sequence[np.ndarray],
    rng: np.random.Generator | int | None = None,
    *,
    digit_height: float = 64,
    dark_ink: bool = True,
    jpeg_quality: int | None = 85,
) -> Image.Image:
    """A number written on paper and cropped close, like a phone photo of a form field."""
    rng = _rng(rng)
    return compose(digit_images, rng, digit_height=digit_height, dark_ink=dark_ink, light=0.25, noise=4.0, jpeg_quality=jpeg_quality).image


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
    shape = _ink_alpha(digit, height) > 0.5
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


@dataclass
class Example:
    title: str
    image: Image.Image
    number: str  # what a person reads in it


def examples(x: np.ndarray, y: np.ndarray, seed: int = 0) -> list[Example]:
    """A few ready-made upload examples from MNIST test digits (for the Upload page)."""
    rng = np.random.default_rng(seed)
    pick = [int(i) for i in rng.choice(len(x), 12, replace=False)]

    def number(ids: list[int]) -> str:
        return "".join(str(int(y[i])) for i in ids)

    one, row, chalk, two_lines = pick[:1], pick[1:6], pick[6:9], pick[9:12] + pick[1:4]
    return [
        Example("A digit on a photographed page", scan_page(x[one], rng), number(one)),
        Example("A number written on paper", number_row(x[row], rng), number(row)),
        Example("Chalk on a blackboard", number_row(x[chalk], rng, dark_ink=False), number(chalk)),
        Example(
            "Two lines on ruled paper",
            compose(x[two_lines], rng, size=(720, 480), digit_height=70, per_line=3, ruled=True, jpeg_quality=80).image,
            number(two_lines),
        ),
    ]


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
    import zlib

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
