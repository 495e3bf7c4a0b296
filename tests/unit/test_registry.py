"""A document type is a plug-in: a type registered inside a test is recognised by its own rule,
parsed by its own function, and its records come out of `extract_bytes`, no other module changed;
unregistered, it leaves the registry as it found it."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from pipeline import documents
from pipeline.documents import DocumentType, Parsed
from pipeline.documents.deliberation_list.header import header_map
from pipeline.documents.tables import row_cells
from pipeline.extract import extract_bytes
from pipeline.model import LayoutHints
from pipeline.normalise.text import clean, parse_int
from pipeline.rules import RULES_DIR, RuleError
from pipeline.segment import Segment
from schemas import CaseMention, Incident, InstitutionCount

BUILT_IN = [
    "deliberation_list",
    "outsourcing_report",
    "review_status_report",
    "incident_report",
    "council_item",
]


def parse_lost_property(seg: Segment, document_id: str) -> Parsed:
    """A count table of 落とし物の届出 by 実施機関: one InstitutionCount per row."""
    counts = []
    for ln in seg.lines:
        cells = row_cells(ln.text)
        if cells and len(cells) == 2 and (value := parse_int(cells[1])) is not None:
            counts.append(
                InstitutionCount(
                    document_id=document_id,
                    table_name=seg.title or "",
                    institution=clean(cells[0]) or "",
                    metric="届出数",
                    value=value,
                )
            )
    return Parsed({"institution_counts": counts}, [f"{len(counts)} counts read"])


def lost_property_header(cells: list[str]) -> dict[str, int] | None:
    return {"institution": 0, "value": 1} if cells == ["実施機関", "届出数"] else None


LOST_PROPERTY = DocumentType(
    "lost_property_report",
    parse_lost_property,
    ("institution_counts",),
    recognise={"order": 5, "where": "head", "pattern": "落とし物の届出", "title": "落とし物の届出"},
    layout_hints=lambda: LayoutHints(header_map=lost_property_header, sheet_labels=frozenset({"拾得場所"})),
)

# A packet of two documents: the new type's, then a case list the built-in type reads.
PACKET = """報告第7号
令和5年度 新 宿 区 落とし物の届出件数
令和5年6月1日
実施機関\t届出数
区長\t3
教育委員会\t1 2
報告第8号
令和5年度新宿区個人情報保護管理運営会議における審議案件一覧
新宿区個人情報保護管理運営会議で令和5年4月から6月に審議した案件について報告する。
No.\t事業名\t担当課\t区分\t付議日\t審議結果
1\t電子申請に係る外部結合について\t行政管理課、情報システム課\t外部結合\t4月3日\t承認
""".encode()


def test_a_registered_type_is_recognised_parsed_and_extracted() -> None:
    with documents.registered_for(LOST_PROPERTY):
        ex = extract_bytes(PACKET, "toy.txt")
    doc, cases = ex.documents
    assert (doc.doc_type, doc.report_no, doc.municipality, doc.title, doc.fiscal_year) == (
        "lost_property_report",
        7,
        "新宿区",
        "令和5年度新宿区落とし物の届出件数",
        2023,
    )
    assert ex.institution_counts == [
        InstitutionCount(
            document_id=doc.document_id,
            table_name="令和5年度新宿区落とし物の届出件数",
            institution=name,
            metric="届出数",
            value=value,
        )
        for name, value in [("区長", 3), ("教育委員会", 12)]
    ]
    # The case list of one April case in an April–June list is rightly suspect (the checks stage).
    assert ex.notices == [
        "toy.txt document 1 (lost_property_report): 2 counts read",
        "toy.txt document fe0d5e271ca883d2-01 (deliberation_list) is suspect: dates_cover_period "
        "(expected 2023-04..2023-06, found 2023-04..2023-04)",
    ]
    # The built-in type beside it reads its document as ever.
    assert cases.doc_type == "deliberation_list"
    assert [
        (m.seq_no, m.title, m.departments, str(m.deliberated_on), m.result) for m in ex.case_mentions
    ] == [(1, "電子申請に係る外部結合について", ["行政管理課", "情報システム課"], "2023-04-03", "承認")]


def test_unregistered_the_type_is_gone() -> None:
    with documents.registered_for(LOST_PROPERTY):
        assert [k.doc_type for k in documents.registered()] == [*BUILT_IN, "lost_property_report"]
    assert [k.doc_type for k in documents.registered()] == BUILT_IN
    ex = extract_bytes(PACKET, "toy.txt")
    assert [d.doc_type for d in ex.documents] == ["unknown", "deliberation_list"]
    assert ex.institution_counts == []
    assert ex.notices == [
        "toy.txt document 1 (unknown): type not recognised; kept as an unknown document with its text",
        "toy.txt document fe0d5e271ca883d2-01 (deliberation_list) is suspect: dates_cover_period "
        "(expected 2023-04..2023-06, found 2023-04..2023-04)",
    ]


def test_a_type_leaving_on_an_error_leaves_the_registry_as_it_was() -> None:
    with pytest.raises(RuntimeError), documents.registered_for(LOST_PROPERTY):
        raise RuntimeError("a failing test body")
    assert documents.get("lost_property_report") is None


def test_order_decides_between_types_whose_rules_both_match(corpus_text) -> None:
    """A real packet (報告第359号 and 第360号): a type whose rule comes before the built-in incident
    report's claims 第360号, and the review report beside it is untouched."""

    def parse_title_only(seg: Segment, document_id: str) -> Parsed:
        return Parsed(
            {"incidents": [Incident(document_id=document_id, report_no=seg.report_no, title=seg.title)]}
        )

    name, data = corpus_text("003")
    rule = {"where": "head", "pattern": "誤廃棄"}
    early = DocumentType("disposal_notice", parse_title_only, ("incidents",), recognise={**rule, "order": 5})
    late = DocumentType("disposal_notice", parse_title_only, ("incidents",), recognise=rule)
    with documents.registered_for(early):
        ex = extract_bytes(data, name)
    assert [d.doc_type for d in ex.documents] == ["review_status_report", "disposal_notice"]
    assert ex.incidents == [
        Incident(
            document_id=ex.documents[1].document_id,
            report_no=360,
            title="個人情報を含む保存期間中の文書の誤廃棄について",
        )
    ]
    assert len(ex.sensitive_items) == 434
    # Without an order a rule comes after the built-in ones: the incident report keeps its document.
    with documents.registered_for(late):
        ex = extract_bytes(data, name)
    assert [d.doc_type for d in ex.documents] == ["review_status_report", "incident_report"]
    assert ex.incidents[0].events != []


