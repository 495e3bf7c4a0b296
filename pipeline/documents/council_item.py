"""Stage 3: a council_item (諮問・報告事項) → one `CaseMention` per item.

An item starts at a 件名 row that is followed, before the next 件名, by its 条例の根拠; 件名 rows
without one (the item's sub-items: one table per outsourced business) stay inside the item. The
labels are matched by meaning from `rules/documents/council_item.toml`:
- categories: the bracketed kind after each article of the basis (`第14条第1項（業務委託）`);
- departments: the `（担当部課：…）` marker beside the basis, else the sheet's 担当課;
  names the registry knows are mapped to their canonical 課名, others kept as printed;
- 事業名 / 担当課 / 目的 / 対象者 / 事業内容: the first row with that label in the item;
- target_count: the single count stated for the targets, in 対象者 or in a `N 対象者 …` paragraph
  of 事業内容 (NULL when there is none or several).
"""

from __future__ import annotations

import itertools
import re
from functools import cache
from typing import Any

from pipeline.documents.registry import DocumentType, Parsed
from pipeline.documents.tables import cell_key, row_cells
from pipeline.model import Line
from pipeline.normalise.departments import departments_of
from pipeline.normalise.ocr import Note, doubled_once, fold_figures, read_label, read_word, thresholds
from pipeline.normalise.text import clean, clean_multiline, counts_in, fold, remove_ocr_spaces
from pipeline.rules import document_rules, vocabulary
from pipeline.segment import Segment
from schemas.records import CaseMention

# `第` of 項 or 号 may be lost to OCR (`第14条1項`): the article's number still ends at its 条.
_ARTICLE = re.compile(r"第\s*\d+\s*条(?:\s*第?\s*\d+\s*項)?(?:\s*第?\s*\d+\s*号)?\s*[(（]([^()（）]+)[)）]")
_COUNT_UNITS = ("世帯", "件", "人", "名", "団体", "事業所", "施設", "校")
_PARA_NO = re.compile(r"^\s*(?:\d{1,2}|[(（]\d{1,2}[)）])\s*")


@cache
def _rules() -> dict[str, Any]:
    return document_rules("council_item")


def _label(text: str) -> tuple[str, str] | None:
    """(field, value) when the line is a labelled row (`事業名<TAB>…` or `件名 …`)."""
    labels: dict[str, list[str]] = _rules()["labels"]
    cells = row_cells(text)
    if cells is not None:
        head, value = cell_key(cells[0]), "\t".join(cells[1:])
    else:
        parts = fold(text).strip().split(None, 1)
        if len(parts) < 2 or cell_key(parts[0]) not in [cell_key(w) for w in labels["title"]]:
            # Only 件名 is printed as `件名 value` without a tab; a spaced label such as `件 名` is too.
            joined = re.match(r"^\s*(件\s*名)\s+(.+)$", fold(text))
            if not joined or cell_key(joined.group(1)) not in [cell_key(w) for w in labels["title"]]:
                return None
            parts = [joined.group(1), joined.group(2)]
        head, value = cell_key(parts[0]), parts[1]
    for fname, words in labels.items():
        if head in (cell_key(w) for w in words):
            return fname, value
    # a label cell OCR damaged (`事業内容容`); only a cell of a table row, where a label stands alone
    damaged = read_label(head, labels) if cells is not None else None
    return (damaged, value) if damaged is not None else None


def _is_basis(text: str) -> bool:
    return cell_key(text) in (cell_key(w) for w in _rules()["labels"]["basis"])


def _items(lines: list[Line]) -> list[list[Line]]:
    titles = [i for i, ln in enumerate(lines) if (lab := _label(ln.text)) and lab[0] == "title"]
    if not titles:
        return [lines] if any(ln.text.strip() for ln in lines) else []
    bounds = [*titles, len(lines)]
    starts = [a for a, b in itertools.pairwise(bounds) if any(_is_basis(ln.text) for ln in lines[a:b])]
    starts = starts or titles[:1]
    starts[0] = 0 if not any(ln.text.strip() for ln in lines[: starts[0]]) else starts[0]
    return [lines[a:b] for a, b in zip(starts, [*starts[1:], len(lines)], strict=False)]


