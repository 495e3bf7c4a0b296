"""Text packets' decoding evidence: the plausibility score a candidate decoding is judged by."""

from __future__ import annotations

import pytest

from pipeline.read.text import _plausibility


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("", 1.0),
        ("令和5年度\t審議案件一覧\r\n", 1.0),
        ("①〜⑤ ㈱ ℃ α ×", 1.0),  # enclosed numbers, CJK compatibility, letterlike, Greek, Latin-1
        ("ｱｲｳｴ", 0.0),  # half-width katakana: a CP932 file read as another encoding
        ("뻚뽗令和", 0.5),  # Hangul: Shift_JIS bytes read as EUC-KR-like pairs
        ("\x01abc", 0.75),  # a control character
        ("\ufffd\ufffd\ufffd審議", 0.4),
        ("\ue000a", 0.5),  # private use
        ("~\x7f", 0.5),  # the ASCII block ends at U+007E
        ("\u9fff\ua000", 0.5),  # the edge of the CJK unified ideographs
        ("\U00020000a", 0.5),  # a CJK extension outside the blocks
    ],
)
def test_plausibility_is_the_share_of_characters_in_japanese_text_blocks(text: str, score: float) -> None:
    assert _plausibility(text) == score
