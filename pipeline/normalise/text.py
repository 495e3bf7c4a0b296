"""Text normalisation shared by every parser: NFKC, look-alike folds, OCR spaces, HTML in cells.

Pure functions from str to str; the folds come from `rules/char_folds.toml`.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import cache, lru_cache

from pipeline.rules import char_folds, match_folds

# Characters written without spaces between them: CJK ideographs, kana, the CJK symbol block and
# full-width forms that survive NFKC (「」、。・ー々〆).
_CJK = (
    r"\u3000-\u303f\u3040-\u309f\u30a0-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    r"\uff00-\uffef々〆ー・「」『』【】〔〕（）"
)
# A run of spaces between two characters where at least one is CJK and the other is CJK, a digit,
# a Latin letter or bracket-like punctuation: in these documents such spaces are OCR damage.
# One pattern for both sides: a run is removed or kept by the two characters around it alone, so
# one pass does what two did. It starts by taking a blank, and looks behind it for the character
# before: a pattern that starts with a character class lets re skip in C to the next blank, where a
# leading lookahead or lookbehind is tried at every character (a packet's text: twice as fast).
_SPACE_CJK = re.compile(
    rf"[ \t](?:(?<=[{_CJK}][ \t])[ \t]*(?=[{_CJK}0-9A-Za-z(\[%,.“”‘’])"
    rf"|(?<=[0-9A-Za-z)\]%,.“”‘’][ \t])[ \t]*(?=[{_CJK}]))"
)
# `L G W A N`, `D X`: single Latin letters spaced apart by OCR. It starts with its first letter
# and looks behind it, for the same reason as `_SPACE_CJK` (a packet's text: three times as fast).
_SPACED_LETTERS = re.compile(r"[A-Za-z](?<![A-Za-z][A-Za-z])(?: [A-Za-z])+(?![A-Za-z])")
_LETTER_SPACE_LETTER = re.compile(r"[A-Za-z] [A-Za-z]")  # what every match of the one above holds
_BLANKS = re.compile(r"[ \t]+")
_TAG = re.compile(r"</?\s*[a-zA-Z][^<>]*>")
_BLOCK_TAG = re.compile(r"<\s*(?:br|/p|p|/li|li|/tr|tr|/div|div)\b[^<>]*>", re.I)


@cache
def _fold_table() -> dict[int, str]:
    return {ord(k): v for k, v in char_folds().items() if len(k) == 1}


@cache
def _foldable() -> re.Pattern[str]:
    return re.compile("[" + "".join(re.escape(chr(k)) for k in _fold_table()) + "]")


# The blocks of compatibility characters these documents print (Latin-1 signs, general punctuation,
# letterlike symbols, Roman and circled numbers, CJK and Kangxi radicals, the ideographic space, Hangul
# letters, enclosed and squared CJK, compatibility ideographs, vertical and small forms, full- and
# half-width forms).
_COMPAT_BLOCKS = (
    (0x00A0, 0x0100),
    (0x2000, 0x2070),
    (0x2100, 0x2190),
    (0x2460, 0x2500),
    (0x2E80, 0x2FE0),
    (0x3000, 0x3001),
    (0x3131, 0x3190),
    (0x3200, 0x3400),
    (0xF900, 0xFB00),
    (0xFE10, 0xFE70),
    (0xFF00, 0xFFF0),
)
# A text at least this long is folded by `_compat_forms` first (a short one: NFKC alone is as fast).
_LONG_TEXT = 256


@cache
def _compat_forms() -> tuple[dict[int, str], re.Pattern[str]]:
    """Each character of `_COMPAT_BLOCKS` whose compatibility decomposition is already its NFKC
    (`（` → `(`, `１` → `1`, `⼀` → `一`; not `ｶ` or `ﾞ`, which compose), with a pattern of their runs.
    Replacing any characters by their decompositions leaves a text's NFKC as it was (NFKC is the
    composition of the decomposition, which is made character by character), and it is several
    times faster: CPython's NFKC decomposes and recomposes the whole of a text in which one
    character is not normal, and in a packet one always is."""
    table: dict[int, str] = {}
    for start, stop in _COMPAT_BLOCKS:
        for cp in range(start, stop):
            ch = chr(cp)
            decomposed = unicodedata.normalize("NFKD", ch)
            if decomposed != ch and decomposed == unicodedata.normalize("NFKC", ch):
                table[cp] = decomposed
    return table, re.compile("[" + "".join(re.escape(chr(cp)) for cp in table) + "]+")


def fold(text: str) -> str:
    """NFKC, then the look-alike folds NFKC leaves alone (`‧` → `・`, `−` → `-`)."""
    if len(text) >= _LONG_TEXT:
        table, forms = _compat_forms()
        text = forms.sub(lambda m: m.group().translate(table), text)
    text = unicodedata.normalize("NFKC", text)
    # translate looks every character up in a dict; the search finds the rare line that needs it
    # several times faster.
    return text.translate(_fold_table()) if _foldable().search(text) else text


def remove_ocr_spaces(text: str) -> str:
    """Drop spaces OCR put inside Japanese words; keep spaces between Latin words."""
    if " " not in text and "\t" not in text:
        return text  # most lines: none of the three patterns can match
    if _LETTER_SPACE_LETTER.search(text):
        text = _SPACED_LETTERS.sub(lambda m: m.group(0).replace(" ", ""), text)
    return _SPACE_CJK.sub("", text)


def squeeze(text: str) -> str:
    """`text` with every space, tab and line break removed: how labels, header words and date lines
    are compared whatever spacing a layout or OCR gave them (`区 分`, `令 和 5 年`)."""
    return "".join(text.split())


def join_lines(lines: list[str]) -> str:
    """Join a cell's wrapped lines: no separator inside Japanese text, one space between Latin words."""
    out = ""
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if out and out[-1].isascii() and out[-1].isalnum() and line[0].isascii() and line[0].isalnum():
            out += " " + line
        else:
            out += line
    return out


