"""Numbers for people, the same on every page and in the CLI: probabilities, durations, sizes."""

from __future__ import annotations


def percent(p: float, decimals: int = 0) -> str:
    """A share: ``97%``, but ``<1%`` and ``>99%`` rather than a rounded 0 or 100."""
    step = 10**-decimals / 100
    if p < step:
        return f"<{step:.{decimals}%}"
    if p > 1 - step:
        return f">{1 - step:.{decimals}%}"
    return f"{p:.{decimals}%}"


def confidence(p: float) -> str:
    """A reading's confidence, one format everywhere: ``97.3%``, ``>99.9%``, ``<0.1%``."""
    return percent(p, 1)


STANDS_OUT = 0.2  # twice chance: under it, no digit is named for a refused drawing


def not_a_digit(digit: int, p: float) -> str:
    """The sentence for a refused drawing; its nearest digit only where one stands out (a clear non-digit
    scores every digit near 10 %, and "at most a 0, at 10.7 %" would only be noise)."""
    nearest = f"At most it is a {digit}, at {confidence(p)}." if p >= STANDS_OUT else "No digit stands out."
    return f"That doesn't look like a digit. {nearest}"


def marks_not_digits(count: int) -> str:
    """``1 mark is not a digit`` / ``3 marks are not a digit``: the marks of an image that were refused."""
    return "1 mark is not a digit" if count == 1 else f"{count} marks are not a digit"


def duration(seconds: float | None) -> str:
    """``42 s``, ``3.5 min``, ``1.2 h``; ``-`` when unknown."""
    if seconds is None:
        return "-"
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.0f} s"


def clock(seconds: float | None) -> str:
    """``4:05`` or ``1:02:03``; empty when unknown."""
    if seconds is None:
        return ""
    seconds = round(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else f"{seconds // 60}:{seconds % 60:02d}"


def about_minutes(seconds: float) -> str:
    """An estimate: ``under a minute``, ``about 3 min``, ``about 1 h 20 min``."""
    minutes = round(seconds / 60)
    if minutes < 1:
        return "under a minute"
    if minutes < 60:
        return f"about {minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"about {hours} h {rest} min" if rest else f"about {hours} h"


def megabytes(n_bytes: float) -> str:
    return f"{n_bytes / 2**20:.0f} MB"
