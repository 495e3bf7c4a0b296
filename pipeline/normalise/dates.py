"""和暦 and Western dates, fiscal years (年度), ranges, and month-days resolved against their document.

The era table is data (`rules/eras.toml`). Every parser returns a date or raises `DateError`
whose message says what is impossible (`平成 has no year 32`): the caller records it as a warning
against the row and stores NULL, never a guess.

Dates are read through OCR damage: look-alikes of digits inside the date (`S月3|日` → 5月31日,
`令和S年度` → 令和5年度, by `rules/ocr.toml`) and spaces inside its numbers (`7月2 8日`). The
`read_*` functions return with the value a `Note` saying what was repaired, for the row's warnings.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache

from pipeline.normalise.ocr import Note, fold_digit_lookalikes, fold_number, read_as
from pipeline.normalise.text import clean, fold, remove_ocr_spaces
from pipeline.rules import Era, eras


class DateError(ValueError):
    pass


@dataclass(frozen=True)
class DateContext:
    """What a document says about when it is: its fiscal year and/or the period it covers."""

    fiscal_year: int | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None


_KANJI_DIGITS = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_KANJI_NUM = r"[〇零一二三四五六七八九十百]+"
_NUM = rf"(\d+|{_KANJI_NUM})"
# Range separators after `fold` (〜 and ～ are folded to ~). A hyphen separates only where it is not
# inside a Western date such as 2023-04-03.
_RANGE_SEP = r"(?:から|より|~|(?<!\d)-|-(?!\d))"


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
    return int(s) if s.isdigit() else kanji_to_int(s)


def _era_by(token: str) -> Era:
    for e in eras():
        if token in (e.name, e.abbrev, e.abbrev.lower()):
            return e
    raise DateError(f"unknown era {token}")


def _era_names() -> str:
    return "|".join(e.name for e in eras())


def _era_abbrevs() -> str:
    return "".join(e.abbrev + e.abbrev.lower() for e in eras())


def era_year(era: Era, n: int, *, printed: str = "") -> int:
    """Gregorian year of year `n` of `era`, checking the era had such a year."""
    if n < 1:
        raise DateError(f"{era.name} has no year {n}")
    year = era.start.year + n - 1
    if era.end is not None and year > era.end.year:
        raise DateError(f"{era.name} has no year {n}")
    return year


def _make_date(year: int, month: int, day: int, era: Era | None) -> dt.date:
    try:
        d = dt.date(year, month, day)
    except ValueError:
        raise DateError(f"no such day {month}月{day}日 in {year}") from None
    if era is not None and d < era.start:
        raise DateError(f"{era.name} began on {era.start.isoformat()}")
    if era is not None and era.end is not None and d > era.end:
        raise DateError(f"{era.name} ended on {era.end.isoformat()}")
    return d


def _month_end(year: int, month: int) -> dt.date:
    if not 1 <= month <= 12:
        raise DateError(f"no such month {month}月")
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def prepare(text: str, *, digits: bool = True) -> str:
    """NFKC, OCR spaces out, look-alikes of digits read as digits (unless `digits` is False), a
    doubled unit once, 元年 → 1年: the form every pattern below is written against."""
    t = remove_ocr_spaces(fold(text)).strip()
    if digits:
        t = fold_digit_lookalikes(t)
    # OCR also spaces the digits of one number (`1 8 日`): join them where a date unit follows.
    t = _SPACED_DIGITS.sub(_joined, t)
    # Without digits left standing apart, whitespace is only wrapping and OCR damage: drop it all.
    t = _BLANK_RUN.sub("", t) if _DIGITS_APART.search(t) is None else t
    # A unit OCR read twice after its number (`令和6年年1月`): once (a repair, as the digits are).
    if digits:
        t = fold_digit_lookalikes(t)  # again: a look-alike the spaces kept from its unit (`1 月 ｜8 日`)
        t = _UNIT_TWICE.sub(r"\1", t)
    return t.replace("元年", "1年")


# The patterns of `prepare`, run on every date cell: compiled once.
_SPACED_DIGITS = re.compile(r"\d(?:[ \t]+\d)+(?=\s*[年月日])")
_BLANK_RUN = re.compile(r"\s+")
_DIGITS_APART = re.compile(r"\d\s+\d")
_UNIT_TWICE = re.compile(r"(?<=[\d元])([年月日])\1+")


def _joined(m: re.Match[str]) -> str:
    return m.group(0).replace(" ", "").replace("\t", "")


@cache
def patterns() -> dict[str, re.Pattern[str]]:
    n, era, abbr = _NUM, f"({_era_names()})", f"([{_era_abbrevs()}])"
    return {
        "era_full": re.compile(rf"{era}\s*{n}\s*年\s*{n}\s*月\s*{n}\s*日"),
        "era_month": re.compile(rf"{era}\s*{n}\s*年\s*{n}\s*月(?!\s*{n}\s*日)"),
        "era_dotted": re.compile(
            rf"(?<![A-Za-z])({_era_names()}|[{_era_abbrevs()}])\s*(\d{{1,2}})\s*[./]\s*(\d{{1,2}})"
            rf"\s*[./]\s*(\d{{1,2}})(?!\d)"
        ),
        "west_full": re.compile(r"((?:19|20)\d\d)\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"),
        # One separator throughout (2023/7/28, 2023-07-28, 2023.7.28), and no number going on with
        # a dot or slash on either side (a version 2023.7.28.1, a file number 1/2023/7/28); a hyphen
        # after it may start the other side of a range.
        "west_sep": re.compile(
            r"(?<!\d)(?<!\d[./])((?:19|20)\d\d)([-/.])(\d{1,2})\2(\d{1,2})(?!\d)(?![./]\d)"
        ),
        "month_day": re.compile(
            rf"(?<![\d年.])(\d{{1,2}}|{_KANJI_NUM})\s*月\s*(\d{{1,2}}|{_KANJI_NUM})\s*日"
        ),
        "fiscal": re.compile(rf"(?:{era}\s*{n}|{abbr}\s*(\d{{1,2}})|((?:19|20)\d\d))\s*年度"),
    }


def resolve_month_day_with_rule(month: int, day: int, ctx: DateContext | None) -> tuple[dt.date, str]:
    """A month-day without a year, and the rule that gave its year: `"period"` or `"fiscal_year"`.

    The period decides first (the year that puts the day inside it), then the fiscal year
    (April to March). A day that no context can place raises `DateError`.
    """
    has_period = ctx is not None and ctx.period_start is not None and ctx.period_end is not None
    if ctx is None or (ctx.fiscal_year is None and not has_period):
        raise DateError("no year, and no fiscal year or period to take it from")
    if has_period:
        assert ctx.period_start is not None and ctx.period_end is not None
        for year in range(ctx.period_start.year, ctx.period_end.year + 1):
            try:
                d = dt.date(year, month, day)
            except ValueError:
                continue
            if ctx.period_start <= d <= ctx.period_end:
                return d, "period"
    if ctx.fiscal_year is not None:
        year = ctx.fiscal_year if month >= 4 else ctx.fiscal_year + 1
        return _make_date(year, month, day, None), "fiscal_year"
    raise DateError(
        f"{month}月{day}日 falls outside the document's period {ctx.period_start} .. {ctx.period_end}"
    )


def resolve_month_day(month: int, day: int, ctx: DateContext | None) -> dt.date:
    """A month-day without a year takes the year that puts it in the document's period or fiscal year."""
    return resolve_month_day_with_rule(month, day, ctx)[0]