def test_layout_hints_gather_every_types_hints() -> None:
    alone = documents.layout_hints()
    assert alone.header_map is header_map
    with documents.registered_for(LOST_PROPERTY):
        both = documents.layout_hints()
        assert both.sheet_labels == alone.sheet_labels | {"拾得場所"}
        assert both.header_map(["実施機関", "届出数"]) == {"institution": 0, "value": 1}
        assert both.header_map(["No.", "事業名", "担当課", "区分", "付議日"]) == {
            "seq_no": 0,
            "title": 1,
            "departments": 2,
            "categories": 3,
            "deliberated_on": 4,
        }
        assert both.header_map(["区長", "3"]) is None
    assert documents.layout_hints() == alone


def test_recognition_of_the_built_in_types_comes_from_their_rules_files() -> None:
    assert [(r.doc_type, r.where) for r in documents.recognitions()] == [
        ("incident_report", "head"),
        ("deliberation_list", "any"),
        ("outsourcing_report", "any"),
        ("review_status_report", "any"),
        ("council_item", "head"),
    ]


def test_every_rules_file_of_a_document_type_belongs_to_a_registered_type() -> None:
    files = sorted(p.stem for p in (RULES_DIR / "documents").glob("*.toml"))
    assert files == sorted(BUILT_IN)


def test_a_type_may_only_fill_the_lists_it_declares() -> None:
    def stray(seg: Segment, document_id: str) -> Parsed:
        return Parsed(
            {"case_mentions": [CaseMention(mention_id=f"{document_id}:1", document_id=document_id)]}
        )

    kind = DocumentType(
        "lost_property_report", stray, ("institution_counts",), recognise=LOST_PROPERTY.recognise
    )
    with documents.registered_for(kind), pytest.raises(ValueError, match="returned case_mentions records"):
        extract_bytes(PACKET, "toy.txt")


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        (DocumentType("deliberation_list", parse_lost_property, ()), "already taken"),
        (DocumentType("unknown", parse_lost_property, ()), "already taken"),
        (
            DocumentType("lost_property_report", parse_lost_property, ("lost_items",)),
            "lost_items is not a record list of FileExtraction",
        ),
    ],
)
def test_what_cannot_be_registered(kind: DocumentType, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        documents.register(kind)
    assert [k.doc_type for k in documents.registered()] == BUILT_IN


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"where": "head"}, "a `pattern` is required"),
        ({"pattern": "落とし物", "where": "title"}, "where = 'title': must be head or any"),
        ({"pattern": "落とし物", "order": "first"}, "order = 'first': must be an integer"),
        ({"pattern": "落とし物("}, "missing \\)"),
    ],
)
def test_a_malformed_rule_is_named_when_documents_are_segmented(
    rule: dict[str, object], message: str
) -> None:
    kind = DocumentType("lost_property_report", parse_lost_property, (), recognise=rule)
    with documents.registered_for(kind), pytest.raises(RuleError) as err:
        documents.recognitions()
    assert str(err.value).startswith("the rule registered for lost_property_report: ")
    assert re.search(message, str(err.value))


def test_the_warm_up_packet_holds_every_built_in_type() -> None:
    sample = resources.files("pipeline.documents").joinpath("warm_up.txt").read_bytes()
    ex = extract_bytes(sample, "warm-up.txt")
    assert sorted({d.doc_type for d in ex.documents}) == sorted(BUILT_IN)
