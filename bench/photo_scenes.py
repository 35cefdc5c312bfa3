"""Phone photos of handwriting as people take them, drawn here: a note lying on a desk, a page shot at an angle
with the table around it, a hard shadow across the page, a page with its own margin and a coffee stain.

Each scene takes the writing as an ink map (float, 1 = ink) on a page of its own and returns JPEG bytes. The
geometry is drawn with PIL only (no OpenCV), so the scenes do not share code with the reader they test.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFilter
from scipy import ndimage

from mnist_core.data import synthetic

NOTE_COLOURS = {"yellow": (250, 232, 120), "pink": (250, 185, 205), "blue": (175, 215, 245), "green": (205, 240, 170)}
DESK_COLOURS = {"dark wood": (105, 70, 45), "light wood": (185, 145, 100), "grey": (95, 95, 100), "black": (30, 30, 34)}
PAPER = (242, 240, 234)
PENS = [(30, 30, 60), (40, 60, 170), (20, 20, 20)]


def writing(digits: list[np.ndarray], page: tuple[int, int], height: float, rng: np.random.Generator) -> np.ndarray:
    """MNIST digits side by side, ``height`` px tall, near the middle of a ``page`` (w, h) ink map."""
    glyphs = [synthetic.ink_alpha(d, height * rng.uniform(0.9, 1.05)) for d in digits]
    gaps = [int(height * rng.uniform(0.15, 0.35)) for _ in glyphs[1:]]
    width = sum(g.shape[1] for g in glyphs) + sum(gaps)
    w, h = page
    x = int((w - width) / 2 + rng.uniform(-0.1, 0.1) * (w - width))
    top = int((h - height) / 2 + rng.uniform(-0.1, 0.1) * h)
    ink = np.zeros((h, w), np.float32)
    for i, g in enumerate(glyphs):
        y = top + int(rng.uniform(-0.05, 0.05) * height) + int(height - g.shape[0]) // 2
        gh, gw = min(g.shape[0], h - y), min(g.shape[1], w - x)
        ink[y : y + gh, x : x + gw] = np.maximum(ink[y : y + gh, x : x + gw], g[:gh, :gw])
        x += g.shape[1] + (gaps[i] if i < len(gaps) else 0)
    return ink


def _paint(ink: np.ndarray, paper, pen) -> Image.Image:
    rgb = np.broadcast_to(np.array(paper, np.float32), (*ink.shape, 3)) * (1 - ink[..., None]) + np.array(pen, np.float32) * ink[..., None]
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))


def _desk(size: tuple[int, int], colour, rng: np.random.Generator) -> np.ndarray:
    """A desk: its colour, a grain along one direction, and light falling off across it."""
    w, h = size
    grain = rng.normal(0, 1, (h, 8)).astype(np.float32)
    grain = np.asarray(Image.fromarray(grain).resize((w, h), Image.Resampling.BICUBIC), np.float32) * 8
    yy, xx = np.mgrid[0:h, 0:w] / max(w, h)
    light = 1 + 0.25 * (xx * rng.uniform(-1, 1) + yy * rng.uniform(-1, 1))
    return (np.array(colour, np.float32) + grain[..., None]) * light[..., None]


def _finish(image: Image.Image, rng: np.random.Generator, noise: float = 5.0) -> bytes:
    """A phone's softness, sensor noise and JPEG."""
    a = np.asarray(image.filter(ImageFilter.GaussianBlur(0.8)), np.float32)
    a = a + rng.normal(0, noise, (*a.shape[:2], 1))
    buf = io.BytesIO()
    Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=int(rng.integers(70, 90)))
    return buf.getvalue()


