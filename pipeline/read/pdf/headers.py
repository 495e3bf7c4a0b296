"""A table's header found by what its cells say: a line whose cells read as a table header to the
document types (`LayoutHints.header_map`: any column order, any wording they know). The cells are
wherever the gaps between words fall: every gap wider than a space is tried as the cell separator,
so columns set close together and names spaced out as `区　分` are both read; a column name wrapped
onto the lines packed above or below (`審議` / `結果`) joins its column."""

from __future__ import annotations

import itertools
import operator
import re
from dataclasses import dataclass
from typing import Any

from pipeline.model import LayoutHints
from pipeline.normalise.text import fold
from pipeline.read.pdf.geometry import Char
from pipeline.read.pdf.layout import TextLine, rule_between

# A header line has few characters and cells; longer lines are not tried.
_HEADER_CHARS = 60
_HEADER_CELLS = 16
# A column name wrapped in its cell is short, and sits this close (line heights) to the header line.
_WRAPPED_NAME = 6
TIGHT = 0.5
_NUMBER = re.compile(r"\d")
_X0, _X1 = operator.itemgetter(0), operator.itemgetter(1)  # Char.x0, Char.x1


@dataclass
class Header:
    first: int  # index of the band's first line
    last: int  # …and of its last
    cells: list[list[Char]]  # left to right
    fields: frozenset[str]
    anchor: int  # index of the number cell


def _text(chars: list[Char]) -> str:
    return "".join(c.text for c in chars)


def _split(chars: list[Char], at: float) -> list[list[Char]]:
    groups = [[chars[0]]]
    for a, b in itertools.pairwise(chars):
        if b.x0 - a.x1 >= at:
            groups.append([b])
        else:
            groups[-1].append(b)
    return groups


# What header_map said of each cutting tried, by its cells' texts: a packet's pages repeat their
# sheets' lines, and a line is tried again as a running header. Kept to a bounded size.
_READ: dict[tuple[Any, tuple[str, ...]], dict[str, int] | None] = {}
_READ_SIZE = 4096


def _read_header(cells: list[list[Char]], hints: LayoutHints) -> dict[str, int] | None:
    key = (hints.header_map, tuple([fold(_text(c)) for c in cells]))
    if key not in _READ:
        if len(_READ) >= _READ_SIZE:
            _READ.clear()
        _READ[key] = hints.header_map(list(key[1]))
    return _READ[key]


def _splits(line: TextLine, hints: LayoutHints) -> list[tuple[float, dict[str, int]]]:
    """Every way of cutting the line into cells that reads as a table header: (the gap that separates
    cells, the fields they name). Every gap wider than a space is tried as the separator."""
    chars = line.chars
    if not 4 <= len(chars) <= _HEADER_CHARS:
        return []
    limit = 0.15 * line.height
    # Rounding moves a gap by 0.05 at most: only gaps near the limit or over it are rounded.
    near = limit - 0.051
    gaps = [g for g in map(operator.sub, map(_X0, chars[1:]), map(_X1, chars)) if g > near]
    if len(gaps) < 3 or not hints.may_be_header(_text(chars)):
        return []  # four cells at the least (most lines of text stop here), two naming a column
    wide = sorted((r for g in gaps if (r := round(g, 1)) > limit), reverse=True)
    out = []
    for n, gap in enumerate(wide):
        if n + 1 < len(wide) and wide[n + 1] == gap:
            continue  # the same cut as the next, smaller-or-equal gap gives
        if n + 2 > _HEADER_CELLS:
            break
        if n + 2 >= 4:  # cutting at every gap down to this one makes n + 2 cells
            cells = _split(chars, gap - 0.05)
            if found := _read_header(cells, hints):
                out.append((gap - 0.05, found))
    return out


def is_header(line: TextLine, hints: LayoutHints) -> bool:
    return bool(_splits(line, hints))


