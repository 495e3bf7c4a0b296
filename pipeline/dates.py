"""和暦 and Western dates, fiscal years (年度) and month-days resolved against their document.

The era table is data (`rules/eras.toml`). Every parser returns a date or raises `DateError`
whose message says what is impossible (`平成 has no year 32`): the caller records it as a warning
against the row and stores NULL, never a guess.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from pipeline.normalise import fold, remove_ocr_spaces
from pipeline.rules import Era, eras


class DateError(ValueError):
    pass


@dataclass(frozen=True)
class DateContext:
    """What a document says about when it is: its fiscal year and/or the period it covers."""

    fiscal_year: int | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None


_KANJI_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_KANJI_NUM = r"[〇零一二三四五六七八九十百]+"


def kanji_to_int(s: str) -> int:
    """`五` → 5, `十一` → 11, `二十三` → 23, `百二` → 102, `二〇二三` → 2023."""
    if s == "元":
        return 1
    if s.isdigit():
        return int(s)
    if "十" not in s and "百" not in s:
        return int("".join(str(_KANJI_DIGITS[c]) for c in s))
    total, current = 0, 0
    for c in s:
        if c == "百":
            total += (current or 1) * 100
            current = 0
        elif c == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = _KANJI_DIGITS[c]
    return total + current


def _num(s: str) -> int:
    return kanji_to_int(s) if not s.isdigit() else int(s)


def _era_by(token: str) -> Era:
    for e in eras():
        if token in (e.name, e.abbrev, e.abbrev.lower(), e.name[0]):
            return e
    raise DateError(f"unknown era {token}")


def _era_names() -> str:
    return "|".join(e.name for e in eras())


def _era_abbrevs() -> str:
    return "".join(e.abbrev + e.abbrev.lower() for e in eras())


def era_year(era: Era, n: int, *, printed: str) -> int:
    """Gregorian year of year `n` of `era`, checking the era had such a year."""
    if n < 1:
        raise DateError(f"{era.name} has no year {n}")
    year = era.start.year + n - 1
    if era.end is not None and year > era.end.year:
        raise DateError(f"{era.name} has no year {n}")
    return year


def _make_date(year: int, month: int, day: int, era: Era | None, printed: str) -> dt.date:
    try:
        d = dt.date(year, month, day)
    except ValueError:
        raise DateError(f"no such day {month}月{day}日 in {year}") from None
    if era is not None and (d < era.start or (era.end is not None and d > era.end)):
        raise DateError(f"{era.name} did not run on {d.isoformat()}")
    return d


def prepare(text: str) -> str:
    """NFKC, OCR spaces out, 元年 → 1年: the form every pattern below is written against."""
    t = remove_ocr_spaces(fold(text)).strip()
    t = re.sub(r"\s+", "", t) if re.search(r"\d\s+\d", t) is None else t
    return t.replace("元年", "1年")


def _patterns() -> dict[str, re.Pattern[str]]:
    n = rf"(\d+|{_KANJI_NUM})"
    return {
        "era_full": re.compile(rf"({_era_names()})\s*{n}\s*年\s*{n}\s*月\s*{n}\s*日"),
        "era_month": re.compile(rf"({_era_names()})\s*{n}\s*年\s*{n}\s*月(?!\s*{n}\s*日)"),
        "era_dotted": re.compile(rf"(?<![A-Za-z])([{_era_abbrevs()}])\s*(\d{{1,2}})\s*[./]\s*(\d{{1,2}})\s*[./]\s*(\d{{1,2}})(?!\d)"),
        "west_full": re.compile(r"((?:19|20)\d\d)\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"),
        "west_sep": re.compile(r"(?<!\d)((?:19|20)\d\d)[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)"),
        "month_day": re.compile(rf"(?<![\d年])(\d{{1,2}}|{_KANJI_NUM})\s*月\s*(\d{{1,2}}|{_KANJI_NUM})\s*日"),
    }


_PATTERNS: dict[str, re.Pattern[str]] | None = None


def patterns() -> dict[str, re.Pattern[str]]:
    global _PATTERNS
    if _PATTERNS is None:
        _PATTERNS = _patterns()
    return _PATTERNS


def resolve_month_day(month: int, day: int, ctx: DateContext | None) -> dt.date:
    """A month-day without a year takes the year that puts it in the document's period or fiscal year."""
    if ctx is None or (ctx.fiscal_year is None and ctx.period_start is None):
        raise DateError("no year and no fiscal year or period to take it from")
    if ctx.period_start is not None and ctx.period_end is not None:
        for year in range(ctx.period_start.year, ctx.period_end.year + 1):
            try:
                d = dt.date(year, month, day)
            except ValueError:
                continue
            if ctx.period_start <= d <= ctx.period_end:
                return d
    if ctx.fiscal_year is not None:
        year = ctx.fiscal_year if month >= 4 else ctx.fiscal_year + 1
        return _make_date(year, month, day, None, f"{month}月{day}日")
    raise DateError(f"{month}月{day}日 falls outside the document's period")


