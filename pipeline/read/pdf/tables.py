"""Tables found by their header, rebuilt from geometry alone: one algorithm for ruled, hairline,
shaded and unruled tables, portrait or landscape, each row a tab-separated line.

* The header: a line whose cells read as a table header (`LayoutHints.header_map`: any column order,
  any of the wordings the document types know), the cells found wherever the gaps between words fall
  (columns set close together, or a name spaced out as `区　分`); a column name wrapped onto the
  lines packed above or below it (`審議` / `結果`) joins its column.
* Columns: between two header cells, the boundary is a vertical rule crossing the header where the
  table has one, else the gutter its body leaves there (the x that the fewest body lines have text
  at: the widest such run). Every character goes to the column its centre lies in, so cells set close
  together, justified cells and cells with rules only between rows are read alike.
* Rows are anchored on the header's number column (else the first): a row starts on each line with a
  number there, numbers rising. Between two numbered lines the boundary is a horizontal rule lying
  between them, else the widest gap between their lines (a number centred in its row has lines
  above it). The table ends at a line that runs across a column boundary, or, after its last number,
  at a rule or a gap of an empty line.
* A cell's text is its lines top to bottom (by baseline), each read left to right.
* A table that runs to the foot of a page goes on on the next one, under a repeated header or not:
  the lines there before the first numbered row finish the row the page break cut.

What a header looks like reaches this module as `LayoutHints` from the document types.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
from dataclasses import dataclass, field

from pipeline.model import LayoutHints
from pipeline.normalise.text import fold, join_lines
from pipeline.read.pdf.geometry import Char
from pipeline.read.pdf.headers import TIGHT, Header, find_header
from pipeline.read.pdf.layout import (
    BLANK_GAP,
    Item,
    Page,
    TextLine,
    cell_text,
    group_lines,
    line_text,
    rule_between,
)

# A rule is a row boundary when it spans this share of the table's width.
_RULE_SPAN = 0.5
# Characters this close (line heights) on either side of a column boundary are one run across it.
_TOUCH = 0.05
_NUMBER = re.compile(r"\d+")


@dataclass
class Columns:
    bounds: list[float]  # x of the boundary between column k and k + 1
    fields: frozenset[str]  # the fields the header names
    anchor: int  # the column whose text starts a row
    left: float
    right: float

    def of(self, ch: Char) -> int:
        return bisect.bisect_right(self.bounds, (ch.x0 + ch.x1) / 2)

    def split(self, chars: list[Char]) -> list[list[Char]]:
        out: list[list[Char]] = [[] for _ in range(len(self.bounds) + 1)]
        bounds, at = self.bounds, bisect.bisect_right  # `of`, written out: called for every character
        for ch in chars:
            out[at(bounds, (ch.x0 + ch.x1) / 2)].append(ch)
        return out

    def anchored(self, chars: list[Char]) -> list[Char]:
        """The characters in the number column: `of` is the anchor."""
        k, bounds = self.anchor, self.bounds
        if bounds != sorted(bounds):
            return [c for c in chars if self.of(c) == k]
        # Sorted bounds: `of` is k just where the centre lies between bounds k - 1 and k.
        lo = bounds[k - 1] if k > 0 else -math.inf
        hi = bounds[k] if k < len(bounds) else math.inf
        return [c for c in chars if lo <= (c.x0 + c.x1) / 2 < hi]

    def fits(self, line: TextLine) -> bool:
        """The line keeps to the columns: at every boundary its text leaves a gap, however narrow
        (cells set with next to no padding still leave one), which running text across the table
        does not (its characters touch, or a boundary falls inside one)."""
        gap = _TOUCH * line.height
        chars = line.chars
        centres = [(c.x0 + c.x1) / 2 for c in chars]
        # The rightmost end left of each place and the leftmost start from it on, read once.
        ends = list(itertools.accumulate([c.x1 for c in chars], max))
        starts = list(itertools.accumulate([c.x0 for c in reversed(chars)], min))[::-1]
        for b in self.bounds:
            k = bisect.bisect_left(centres, b)
            if 0 < k < len(chars) and starts[k] - ends[k - 1] < gap:
                return False
        return True


@dataclass
class Row:
    """One table row: its characters per column, one part per page it runs over."""

    columns: int
    anchor: int = 0  # the number column, read as one piece
    parts: list[list[list[Char]]] = field(default_factory=list)
    number: int | None = None

    def add(self, cells: list[list[Char]], new_part: bool) -> None:
        if new_part or not self.parts:
            self.parts.append([[] for _ in range(self.columns)])
        for k, chars in enumerate(cells[: self.columns]):
            self.parts[-1][k].extend(chars)

    def joined(self) -> str:
        """The row as one tab line, each cell's lines joined (a header's wrapped names)."""
        return "\t".join(
            join_lines([cell_text(p[k]) for p in self.parts if p[k]]) for k in range(self.columns)
        )

    def render(self) -> str:
        """The row as one tab line, the lines of a cell parted by a space (`_cell_lines`) as in text
        a converter took from a PDF: the parser then decides whether a break split a name
        (`情|報システム課`) or parted two (`生活福祉課|保護担当課`), as it does for such text. The
        number cell is one piece."""
        cells = []
        for k in range(self.columns):
            lines = [t for p in self.parts if p[k] for ln in group_lines(p[k]) if (t := line_text(ln))]
            cells.append(join_lines(lines) if k == self.anchor else _cell_lines(lines))
        return "\t".join(cells)


def _cell_lines(lines: list[str]) -> str:
    """A cell's lines as one string: a space between them, where the parser looks for a break
    between two names (`生活福祉課 保護担当課`) and cleaning joins Japanese text again; none inside a
    number (`202|3/4/3`)."""
    out = lines[0] if lines else ""
    for line in lines[1:]:
        out += line if fold(out[-1]).isdigit() and fold(line[0]).isdigit() else " " + line
    return out


@dataclass
class Carry:
    """A table that ran to the foot of its page: its columns and its last row."""

    columns: Columns
    row: Row
    wrap: float  # the narrowest gap between two lines of the table on that page


# --------------------------------------------------------------------------- columns


def _coverage(lines: list[TextLine]) -> list[tuple[float, int]]:
    """How many of the lines have text at each x: a step function as (x, count from x on)."""
    events: list[tuple[float, int]] = []
    for ln in lines:
        spans: list[list[float]] = []
        for ch in ln.chars:
            if spans and ch.x0 <= spans[-1][1] + 0.5:
                spans[-1][1] = max(spans[-1][1], ch.x1)
            else:
                spans.append([ch.x0, ch.x1])
        for a, b in spans:
            events += [(a, 1), (b, -1)]
    events.sort()
    steps: list[tuple[float, int]] = []
    count = 0
    for x, d in events:
        count += d
        if steps and steps[-1][0] == x:
            steps[-1] = (x, count)
        else:
            steps.append((x, count))
    return steps


def _gutter(steps: list[tuple[float, int]], lo: float, hi: float) -> float:
    """The middle of the run of x in [lo, hi] where the fewest lines have text: the rightmost of
    those at least half as wide as the widest."""
    if hi <= lo:
        return (lo + hi) / 2
    k = bisect.bisect_right(steps, (lo, float("inf"))) - 1
    count = steps[k][1] if k >= 0 else 0
    runs: list[tuple[int, float, float]] = []  # (count, start, end)
    start = lo
    for x, c in steps[k + 1 :]:
        if x >= hi:
            break
        runs.append((count, start, x))
        start, count = x, c
    runs.append((count, start, hi))
    fewest = min(c for c, _, _ in runs)
    free = [(a, b) for c, a, b in runs if c == fewest]
    widest = max(b - a for a, b in free)
    # The rightmost of the widest runs: a column's text starts just right of its gutter, while gaps
    # inside the column to the left (a cell spread to its width, `第 2 3`) can be as wide.
    a, b = [(a, b) for a, b in free if b - a >= widest / 2][-1]
    return (a + b) / 2


def _across(line: TextLine, extents: list[tuple[float, float]]) -> bool:
    """A run of the line's text (no gap in it) lies under two header cells: no cell does that."""
    touch = _TOUCH * line.height
    runs: list[list[float]] = []
    for ch in line.chars:
        if runs and ch.x0 - runs[-1][1] < touch:
            runs[-1][1] = max(runs[-1][1], ch.x1)
        else:
            runs.append([ch.x0, ch.x1])
    for x0, x1 in runs:
        under = 0
        for a, b in extents:
            if min(x1, b) - max(x0, a) > 1:
                under += 1
                if under > 1:
                    return True
    return False


