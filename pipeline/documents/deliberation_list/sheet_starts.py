"""Where the detail sheets (別紙) of a deliberation_list document start, and their case numbers.

Two families of numbering are printed:

* after the title, in brackets at the end of its line: `…について（№１）`, `…について(No.1)`; the
  title may wrap, its last part alone before the marker;
* before the title: `【別紙1】…について`, `別紙1 …`, `案件1 …`, `No.1 …` at the start of the line,
  or any of them alone on a line above the title or below it (the words are `number_words` of
  `[sheet_labels]` in rules/vocabulary.toml).

The bracketed end marker is distinctive enough alone: that is how the corpus prints it. A number
before the title is not: a case list prints `No.3` at the start of its rows, a page prints `- 3 -`,
事業内容 numbers its paragraphs (`1 対象者`). So a leading number is a sheet's only when the sheet's
first labelled row (事業名 …) follows it within a few lines of title. An end marker the line width
cut (`…について(No.` / `6)`) is read across the two lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.documents.deliberation_list.sheet_labels import (
    END,
    annex_values,
    is_furniture,
    match_end_prefix,
    match_label_inline,
    number_pattern,
    row_label,
)
from pipeline.model import Line
from pipeline.normalise.ocr import digit_lookalikes, fold_number
from pipeline.normalise.text import clean, squeeze, strip_html

# `(No.1)`, `(No.1 1)`, `(No. 1 5)`, `(No1)` (NFKC of `(№１)`), `(No.)`: at the end of a line.
# The end marker `(No.8)`; its number read through the look-alikes of digits (`(No.B)`): nothing
# but a number stands there.
_D = rf"[\d{re.escape(digit_lookalikes())}]"
# Its closing bracket doubled or lost (`(No.22))`, `(No.8`) after the number.
_MARKER = re.compile(rf"[(（]\s*N\s*[oO]\s*[.．]?\s*({_D}(?:\s*{_D})*)?\s*(?:[)）]+|(?<=[0-9０-９]))\s*$")
# How many lines a title printed under or beside a leading number may wrap over.
_TITLE_LINES = 3
# The most a line may hold that finishes an end marker cut by the line width (`1 2)`).
_MARKER_TAIL = 5


@dataclass
class Start:
    marker: int  # index of the marker line
    first: int  # index of the first line of the title (or of the marker, if it comes first)
    body: int  # index of the first line of the sheet's rows
    seq_no: int | None
    raw_marker: str
    heading: str | None


_MARKDOWN = re.compile(r"^#+\s*|\*+")


def _title_text(text: str) -> str:
    t = strip_html(text).strip()
    if "#" not in t and "*" not in t:
        return t  # nothing for the pattern to remove; t is stripped already
    return _MARKDOWN.sub("", t).strip()


def _could_be_title_line(text: str) -> bool:
    t = _title_text(text)
    if not t or "\t" in text or is_furniture(t) or t.endswith("。"):
        return False
    if re.match(r"^[-・※●○■□◆◇]", t) or squeeze(t) in annex_values():
        return False
    return match_label_inline(t) is None


def _previous_text_line(lines: list[Line], i: int) -> int | None:
    """The line above i, across at most one blank line; None past the start or a page break."""
    j, gap = i - 1, 0
    while j >= 0 and not lines[j].text.strip() and gap <= 1:
        j, gap = j - 1, gap + 1
    if j < 0 or gap > 1 or lines[j].page != lines[i].page:
        return None
    return j


def _end_marker_start(lines: list[Line], i: int, m: re.Match[str]) -> Start:
    text = _title_text(lines[i].text)
    prefix = text[: m.start()].strip()
    first = i
    # A wrapped title: its first part is the previous line (at most one blank line above),
    # much longer than what is left before the marker.
    j, gap = i - 1, 0
    while j >= 0 and not lines[j].text.strip() and gap <= 1:
        j, gap = j - 1, gap + 1
    if j >= 0 and gap <= 1 and _could_be_title_line(lines[j].text):
        prev = _title_text(lines[j].text)
        if len(prev) >= 10 and len(prefix) < 0.6 * len(prev):
            first = j
            prefix = prev + "\n" + prefix
    digits = fold_number(squeeze(m.group(1) or ""))
    return Start(i, first, i + 1, int(digits) if digits else None, m.group(0).strip(), clean(prefix))


_OPEN_AT_END = re.compile(r"[(（][^()（）]{0,6}$")
_CLOSE_AT_END = re.compile(r"[)）]\s*$")


def _wrapped_end_marker(lines: list[Line], i: int, text: str) -> Start | None:
    """A title whose end marker the line width cut (`…について(No.` / `6)`); `text` is line i's
    `_title_text`."""
    if not _OPEN_AT_END.search(text) or i + 1 >= len(lines):
        return None
    tail = _title_text(lines[i + 1].text)
    if len(squeeze(tail)) > _MARKER_TAIL or not _CLOSE_AT_END.search(tail):
        return None
    joined = text + tail
    m = _MARKER.search(joined)
    if m is None or m.start() >= len(text):
        return None
    # The match starts inside line i, so its title is read there as for an unbroken marker.
    st = _end_marker_start(lines, i, m)
    return Start(i + 1, st.first, i + 2, st.seq_no, st.raw_marker, st.heading)


def _leading_start(lines: list[Line], i: int, m: re.Match[str]) -> Start | None:
    """A sheet numbered before its title, if a labelled row follows within a few title lines."""
    rest = m.group("rest").strip()
    if "\t" in lines[i].text:  # a case-list row (`No.3<TAB>…`), never a title
        return None
    title: list[str] = [rest] if rest else []
    if rest and not _could_be_title_line(rest):
        return None
    k = i + 1
    while k < len(lines):
        text = lines[k].text
        if not text.strip() or is_furniture(strip_html(text).strip()):
            k += 1
            continue
        label = row_label(lines, k, len(lines))
        if label is None and match_end_prefix(strip_html(text).strip()) is not None:
            return None
        if label is not None:
            # A sheet opens with a field (事業名 …), never with the flow row that closes one: a
            # `別紙2 参照` line of 事業内容 is followed by that row.
            if label.key == END:
                return None
            break
        if len(title) >= _TITLE_LINES + (1 if rest else 0) or not _could_be_title_line(text):
            return None
        if number_pattern().match(_title_text(text)) or _MARKER.search(_title_text(text)):
            return None  # another sheet's number: this one has no rows
        title.append(_title_text(text))
        k += 1
    else:
        return None
    first = i
    if not title:
        # The number under its title: the title is the line(s) just above it, on the same page.
        above: list[int] = []
        j = _previous_text_line(lines, i)
        while j is not None and len(above) < _TITLE_LINES - 1 and _could_be_title_line(lines[j].text):
            above.insert(0, j)
            j = _previous_text_line(lines, j)
        if above:
            first = above[0]
            title = [_title_text(lines[a].text) for a in above]
    digits = squeeze(m.group("no"))
    raw = m.group(0)[: m.start("rest")].strip()
    return Start(i, first, k, int(digits), raw, clean("\n".join(title)) if title else None)


def find_starts(lines: list[Line]) -> list[Start]:
    starts: list[Start] = []
    numbered = number_pattern()
    for i, ln in enumerate(lines):
        if starts and i < starts[-1].body:
            continue  # the title lines of the sheet just found
        text = _title_text(ln.text)
        # an end marker, whole or cut, opens a bracket on the line: most lines have none
        bracket = "(" in text or "（" in text
        m = _MARKER.search(text) if bracket else None
        wrapped = _wrapped_end_marker(lines, i, text) if bracket else None
        # `(No.1` / `2)`: a marker the line width cut, before one whose closing bracket was lost
        if m and (wrapped is None or _CLOSE_AT_END.search(text)):
            starts.append(_end_marker_start(lines, i, m))
            continue
        if wrapped is not None:
            starts.append(wrapped)
            continue
        lead = numbered.match(text)
        if lead:
            st = _leading_start(lines, i, lead)
            if st is not None:
                starts.append(st)
    return starts