def _full_date(kind: str, m: re.Match[str]) -> dt.date:
    if kind in ("era_full", "era_dotted"):
        era = _era_by(m.group(1))
        year = era_year(era, _num(m.group(2)))
        return _make_date(year, _num(m.group(3)), _num(m.group(4)), era)
    if kind == "west_sep":
        return _make_date(int(m.group(1)), int(m.group(3)), int(m.group(4)), None)
    return _make_date(int(m.group(1)), int(m.group(2)), int(m.group(3)), None)


_FULL_KINDS = ("era_full", "era_dotted", "west_full", "west_sep")


def _first_date(t: str) -> tuple[str, re.Match[str]] | None:
    p = patterns()
    found: list[tuple[int, int, str, re.Match[str]]] = []
    for rank, kind in enumerate((*_FULL_KINDS, "month_day")):
        m = p[kind].search(t)
        if m:
            found.append((m.start(), rank, kind, m))
    if not found:
        return None
    # The earliest match wins; on the same start the more specific pattern (listed first) does.
    _, _, kind, m = min(found, key=lambda f: (f[0], f[1]))
    return kind, m


def _date_of(hit: tuple[str, re.Match[str]], ctx: DateContext | None) -> dt.date:
    kind, m = hit
    if kind == "month_day":
        return resolve_month_day(_num(m.group(1)), _num(m.group(2)), ctx)
    return _full_date(kind, m)