def _columns(
    header: Header, lines: list[TextLine], body: list[TextLine], v_rules: list[tuple[float, float, float]]
) -> Columns:
    """Column boundaries between the header's cells: a vertical rule crossing the header, else the
    body's gutter."""
    # The column rules run down from the header (its lowest row, in a header of two) into the body.
    foot = lines[header.last].bottom
    xs = sorted(x for x, top, bottom in v_rules if top <= foot and bottom >= foot + 2)
    extents = [(min(c.x0 for c in cell), max(c.x1 for c in cell)) for cell in header.cells]
    # The gutters are those of the table's own lines: up to the first line running across two
    # header cells (a paragraph after the table).
    body = list(itertools.takewhile(lambda ln: not _across(ln, extents), body))
    steps = _coverage(body)
    bounds: list[float] = []
    for (_, a1), (b0, _) in itertools.pairwise(extents):
        inside = [x for x in xs if a1 - 1 <= x <= b0 + 1]
        bounds.append(min(inside, key=lambda x: abs(x - (a1 + b0) / 2)) if inside else _gutter(steps, a1, b0))
    left = min([extents[0][0], *(c.x0 for ln in body for c in ln.chars[:1])])
    right = max([extents[-1][1], *(c.x1 for ln in body for c in ln.chars[-1:])])
    return Columns(bounds, header.fields, header.anchor, left, right)


