"""Which municipality a document names first (`segment._municipality`), as a table of lines."""

from __future__ import annotations

import pytest

from pipeline.segment import _municipality


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("新宿区個人情報保護管理運営会議", "新宿区"),
        ("令和5年度 世田谷区情報公開・個人情報保護審議会", "世田谷区"),
        # The first name in the line wins, wherever it is in the vocabulary.
        ("港区と新宿区の共同運用", "港区"),
        ("新宿区と港区の共同運用", "新宿区"),
        # 北区 after 東, 西 or 南 is part of another word; a later 北区 of the line still counts.
        ("台東区北上野の施設", "台東区"),
        ("東北区域の調査", None),
        ("東北区域と北区の調査", "北区"),
        ("北区役所", "北区"),
        # Names of five characters and of two; one at the very start and at the very end.
        ("武蔵村山市", "武蔵村山市"),
        ("所管:八王子市", "八王子市"),
        ("区市町村の事務", None),
        ("", None),
    ],
)
def test_the_first_municipality_named(line: str, expected: str | None) -> None:
    assert _municipality(line) == expected