def parse_date(text: str, ctx: DateContext | None = None) -> dt.date:
    """One date in any printed form; the first one found when the text holds several."""
    return read_date(text, ctx)[0]


# A number split by spaces just before a date unit (`7月2 8日`, `1 0月`).
_SPLIT_NUMBER = re.compile(r"\d(?:[ \t]+\d)+(?=[ \t]*[年月日])")


def _split_number(text: str) -> bool:
    """Does OCR split a number of the date? Spacing that runs through the whole date
    (`令 和 ６ 年 １ 月 １ ８ 日`) is how the text was set, not damage to one number."""
    t = fold(text)
    for m in _SPLIT_NUMBER.finditer(t):
        before = t[m.start() - 1] if m.start() else " "
        after = t[m.end()] if m.end() < len(t) else " "
        if not (before.isspace() and after.isspace()):
            return True
    return False


def _noted(text: str, reading: str, same_as_printed: bool) -> Note | None:
    if same_as_printed and not _split_number(text):
        return None
    return read_as(clean(text) or text, reading)


def read_date(text: str, ctx: DateContext | None = None) -> tuple[dt.date, Note | None]:
    """`parse_date`, and a note when the date was read through damage (`S月3|日` → read as 5月31日)."""
    t = prepare(text)
    hit = _first_date(t)
    if hit is None:
        raise DateError("not a date")
    d = _date_of(hit, ctx)
    plain = prepare(text, digits=False)
    same = plain == t
    if not same:
        plain_hit = _first_date(plain)
        try:
            same = plain_hit is not None and _date_of(plain_hit, ctx) == d
        except DateError:
            same = False
    return d, _noted(text, remove_ocr_spaces(re.sub(r"\s+", "", hit[1].group(0))), same)


def parse_year(text: str) -> int:
    """An era or Western year, with or without 年/年度: `令和5年度`, `R3`, `H24`, `S58`, `2023年`."""
    t = prepare(text)
    m = re.search(rf"({_era_names()})\s*{_NUM}\s*年", t)
    if m:
        return era_year(_era_by(m.group(1)), _num(m.group(2)))
    m = re.fullmatch(rf"([{_era_abbrevs()}])\s*\.?\s*(\d{{1,2}})(?:年度?)?", t)
    if m:
        return era_year(_era_by(m.group(1)), int(m.group(2)))
    m = re.search(r"((?:19|20)\d\d)\s*年", t) or re.fullmatch(r"((?:19|20)\d\d)", t)
    if m:
        return int(m.group(1))
    raise DateError("not a year")


def read_year_cell(printed: str, fiscal_year: int | None) -> tuple[int | None, Note | None]:
    """A year cell of a report's list (`R3`, `H24`) read through OCR damage, in a document of
    `fiscal_year`: the digits after the era letter through look-alikes (`RZ`); a year after the
    document's fiscal year read with one doubled digit once (`R11` in a 令和3年度 report: R1); a
    year whose era letter was lost (`3`) in the era of the document's fiscal year, when that gives
    no year after it. A reading that is not the only one is not made: a year after the document's
    fiscal year is then kept as printed; a cell that reads as no year is None, with why."""
    error = ""
    try:
        year: int | None = parse_year(printed)
    except DateError as exc:
        year, error = None, str(exc)
    latest = fiscal_year + 1 if fiscal_year is not None else None
    if year is not None and (latest is None or year <= latest):
        return year, None
    t = re.sub(r"\s+", "", fold(printed)).removesuffix("年度").removesuffix("年")
    t = re.sub(rf"^([{_era_abbrevs()}])\1", r"\1", t)  # the era letter read twice (`RR2`)
    m = re.fullmatch(rf"([{_era_abbrevs()}])(.{{1,3}})", t)
    forms: set[str] = set()
    if m:
        digits = fold_number(m.group(2))
        forms.add(m.group(1) + digits)
        if latest is not None:
            forms |= {
                m.group(1) + digits[:i] + digits[i + 1 :]
                for i in range(1, len(digits))
                if digits[i] == digits[i - 1]
            }
    elif fiscal_year is not None and re.fullmatch(r"\d{1,2}", t):
        forms.add(_era_of(dt.date(fiscal_year, 4, 1)).abbrev + t)
    read: dict[int, str] = {}
    for form in forms:
        try:
            y = parse_year(form)
        except DateError:
            continue
        if latest is None or y <= latest:
            read[y] = form
    if len(read) == 1:
        y, form = next(iter(read.items()))
        return y, read_as(clean(printed) or printed, form)
    if year is not None:
        return year, None  # a year still to come as printed (a planned end): kept, as any other
    return None, Note(clean(printed) or printed, error)