def strip_html(text: str) -> str:
    """HTML fragments a converter left in cells (`<p>`, `<b>`, `<br>`) → plain text, blocks on new lines."""
    if "<" not in text and "&" not in text:
        return text
    text = _BLOCK_TAG.sub("\n", text)
    text = _TAG.sub("", text)
    return html.unescape(text)


# Short strings (課名, headers, labels, cells) come back again and again, about 2,500 calls a packet
# and 95 % of them repeats: they are remembered. Long free text is not, so a worker's memory stays
# bounded by the cache's entries times this length.
_CACHED_LENGTH = 200


def clean(text: str | None) -> str | None:
    """The normal form of every string column: NFKC + folds, HTML removed, lines joined, OCR spaces out.

    Repeated to a fixed point: joining lines and unescaping can make work for an earlier step (a kana
    meets its dakuten, `&amp;lt;`), and the store needs clean(clean(x)) == clean(x).
    """
    if text is not None and len(text) <= _CACHED_LENGTH:
        return _clean_short(text)
    return _clean(text)


@lru_cache(maxsize=32_768)
def _clean_short(text: str) -> str | None:
    return _clean(text)


def _clean(text: str | None) -> str | None:
    out = _clean_once(text)
    if out == text:
        return out  # four in five calls: the text was clean already, a second pass would return it
    for _ in range(8):
        again = _clean_once(out)
        if again == out:
            break
        out = again
    return out


def _clean_once(text: str | None) -> str | None:
    if text is None:
        return None
    text = strip_html(fold(text))
    lines = text.splitlines()
    text = lines[0].strip() if len(lines) == 1 else join_lines(lines)  # most strings: one line
    if "\t" in text or "  " in text:  # else no run of blanks to squeeze
        text = _BLANKS.sub(" ", text)
    text = remove_ocr_spaces(text).strip()
    return text or None


def clean_multiline(text: str | None) -> str | None:
    """Like `clean`, but paragraph breaks survive (for long free text such as 事業内容)."""
    if text is None:
        return None
    # Blanks are squeezed and OCR spaces removed over the whole text at once: no pattern of either
    # matches a line break or looks across one, so each line comes out as it would alone.
    text = remove_ocr_spaces(_BLANKS.sub(" ", strip_html(fold(text))))
    out = "\n".join(p for p in map(str.strip, text.splitlines()) if p)
    return out or None


@cache
def _match_fold_re() -> tuple[re.Pattern[str], dict[str, str]]:
    table = match_folds()
    keys = sorted(table, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, keys))), table


def match_key(text: str | None) -> str:
    """A key for comparing text across copies: cleaned, variants folded, spaces and punctuation gone."""
    if not text:
        return ""
    return _match_key_short(text) if len(text) <= _CACHED_LENGTH else _match_key(text)


@lru_cache(maxsize=32_768)
def _match_key_short(text: str) -> str:
    return _match_key(text)


_MATCH_PUNCTUATION = re.compile(r"[\s・、,。.()（）「」\"'“”]")


def _match_key(text: str) -> str:
    base = clean(text) or ""
    pattern, table = _match_fold_re()
    base = pattern.sub(lambda m: table[m.group(0)], base)
    return _MATCH_PUNCTUATION.sub("", base)


_NUM_RE = re.compile(r"(約|およそ|概ね)?\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*(万)?\s*([^\s0-9,、。()]{0,3})")


def parse_int(text: str | None) -> int | None:
    """`1 2 9` → 129, `3,120` → 3120; None when the text holds no single integer."""
    if text is None:
        return None
    t = fold(text).strip()
    t = _NUMBER_GAP.sub("", t)
    return int(t) if _INTEGER.fullmatch(t) else None


_NUMBER_GAP = re.compile(r"(?<=\d)[ ,](?=\d)")
_INTEGER = re.compile(r"-?\d+")


def parse_count(text: str) -> tuple[int, str | None] | None:
    """`約３，１２０件` → (3120, '件'); `348,587人` → (348587, '人'); `1万2千`-style is not a count."""
    t = remove_ocr_spaces(fold(text))
    m = _NUM_RE.search(t)
    if not m:
        return None
    digits = m.group(2).replace(",", "")
    if "." in digits and not m.group(3):
        return None
    value = float(digits) * (10000 if m.group(3) else 1)
    unit = m.group(4) or None
    if unit:
        for u in ("世帯", "件", "人", "名", "者", "団体", "校", "施設", "事業所", "通", "台", "か所", "箇所"):
            if unit.startswith(u):
                unit = u
                break
        else:
            unit = None
    return int(value), unit


@lru_cache(maxsize=16)
def figure_pattern(units: tuple[str, ...]) -> re.Pattern[str]:
    """A counted figure with one of `units`: `約3,120件`, `8, 721世帯` (OCR puts a space after the
    thousands comma), `9万人`; not a number inside another (`第40号`, `1.5`)."""
    alts = "|".join(map(re.escape, sorted(units, key=len, reverse=True)))
    return re.compile(
        rf"(?<![\d,.第])(?:約|およそ|概ね)?\s*(\d{{1,3}}(?:,\s?\d{{3}})+|\d+)\s*(万)?\s*({alts})"
    )


def counts_in(text: str, units: tuple[str, ...]) -> list[tuple[int, str]]:
    """Every counted figure of the text, as (value, unit), in order."""
    return [
        (int(re.sub(r"[,\s]", "", m.group(1))) * (10000 if m.group(2) else 1), m.group(3))
        for m in figure_pattern(units).finditer(text)
    ]