def note_on_desk(digits: list[np.ndarray], rng: np.random.Generator, note: str | None = None, desk: str | None = None) -> bytes:
    """A square sticky note, written on, lying turned on a desk that fills the rest of the photo."""
    note = note or str(rng.choice(list(NOTE_COLOURS)))
    desk = desk or str(rng.choice(list(DESK_COLOURS)))
    side = int(rng.uniform(260, 340))
    height = side * (0.45 if len(digits) == 1 else 0.6 / len(digits) + 0.03)
    sheet = _paint(writing(digits, (side, side), height, rng), NOTE_COLOURS[note], PENS[int(rng.integers(len(PENS)))])
    alpha = Image.new("L", sheet.size, 255)
    angle = rng.uniform(-25, 25)
    sheet, alpha = sheet.rotate(angle, expand=True, resample=Image.Resampling.BICUBIC), alpha.rotate(angle, expand=True)
    size = (int(rng.uniform(560, 700)), int(rng.uniform(440, 520)))
    scene = _desk(size, DESK_COLOURS[desk], rng)
    x = int(rng.uniform(0.15, 0.85) * (size[0] - sheet.width))
    y = int(rng.uniform(0.15, 0.85) * (size[1] - sheet.height))
    a = np.asarray(alpha, np.float32)[..., None] / 255
    shade = _drop_shadow(a, 6)  # the note's own soft shadow on the desk
    region = scene[y : y + sheet.height, x : x + sheet.width]
    region *= 1 - 0.35 * shade
    region[:] = region * (1 - a) + np.asarray(sheet, np.float32) * a
    return _finish(Image.fromarray(np.clip(scene, 0, 255).astype(np.uint8)), rng)


def _drop_shadow(a: np.ndarray, by: int) -> np.ndarray:
    out = np.zeros_like(a)
    out[by:, by:] = a[:-by, :-by]
    return ndimage.gaussian_filter(out, (by, by, 0))


def tilted_page(digits: list[np.ndarray], rng: np.random.Generator, whole: bool | None = None) -> bytes:
    """A page shot at an angle: its far edge narrower, the table showing around it (as wedges at its sides when
    the page runs off the top and bottom of the photo, or all around it when ``whole``)."""
    whole = bool(rng.integers(2)) if whole is None else whole
    pw, ph = 420, 560
    height = 150 if len(digits) == 1 else min(110, 300 / len(digits))
    page = _paint(writing(digits, (pw, ph), height, rng), PAPER, PENS[int(rng.integers(len(PENS)))])
    w, h = 600, 560
    squeeze, lean = rng.uniform(0.12, 0.25), rng.uniform(-40, 40)
    margin_y = rng.uniform(0.06, 0.12) * h if whole else -rng.uniform(0.02, 0.1) * h
    half_bottom = rng.uniform(0.36, 0.44) * w if not whole else rng.uniform(0.3, 0.36) * w
    half_top = half_bottom * (1 - squeeze)
    cx = w / 2 + rng.uniform(-30, 30)
    quad = [
        (cx - half_top + lean, margin_y),
        (cx + half_top + lean, margin_y),
        (cx + half_bottom, h - margin_y),
        (cx - half_bottom, h - margin_y),
    ]
    coeffs = _perspective(quad, [(0, 0), (pw, 0), (pw, ph), (0, ph)])
    warped = page.transform((w, h), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC)
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).polygon(quad, fill=255)
    table = _desk((w, h), DESK_COLOURS[str(rng.choice(list(DESK_COLOURS)))], rng)
    a = np.asarray(mask.filter(ImageFilter.GaussianBlur(0.7)), np.float32)[..., None] / 255
    scene = table * (1 - a) + np.asarray(warped, np.float32) * a
    return _finish(Image.fromarray(np.clip(scene, 0, 255).astype(np.uint8)), rng)