def parse_date(text: str, ctx: DateContext | None = None) -> dt.date:
    """One date in any printed form; the first one found when the text holds several."""
    t = prepare(text)
    p = patterns()
    found: list[tuple[int, str, re.Match[str]]] = []
    for kind in ("era_full", "era_dotted", "west_full", "west_sep", "month_day"):
        m = p[kind].search(t)
        if m:
            found.append((m.start(), kind, m))
    if not found:
        raise DateError("not a date")
    # The earliest match wins; on the same start the more specific pattern (listed first) does.
    _, kind, m = min(found, key=lambda f: f[0])
    if kind in ("era_full", "era_dotted"):
        era = _era_by(m.group(1))
        year = era_year(era, _num(m.group(2)), printed=text)
        return _make_date(year, _num(m.group(3)), _num(m.group(4)), era, text)
    if kind in ("west_full", "west_sep"):
        return _make_date(int(m.group(1)), int(m.group(2)), int(m.group(3)), None, text)
    return resolve_month_day(_num(m.group(1)), _num(m.group(2)), ctx)


def parse_year(text: str) -> int:
    """An era or Western year, with or without 年/年度: `令和5年度`, `R3`, `H24`, `S58`, `2023年`."""
    t = prepare(text)
    m = re.search(rf"({_era_names()})\s*(\d+|{_KANJI_NUM})\s*年", t)
    if m:
        return era_year(_era_by(m.group(1)), _num(m.group(2)), printed=text)
    m = re.fullmatch(rf"([{_era_abbrevs()}])\s*\.?\s*(\d{{1,2}})(?:年度?)?", t)
    if m:
        return era_year(_era_by(m.group(1).upper()), int(m.group(2)), printed=text)
    m = re.search(r"((?:19|20)\d\d)\s*年", t) or re.fullmatch(r"((?:19|20)\d\d)", t)
    if m:
        return int(m.group(1))
    raise DateError("not a year")


def parse_fiscal_year(text: str) -> int | None:
    """The first `…年度` in the text (`令和5年度` → 2023), None when there is none."""
    t = prepare(text)
    m = re.search(rf"(?:({_era_names()})\s*(\d+|{_KANJI_NUM})|((?:19|20)\d\d))\s*年度", t)
    if not m:
        return None
    if m.group(3):
        return int(m.group(3))
    return era_year(_era_by(m.group(1)), _num(m.group(2)), printed=text)


def fiscal_year_of(d: dt.date) -> int:
    return d.year if d.month >= 4 else d.year - 1


def _month_end(year: int, month: int) -> dt.date:
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def parse_period(text: str) -> tuple[dt.date, dt.date] | None:
    """`令和5年7月から令和6年1月` → (2023-07-01, 2024-01-31); `令和5年4月から6月` → (2023-04-01, 2023-06-30).

    Full dates on either side keep their day. None when the text states no period.
    """
    t = prepare(text)
    n = rf"(\d+|{_KANJI_NUM})"
    era = rf"({_era_names()})"
    m = re.search(
        rf"{era}{n}年{n}月(?:{n}日)?(?:から|~|-|より)(?:{era}?{n}年)?{n}月(?:{n}日)?(?:まで)?",
        t,
    )
    if not m:
        return None
    e1 = _era_by(m.group(1))
    y1 = era_year(e1, _num(m.group(2)), printed=text)
    m1 = _num(m.group(3))
    start = _make_date(y1, m1, _num(m.group(4)) if m.group(4) else 1, e1, text)
    if m.group(6):
        e2 = _era_by(m.group(5)) if m.group(5) else e1
        y2 = era_year(e2, _num(m.group(6)), printed=text)
    else:
        y2 = y1 if _num(m.group(7)) >= m1 else y1 + 1
    m2 = _num(m.group(7))
    end = _make_date(y2, m2, _num(m.group(8)), None, text) if m.group(8) else _month_end(y2, m2)
    if end < start:
        raise DateError("period ends before it starts")
    return start, end


def to_era(d: dt.date) -> str:
    """2023-04-03 → `令和5年4月3日` (元年 for year 1): the inverse of `parse_date`, for tests and reports."""
    for era in reversed(eras()):
        if d >= era.start:
            n = d.year - era.start.year + 1
            ys = "元" if n == 1 else str(n)
            return f"{era.name}{ys}年{d.month}月{d.day}日"
    raise DateError(f"{d.isoformat()} is before the first era in rules/eras.toml")
