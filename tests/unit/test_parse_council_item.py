"""council_item (text/004): the one 諮問・報告事項 of the packet, every field checked by eye."""

from __future__ import annotations

import pytest

from pipeline.documents import segments
from pipeline.normalise.departments import canonical
from pipeline.read.text import read_text, split_lines

SUMMARY = "\n".join(
    [
        "1概要",
        "令和元年11月5日から、住民基本台帳法施行令等の関係政省令の改正により、住民票及びマイナンバーカード等に"
        "旧氏の記載を可能とする制度改正が実施されることとなった。",
        "これにより、現在委託している以下の業務において旧氏の情報項目を取り扱う必要が生じたため、"
        "受託事業者処理させる情報項目を追加する。",
        "(資料25-1-1、資料25-1-2及び資料25-2)",
        "(1)住民異動届等入出力処理業務委託...... H22.4.1委託開始(平成21年度第7回本審議会了承事項)",
        "(2)マイナンバーカード交付予約受付等業務委託...... H29.4.3委託開始(平成28年度第8回本審議会了承事項)",
        "2変更日令和元年11月5日",
        "3対象者新宿区の住民基本台帳に記録されている住民(記録される住民を含む) 348,587人(令和元年8月1日現在)",
    ]
)


@pytest.fixture(scope="module")
def parsed(corpus_text):
    from pipeline.documents.council_item import parse_council_item

    name, data = corpus_text("004")
    (seg,) = segments(read_text(data, name).lines)
    assert seg.doc_type == "council_item"
    return parse_council_item(seg, "doc004")


def test_one_item_with_its_sub_items_inside(parsed):
    mentions, notices = parsed
    assert [m.mention_id for m in mentions] == ["doc004:1"]
    assert notices == []


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("document_id", "doc004"),
        ("title", "住民異動届等入出力処理業務等の委託について(情報項目の追加)"),
        ("departments_raw", "地域振興部戸籍住民課"),  # （担当部課：地域振興部戸籍住民課）
        ("categories", ["業務委託"]),  # ◇第14条第1項（業務委託）
        ("program_name", "住民異動届等入出力業務等の委託(情報項目の追加)"),
        ("detail_departments_raw", "戸籍住民課"),
        (
            "purpose",
            "住民票等に旧氏を併記することを可能とする制度改正により、現行の委託業務において旧氏を処理させる必要が"
            "生じるため、委託事業者処理させる情報項目を追加することにより事務の効率化を図る。",
        ),
        ("target", "新宿区の住民基本台帳に記録されている者"),
        ("summary", SUMMARY),
        ("target_count", 348587),
        ("target_count_unit", "人"),
        ("line_start", 5),  # the 件名 row
        ("line_end", 140),  # the last 特記事項 paragraph
        ("seq_no", None),
        ("deliberated_on", None),
        ("warnings", []),
    ],
)
def test_fields(parsed, field, expected):
    (m,), _ = parsed
    assert getattr(m, field) == expected


def test_departments_are_canonical(parsed):
    (m,), _ = parsed
    # The registry holds 戸籍住民課 (bureau 地域振興部); the printed 部+課 resolves to it.
    assert canonical("戸籍住民課", "新宿区") == "戸籍住民課"
    assert m.departments == ["戸籍住民課"]


ITEM = """情報公開・個人情報保護審議会 諮問・報告事項
件名\t{title}
条例の根拠
【諮問】
◇第15条第2項（外部結合）、第14条第1項（業務委託）
（担当部課：総務部総務課）
事業の概要
事業名\t{title}
担当課\t総務課
対象者\t区民 {count}
事業内容\t<p>1 概要</p><p>2 想定件数 {inner}</p>
"""


@pytest.mark.parametrize(
    ("count", "inner", "expected"),
    [
        ("約12,100件", "", (12100, "件")),
        ("", "約3,120件", (3120, "件")),
        ("", "500世帯", (500, "世帯")),
        ("約12,100件", "約12,100件", (12100, "件")),  # the same count stated twice is one count
        ("100人", "200人", (None, None)),  # several counts: none is the count
        ("", "", (None, None)),
    ],
)
def test_target_count(count, inner, expected):
    from pipeline.documents.council_item import parse_council_item

    (seg,) = segments(split_lines(ITEM.format(title="電子申請の導入について", count=count, inner=inner)))
    (m,), _ = parse_council_item(seg, "x")
    assert (m.target_count, m.target_count_unit) == expected


def test_two_items_in_one_document():
    from pipeline.documents.council_item import parse_council_item

    text = ITEM.format(title="一つ目の件", count="", inner="") + ITEM.format(
        title="二つ目の件", count="", inner=""
    )
    (seg,) = segments(split_lines(text))
    mentions, _ = parse_council_item(seg, "x")
    assert [(m.mention_id, m.title, m.categories, m.departments_raw) for m in mentions] == [
        ("x:1", "一つ目の件", ["外部結合", "業務委託"], "総務部総務課"),
        ("x:2", "二つ目の件", ["外部結合", "業務委託"], "総務部総務課"),
    ]