def _band(
    lines: list[TextLine], i: int, gap: float, rules: list[tuple[float, float, float]]
) -> tuple[int, int, list[list[Char]]]:
    """The header band round lines[i] and its cells. A column name wrapped in its cell sits on a line
    packed close above or below (`審議` / `結果`); a header of two rows (`審議` over `付議日 | 結果`)
    has its second row below, parted only by a rule under the group's name, not under the whole
    header. Pieces above one another make one cell, read top to bottom; a group's name set over two
    or more names of a lower row is no cell of its own."""
    x0, x1 = lines[i].chars[0].x0, lines[i].chars[-1].x1
    across = sorted(y for y, a, b in rules if a <= x0 + 1 and b >= x1 - 1)
    partial = sorted(y for y, a, b in rules if not (a <= x0 + 1 and b >= x1 - 1))

    def joins(k: int, near: int) -> bool:
        ln, other = lines[k], lines[near]
        upper, lower = (ln, other) if k < near else (other, ln)
        apart, height = lower.top - upper.bottom, max(ln.height, other.height)
        # A name wrapped in its cell is packed close; a second header row sits a cell's padding
        # below, under the rule that closes the group's name only.
        second_row = k > near and apart < height and rule_between(partial, upper, lower)
        if (apart >= TIGHT * height and not second_row) or rule_between(across, upper, lower):
            return False
        if k > near and _NUMBER.match(fold(ln.segs[0].text)):
            return False  # the first row, set close under the header
        return all(len(g) <= _WRAPPED_NAME for g in _split(ln.chars, gap))

    first = last = i
    while first > 0 and i - first < 2 and joins(first - 1, first):
        first -= 1
    while last + 1 < len(lines) and last - i < 2 and joins(last + 1, last):
        last += 1
    # Lines round the main one are cut at a cell's gap too: the names of a second header row stand
    # closer together than the main row's cells.
    rows = [
        _split(lines[k].chars, gap if k == i else min(gap, lines[k].height)) for k in range(first, last + 1)
    ]

    # Each piece's extent, read once: every name is tried against every piece of the rows below.
    spans = [[(g[0].x0, max(map(_X1, g))) for g in row] for row in rows]

    def names_a_group(row: int, k: int) -> bool:
        """A lower row has two or more names between this name's neighbours (or, without them, within
        its own width either side): it is set over them."""
        a, b = spans[row][k]
        lo = spans[row][k - 1][1] if k else a - (b - a)
        hi = spans[row][k + 1][0] if k + 1 < len(spans[row]) else b + (b - a)
        return any(sum(1 for h0, h1 in below if lo < h0 and h1 < hi) > 1 for below in spans[row + 1 :])

    groups = [g for r, row in enumerate(rows) for k, g in enumerate(row) if not names_a_group(r, k)]
    cells: list[list[Char]] = []
    for g in sorted(groups, key=lambda g: g[0].x0):
        a, b = g[0].x0, max(map(_X1, g))
        if cells and a < max(map(_X1, cells[-1])) and b > min(map(_X0, cells[-1])):
            cells[-1].extend(g)
        else:
            cells.append(list(g))
    return first, last, [sorted(c, key=lambda ch: (ch.top, ch.x0)) for c in cells]


def find_header(
    lines: list[TextLine], i: int, hints: LayoutHints, rules: list[tuple[float, float, float]]
) -> Header | None:
    """The header whose main line is lines[i] (`rules`: the page's horizontal rules as (y, x0, x1)).
    Of the ways to cut it into cells, the one naming the most fields with the band round it, then
    leaving the fewest cells unnamed (`区　分` is one cell), then cutting at the widest gap."""
    best: tuple[tuple[int, int, float], Header] | None = None
    for gap, alone in _splits(lines[i], hints):
        first, last, cells = _band(lines, i, gap, rules)
        mapping = _read_header(cells, hints)
        if mapping is None or len(mapping) < len(alone):
            first, last, cells, mapping = i, i, _split(lines[i].chars, gap), alone
        score = (len(mapping), len(mapping) - len(cells), gap)
        if best is None or score > best[0]:
            best = (score, Header(first, last, cells, frozenset(mapping), mapping.get("seq_no", 0)))
    return best[1] if best else None