# --------------------------------------------------------------------------- rows


def _numbers(
    columns: Columns, lines: list[TextLine], rules: list[float], last: int | None
) -> list[int | None]:
    """The number each line starts a row with, if any. A number cell may wrap (`1` over `1` in a
    column too narrow for 11, `第1` over `号`): lines packed tightly in the number column are one
    cell when read together they give the next number and read apart they do not."""
    texts = [fold("".join([c.text for c in columns.anchored(ln.chars)])) for ln in lines]
    marked = [k for k, t in enumerate(texts) if t]
    out: list[int | None] = [None] * len(lines)
    i = 0
    while i < len(marked):
        j = i + 1
        while (
            j < len(marked)
            and lines[marked[j]].top - lines[marked[j - 1]].bottom < TIGHT * lines[marked[j]].height
            and not rule_between(rules, lines[marked[j - 1]], lines[marked[j]])
        ):
            j += 1
        run = marked[i:j]
        i = j
        apart = [int(m.group()) if (m := _NUMBER.search(texts[k])) else None for k in run]
        whole = _NUMBER.search("".join(texts[k] for k in run))
        rising = [n for n in apart if n is not None]
        one_by_one = all(
            b == a + 1 for a, b in itertools.pairwise([last, *rising] if last is not None else rising)
        )
        if (
            len(run) > 1
            and whole
            and (last is None or int(whole.group()) == last + 1)
            and not (one_by_one and len(rising) > 1)
        ):
            out[run[0]] = last = int(whole.group())
        else:
            for k, n in zip(run, apart, strict=True):
                out[k] = n
                if n is not None:
                    last = n
    return out


def _row_rules(page: Page, columns: Columns) -> list[float]:
    """The y of every horizontal rule spanning the table (collinear pieces joined: shaded cells)."""
    width = columns.right - columns.left
    pieces = sorted((round(y, 1), a, b) for y, a, b in page.h_rules if b > columns.left and a < columns.right)
    out: list[float] = []
    for y, group in itertools.groupby(pieces, key=lambda p: p[0]):
        covered, end = 0.0, -1e9
        for _, a, b in sorted(group, key=lambda p: p[1]):
            a, b = max(a, columns.left, end), min(b, columns.right)
            if b > a:
                covered += b - a
                end = b
        if covered >= _RULE_SPAN * width:
            out.append(y)
    return sorted(set(out))