def _fiscal_of(m: re.Match[str]) -> int:
    if m.group(1):
        return era_year(_era_by(m.group(1)), _num(m.group(2)))
    if m.group(3):
        return era_year(_era_by(m.group(3)), int(m.group(4)))
    return int(m.group(5))


def parse_fiscal_year(text: str) -> int | None:
    """The first `…年度` in the text (`令和5年度` → 2023, `R3年度` → 2021), None when there is none."""
    return read_fiscal_year(text)[0]


def read_fiscal_year(text: str) -> tuple[int | None, Note | None]:
    """`parse_fiscal_year`, and a note when the year was read through damage (`令和S年度`)."""
    m = patterns()["fiscal"].search(prepare(text))
    if m is None:
        return None, None
    fy = _fiscal_of(m)
    plain = patterns()["fiscal"].search(prepare(text, digits=False))
    try:
        same = plain is not None and _fiscal_of(plain) == fy
    except DateError:
        same = False
    return fy, _noted(text, re.sub(r"\s+", "", m.group(0)), same)


def parse_fiscal_year_range(text: str) -> tuple[int, int]:
    """`令和6年度～令和9年度` → (2024, 2027); `令和6～9年度` takes the era of the side that prints one.

    A single `令和5年度` is the range (2023, 2023). Raises `DateError` when the text states no fiscal year.
    """
    t = prepare(text)
    era, abbr = f"({_era_names()})", f"([{_era_abbrevs()}])"
    side = rf"(?:{era}|{abbr})?\s*(\d+|{_KANJI_NUM})"
    m = re.search(rf"{side}\s*(?:年度?)?\s*{_RANGE_SEP}\s*{side}\s*年度", t)
    if not m:
        y = parse_fiscal_year(text)
        if y is None:
            raise DateError("not a fiscal year")
        return y, y
    era1 = m.group(1) or m.group(2)
    era2 = m.group(4) or m.group(5)
    n1, n2 = _num(m.group(3)), _num(m.group(6))

    def year(era_token: str | None, n: int) -> int:
        if era_token:
            return era_year(_era_by(era_token), n)
        if n >= 1000:
            return n
        raise DateError(f"no era for year {n}")

    start = year(era1 or (era2 if n1 < 1000 else None), n1)
    end = year(era2 or (era1 if n2 < 1000 else None), n2)
    if end < start:
        raise DateError(f"fiscal years run backwards: {start} to {end}")
    return start, end


def fiscal_year_of(d: dt.date) -> int:
    return d.year if d.month >= 4 else d.year - 1


def _point(side: str, *, is_end: bool, anchor: dt.date | None, ctx: DateContext | None) -> dt.date:
    """One side of a range: a full date, an era year-month, a 年度, or a month(-day) without a year."""
    p = patterns()
    hit = _first_date(side)
    if hit is not None and hit[0] != "month_day":
        return _full_date(*hit)
    m = p["era_month"].search(side)
    if m:
        era = _era_by(m.group(1))
        y, mo = era_year(era, _num(m.group(2))), _num(m.group(3))
        return _month_end(y, mo) if is_end else _make_date(y, mo, 1, era)
    m = p["fiscal"].search(side)
    if m:
        fy = _fiscal_of(m)
        return dt.date(fy + 1, 3, 31) if is_end else dt.date(fy, 4, 1)
    m = re.search(r"(?<![\d.])(\d{1,2})年(\d{1,2})月(?:(\d{1,2})日)?", side)
    if m and anchor is not None:
        # `令和5年12月から6年1月`: the end prints its year without the era it shares with the start.
        era = _era_of(anchor)
        y, mo = era_year(era, int(m.group(1))), int(m.group(2))
        if m.group(3):
            return _make_date(y, mo, int(m.group(3)), era)
        return _month_end(y, mo)
    m = re.search(rf"(?<![\d年.])(\d{{1,2}}|{_KANJI_NUM})\s*月(?:\s*(\d{{1,2}}|{_KANJI_NUM})\s*日)?", side)
    if m is None:
        raise DateError(f"not a date: {side}")
    mo = _num(m.group(1))
    if anchor is None:
        if m.group(2) is None:
            raise DateError(f"{mo}月 has no year and no day")
        return resolve_month_day(mo, _num(m.group(2)), ctx)
    # The end of a range without its own year runs on from the start: the same year, or the next
    # when its month comes earlier in the calendar.
    for year in (anchor.year, anchor.year + 1):
        d = _make_date(year, mo, _num(m.group(2)), None) if m.group(2) else _month_end(year, mo)
        if d >= anchor:
            return d
    raise DateError(f"{side} cannot follow {anchor.isoformat()}")


