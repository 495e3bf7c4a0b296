"""A case's values from its mentions: the best-supported reading of each field."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from functools import cache
from typing import Any

from pipeline.dedupe.keys import fold_key
from pipeline.rules import match_folds

_CJK_SPACE = re.compile(r"(?<=[\u3040-\u30ff\u3400-\u9fff]) +(?=[\u3040-\u30ff\u3400-\u9fff])")


@cache
def _variant_chars() -> frozenset[str]:
    return frozenset(k for k in match_folds() if len(k) == 1)


def _defects(value: Any) -> int:
    """OCR damage a value still shows: variant characters (運營), spaces inside Japanese, U+FFFD, 〓."""
    if isinstance(value, list):
        return sum(_defects(v) for v in value)
    if not isinstance(value, str):
        return 0
    variants = _variant_chars()
    return (
        sum(1 for ch in value if ch in variants)
        + len(_CJK_SPACE.findall(value))
        + value.count("\ufffd")
        + value.count("〓")
    )


def _equivalence(value: Any) -> Any:
    if isinstance(value, str):
        return fold_key(value) or value
    if isinstance(value, list):
        return tuple(_equivalence(v) for v in value)
    return value


def _exact(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def alone(value: Any) -> Any:
    """`best` of one value: the value, an empty one as None."""
    return None if value in (None, [], "") else value


def best(values: list[tuple[Any, tuple[int, int, str]]]) -> Any:
    """The best-supported value: the reading most mentions agree on after folding (運營 = 運営, 手続き =
    手続); of that reading the form most mentions print, then the one with fewer OCR defects, then the
    one from the cleanest mention."""
    if len(values) == 1:  # most cases have one mention: its value, as below, without the lists
        return alone(values[0][0])
    present = [(v, q) for v, q in values if v not in (None, [], "")]
    if not present:
        return None
    if all(v == present[0][0] for v, _ in present):
        return present[0][0]
    groups: dict[Any, list[tuple[Any, tuple[int, int, str]]]] = defaultdict(list)
    for v, q in present:
        groups[_equivalence(v)].append((v, q))

    def pick(members: list[tuple[Any, tuple[int, int, str]]]) -> tuple[int, int, tuple[int, int, str], Any]:
        exact = Counter(_exact(v) for v, _ in members)
        return min((-exact[_exact(v)], _defects(v), q, v) for v, q in members)

    ranked = [(len(ms), pick(ms)) for ms in groups.values()]
    return min(ranked, key=lambda r: (-r[0], r[1][1], r[1][2]))[1][3]


def majority(values: list[Any]) -> Any:
    if len(values) == 1:  # most cases have one mention
        return values[0]
    present = [v for v in values if v is not None]
    if not present:
        return None
    counts = Counter(present)
    return min(counts, key=lambda v: (-counts[v], str(v)))