def _gap(upper: TextLine, lower: TextLine) -> float:
    return round(lower.top - upper.bottom, 1)


def _cut(lines: list[TextLine], rules: list[float]) -> int:
    """Where two rows part among `lines` (the first row's number line … the next one's): the index of
    the first line of the second. A rule between two lines parts them (the lowest one), else the
    widest gap (the lowest of equal ones)."""
    for k in range(len(lines) - 1, 0, -1):
        if rule_between(rules, lines[k - 1], lines[k]):
            return k
    gaps = [(_gap(lines[k - 1], lines[k]), k) for k in range(1, len(lines))]
    return max(gaps)[1] if gaps else len(lines)


def _continued(lines: list[TextLine], rules: list[float], ruled: bool, wrap: float) -> int:
    """How many of `lines` (the page's lines down to its first numbered one) finish the row the page
    break cut; the rest belong to the numbered row, whose number is centred in it. In a table with
    rules between its rows a rule parts them; in one without, a gap wider than the lines of a cell
    are set apart (`wrap`)."""
    if ruled:
        return next(
            (k for k in range(len(lines) - 1, 0, -1) if rule_between(rules, lines[k - 1], lines[k])), 0
        )
    gap, k = max((_gap(lines[k - 1], lines[k]), k) for k in range(1, len(lines)))
    return k if gap > 1.5 * wrap + 0.5 else 0


def _body(
    columns: Columns, lines: list[TextLine], rules: list[float], carry: Row | None
) -> tuple[list[TextLine], list[int], list[int]]:
    """The lines of the table among `lines` (those below its header) → (them, the indices of the
    numbered ones, their numbers). The table goes on while lines keep to its columns and numbers
    rise; a block of lines set apart by a rule or an empty line's gap belongs to it only if a number
    follows, or, with no number yet, if it finishes a row the page break cut."""
    fitting: list[TextLine] = []
    for ln in lines:
        if not columns.fits(ln):
            break
        fitting.append(ln)
    last = carry.number if carry else None
    numbers = _numbers(columns, fitting, rules, last)
    for k, n in enumerate(numbers):
        if n is None:
            continue
        if last is not None and n <= last:
            fitting, numbers = fitting[:k], numbers[:k]
            break
        last = n
    apart = [
        k
        for k in range(1, len(fitting))
        if rule_between(rules, fitting[k - 1], fitting[k])
        or fitting[k].top - fitting[k - 1].bottom > BLANK_GAP * max(fitting[k].height, fitting[k - 1].height)
    ]
    numbered = [k for k, n in enumerate(numbers) if n is not None]
    if numbered:
        end = next((k for k in apart if k > numbered[-1]), len(fitting))
    else:
        end = (apart[0] if apart else len(fitting)) if carry is not None else 0
    taken = fitting[:end]
    anchors = [k for k in numbered if k < end]
    return taken, anchors, [n for n in numbers[:end] if n is not None]


def _forget_edges(page: Page, top: float, taken: list[TextLine], columns: Columns) -> None:
    """The table's rules are read: the grid finder is not to read them again. Its foot is its last
    line, or the rule closing it just below."""
    bottom = taken[-1].bottom if taken else top
    below = [y for y, a, b in page.h_rules if bottom <= y <= bottom + 2 * (taken[-1].height if taken else 0)]
    bottom = max([bottom, *below]) + 1
    left, right = columns.left - 2, columns.right + 2

    def inside(e: dict[str, float]) -> bool:
        return top - 2 <= e["top"] and e["bottom"] <= bottom and left <= e["x0"] and e["x1"] <= right

    page.edges = [e for e in page.edges if not inside(e)]


