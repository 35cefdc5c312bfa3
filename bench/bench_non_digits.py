"""Digits and non-digits as the Draw page's canvas sends them, and non-digits on photographed paper, read by
the app's own paths: how many digits are read right, how many non-digits refused, per kind.

A fast, browser-free stand-in for ``bench_canvas_real.py`` (the same strokes, drawn as the canvas draws them),
with held-out sets of non-digits that no training generator draws (``bench/heldout/``, its manifest says what each set
may inform). ``--fresh``: the fresh pictures and letters; ``--listed`` / ``--final``: the listed kinds in hand A / hand
B (hand B only once, for a model chosen); ``--after``: the after pictures and letters.

    .venv/bin/python -m bench.bench_non_digits [--model NAME ...] [--per-kind 4] [--fresh] [--listed] [--final] [--after]
"""

from __future__ import annotations

import argparse
from collections import defaultdict

import numpy as np

from bench import heldout, unseen
from bench.realworld import draw_strokes, wobble
from bench.support import write_result
from mnist_core.data import synthetic
from mnist_core.inference import Predictor


def canvas_read(model: Predictor, rgba: np.ndarray) -> str:
    r = model.read_canvas(rgba)
    return "" if r is None else (str(r.digit) if r.is_digit else "?")


def photo_non_digits(sets: dict[str, dict], per_kind: int, seed: int = 13) -> list[tuple[str, str, object]]:
    rng = np.random.default_rng(seed)
    out = []
    for name in [n for n in sets if n != "shapes"]:  # photographed shapes are bench_real_world's set
        for kind, strokes in sets[name].items():
            for _ in range(per_kind):
                ink = draw_strokes(wobble(strokes, rng), 200, int(rng.integers(6, 16)))
                out.append((name, kind, synthetic.compose([ink], rng, digit_height=rng.uniform(60, 120)).image))
    return out


def evaluate(model: Predictor, per_kind: int, extra: dict | None = None) -> dict:
    digits = unseen.canvas_digits(per_style=per_kind)
    right = [canvas_read(model, rgba) == label for label, _, rgba in digits]
    per_class = defaultdict(list)
    for (label, _, _), ok in zip(digits, right, strict=True):
        per_class[label].append(ok)
    result = {
        "model": model.name,
        "canvas digits": {"size": len(digits), "read right": float(np.mean(right)),
                          "weak": {k: float(np.mean(v)) for k, v in sorted(per_class.items()) if np.mean(v) < 1}},
    }  # fmt: skip
    for name, canvas in [
        ("canvas numbers, exact (A number mode)", unseen.NUMBER_CANVAS),
        ("  the same on a phone's canvas", unseen.PHONE_NUMBER_CANVAS),
    ]:
        numbers = unseen.canvas_numbers(60, canvas=canvas)
        exact = [model.read_canvas_number(rgba).number == label for label, rgba in numbers]
        result[name] = {"size": len(numbers), "read right": float(np.mean(exact)), "weak": {}}
    sets = {**unseen.ALL_SETS, **(extra or {})}  # extra: the later held-out sets asked for
    kinds_of = {kind: name for name, kinds in sets.items() for kind in kinds}
    for where, cases in [
        ("canvas", [(kinds_of[k], k, lambda rgba=rgba: canvas_read(model, rgba) in ("?", "")) for _, k, rgba in unseen.canvas_non_digits(sets, per_kind)]),
        ("photo", [(n, k, lambda img=img: not any(r.is_digit for r in model.read(img))) for n, k, img in photo_non_digits(sets, per_kind)]),
    ]:  # fmt: skip
        by_set, by_kind = defaultdict(list), defaultdict(list)
        for name, kind, refused in cases:
            ok = refused()
            by_set[name].append(ok)
            by_kind[kind].append(ok)
        for name, oks in by_set.items():
            result[f"{where}: {name}"] = {"size": len(oks), "refused": float(np.mean(oks))}
        result[f"{where}: passed as digits"] = {k: f"{sum(not o for o in v)}/{len(v)}" for k, v in by_kind.items() if not all(v)}
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", action="append")
    p.add_argument("--per-kind", type=int, default=4)
    p.add_argument("--fresh", action="store_true", help="also the fresh pictures and letters (for a model already chosen)")
    p.add_argument("--listed", action="store_true", help="also the listed kinds in hand A")
    p.add_argument("--final", action="store_true", help="also the listed kinds in hand B (read once, for the model chosen)")
    p.add_argument("--after", action="store_true", help="also the after pictures and letters")
    args = p.parse_args()
    more = {
        **(heldout.sets("fresh pictures", "fresh letters") if args.fresh else {}),
        **(heldout.sets("listed kinds, hand A") if args.listed else {}),
        **(heldout.sets("listed kinds, hand B") if args.final else {}),
        **(heldout.sets("after pictures", "after letters") if args.after else {}),
    }
    results = [evaluate(Predictor.load(name), args.per_kind, more) for name in (args.model or [None])]
    for r in results:
        print(f"model {r['model']}")
        for key, v in r.items():
            if key == "model":
                continue
            if "size" in v:
                share = v.get("read right", v.get("refused"))
                what = "read right" if "read right" in v else "refused"
                extra = f"  weak: {', '.join(f'{k}: {x:.0%}' for k, x in v['weak'].items())}" if v.get("weak") else ""
                print(f"  {key:36} {v['size']:>4}  {what} {share:6.1%}{extra}")
            elif v:
                print(f"  {key:36} " + ", ".join(f"{k} {x}" for k, x in v.items()))
    write_result("non_digits", results)


if __name__ == "__main__":
    main()