def parse_range(text: str, ctx: DateContext | None = None) -> tuple[dt.date | None, dt.date | None]:
    """`令和元年11月5日から令和2年3月31日まで` → (2019-11-05, 2020-03-31).

    Sides may be full dates, era year-months (`令和5年7月から令和6年1月`: first and last day),
    年度 (`令和6年度～令和9年度`: 04-01 and 03-31), or an end without a year that follows its start.
    An open side (`令和5年4月1日から`) is None. Raises `DateError` when the text is not a range or a
    side is impossible.
    """
    t = prepare(text)
    first_error: DateError | None = None
    # A hyphen or から may occur in the text before the range (`AI-OCR`, `0歳から`): try each separator.
    for m in re.finditer(_RANGE_SEP, t):
        try:
            return _range_at(t, m, ctx)
        except DateError as exc:
            first_error = first_error or exc
    until = re.search(r"(まで|迄)$", t)
    if first_error is None and until:
        return None, _point(t[: until.start()], is_end=True, anchor=None, ctx=ctx)
    raise first_error or DateError("not a range")


def _range_at(t: str, m: re.Match[str], ctx: DateContext | None) -> tuple[dt.date | None, dt.date | None]:
    left = t[: m.start()]
    right = re.sub(r"(まで|迄)$", "", t[m.end() :])
    start = _point(left, is_end=False, anchor=None, ctx=ctx) if left else None
    end = _point(right, is_end=True, anchor=start, ctx=ctx) if right else None
    if start is None and end is None:
        raise DateError("not a range")
    if start is not None and end is not None and end < start:
        raise DateError(f"range ends before it starts: {start.isoformat()} to {end.isoformat()}")
    return start, end


def parse_period(text: str) -> tuple[dt.date, dt.date] | None:
    """`令和5年7月から令和6年1月` → (2023-07-01, 2024-01-31); `令和5年4月から6月` → (2023-04-01, 2023-06-30).

    The period is the first era year-month range in the text; full dates on either side keep their
    day. None when the text states no period.
    """
    return read_period(text)[0]


def _period_in(t: str) -> tuple[re.Match[str], tuple[dt.date, dt.date]] | None:
    n, era = _NUM, f"(?:{_era_names()})"
    m = re.search(rf"{era}{n}年{n}月(?:{n}日)?{_RANGE_SEP}(?:{era}?{n}年)?{n}月(?:{n}日)?", t)
    if not m:
        return None
    start, end = parse_range(m.group(0))
    assert start is not None and end is not None
    return m, (start, end)


def read_period(text: str) -> tuple[tuple[dt.date, dt.date] | None, Note | None]:
    """`parse_period`, and a note when the period was read through damage (`令和S年7月から…`)."""
    found = _period_in(prepare(text))
    if found is None:
        return None, None
    m, period = found
    try:
        plain = _period_in(prepare(text, digits=False))
        same = plain is not None and plain[1] == period
    except DateError:
        same = False
    return period, _noted(text, m.group(0), same)


def _era_of(d: dt.date) -> Era:
    for era in reversed(eras()):
        if d >= era.start:
            return era
    raise DateError(f"{d.isoformat()} is before the first era in rules/eras.toml")


def to_era(d: dt.date) -> str:
    """2023-04-03 → `令和5年4月3日` (元年 for year 1): the inverse of `parse_date`, for tests and reports."""
    era = _era_of(d)
    n = d.year - era.start.year + 1
    return f"{era.name}{'元' if n == 1 else n}年{d.month}月{d.day}日"