def _target_count(target: str | None, summary: str | None) -> tuple[int | None, str | None]:
    """The single count stated for the targets; (None, None) when there is none or several."""
    found: set[tuple[int, str]] = set()
    labels = sorted(_rules()["target_count_labels"], key=len, reverse=True)
    texts = [target or ""]
    for para in (summary or "").splitlines():
        rest = _PARA_NO.sub("", para)
        lab = next((w for w in labels if rest.startswith(w)), None)
        if lab is None:  # a character of the label OCR doubled (`3 対対象者`): read once
            rest = doubled_once(rest)
            lab = next((w for w in labels if rest.startswith(w)), None)
        if lab:
            texts.append(rest[len(lab) :])
    for t in texts:
        found.update(counts_in(fold_figures(remove_ocr_spaces(fold(t)), _COUNT_UNITS), _COUNT_UNITS))
    if len(found) == 1:
        n, unit = found.pop()
        return n, unit
    return None, None


def _mention(lines: list[Line], seg: Segment, mention_id: str, document_id: str) -> CaseMention:
    fields: dict[str, str] = {}
    categories: list[str] = []
    notes: list[Note] = []  # categories read through OCR damage
    dept_raw: str | None = None
    markers = "|".join(map(re.escape, _rules()["department_markers"]))
    for ln in lines:
        lab = _label(ln.text)
        if lab and lab[0] not in fields:
            fields[lab[0]] = lab[1]
        t = fold(ln.text)
        if "program_name" not in fields:
            for m in _ARTICLE.finditer(t):
                for part in re.split(r"[、,・]", m.group(1)):
                    if not (c := clean(part)):
                        continue
                    word, note = read_word(c, vocabulary()["categories"], thresholds()["category"])
                    notes += [note] if note is not None else []
                    if (word or c) not in categories:
                        categories.append(word or c)
        dm = re.search(rf"(?:{markers})\s*[:：]\s*([^)）]+)", t)
        if dm and dept_raw is None:
            dept_raw = clean(dm.group(1))
    detail = clean(fields.get("detail_departments_raw"))
    printed = dept_raw or detail
    summary = clean_multiline(fields.get("summary"))
    target = clean(fields.get("target"))
    count, unit = _target_count(target, summary)
    nonblank = [ln.no for ln in lines if ln.text.strip()]
    category_notes, notes = notes, []
    departments = departments_of([printed], seg.municipality, notes) if printed else []
    return CaseMention(
        mention_id=mention_id,
        document_id=document_id,
        title=clean(fields.get("title")),
        departments=departments,
        departments_raw=printed,
        categories=categories,
        program_name=clean(fields.get("program_name")),
        detail_departments_raw=detail,
        purpose=clean(fields.get("purpose")),
        target=target,
        summary=summary,
        target_count=count,
        target_count_unit=unit,
        line_start=nonblank[0] if nonblank else None,
        line_end=nonblank[-1] if nonblank else None,
        warnings=[n.warning("departments") for n in notes]
        + [n.warning("categories") for n in category_notes],
    )


def parse_council_item(seg: Segment, document_id: str) -> tuple[list[CaseMention], list[str]]:
    items = _items(seg.lines)
    mentions = [_mention(lines, seg, f"{document_id}:{i}", document_id) for i, lines in enumerate(items, 1)]
    notices = [f"{m.mention_id}: no 件名 found" for m in mentions if m.title is None]
    return mentions, notices


def parse(seg: Segment, document_id: str) -> Parsed:
    mentions, notices = parse_council_item(seg, document_id)
    return Parsed({"case_mentions": mentions}, notices)


DOCUMENT_TYPE = DocumentType("council_item", parse, ("case_mentions",))
