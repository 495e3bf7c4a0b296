"""Detail sheets laid out without rules: the label column found by position, a `label\tvalue` row
per label, as a ruled sheet gives."""

from __future__ import annotations

import itertools
import re
import statistics

from pipeline.model import LayoutHints
from pipeline.normalise.text import join_lines
from pipeline.read.pdf.layout import BLANK_GAP, Item, Page, TextLine, line_text, paragraph_text


def _bare_text(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _continues_label(label: str, piece: str, words: frozenset[str]) -> bool:
    """`piece` is the rest of a label wrapped in its column (個人情報の流れ及 / び情報保護対策)."""
    joined = label + piece
    return label not in words and piece not in words and any(w.startswith(joined) for w in words)


def unruled_sheet(page: Page, hints: LayoutHints) -> None:
    """A detail sheet drawn without rules → `label\tvalue` rows, as a ruled one gives.

    The label column is found by position: at least two lines start with a [sheet_labels] word and
    carry a value that starts at the same x further right. Every line from there on that keeps to the
    two columns belongs to a row; a row starts where the label column has text (a label wrapped in
    its column continues it). The value lines between two labels are cut at the widest gap between
    them, so a label centred beside its value (value lines above it) still gets all of them."""
    lines = page.lines
    words = hints.sheet_labels
    starts = [i for i, ln in enumerate(lines) if len(ln.segs) > 1 and _bare_text(ln.segs[0].text) in words]
    if len(starts) < 2:
        return
    tol = 0.5 * statistics.median(lines[i].height for i in starts)
    mid = statistics.median(lines[i].segs[1].x0 for i in starts)
    aligned = [i for i in starts if abs(lines[i].segs[1].x0 - mid) <= tol]
    if len(aligned) < 2:
        return
    value_x = min(lines[i].segs[1].x0 for i in aligned) - tol

    def columns(ln: TextLine) -> tuple[str, str, float] | None:
        """(label column text, value column text, the value's right edge), or None for a line across
        both columns."""
        left = [c for c in ln.chars if (c.x0 + c.x1) / 2 < value_x]
        value = ln.chars[len(left) :]
        if left and value and (value[0].x0 - left[-1].x1 < 0.25 * ln.height or left[-1].x1 > value_x + 1):
            return None  # a run of text from one column into the other
        return line_text(left), line_text(value), max((c.x1 for c in value), default=value_x)

    def tight(upper: TextLine, lower: TextLine) -> bool:
        return lower.top - upper.bottom < 0.5 * max(upper.height, lower.height)

    first, last = aligned[0], aligned[-1]
    # Above the first label with a value on its line and below the last, rows go on as long as they
    # keep to the columns and are no further apart than the rows between.
    widest = max(lines[k + 1].top - lines[k].bottom for k in range(first, last))
    k = first
    while k > 0 and (c := columns(lines[k - 1])) is not None:
        if lines[k].top - lines[k - 1].bottom > max(widest, BLANK_GAP * lines[k].height):
            break
        k -= 1
        if _bare_text(c[0]) in words:  # a label alone on its line, centred beside its value
            first = k
    # Value lines packed above the first label: its value, when the label is centred beside it.
    while (
        first > 0 and (c := columns(lines[first - 1])) and not c[0] and tight(lines[first - 1], lines[first])
    ):
        first -= 1
    cols: list[tuple[str, str, float]] = []
    rows: list[list[int]] = []  # [first line of its label, last line of its label]
    label = ""
    i = first
    while i < len(lines) and (c := columns(lines[i])) is not None:
        left = _bare_text(c[0])
        # The rest of a label wrapped in its column: it completes a known label, or the line before
        # held an unknown label too and this one follows it as tightly as wrapped lines do.
        cont = bool(left and rows) and (
            _continues_label(label, left, words)
            or (label not in words and bool(cols[-1][0]) and tight(lines[i - 1], lines[i]))
        )
        if i > last:
            gap = lines[i].top - lines[i - 1].bottom
            labelled = cont or any(w.startswith(left) for w in words)
            if gap > max(widest, BLANK_GAP * lines[i].height) or (left and not labelled):
                break
        if cont:
            label += left
            rows[-1][1] = i
        elif left:
            rows.append([i, i])
            label = left
        cols.append(c)
        i += 1
    end = i
    if len(rows) < 2:
        return
    # Where each row's lines begin: after the widest gap between the previous label and this one.
    bounds = [first]
    for (_, prev_end), (start, _) in itertools.pairwise(rows):
        cut = max(range(prev_end, start), key=lambda j: (lines[j + 1].top - lines[j].bottom, j))
        bounds.append(cut + 1)
    bounds.append(end)
    for b0, b1 in itertools.pairwise(bounds):
        row = cols[b0 - first : b1 - first]
        height = statistics.median(lines[j].height for j in range(b0, b1))
        value = paragraph_text([(v, x1) for _, v, x1 in row], height)
        text = join_lines([lt for lt, _, _ in row if lt]) + "\t" + value
        page.items.append(Item(lines[b0].top, text))
    page.lines = lines[:first] + lines[end:]
