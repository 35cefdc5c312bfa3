"""Non-Latin letters and symbols from the fonts matplotlib ships, as ink maps: thousands of shapes that are no digit.

Outlier exposure generalises with the variety of its outliers (Hendrycks et al. 2019). Greek, Cyrillic, Armenian,
Hebrew, Arabic, Georgian, arrows, math operators, box drawing, geometric shapes, dingbats: no pen-stroke generator
draws that many. Latin letters are left out on purpose (the benchmarks' letters are Latin, so they measure how
far these reach), and so is anything Unicode calls a number (digits of every script, circled digits, fractions).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONTS = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf", "STIXGeneral.ttf")
# code point ranges left out: Latin (with IPA and modifiers), Latin Extended Additional, letterlike symbols and
# number forms (Roman numerals), enclosed alphanumerics (circled digits), math alphanumerics, fullwidth forms
LEFT_OUT = [(0x0000, 0x036F), (0x1D00, 0x1EFF), (0x2070, 0x218F), (0x2460, 0x24FF), (0x2C60, 0x2C7F),
            (0xA720, 0xA7FF), (0xFB00, 0xFB06), (0xFF00, 0xFFEF), (0x1D400, 0x1D7FF)]  # fmt: skip
KEPT_CATEGORIES = ("Lu", "Ll", "Lo", "Sm", "So")  # letters of other scripts, math and other symbols
# and left out by name: rings and circles (a 0), and the Greek and Cyrillic letters shaped like O, I, S, Z, B, b, 3, 4, 6
LOOK_ALIKES = re.compile(
    r"CIRCLE|\bRING\b|BULLET|ZERO|OMICRON|\bLETTER (O|I|ZE|DZE|BE|CHE|VE|SOFT SIGN|HARD SIGN|YERU|BETA|ZETA|IOTA|SIGMA|FINAL SIGMA|YI|JE|SHHA|GHE)\b"
)


def font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def _kept(code: int) -> bool:
    if any(lo <= code <= hi for lo, hi in LEFT_OUT):
        return False
    ch = chr(code)
    name = unicodedata.name(ch, "DIGIT")
    return unicodedata.category(ch) in KEPT_CATEGORIES and "DIGIT" not in name and not LOOK_ALIKES.search(name)


@lru_cache(maxsize=1)
def pool() -> tuple[tuple[str, str], ...]:
    """Every (font file, character) drawn here, in a fixed order."""
    from fontTools.ttLib import TTFont

    out = []
    for name in FONTS:
        path = font_dir() / name
        if path.exists():
            cmap = TTFont(path, lazy=True).getBestCmap() or {}
            out += [(str(path), chr(code)) for code in sorted(cmap) if _kept(code)]
    return tuple(out)


@lru_cache(maxsize=8)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


def render(rng: np.random.Generator, size: int = 112) -> np.ndarray:
    """One glyph, picked at random, with a random weight and turn: an ink map (size, size) float32, ink high.

    Blank (all zero) where a font's glyph draws nothing (1 pick in 2,000): normalised away, never a digit."""
    glyphs = pool()
    path, ch = glyphs[int(rng.integers(len(glyphs)))]
    image = Image.new("L", (size * 2, size * 2), 0)
    stroke = int(rng.integers(0, 4))  # a heavier pen: the outline grown by 0-3 px
    ImageDraw.Draw(image).text((size, size), ch, fill=255, font=_font(path, size), anchor="mm", stroke_width=stroke, stroke_fill=255)
    image = image.rotate(float(rng.normal(0, 12)), resample=Image.Resampling.BILINEAR)
    box = image.getbbox()
    if box is None:
        return np.zeros((size, size), np.float32)
    crop = image.crop(box)
    crop.thumbnail((size - 8, size - 8), Image.Resampling.BILINEAR)
    out = Image.new("L", (size, size), 0)
    out.paste(crop, ((size - crop.width) // 2, (size - crop.height) // 2))
    return np.asarray(out, np.float32) / 255.0