def _perspective(dst: list[tuple[float, float]], src: list[tuple[float, float]]) -> list[float]:
    """PIL's 8 perspective coefficients mapping output points ``dst`` to input points ``src``."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows += [[x, y, 1, 0, 0, 0, -u * x, -u * y], [0, 0, 0, x, y, 1, -v * x, -v * y]]
        rhs += [u, v]
    return list(np.linalg.solve(np.array(rows, float), np.array(rhs, float)))


def hard_shadow(digits: list[np.ndarray], rng: np.random.Generator) -> bytes:
    """A phone or a hand between the lamp and the page: a dark shape with a sharp edge through the writing
    (a straight edge, a phone's rectangle coming in from one side, or a hand's palm and fingers)."""
    w, h = 520, 420
    height = 160 if len(digits) == 1 else min(110, 380 / len(digits))
    ink = writing(digits, (w, h), height, rng)
    page = np.asarray(_paint(ink, PAPER, PENS[int(rng.integers(len(PENS)))]), np.float32)
    rows, cols = np.nonzero(ink > 0.5)
    cy, cx = rows.mean() + rng.uniform(-0.3, 0.3) * height, cols.mean() + rng.uniform(-0.3, 0.3) * height
    shape = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(shape)
    theta = rng.uniform(0, 2 * np.pi)
    along, across = np.array([np.cos(theta), np.sin(theta)]), np.array([-np.sin(theta), np.cos(theta)])
    kind = rng.choice(["edge", "phone", "hand"])  # sized as a real phone (7 cm) and hand beside 1-2 cm digits
    if kind == "edge":  # everything on one side of a line through the writing
        far = 2 * (w + h)
        draw.polygon([tuple(p) for p in ((cx, cy) + far * np.array([across, across + along, -across + along, -across]))], fill=255)
    elif kind == "phone":  # a long rectangle from beyond the page, its end in the writing
        half = rng.uniform(1.2, 2.0) * height
        end, start = np.array([cx, cy]), np.array([cx, cy]) + 2 * (w + h) * along
        draw.polygon([tuple(p) for p in (end + half * across, start + half * across, start - half * across, end - half * across)], fill=255)
    else:  # a palm beyond the writing, four fingers side by side reaching into it, a thumb apart
        r = rng.uniform(2.0, 2.8) * height
        palm = np.array([cx, cy]) + along * rng.uniform(1.6, 2.2) * r
        draw.ellipse((palm[0] - r, palm[1] - r, palm[0] + r, palm[1] + r), fill=255)
        width = 0.34 * r
        for k, reach in enumerate(rng.uniform(1.3, 2.0, 4)):
            base = palm + across * (k - 1.5) * 0.3 * r  # fingers together: no light between them
            tip = base - along * reach * r
            draw.line([tuple(base), tuple(tip)], fill=255, width=int(width))
            draw.ellipse((tip[0] - width / 2, tip[1] - width / 2, tip[0] + width / 2, tip[1] + width / 2), fill=255)
        thumb = palm + across * 1.1 * r - along * 0.3 * r
        draw.line([tuple(palm), tuple(thumb - along * 0.4 * r)], fill=255, width=int(width * 1.1))
    dark = shape.filter(ImageFilter.GaussianBlur(rng.uniform(0, 1.5)))
    depth = rng.uniform(0.3, 0.6)
    page *= (1 - depth * np.asarray(dark, np.float32) / 255)[..., None]
    return _finish(Image.fromarray(np.clip(page, 0, 255).astype(np.uint8)), rng)


def margin_and_stain(digits: list[np.ndarray], rng: np.random.Generator) -> bytes:
    """A notebook page with its ruled margin and header line, and a coffee cup's ring beside the writing."""
    w, h = 560, 440
    height = 150 if len(digits) == 1 else min(100, 340 / len(digits))
    ink = writing(digits, (w, h), height, rng)
    page = np.asarray(_paint(ink, PAPER, PENS[int(rng.integers(len(PENS)))]), np.float32)
    page[:, 50:52] = (215, 110, 110)
    page[38:40] = (150, 180, 225)
    ring = Image.new("L", (w, h), 0)
    r = rng.uniform(45, 75)
    cx = float(rng.choice([60 + r, w - 60 - r]))
    cy = float(rng.choice([r + 10, h - r - 10]))
    draw = ImageDraw.Draw(ring)
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=255, width=int(rng.integers(3, 8)))
    stain = np.asarray(ring.filter(ImageFilter.GaussianBlur(2)), np.float32) / 255
    fill = Image.new("L", (w, h), 0)
    ImageDraw.Draw(fill).ellipse((cx - r, cy - r, cx + r, cy + r), fill=255)
    inside = np.asarray(fill.filter(ImageFilter.GaussianBlur(6)), np.float32) / 255
    coffee = np.array((140, 95, 55), np.float32)
    strength = (rng.uniform(0.25, 0.45) * stain + 0.08 * inside)[..., None]
    page = page * (1 - strength) + coffee * strength
    return _finish(Image.fromarray(np.clip(page, 0, 255).astype(np.uint8)), rng)


SCENES = {
    "a note on a desk": note_on_desk,
    "a page at an angle, table around": tilted_page,
    "a hard shadow across the writing": hard_shadow,
    "a margin and a coffee stain": margin_and_stain,
}
