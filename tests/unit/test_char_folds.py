"""Look-alike characters folded before parsing (rules/char_folds.toml): the CJK Radicals Supplement,
the glyph variants PDF fonts produce, punctuation; the variants a writer may choose stay as printed.

Radicals and glyph variants are how PDF text layers print 民, 長, 斉, 戸 (issue 15's browser-printed
list: `住⺠`, `戶籍住⺠課`, `一⻫`); the contract keeps 運營 and 經由 as printed.
"""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.normalise.text import (
    _CJK,
    _COMPAT_BLOCKS,
    _SPACE_CJK,
    _SPACED_LETTERS,
    clean,
    clean_multiline,
    fold,
    match_key,
    remove_ocr_spaces,
    strip_html,
)
from pipeline.rules import char_folds


def test_the_whole_radicals_supplement_block_is_folded() -> None:
    """Every assigned character of U+2E80–U+2EFF folds to a unified ideograph (NFKC-stable)."""
    folds = char_folds()
    block = [chr(cp) for cp in range(0x2E80, 0x2F00) if unicodedata.name(chr(cp), "")]
    assert len(block) == 115
    for ch in block:
        target = clean(ch)
        assert target is not None and len(target) == 1, ch
        assert unicodedata.name(target).startswith("CJK UNIFIED IDEOGRAPH"), (ch, target)
    assert {ch for ch in block if ch not in folds} <= {"⺟", "⻳"}  # NFKC maps these two itself


@pytest.mark.parametrize(
    ("printed", "stored"),
    [
        # Radicals a PDF font maps common kanji to (issue 15's browser-printed list).
        ("住⺠", "住民"),
        ("戶籍住⺠課", "戸籍住民課"),
        ("一⻫", "一斉"),
        ("区⻑", "区長"),
        ("⻄新宿", "西新宿"),
        ("⻘少年", "青少年"),
        ("給⻝", "給食"),
        # Kangxi radicals: NFKC repairs them, and the glyph variants NFKC makes of ⼾ ⾭ ⿈ ⿊ fold on.
        ("⼾籍住⺠課", "戸籍住民課"),
        ("⾭少年", "青少年"),
        ("⿈⾊", "黄色"),
        ("⿊板", "黒板"),
        ("⼈事課", "人事課"),
        # Punctuation.
        ("文化‧国際課", "文化・国際課"),
        ("文化･国際課", "文化・国際課"),
        ("文化·国際課", "文化・国際課"),
        ("R5.4.1−R6.3.31", "R5.4.1-R6.3.31"),
        ("令和6年度〜令和9年度", "令和6年度~令和9年度"),
        ("令和6年度∼令和9年度", "令和6年度~令和9年度"),
        # Variants JIS has and a writer may choose stay as printed (the contract's 運營, 經由).
        ("運營", "運營"),
        ("經由", "經由"),
        ("齊藤", "齊藤"),
        ("國", "國"),
    ],
)
def test_lookalikes_fold_before_parsing(printed: str, stored: str) -> None:
    assert clean(printed) == stored


def test_variants_kept_in_the_store_fold_for_matching() -> None:
    assert match_key("運營") == match_key("運営")
    assert match_key("經由") == match_key("経由")


def test_fold_tables_map_to_characters_that_no_table_maps_again() -> None:
    folds = char_folds()
    assert all(v not in folds for v in folds.values())


def test_fold_applies_the_table_wherever_a_folded_character_stands() -> None:
    """`fold` skips the table on a line without any of its characters: every one must still be found."""
    table = {ord(k): v for k, v in char_folds().items() if len(k) == 1}
    for key in char_folds():
        line = f"第1号 {key}課 (R5)"
        assert fold(line) == unicodedata.normalize("NFKC", line).translate(table), key
    assert fold("戸籍住民課 R5.4.1") == "戸籍住民課 R5.4.1"
    assert fold("ＡＢ‧ｃ−１") == "AB・c-1"


@pytest.mark.parametrize(
    ("printed", "read"),
    [
        ("令和 5 年 4 月", "令和5年4月"),
        ("L G W A N システム", "LGWANシステム"),
        ("Microsoft Excel 2019", "Microsoft Excel 2019"),
        ("戸籍住民課\t4月3日", "戸籍住民課4月3日"),
        ("(仮称) 事業", "(仮称)事業"),
        ("AI- OCR の 導入", "AI- OCRの導入"),
        ("a b", "ab"),
        ("No. 3  事業名", "No. 3事業名"),
        ("戸籍住民課", "戸籍住民課"),
    ],
)
def test_ocr_spaces_go_between_japanese_characters_and_stay_between_latin_words(
    printed: str, read: str
) -> None:
    assert remove_ocr_spaces(printed) == read


def test_no_fold_makes_or_takes_away_a_line_break() -> None:
    """`read_text` folds a packet whole and then splits it into lines: the same lines as splitting
    first only while no character folds to or from a line break (or to text holding one)."""
    breaks = set("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")
    for cp in range(0x110000):
        if 0xD800 <= cp < 0xE000:
            continue
        ch = chr(cp)
        folded = fold(ch)
        assert (ch in breaks) == bool(breaks & set(folded)), hex(cp)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("ｶﾞか\u3099゛\u0301e\n\r\u2028\u1100\u1161⺠１ ｱ")))
