"""Structured values read through OCR damage, from the rules in `rules/ocr.toml`.

OCR damages text the same way everywhere: look-alikes (`S`/`5`, `l`/`1`, `O`/`0`), a character
dropped or doubled, a space inside a number. Free text is kept as printed; a structured value is
read through the damage when the reading is unambiguous, and every such reading is returned as a
`Note` that the caller puts on its row (`departments: 情報ツステム課: read as 情報システム課`).
A value that reads two ways is kept as printed, also with a `Note`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache

from rapidfuzz.distance import Levenshtein

from pipeline.normalise.text import clean, fold, parse_int, remove_ocr_spaces, strip_html
from pipeline.rules import eras, ocr


@dataclass(frozen=True)
class Note:
    """What happened to one printed value: `read as …`, or why it was kept as printed."""

    printed: str
    problem: str

    def warning(self, field: str) -> str:
        """The contract's row warning form, `field: printed text: problem`."""
        return f"{field}: {self.printed}: {self.problem}"


def read_as(printed: str, reading: str) -> Note:
    return Note(printed, f"read as {reading}")


def ambiguous(printed: str, readings: Iterable[str]) -> Note:
    return Note(printed, f"reads as {' or '.join(sorted(set(readings)))}; kept as printed")


# --------------------------------------------------------------------------- digits

_ASCII_DIGITS = frozenset("0123456789")
_DATE_UNITS = frozenset("年月日")
_AFTER_UNIT = frozenset("月日") | _ASCII_DIGITS


@cache
def _digit_rules() -> tuple[dict[str, str], dict[str, str], frozenset[str], tuple[str, ...]]:
    rules = ocr()
    era_letters = frozenset(c for e in eras() for c in (e.abbrev, e.abbrev.lower()))
    return (
        dict(rules["digits"]),
        dict(rules["digits_after_digit"]),
        era_letters,
        tuple(e.name for e in eras()),
    )


@cache
def _lookalike_re() -> re.Pattern[str]:
    anywhere, after, _, _ = _digit_rules()
    return re.compile(f"[{re.escape(''.join(anywhere) + ''.join(after))}]")


def digit_lookalikes() -> str:
    """Every character rules/ocr.toml reads as a digit somewhere."""
    anywhere, after, _, _ = _digit_rules()
    return "".join(anywhere) + "".join(after)


def has_digit_lookalike(text: str) -> bool:
    return _lookalike_re().search(text) is not None


