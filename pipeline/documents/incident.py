"""Stage 3: an incident_report (漏えい, 滅失, 誤廃棄 … of personal information) → one `Incident`.

What the report says is found by its headings' meaning (`rules/documents/incident_report.toml`):
- departments: the lines under the date of issue, up to the first blank line or heading;
- incident_kind: the first of `vocabulary.toml`'s `incident_kinds` in the title, else in the text;
- records / affected count: the text under a sub-heading such as `(1) 名称` / `(3) 誤廃棄した件数`;
- events: the 経過 section, one event per item that starts with a date; lines without a date
  continue the previous event. A month-day without a year (`6月26日(月)`) takes the latest year
  that does not put it after the report's date of issue (events precede their report); without
  a date of issue it is resolved against the document's fiscal year or period.
- occurred_on is the first event's date, discovered_on the date of the first event whose text
  says the loss was found (発覚 / 判明 / 気付 …).
Values that cannot be read become notices (Incident has no warnings column) and stay NULL.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from typing import Any

from pipeline.documents.registry import DocumentType, Parsed
from pipeline.model import Line
from pipeline.normalise.dates import DateError, kanji_to_int, parse_date, patterns, prepare, resolve_month_day
from pipeline.normalise.departments import departments_of
from pipeline.normalise.ocr import Note, date_text
from pipeline.normalise.text import clean, clean_multiline, fold, parse_count, remove_ocr_spaces, squeeze
from pipeline.rules import document_rules, vocabulary
from pipeline.segment import Segment
from schemas.records import Incident, IncidentEvent

# `1 事案の概要`: a top-level heading; `(1) 名称`: a sub-heading; `- (1) …`: a list item.
_HEADING = re.compile(r"^\s*(\d{1,2})\s+(\S.{0,40})$")
_SUBHEADING = re.compile(r"^\s*[(（]\s*\d{1,2}\s*[)）]\s*(\S.{0,40})$")
_ITEM_MARK = re.compile(r"^\s*(?:[-・*●◆]\s*)?(?:[(（]\s*\d{1,2}\s*[)）]|\d{1,2}[.．)])?\s*")
_WEEKDAY = re.compile(r"^\s*[(（][月火水木金土日](?:曜日?)?[)）]")
_DATE_LINE = re.compile(r"^(令和|平成|昭和)?\s*[\d元]+\s*年\s*\d+\s*月\s*\d+\s*日$")


@cache
def _rules() -> dict[str, Any]:
    return document_rules("incident_report")


def _nonblank(lines: list[Line]) -> list[Line]:
    return [ln for ln in lines if ln.text.strip()]


def _issuers(seg: Segment) -> list[str]:
    """The printed department lines right under the date of issue."""
    out: list[str] = []
    lines = seg.lines
    for i, ln in enumerate(lines):
        if _DATE_LINE.match(squeeze(remove_ocr_spaces(ln.text))):
            for nxt in lines[i + 1 :]:
                t = nxt.text.strip()
                if not t or _HEADING.match(t) or _SUBHEADING.match(t):
                    break
                out.append(t)
            break
    return out


def kind_of(title: str | None, text: str) -> str | None:
    kinds: list[str] = vocabulary()["incident_kinds"]
    for where in (remove_ocr_spaces(title or ""), remove_ocr_spaces(text)):
        for k in kinds:
            if k in where:
                return k
    return None


def _sections(lines: list[Line]) -> list[tuple[str, list[Line]]]:
    """(heading text, lines under it) for every top-level and sub-heading, in order."""
    out: list[tuple[str, list[Line]]] = []
    for ln in _nonblank(lines):
        t = ln.text.strip()
        m = _HEADING.match(t) or _SUBHEADING.match(t)
        # `(6) 7月27日(木) 報告した。` is a short event, not a heading.
        dated = m is not None and _leading_date(remove_ocr_spaces(m.group(m.lastindex or 1))) is not None
        if m and not dated and not t.startswith(("-", "・")):
            out.append((squeeze(m.group(m.lastindex or 1)), []))
        elif out:
            out[-1][1].append(ln)
    return out


def _under(sections: list[tuple[str, list[Line]]], labels: list[str]) -> list[Line] | None:
    for heading, body in sections:
        if any(lab in heading for lab in labels):
            return body
    return None


def _resolve(text: str, seg: Segment) -> dt.date:
    """The date a dated event starts with; a month-day is put at or before the date of issue."""
    t = prepare(text)
    md = patterns()["month_day"].match(t)
    if md and seg.issued_on is not None:
        month, day = kanji_to_int(md.group(1)), kanji_to_int(md.group(2))
        for year in (seg.issued_on.year, seg.issued_on.year - 1):
            try:
                d = dt.date(year, month, day)
            except ValueError:
                continue
            if d <= seg.issued_on:
                return d
        raise DateError(f"no such day {month}月{day}日")
    if md:
        return resolve_month_day(kanji_to_int(md.group(1)), kanji_to_int(md.group(2)), seg.context)
    return parse_date(text, seg.context)


_LEADING_DATE = re.compile(
    r"^((?:(?:令和|平成|昭和)\s*[\d元]+\s*年\s*)?\d{1,2}\s*月\s*\d{1,2}\s*日|(?:19|20)\d\d\s*[./-]\s*\d{1,2}\s*[./-]\s*\d{1,2})"
)


def _leading_date(text: str) -> tuple[str, int] | None:
    """The date a line starts with (as `date_text` reads it) and where it ends in the line: as
    printed, or read through OCR damage (`7月2 8日`, `7⽉28日`, `7月288日`, `l0月3日`)."""
    m = _LEADING_DATE.match(text)
    if m:
        return m.group(1), m.end()
    best = None
    for k in range(3, min(len(text), 24) + 1):
        read = date_text(text[:k])
        m = _LEADING_DATE.match(read)
        if m and m.end() == len(read):
            best = (read, k)
    return best


def _events(body: list[Line], seg: Segment, notices: list[str]) -> list[IncidentEvent]:
    events: list[tuple[dt.date | None, list[str]]] = []
    for ln in body:
        t = _ITEM_MARK.sub("", fold(ln.text), count=1).strip()
        t_ocr = remove_ocr_spaces(t)
        lead = _leading_date(t_ocr)
        if lead is None:
            if events:
                events[-1][1].append(ln.text.strip())
            continue
        printed, end = lead
        rest = _WEEKDAY.sub("", t_ocr[end:], count=1).strip()
        try:
            date: dt.date | None = _resolve(printed, seg)
        except DateError as exc:
            notices.append(f"events: {printed}: {exc}")
            date = None
        events.append((date, [rest]))
    return [IncidentEvent(date=d, text=clean_multiline("\n".join(parts)) or "") for d, parts in events]


def parse_incident(seg: Segment, document_id: str) -> tuple[list[Incident], list[str]]:
    notices: list[str] = []
    sections = _sections(seg.lines)
    events_body = _under(sections, _rules()["events_headings"]) or []
    events = _events(events_body, seg, notices)
    records_body = _under(sections, _rules()["records_labels"])
    records = clean(records_body[0].text) if records_body else None
    count_body = _under(sections, _rules()["count_labels"])
    affected: tuple[int, str | None] | None = None
    if count_body:
        affected = parse_count(count_body[0].text)
        if affected is None:
            notices.append(f"affected_count: {clean(count_body[0].text)}: not a count")
    words: list[str] = _rules()["discovery_words"]
    discovered = next((e.date for e in events if any(w in e.text for w in words)), None)
    # incidents has no warnings column: a 課名 read through OCR damage is a notice.
    dept_notes: list[Note] = []
    departments = departments_of(_issuers(seg), seg.municipality, dept_notes)
    notices += [n.warning("departments") for n in dept_notes]
    incident = Incident(
        document_id=document_id,
        report_no=seg.report_no,
        title=seg.title,
        departments=departments,
        incident_kind=kind_of(seg.title, seg.text),
        affected_count=affected[0] if affected else None,
        affected_unit=affected[1] if affected else None,
        records=records,
        occurred_on=events[0].date if events else None,
        discovered_on=discovered,
        events=events,
    )
    return [incident], notices


def parse(seg: Segment, document_id: str) -> Parsed:
    incidents, notices = parse_incident(seg, document_id)
    return Parsed({"incidents": incidents}, notices)


DOCUMENT_TYPE = DocumentType("incident_report", parse, ("incidents",))