def test_folding_a_text_whole_gives_its_lines_folded(text: str) -> None:
    assert fold(text).splitlines() == [fold(t) for t in text.splitlines()]


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from("（１①⼀ｶﾞか\u3099゛\u0301e\u00a0\u2026\u3000\u3131㍉﨑Ａ\n"), min_size=200
    )
)
def test_a_long_text_folds_as_nfkc_and_the_folds_table_do(text: str) -> None:
    """`fold` replaces a long text's compatibility characters before NFKC, for speed: the same result."""
    table = {ord(k): v for k, v in char_folds().items() if len(k) == 1}
    assert fold(text) == unicodedata.normalize("NFKC", text).translate(table)


def test_every_compatibility_character_of_a_long_text_folds_as_nfkc_and_the_folds_table_do() -> None:
    table = {ord(k): v for k, v in char_folds().items() if len(k) == 1}
    for start, stop in _COMPAT_BLOCKS:
        # Each character with marks after it: one decomposed alone could still compose with them.
        text = "あ" * 256 + "".join(chr(cp) + "\u3099\u0301あ" for cp in range(start, stop))
        assert fold(text) == unicodedata.normalize("NFKC", text).translate(table), hex(start)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab事業１ 　\t\n\r\u2028<br>&;L G W,.)「")))
def test_a_multiline_text_is_cleaned_as_its_lines_are_one_by_one(text: str) -> None:
    """`clean_multiline` squeezes blanks and removes OCR spaces over the whole text: the same
    paragraphs as cleaning each line alone."""
    expected = []
    for line in strip_html(fold(text)).splitlines():
        para = remove_ocr_spaces(re.sub(r"[ \t]+", " ", line)).strip()
        if para:
            expected.append(para)
    assert clean_multiline(text) == ("\n".join(expected) or None)


@pytest.mark.parametrize(
    ("text", "cleaned"),
    [
        ("事業 内容\n\n  L G W A N を 使う  \n個人 情報", "事業内容\nLGWANを使う\n個人情報"),
        ("Open  data  site\t(注)", "Open data site (注)"),
        ("   \n \t ", None),
    ],
)
def test_multiline_cleaning_keeps_paragraphs(text: str, cleaned: str | None) -> None:
    assert clean_multiline(text) == cleaned


def _ocr_spaces_by_rule(text: str) -> str:
    """The rule of `_SPACE_CJK` in plain code: a run of blanks goes when the character before it is
    CJK and the one after is CJK, a digit, a Latin letter or an opening mark, or when the one before
    is a digit, a Latin letter or a closing mark and the one after is CJK."""

    def cjk(ch: str) -> bool:
        return bool(re.fullmatch(f"[{_CJK}]", ch))

    def ascii_word(ch: str) -> bool:
        return ch.isascii() and ch.isalnum()

    out, i = "", 0
    for m in re.finditer(r"[ \t]+", text):
        before, after = text[m.start() - 1 : m.start()], text[m.end() : m.end() + 1]
        goes = bool(before and after) and (
            (cjk(before) and (cjk(after) or ascii_word(after) or after in "([%,.“”‘’"))
            or ((ascii_word(before) or before in ")]%,.“”‘’") and cjk(after))
        )
        out += text[i : m.start()] + ("" if goes else m.group())
        i = m.end()
    return out + text[i:]


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=st.sampled_from("漢か「。ア（ \t\u3000 a1Z(%.)]“’-\n"), max_size=16))
def test_ocr_spaces_go_by_the_characters_around_each_run(text: str) -> None:
    assert _SPACE_CJK.sub("", text) == _ocr_spaces_by_rule(text)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "か",
                "\u3099",
                "゛",
                "ｶ",
                "ﾞ",
                " ",
                "\t",
                "\n",
                "&amp;",
                "lt;",
                "<br>",
                "L",
                "G",
                "事",
                "１",
                "\u3000",
            ]
        )
    ).map("".join)
)
def test_clean_is_its_own_fixed_point(text: str) -> None:
    """The store needs clean(clean(x)) == clean(x); `clean` stops after one pass when it changed nothing."""
    once = clean(text)
    assert clean(once) == once


def _spaced_letters_by_rule(text: str) -> str:
    """`_SPACED_LETTERS` in plain code: two or more single letters with one space between each,
    no letter before the first or after the last, are written as one word."""

    def letter(k: int) -> bool:
        return 0 <= k < len(text) and text[k].isascii() and text[k].isalpha()

    out, i = "", 0
    while i < len(text):
        k = i
        if letter(i) and not letter(i - 1):
            while text[k + 1 : k + 2] == " " and letter(k + 2):
                k += 2
            if letter(k + 1):  # the last letter begins a word: the run ends one letter before
                k -= 2
        if k > i:
            out, i = out + text[i : k + 1].replace(" ", ""), k + 1
        else:
            out, i = out + text[i], i + 1
    return out


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=st.sampled_from("abZ 1漢-"), max_size=16))
def test_spaced_letters_are_single_letters_between_single_spaces(text: str) -> None:
    assert _SPACED_LETTERS.sub(lambda m: m.group(0).replace(" ", ""), text) == _spaced_letters_by_rule(text)


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from("漢か「。 \t\u3000a b1(%.)"), max_size=8), max_size=5))
def test_ocr_spaces_of_lines_joined_are_removed_as_of_each_line(lines: list[str]) -> None:
    """`segment` removes OCR spaces from a document's lines joined, at one call."""
    assert remove_ocr_spaces("\n".join(lines)) == "\n".join(map(remove_ocr_spaces, lines))
