"""A seeded injector of the damage Japanese OCR does to text, for the OCR curve and for tests.

    from ocr_damage import damage, damage_with_log
    damage(text, rate=0.01, seed=1)                  # 1 % of the damageable characters
    damage(text, rate=0.01, seed=1, kinds={"drop"})  # one kind alone

    .venv/bin/python bench/ocr_damage.py FILE --rate 0.02 --seed 1 > damaged.txt   # reproduce a bench case

Kinds: `lookalike` (a character read as one that looks like it), `space` (a space inside a word or
number), `drop` (a character lost), `double` (a character read twice). Tabs, newlines and the
converter's HTML tags are never touched: OCR misreads glyphs, it does not move cells or rows, and
the tags are added after OCR by the converter.

`rate` is the fraction of the characters the chosen kinds can damage (with every kind: every
character but tabs, newlines and tags). Exactly round(rate × that count) positions are damaged,
each once, so the damage of a run is a pure function of (text, rate, seed, kinds).
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

# What OCR reads a glyph as. One direction per entry, so the table says exactly which misreadings
# are simulated; the full-width digits and Latin are here because raw PDF text (002) prints them.
LOOKALIKES: dict[str, tuple[str, ...]] = {
    # katakana ⇄ kanji of the same shape
    "力": ("カ",),
    "カ": ("力",),
    "口": ("ロ",),
    "ロ": ("口",),
    "夕": ("タ",),
    "タ": ("夕",),
    "ニ": ("二",),
    "二": ("ニ",),
    "ー": ("一",),
    "一": ("ー",),
    "エ": ("工",),
    "工": ("エ",),
    "ハ": ("八",),
    "八": ("ハ",),
    "ト": ("卜",),
    "へ": ("ヘ",),
    "ヘ": ("へ",),
    "シ": ("ツ",),
    "ツ": ("シ",),
    "ソ": ("ン",),
    "ン": ("ソ",),
    # kanji ⇄ kanji
    "入": ("人",),
    "人": ("入", "⼈"),  # ⼈ U+2F08 Kangxi radical (NFKC repairs it)
    "未": ("末",),
    "末": ("未",),
    "土": ("士",),
    "士": ("土",),
    "報": ("執",),
    # Kangxi radicals (NFKC repairs) and CJK Radicals Supplement (NFKC leaves alone)
    "日": ("⽇",),
    "月": ("⽉",),
    "長": ("⻑",),
    "民": ("⺠",),
    "斉": ("⻫",),
    "戸": ("戶",),
    "子": ("⼦",),
    # digits ⇄ letters, half- and full-width
    "0": ("O", "〇", "o"),
    "O": ("0",),
    "〇": ("O", "0"),
    "1": ("l", "I", "｜"),
    "l": ("1", "I"),
    "I": ("1", "l"),
    "5": ("S",),
    "S": ("5",),
    "8": ("B",),
    "2": ("Z",),
    "０": ("Ｏ", "〇"),
    "１": ("ｌ", "Ｉ", "｜"),
    "５": ("Ｓ",),
    "８": ("Ｂ",),
    "２": ("Ｚ",),
}

# How often a kind is picked where several apply: substitution is OCR's commonest error.
KIND_WEIGHTS: dict[str, int] = {"lookalike": 2, "space": 1, "drop": 1, "double": 1}
ALL: frozenset[str] = frozenset(KIND_WEIGHTS)

# Never damaged: table and line structure, and the converter's tags (`<p>`, `</td>`, `<br/>`).
_PROTECTED_CHARS = frozenset("\t\n\r")
_TAG = re.compile(r"</?[A-Za-z][^<>\n]*>")


class Change(NamedTuple):
    pos: int  # index in the input text
    kind: str
    before: str
    after: str


def _protected(text: str) -> set[int]:
    out = {i for i, c in enumerate(text) if c in _PROTECTED_CHARS}
    for m in _TAG.finditer(text):
        out.update(range(m.start(), m.end()))
    return out


def _kinds_at(text: str, i: int, kinds: frozenset[str], protected: set[int]) -> list[str]:
    c = text[i]
    out = []
    if "lookalike" in kinds and c in LOOKALIKES:
        out.append("lookalike")
    # Inside a word or number only: a space after the character, before another printed one.
    if (
        "space" in kinds
        and not c.isspace()
        and i + 1 < len(text)
        and i + 1 not in protected
        and not text[i + 1].isspace()
    ):
        out.append("space")
    if "drop" in kinds:
        out.append("drop")
    if "double" in kinds:
        out.append("double")
    return out


def damage_with_log(
    text: str, rate: float, seed: int, kinds: Iterable[str] = ALL
) -> tuple[str, list[Change]]:
    """The damaged text and one Change per damaged position, in text order."""
    kinds = frozenset(kinds)
    if unknown := kinds - ALL:
        raise ValueError(f"unknown damage kinds: {sorted(unknown)}")
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"rate must be in [0, 1], got {rate}")
    protected = _protected(text)
    options = {}
    for i in range(len(text)):
        if i not in protected and (ks := _kinds_at(text, i, kinds, protected)):
            options[i] = ks
    rng = random.Random(seed)
    chosen = sorted(rng.sample(sorted(options), round(rate * len(options))))
    out: list[str] = []
    log: list[Change] = []
    prev = 0
    for i in chosen:
        out.append(text[prev:i])
        c = text[i]
        ks = options[i]
        kind = rng.choices(ks, weights=[KIND_WEIGHTS[k] for k in ks])[0]
        if kind == "lookalike":
            new = rng.choice(LOOKALIKES[c])
        elif kind == "space":
            new = c + " "
        elif kind == "drop":
            new = ""
        else:
            new = c + c
        out.append(new)
        log.append(Change(i, kind, c, new))
        prev = i + 1
    out.append(text[prev:])
    return "".join(out), log


def damage(text: str, rate: float, seed: int, kinds: Iterable[str] = ALL) -> str:
    return damage_with_log(text, rate, seed, kinds)[0]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file", type=Path)
    ap.add_argument("--rate", type=float, required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--kinds", default=",".join(sorted(ALL)), help="comma-separated subset of: %(default)s")
    ap.add_argument("--log", action="store_true", help="print the changes to stderr")
    args = ap.parse_args(argv)
    # The bench damages the decoded text; corpus files are UTF-8 (BOM tolerated).
    text = args.file.read_bytes().decode("utf-8-sig")
    out, log = damage_with_log(text, args.rate, args.seed, args.kinds.split(","))
    sys.stdout.write(out)
    if args.log:
        for ch in log:
            print(f"{ch.pos}\t{ch.kind}\t{ch.before!r}\t{ch.after!r}", file=sys.stderr)


if __name__ == "__main__":
    main()