def _wrap(lines: list[TextLine]) -> float:
    """How close the lines of one cell are set: the middle of the narrower half of the gaps between
    the lines (the wider half parts rows)."""
    gaps = sorted(_gap(a, b) for a, b in itertools.pairwise(lines))
    if not gaps:
        return float("inf")
    narrow = gaps[: (len(gaps) + 1) // 2]
    return max(0.0, narrow[len(narrow) // 2])


def _headers(
    lines: list[TextLine], hints: LayoutHints, rules: list[tuple[float, float, float]]
) -> list[Header]:
    out: list[Header] = []
    i = 0
    while i < len(lines):
        h = find_header(lines, i, hints, rules)
        if h is None:
            i += 1
        else:
            out.append(h)
            i = h.last + 1
    return out


def _rows(
    page: Page,
    columns: Columns,
    rules: list[float],
    taken: list[TextLine],
    anchors: list[int],
    numbers: list[int],
    cont: Carry | None,
) -> Row | None:
    """The rows of a table's lines on the page → items; lines above the first number finish the row
    the page break cut (`cont`), as far as two rows part, or else belong to the first row. Returns
    the last row."""
    start = 0
    if cont is not None:
        first = anchors[0] if anchors else len(taken)
        if first and anchors:
            ruled = any(rule_between(rules, a, b) for a, b in itertools.pairwise(taken))
            start = _continued(taken[: first + 1], rules, ruled, min(_wrap(taken), cont.wrap))
        elif first:
            start = first
        for ln in taken[:start]:
            cont.row.add(columns.split(ln.chars), new_part=ln is taken[0])
    starts = [start, *(a + _cut(taken[a : b + 1], rules) for a, b in itertools.pairwise(anchors)), len(taken)]
    row = None
    for k, n in enumerate(numbers):
        row = Row(len(columns.bounds) + 1, columns.anchor, number=n)
        chunk = taken[starts[k] : starts[k + 1]]
        for ln in chunk:
            row.add(columns.split(ln.chars), new_part=False)
        page.items.append(Item(chunk[0].top, "", row=row))
    return row


def read_tables(page: Page, hints: LayoutHints, carry: Carry | None) -> Carry | None:
    """Every headed table on the page → items; their lines leave `page.lines`. Returns the table
    that runs to the page's foot, for the next page to go on with."""
    lines = page.lines
    v_rules = [(e["x0"], e["top"], e["bottom"]) for e in page.edges if e["orientation"] == "v"]
    headers = _headers(lines, hints, page.h_rules)
    # Each header's table runs at most to the next header; a table cut at the foot of the last page
    # may go on above the first.
    regions: list[tuple[Header | None, int, int]] = []
    if carry is not None:
        regions.append((None, 0, headers[0].first if headers else len(lines)))
    for k, h in enumerate(headers):
        regions.append((h, h.last + 1, headers[k + 1].first if k + 1 < len(headers) else len(lines)))
    used: set[int] = set()
    out: Carry | None = None
    for header, start, end in regions:
        if header is not None:
            columns = _columns(header, lines, lines[start:end], v_rules)
        elif carry is not None:
            columns = carry.columns
        cont = carry if carry and (header is None or header.fields == carry.columns.fields) else None
        rules = _row_rules(page, columns)
        taken, anchors, numbers = _body(columns, lines[start:end], rules, cont.row if cont else None)
        if taken or header is not None:
            carry = None  # a page break cuts one row only
        out = None
        if cont is None and not (
            anchors and any(columns.of(c) != columns.anchor for ln in taken for c in ln.chars)
        ):
            continue  # a header over no rows (or over numbers alone) is no table
        if header is not None:
            band = lines[header.first : header.last + 1]
            head = Row(len(columns.bounds) + 1)
            head.add(columns.split([c for cell in header.cells for c in cell]), new_part=True)
            page.items.append(Item(band[0].top, head.joined()))
            used.update(id(ln) for ln in band)
        used.update(id(ln) for ln in taken)
        last = _rows(page, columns, rules, taken, anchors, numbers, cont) or (cont.row if cont else None)
        _forget_edges(page, lines[header.first].top if header else 0.0, taken, columns)
        # A table runs to the page's foot when no line of the page follows it.
        if last is not None and start + len(taken) == len(lines):
            out = Carry(columns, last, min(_wrap(taken), cont.wrap if cont else float("inf")))
    page.lines = [ln for ln in lines if id(ln) not in used]
    return out