def _latin(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


def fold_digit_lookalikes(text: str) -> str:
    """Look-alikes of digits read as digits where a number stands: `令和S年度` → `令和5年度`,
    `S月3|日` → `5月31日`, `2O23` → `2023`, `令和5年B月` → `令和5年8月`; `LGWAN`, `PCR`, `S58`
    (an era year) unchanged.

    Meant for text about to be parsed as a number or a date, never for text that is stored.
    """
    if not has_digit_lookalike(text):
        return text
    anywhere, after, era_letters, era_names = _digit_rules()
    out = list(text)  # only look-alikes change, each judged by the character before it as read
    for m in _lookalike_re().finditer(text):
        i = m.start()
        c = text[i]
        prev = out[i - 1] if i else ""
        nxt = text[i + 1] if i + 1 < len(text) else ""
        if c in after and (prev in _ASCII_DIGITS or (prev in ("年", "月") and nxt in _AFTER_UNIT)):
            out[i] = after[c]  # `3|日`, and `年B月`: between two units of a date only a number stands
        elif c in anywhere and _digit_here(c, prev, nxt, text.endswith(era_names, 0, i), era_letters):
            out[i] = anywhere[c]
    return "".join(out)


def _digit_here(c: str, prev: str, nxt: str, after_era: bool, era_letters: frozenset[str]) -> bool:
    if _latin(nxt) and nxt not in _ASCII_DIGITS:
        return False  # a letter of a word (`1ST`, `ISO`)
    if prev in _ASCII_DIGITS:
        return True
    if _latin(prev):
        return False
    if nxt in _ASCII_DIGITS:
        # `S58` is 昭和58; after an era name (`令和S8年`) the letter can only be a digit.
        return c not in era_letters or after_era
    return nxt in _DATE_UNITS


@cache
def _lookalike_groups() -> dict[str, frozenset[str]]:
    out: dict[str, frozenset[str]] = {}
    for group in ocr()["lookalikes"]["groups"]:
        for c in group:
            out[c] = out.get(c, frozenset()) | frozenset(group)
    return out


def lookalike_substitution(a: str, b: str) -> bool:
    """Do `a` and `b` differ in exactly one character, a pair OCR takes for one another (入/人)?"""
    if len(a) != len(b):
        return False
    diff = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
    return len(diff) == 1 and diff[0][1] in _lookalike_groups().get(diff[0][0], frozenset())


# The patterns of `fold_figures` and `doubled_once`, run on most cells and lines: compiled once.
# One blank only: two, a tab or a line break stand between two figures of a cell (`date_text`'s
# `_SPACE_IN_NUMBER` takes any run, since a date cell holds one date).
_BLANK_IN_NUMBER = re.compile(r"(?<=\d)[ \u3000](?=\d)")
_THOUSANDS_GROUP = re.compile(r"(?<=\d,)\d{4}(?!\d)")
_DOUBLED = re.compile(r"(.)\1")
_A_DIGIT = re.compile(r"\d")
_DOUBLED_NON_DIGIT = re.compile(r"(\D)\1")


@lru_cache(maxsize=256)
def _after_a_digit(look: str) -> re.Pattern[str]:
    return re.compile(rf"(?<=\d){re.escape(look)}")


def _thousands_undoubled(m: re.Match[str]) -> str:
    """A group of four digits after a thousands comma (`4,6000`): one of its doubled digits read once,
    when that reads one way."""
    g = m.group(0)
    once = {g[:i] + g[i + 1 :] for i in range(3) if g[i] == g[i + 1]}
    return once.pop() if len(once) == 1 else g


def fold_figures(text: str, units: Iterable[str]) -> str:
    """Counted figures read through damage, for text about to be searched for them: look-alikes of
    digits folded, a space inside a number removed (`7 50人`), a digit doubled in a group of
    thousands read once (`4,6000件`), and a unit of one character read
    from its look-alike right after a number (`750入` → 750人). Never for text that is stored."""
    text = fold_digit_lookalikes(text)
    if _A_DIGIT.search(text) is None:
        return text  # most lines of a paragraph: every pattern below needs a digit
    text = _BLANK_IN_NUMBER.sub("", text)
    text = _THOUSANDS_GROUP.sub(_thousands_undoubled, text)
    groups = _lookalike_groups()
    for unit in units:
        if len(unit) == 1:
            for look in groups.get(unit, frozenset()) - {unit}:
                text = _after_a_digit(look).sub(unit, text)
    return text


def read_int(text: str | None) -> tuple[int | None, Note | None]:
    """An integer cell read through damage (`4O` → 40, `1 2` → 12; a short cell of a number column
    is a number, so `S` → 5, `｜73` → 173), with a note when it was."""
    value = parse_int(text)
    if value is not None or not text:
        return value, None
    value = parse_int(fold_digit_lookalikes(text))
    printed = clean(text) or text
    if value is None and len(printed) <= 4:
        value = parse_int(fold_number(fold(printed)))
        if value == 0 and not any(c.isdigit() for c in fold(printed)):
            value = None  # `o`, `O` alone: a word's letter (`No` cut), never a row numbered 0
    return value, (read_as(printed, str(value)) if value is not None else None)


def read_sequence(printed: list[int | None]) -> list[tuple[int | None, Note | None]]:
    """Row numbers of one list read through damage: a number one edit from the one its place calls
    for (`2388` between 237 and 239, `5` between 14 and 16, an unreadable one), or a run of up to
    three such numbers, is read so when the number after the run goes on from it (or the run ends
    the list and the one before fits). Anything else (a real gap, a list restarting) is kept as
    printed; the checks flag what is out of sequence."""
    out: list[tuple[int | None, Note | None]] = []
    prev: int | None = None
    i = 0
    while i < len(printed):
        want = 1 if prev is None else prev + 1
        run = _damaged_run(printed, i, want, prev)
        if printed[i] == want or run == 0:
            out.append((printed[i], None))
            prev = printed[i] if printed[i] is not None else prev
            i += 1
            continue
        for k in range(run):
            n = printed[i + k]
            out.append(
                (want + k, Note("" if n is None else str(n), f"read as {want + k}: the rows around it"))
            )
        prev = want + run - 1
        i += run
    return out


def _damaged_run(printed: list[int | None], i: int, want: int, prev: int | None) -> int:
    """How many numbers from i on are damaged readings of want, want + 1, …: each one edit off (or
    unreadable), and the number after them the next one (or the list's end, after a fitting one)."""
    for run in range(1, 4):  # a run ending the list: its last number alone, after a fitting one
        if i + run > len(printed):
            return 0
        n = printed[i + run - 1]
        if n == want + run - 1 or not (n is None or Levenshtein.distance(str(n), str(want + run - 1)) == 1):
            return 0
        nxt = i + run
        if nxt < len(printed) and printed[nxt] == want + run:
            return run
        if nxt == len(printed):
            return 1 if run == 1 and prev is not None else 0
    return 0


# --------------------------------------------------------------------------- dates

DOUBLED_UNIT = re.compile(r"([年月日])\1+")
_SPACE_IN_NUMBER = re.compile(r"(?<=\d)\s+(?=\d)")


_MONTH_OR_DAY = re.compile(r"(?<!\d)(\d{2,3})(?=[月日])")


def _undouble(m: re.Match[str]) -> str:
    """A month or day with a digit read twice (`288日`, `112月`, `99月`): the digit once, where the
    number as printed cannot be one (three digits, or a month over 12 / a day over 31)."""
    digits, unit = m.group(1), m.string[m.end()]
    if len(digits) == 2 and int(digits) <= (12 if unit == "月" else 31):
        return digits
    for k in range(1, len(digits)):
        if digits[k] == digits[k - 1]:
            return digits[:k] + digits[k + 1 :]
    return digits


# A month and day whose 月 was lost (`1221日`): digits before 日 with no 月 or year before them.
_MONTH_LOST = re.compile(r"(?<![\d月年./])(\d{3,4})(?=日)")


def _month_lost(m: re.Match[str]) -> str:
    """`1221日` → 12月21日: the one way the digits split into a month and a day; else as printed
    (`115日` is 1月15日 or 11月5日)."""
    digits = m.group(1)
    splits = [
        (digits[:k], digits[k:])
        for k in (1, 2)
        if k < len(digits)
        and len(digits) - k <= 2
        and 1 <= int(digits[:k]) <= 12
        and 1 <= int(digits[k:]) <= 31
        and digits[k] != "0"
    ]
    return f"{splits[0][0]}月{splits[0][1]}" if len(splits) == 1 else digits


def date_text(text: str) -> str:
    """Text about to be read as a date, through OCR damage: look-alike digits, spaces, a doubled 日
    or digit, a lost 月. Never for text that is stored."""
    t = _SPACE_IN_NUMBER.sub("", fold_digit_lookalikes(remove_ocr_spaces(text.strip())))
    if DOUBLED_UNIT.search(t):  # rare: a sub with a template costs re's Python code on every call
        t = DOUBLED_UNIT.sub(r"\1", t)
    if "月" not in t:
        t = _MONTH_LOST.sub(_month_lost, t)
    return _MONTH_OR_DAY.sub(_undouble, t)


# --------------------------------------------------------------------------- vocabulary


_WHITE = re.compile(r"\s+")


@lru_cache(maxsize=65536)
def _key(text: str) -> str:
    """A value as compared with the vocabulary: NFKC, look-alikes folded, HTML and every space gone."""
    return _WHITE.sub("", strip_html(fold(text)))


def similarity(a: str, b: str) -> float:
    """1 − edits / length of the longer string (rapidfuzz's normalised Levenshtein similarity)."""
    return float(Levenshtein.normalized_similarity(a, b))


def _as_mapping(vocabulary: Iterable[str] | Mapping[str, str]) -> dict[str, str]:
    # The memo's key is made on every call: a tuple of the words as given, no pair built per word.
    if isinstance(vocabulary, Mapping):
        return _keyed(tuple(vocabulary.items()))
    return _keyed_words(tuple(vocabulary))


@lru_cache(maxsize=64)
def _keyed(pairs: tuple[tuple[str, str], ...]) -> dict[str, str]:
    # Remembered: the same vocabulary is looked up for every row of a document.
    return {_key(w): v for w, v in pairs}


@lru_cache(maxsize=64)
def _keyed_words(words: tuple[str, ...]) -> dict[str, str]:
    return {_key(w): w for w in words}


def _may_reach(key: str, threshold: float) -> tuple[float, float]:
    """The lengths of the words whose similarity to `key` can reach `threshold`: at least
    |len(a) - len(b)| edits, so similarity <= shorter / longer. Bounds widened by a hair, so that a
    word whose rounding might reach the threshold is scored (a skipped word can never be nearest)."""
    t = threshold - 1e-9
    return (len(key) * t, len(key) / t) if t > 0 else (0.0, float("inf"))


def _nearest(key: str, words: dict[str, str], threshold: float) -> set[str]:
    """The meanings of the words nearest to `key`, when their similarity reaches `threshold`."""
    lo, hi = _may_reach(key, threshold)
    scored = [(similarity(key, w), meaning) for w, meaning in words.items() if lo <= len(w) <= hi]
    top = max((s for s, _ in scored), default=0.0)
    if top < threshold:
        return set()
    return {meaning for s, meaning in scored if s == top}


def match_word(
    text: str | None, vocabulary: Iterable[str] | Mapping[str, str], threshold: float
) -> str | None:
    """The vocabulary word `text` reads as: itself when printed right, else the single nearest word
    whose similarity reaches `threshold`; None when none does or two words of different meanings are
    equally near. `vocabulary` may map several printed words to one meaning (`有`, `あり` → 有)."""
    found, _ = read_word(text, vocabulary, threshold)
    return found


def read_word(
    text: str | None, vocabulary: Iterable[str] | Mapping[str, str], threshold: float
) -> tuple[str | None, Note | None]:
    """`match_word` with what the caller warns: `read as 承認` for a repair, `reads as A or B` for a tie."""
    if not text:
        return None, None
    key = _key(text)
    if not key:
        return None, None
    words = _as_mapping(vocabulary)
    if key in words:
        return words[key], None
    printed = clean(text) or key
    once = undoubled(key, words)
    if len(once) == 1:
        word = words[once.pop()]
        return word, read_as(printed, word)
    best = _nearest(key, words, threshold)
    if len(best) == 1:
        word = next(iter(best))
        return word, read_as(printed, word)
    if len(best) > 1:
        return None, ambiguous(printed, best)
    return None, None


def undoubled(key: str, words: Iterable[str]) -> set[str]:
    """The words `key` is with one of its doubled characters read once (`区区長` → 区長, `承承認` → 承認):
    OCR's doubled glyph, told apart from a real edit, so a short word is read through it where a
    similarity threshold would be too loose (`承承認` is as near to 不承認 as to 承認)."""
    once = {key[:i] + key[i + 1 :] for i in range(len(key) - 1) if key[i] == key[i + 1]}
    return once & set(words) if once else once


def read_label(key: str, labels: Mapping[str, Iterable[str]]) -> str | None:
    """The field a label cell OCR damaged names (`事業業内容`, `事内容`, `対象象者`; `key` without
    spaces): one of its doubled characters read once, or else the labels of one field nearest to
    it by `[threshold] header`. A text that holds a label and more (`対象者数`, `1 対象者`) is
    another text, not a damaged label; labels shorter than `[header] min_length` are only read through a doubled
    character (one edit of a two-character label is any two characters)."""
    by_word = _label_words(tuple(zip(labels, map(tuple, labels.values()), strict=True)))
    once = undoubled(key, by_word)
    if len({by_word[w] for w in once}) == 1:
        return by_word[once.pop()]
    min_length = int(ocr()["header"]["min_length"])
    if len(key) < min_length or any(w in key for w in by_word):
        return None  # a label and more (`対象者数`, `1対象者`, a numbered paragraph) is another text
    threshold = thresholds()["header"]
    lo, hi = _may_reach(key, threshold)
    scored = [
        (similarity(key, w), f) for w, f in by_word.items() if len(w) >= min_length and lo <= len(w) <= hi
    ]
    top = max((sc for sc, _ in scored), default=0.0)
    if top < threshold:
        return None
    fields = {f for sc, f in scored if sc == top}
    return fields.pop() if len(fields) == 1 else None


@lru_cache(maxsize=64)
def _label_words(labels: tuple[tuple[str, tuple[str, ...]], ...]) -> dict[str, str]:
    return {_key(w): f for f, ws in labels for w in ws}  # remembered: tried on every line of a sheet


def doubled_once(text: str, *, digits: bool = False) -> str:
    """Every character OCR doubled read once (`対対象者` → 対象者, `令和和3年度` → 令和3年度); digits
    stay as printed unless `digits` (`11` is a number, not a doubled 1). For text about to be matched
    against labels, headers or names, never for text that is stored."""
    pattern = _DOUBLED if digits else _DOUBLED_NON_DIGIT
    # A sub with a template goes through re's Python code on every call; most texts double nothing.
    return pattern.sub(r"\1", text) if pattern.search(text) else text


@cache
def thresholds() -> dict[str, float]:
    return {k: float(v) for k, v in ocr()["threshold"].items()}


# --------------------------------------------------------------------------- column headers


def edits_within(word: str, cell: str, max_edits: int) -> int | None:
    """Fewest edits that make `word` a substring of `cell`, when at most `max_edits`; else None."""
    if len(set(word) - set(cell)) > max_edits:
        return None  # more of its characters missing than edits allowed: no window can do better
    n = len(word)
    best: int | None = None
    for size in range(max(1, n - max_edits), n + max_edits + 1):
        for start in range(max(1, len(cell) - size + 1)):
            d = Levenshtein.distance(word, cell[start : start + size], score_cutoff=max_edits)
            if d <= max_edits and (best is None or d < best):
                best = d
    return best


def match_header(cell: str, words: Mapping[str, Iterable[str]]) -> tuple[str, int] | None:
    """The field a damaged header cell names, and how many characters of its name are right.

    A field matches when one of its names (at least `[header] min_length` long) is in the cell with
    one to `[header] max_edits` edits and a similarity of at least `[threshold] header`
    (`条例要配慮個入情報 (有/無)` → ordinance_sensitive, 8 right; `事業` → title, 2 right). The field
    with most characters right wins; None when two fields are as good. Exact names are the caller's
    to look up first, so a clean header is read as it always was.
    """
    return _match_header(_key(cell), tuple((f, tuple(ws)) for f, ws in words.items()))


# Remembered: a list's header is printed again on every page.
@lru_cache(maxsize=4096)
def _match_header(key: str, words: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[str, int] | None:
    rules = ocr()["header"]
    max_edits, min_length = int(rules["max_edits"]), int(rules["min_length"])
    threshold = thresholds()["header"]
    if not key:
        return None
    best: dict[str, int] = {}
    for fname, ws in words:
        for w in ws:
            wk = _key(w)
            if len(wk) < min_length:
                continue
            edits = edits_within(wk, key, max_edits)
            if not edits or 1 - edits / len(wk) < threshold:
                continue
            best[fname] = max(best.get(fname, 0), len(wk) - edits)
    if not best:
        return None
    top = max(best.values())
    fields = [f for f, right in best.items() if right == top]
    return (fields[0], top) if len(fields) == 1 else None


# --------------------------------------------------------------------------- registration numbers

_SEP = r"[-‐ー－]"


@lru_cache(maxsize=8)
def _candidate_re(lookalikes: str) -> re.Pattern[str]:
    d = f"[0-9{re.escape(lookalikes)}]"
    # a space OCR put inside a run of digits (`2917 01-303`) is read through
    first, second = rf"{d}(?: ?{d}){{3,7}}", rf"{d}(?: ?{d}){{1,3}}"
    return re.compile(rf"(?<![0-9A-Za-z])({first})\s*{_SEP}\s*({second})(?![0-9A-Za-z])")


def read_registration_numbers(raw: str, form: str, shown: str) -> tuple[list[str], list[Note]]:
    """業務登録番号 of a cell, with notes: a look-alike read as a digit (`23O101-043`), and a number
    that does not have the printed form `form` (`291701-25`: a digit dropped) kept as printed.

    `shown` is how the note names the form (`000000-000`).
    """
    anywhere, after, _, _ = _digit_rules()
    text = fold(raw)
    found: list[str] = []
    notes: list[Note] = []
    pattern = re.compile(form)
    for m in _candidate_re("".join(anywhere) + "".join(after)).finditer(text):
        parts = [m.group(1).replace(" ", ""), m.group(2).replace(" ", "")]
        if any(sum(c not in _ASCII_DIGITS for c in p) > 1 for p in parts):
            continue  # more letters than a damaged number has: a word, not a number
        printed = f"{parts[0]}-{parts[1]}"
        number = "-".join(_fold_all(p, anywhere, after) for p in parts)
        if number != printed:
            notes.append(read_as(printed, number))
        if not pattern.fullmatch(number):
            once = _undoubled_forms(number, pattern)
            if len(once) == 1:
                # OCR read one digit twice (`2917701-303`), and only one doubled digit gives the form
                notes.append(read_as(number, next(iter(once))))
                number = once.pop()
            else:
                notes.append(Note(number, f"not in the printed form {shown}; kept as printed"))
        found.append(number)
    if not found:
        found, notes = _without_separator(text, pattern)
    return found, notes


def _without_separator(text: str, pattern: re.Pattern[str]) -> tuple[list[str], list[Note]]:
    """Numbers whose separator OCR lost (`291408010`, `550300 002`): a run of as many digits as the
    form's two parts (`\\d{6}-\\d{3}`), read with the separator where the form puts it."""
    parts = re.fullmatch(r"\\d\{(\d+)\}(.)\\d\{(\d+)\}", pattern.pattern)
    if parts is None:
        return [], []
    a, sep, b = int(parts.group(1)), parts.group(2), int(parts.group(3))
    found, notes = [], []
    for m in re.finditer(rf"(?<![0-9A-Za-z])(\d{{{a}}}) ?(\d{{{b}}})(?![0-9A-Za-z])", text):
        number = f"{m.group(1)}{sep}{m.group(2)}"
        notes.append(read_as(m.group(0), number))
        found.append(number)
    return found, notes


def _undoubled_forms(number: str, pattern: re.Pattern[str]) -> set[str]:
    """The readings of `number` with one doubled digit read once that have the printed form."""
    once = {number[:i] + number[i + 1 :] for i in range(len(number) - 1) if number[i] == number[i + 1]}
    return {n for n in once if n[0] in _ASCII_DIGITS and pattern.fullmatch(n)}


def fold_number(part: str) -> str:
    """Text known to be a number (a cell of a number column): every look-alike read as its digit."""
    anywhere, after, _, _ = _digit_rules()
    return _fold_all(part, anywhere, after)


def _fold_all(part: str, anywhere: dict[str, str], after: dict[str, str]) -> str:
    """Inside a number already known to be one, every look-alike is its digit."""
    return "".join(anywhere.get(c) or after.get(c) or c for c in part)
