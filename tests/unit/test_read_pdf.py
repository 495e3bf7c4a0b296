"""Text-layer PDFs → lines, tables as tab rows, read by the same list parser as converter text.

The corpus PDF is compared with text/001 (the same list, converted by another tool). The generated
PDFs in tests/fixtures/pdf (rebuilt by tests/fixtures/make_pdfs.py) each carry one layout problem;
their expected values are the strings written by the generator, folded, and were checked against
the rendered pages by eye. A table cell printed over several lines keeps a space at each break (the
lines the generator wrote), as text converted from a PDF does: the parser decides what a break means.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import io
from collections import Counter
from pathlib import Path

import pypdfium2 as pdfium
import pytest

import pipeline.read.pdf as read_pdf_module
from pipeline.documents import layout_hints, segments
from pipeline.documents.deliberation_list.rows import ListRow, parse_list
from pipeline.extract import extract_bytes
from pipeline.model import ExtractionError, Source
from pipeline.read import read_bytes
from pipeline.read.pdf import read_pdf as read_pdf_with
from pipeline.read.pdf.chars import page_chars
from pipeline.read.pdf.content_stream import text_shows
from pipeline.read.pdf.fallback import Fallback
from pipeline.read.pdf.geometry import Char, baseline_angle

PDFS = Path(__file__).resolve().parents[1] / "fixtures" / "pdf"
ROOT = PDFS.parents[2]
LIST_FIELDS = ("seq_no", "title", "departments_raw", "categories_raw", "date_raw", "result")


def read_pdf(data: bytes, name: str) -> Source:
    return read_pdf_with(data, name, layout_hints())


def fixture(name: str) -> Source:
    return read_pdf((PDFS / name).read_bytes(), f"raw/{name}")


def list_rows(source: Source) -> list[ListRow]:
    return [row for seg in segments(source.lines) for row in parse_list(seg.lines, seg.municipality)]


def values(row: ListRow) -> tuple[object, ...]:
    return tuple(getattr(row, f) for f in LIST_FIELDS)


@pytest.fixture(scope="module")
def corpus_source(corpus_pdf: Path) -> Source:
    return read_pdf(corpus_pdf.read_bytes(), corpus_pdf.name)


# --------------------------------------------------------------------------- the corpus PDF


def test_corpus_pdf_source(corpus_source: Source, corpus_pdf: Path) -> None:
    assert (corpus_source.source_format, corpus_source.encoding, corpus_source.page_count) == (
        "pdf",
        None,
        32,
    )
    assert corpus_source.source_path == corpus_pdf.name
    assert len(corpus_source.sha256) == 64
    assert [ln.no for ln in corpus_source.lines] == list(range(1, len(corpus_source.lines) + 1))
    pages = [ln.page or 0 for ln in corpus_source.lines]
    assert pages == sorted(pages) and set(pages) == set(range(1, 33))


def test_corpus_pdf_list_equals_text_001(corpus_source: Source, corpus_text) -> None:
    name, data = corpus_text("001")
    from_text = list_rows(read_bytes(data, name, layout_hints()))
    from_pdf = list_rows(corpus_source)
    assert len(from_pdf) == 30
    assert [values(r) for r in from_pdf] == [values(r) for r in from_text]
    assert all(not r.warnings for r in from_pdf)


@pytest.mark.parametrize(
    ("seq_no", "page"),
    [(1, 1), (19, 1), (20, 2), (30, 2)],
)
def test_corpus_pdf_rows_keep_their_page(corpus_source: Source, seq_no: int, page: int) -> None:
    row = next(r for r in list_rows(corpus_source) if r.seq_no == seq_no)
    assert (row.page_start, row.page_end) == (page, page)


@pytest.mark.parametrize(
    ("page", "text"),
    [
        (1, "No.\t事業名\t担当課\t区分\t付議日\t審議結果"),
        (2, "No.\t事業名\t担当課\t区分\t付議日\t審議結果"),
        (3, "東京共同電子申請・届出サービスの利用に係る外部結合等について(手続の追加)(No.1)"),
        (3, "事業名\t行政手続のオンライン化等の推進"),
        (3, "担当課\t行政管理課、情報システム課外10課"),
        (3, "区分\t外部結合、業務委託"),
        (3, "事業内容\t3 対象者数約12,100件"),
        (3, "個人情報の流れ及び情報保護対策\t別紙のとおり"),
        (4, "事業名\tAI-OCRの運用"),
        (4, "事業内容\t"),
        (6, "事業名\t健康保険料及び厚生年金保険料等"),
        (6, "担当課\t人事課"),
    ],
)
def test_corpus_pdf_lines(corpus_source: Source, page: int, text: str) -> None:
    assert text in [ln.text for ln in corpus_source.lines if ln.page == page]


def test_corpus_pdf_every_sheet_page_has_its_tab_rows(corpus_source: Source) -> None:
    for page in range(3, 33):
        texts = [ln.text for ln in corpus_source.lines if ln.page == page]
        assert [t.split("\t")[0] for t in texts if "\t" in t][:3] == ["事業名", "担当課", "区分"], page


def force_pdfminer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every page read by pdfminer, as if PDFium had lost text on it that could not be recovered."""
    monkeypatch.setattr(read_pdf_module, "lost_objects", lambda objs, texts: [0])
    monkeypatch.setattr(read_pdf_module, "recover", lambda *args: None)


def test_pdfminer_fallback_reads_the_same(corpus_pdf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages PDFium cannot decode go to pdfminer's characters: both must make the same lines."""
    data = corpus_pdf.read_bytes()
    fast = read_pdf(data, corpus_pdf.name)
    force_pdfminer(monkeypatch)
    assert read_pdf(data, corpus_pdf.name).lines == fast.lines


# --------------------------------------------------------------------------- generated layouts

EXPECTED_ROWS = {
    # Horizontal rules only, Mincho, full-width digits and 和暦 付議日, ・ between departments,
    # numbers centred in three-line rows, the list over two pages under a repeated header.
    "hrules_list.pdf": [
        (
            1,
            "東京共同電子申請・届出サービスの利用に係る外部結合等について(手続の追加)",
            "行政管理課・情報システム課",
            "外部結合、業務委託",
            "令和5年4月3日",
            "承認",
        ),
        (2, "AI-OCRの導入に係る外部結合について", "区政情報課、総務課", "外部結合", "令和5年4月3日", "承認"),
        (
            3,
            "新宿区立四谷スポーツスクエアにおける指定管理者制度の導入について(情報項目の変更)",
            "生涯学習スポーツ課",
            "指定管理者",
            "令和5年5月31日",
            "承認",
        ),
        (
            4,
            "電子契約サービスの利用に係る外部結合について",
            "契約管財課",
            "外部結合",
            "令和5年6月30日",
            "承認",
        ),
        (
            5,
            "新宿区産後ケア事業(アウトリーチ型)に係る業務の委託について",
            "健康づくり課・牛込保健センター",
            "業務委託",
            "令和6年1月15日",
            "承認",
        ),
    ],
    # No rules at all, Gothic, 番号 / 件名 / 所管課 / 結果 headers, a wrapped header cell.
    "plain_list.pdf": [
        (
            1,
            "区政モニターアンケートに係る封入封緘業務等の委託について",
            "区政情報課",
            "業務委託",
            "R5.4.3",
            "承認",
        ),
        (
            2,
            "Web版“飲みきるミカタ”に係る外部結合",
            "保健予防課、情報システム課",
            "外部結合、業務委託",
            "R5.4.3",
            "承認",
        ),
        (3, "就学相談における心理検査業務の委託", "教育支援課", "業務委託", "R5.5.31", "継続審議"),
    ],
    # The raw-text shape printed line by line: cells told apart only by an empty line's height; the
    # first title wraps over three lines, the second ends its first line in `委託に`.
    "wrapped_list.pdf": [
        (
            1,
            "地方公共団体情報システム標準化に対応した国民健康保険システムへの移行等について(委託内容の変更)",
            "保険年金課",
            "業務委託",
            "12月21日",
            "承認",
        ),
        (2, "子育て応援ギフト事業に係る業務の委託について", "子ども家庭課", "業務委託", "1月15日", "承認"),
        (
            3,
            "東京共同電子申請・届出サービスの利用に係る外部結合等について(手続の追加)",
            "行政管理課、情報システム課",
            "外部結合、業務委託",
            "7月28日",
            "承認",
        ),
    ],
    # A grid of thin filled rectangles and a number column too narrow for two digits.
    "grid_list.pdf": [
        (11, "女性の健康支援事業に係る業務の委託について", "四谷保健センター", "業務委託", "5月31日", "承認"),
        (
            12,
            "建築確認等電子申請システム(東京都運用)との外部結合について",
            "建築指導課",
            "外部結合",
            "5月31日",
            "承認",
        ),
    ],
}


@pytest.mark.parametrize("name", sorted(EXPECTED_ROWS))
def test_generated_list_rows(name: str) -> None:
    rows = list_rows(fixture(name))
    assert [values(r) for r in rows] == EXPECTED_ROWS[name]
    assert all(not r.warnings for r in rows)


@pytest.mark.parametrize(
    ("name", "seq_no", "page"),
    [
        ("hrules_list.pdf", 3, 1),
        ("hrules_list.pdf", 4, 2),
        ("plain_list.pdf", 2, 1),
        ("plain_list.pdf", 3, 2),
    ],
)
def test_rows_of_the_second_page_keep_it(name: str, seq_no: int, page: int) -> None:
    row = next(r for r in list_rows(fixture(name)) if r.seq_no == seq_no)
    assert row.page_start == page


EXPECTED_LINES = {
    # Running header and `- N -` footer gone, the repeated header row kept on page 2; the extra space
    # under the title kept as an empty line.
    "hrules_list.pdf": [
        (1, "令和5年度新宿区個人情報保護管理運営会議における審議案件一覧"),
        (1, ""),
        (1, "令和5年度に審議した案件について、下記のとおり報告する。"),
        (1, "No.\t事業名\t担当課\t区分\t付議日\t審議結果"),
        (
            1,
            "1\t東京共同電子申請・届出サービスの利用 に係る外部結合等について(手続の 追加)\t"
            "行政管理課・情報シス テム課\t外部結合、業務 委託\t令和5年4月3日\t承認",
        ),
        (1, "2\tAI-OCRの導入に係る外部結合について\t区政情報課、総務課\t外部結合\t令和5年4月3日\t承認"),
        (
            1,
            "3\t新宿区立四谷スポーツスクエアにおける 指定管理者制度の導入について(情報 項目の変更)\t"
            "生涯学習スポーツ課\t指定管理者\t令和5年5月31日\t承認",
        ),
        (2, "No.\t事業名\t担当課\t区分\t付議日\t審議結果"),
        (
            2,
            "4\t電子契約サービスの利用に係る外部結合 について\t契約管財課\t外部結合\t令和5年6月30日\t承認",
        ),
        (
            2,
            "5\t新宿区産後ケア事業(アウトリーチ型) に係る業務の委託について\t"
            "健康づくり課・牛込保健 センター\t業務委託\t令和6年1月15日\t承認",
        ),
        (2, "※各事業に係る事項の詳細については、別紙のとおり。"),
    ],
    # Bare page numbers gone; the wrapped header cell 審議 / 結果 joined; the sentence after the
    # table is not taken into its last row.
    "plain_list.pdf": [
        (1, "令和5年度 審議案件一覧(世田谷区)"),
        (1, "番号\t件名\t所管課\t区分\t付議日\t審議結果"),
        (
            1,
            "1\t区政モニターアンケートに係る封入封緘業 務等の委託について\t区政情報課\t業務委託\tR5.4.3\t承認",
        ),
        (
            1,
            "2\tWeb版“飲みきるミカタ”に係る外部結合\t保健予防課、情報システム 課\t外部結合、業務 委託\t"
            "R5.4.3\t承認",
        ),
        (2, "番号\t件名\t所管課\t区分\t付議日\t審議結果"),
        (2, "3\t就学相談における心理検査業務の委託\t教育支援課\t業務委託\tR5.5.31\t継続審議"),
        (2, "以上の案件について、個人情報保護審議会に報告する。"),
    ],
    # Text above and below the table interleaved with its rows; a detail sheet as label\tvalue rows;
    # the page frame with a header band (a one-column 'table') leaves its text as lines.
    "grid_list.pdf": [
        (1, "令和5年度新宿区個人情報保護管理運営会議における審議案件一覧"),
        (1, "1 審議案件及び結果"),
        (1, "No.\t事業名\t担当課\t区分\t付議日\t審議結果"),
        (1, "11\t女性の健康支援事業に係る業務の委託について\t四谷保健センター\t業務委託\t5月31日\t承認"),
        (
            1,
            "12\t建築確認等電子申請システム(東京都運用)との 外部結合について\t建築指導課\t外部結合\t5月31日\t承認",
        ),
        (1, "2 その他"),
        (2, "女性の健康支援事業に係る業務の委託について(No.11)"),
        (2, "項目\t内容"),
        (2, "事業名\t女性の健康支援事業"),
        (2, "担当課\t四谷保健センター"),
        (2, "事業内容\t<p>1 概要</p> <p>女性の健康に関する講座を委託して実施する。</p>"),
    ],
}


# The grid list as landscape pages, read as the portrait twin reads: on page 1, a label printed up the
# right margin (資料2) and a stamp turned 30° (取扱注意) each come out as one line in their place.
TURNED_LINES = [
    (1, "資料2"),
    (1, "令和5年度新宿区個人情報保護管理運営会議における審議案件一覧"),
    (1, "1 審議案件及び結果"),
    (1, "No.\t事業名\t担当課\t区分\t付議日\t審議結果"),
    (1, "11\t女性の健康支援事業に係る業務の委託について\t四谷保健センター\t業務委託\t5月31日\t承認"),
    (
        1,
        "12\t建築確認等電子申請システム(東京都運用)との 外部結合について\t建築指導課\t外部結合\t5月31日\t承認",
    ),
    (
        1,
        "13\t東京共同電子申請・届出サービスの利用に係る 外部結合等について(手続の追加)\t"
        "行政管理課、情報シス テム課\t外部結合、 業務委託\t6月28日\t承認",
    ),
    (1, "取扱注意"),
    (2, "No.\t事業名\t担当課\t区分\t付議日\t審議結果"),
    (2, "14\t子育て応援ギフト事業に係る業務の委託について\t子ども家庭課\t業務委託\t6月28日\t承認"),
    (2, "15\t就学相談における心理検査業務の委託につい て\t教育支援課\t業務委託\t6月28日\t継続審議"),
    (2, "2 その他"),
]
TURNED = ["turned_portrait.pdf", "turned_landscape.pdf", "turned_rotate90.pdf", "turned_rotate270.pdf"]
EXPECTED_LINES.update({name: TURNED_LINES for name in TURNED})

# The grid list, then two detail sheets, ruled or not: without rules the label column is found by
# position and each row becomes the same `label\tvalue` line. Sheet 2 centres its labels beside
# their values (事業名 sits between the two lines of its value); the flow label wraps in its column.
SHEET_LINES = [
    (1, "令和5年度新宿区個人情報保護管理運営会議における審議案件一覧"),
    (1, "No.\t事業名\t担当課\t区分\t付議日\t審議結果"),
    (1, "11\t女性の健康支援事業に係る業務の委託について\t四谷保健センター\t業務委託\t5月31日\t承認"),
    (
        1,
        "12\t建築確認等電子申請システム(東京都運用)との 外部結合について\t建築指導課\t外部結合\t5月31日\t承認",
    ),
    (2, "女性の健康支援事業に係る業務の委託について(No.11)"),
    (2, "事業名\t女性の健康支援事業"),
    (2, "担当課\t四谷保健センター"),
    (2, "区分\t業務委託"),
    (2, "目的\t女性が生涯を通じて健康に過ごせるよう、健康課題に応じた対象者別の講座を実施する。"),
    (2, "対象者\t区内在住の20歳以上の女性"),
    (
        2,
        "事業内容\t<p>1 概要</p> <p>女性の健康に関する講座の運営を事業者に委託して実施する。</p> "
        "<p>2 委託先</p> <p>株式会社ヘルスケアサポート</p> <p>3 対象者数</p> <p>約1,200人</p>",
    ),
    (2, "個人情報の流れ及び情報保護対策\t別紙のとおり"),
    (3, "建築確認等電子申請システム(東京都運用)との外部結合について(No.12)"),
    (3, "事業名\t建築確認等電子申請システム(東京都運用)との外部結合"),
    (3, "担当課\t建築指導課"),
    (3, "区分\t外部結合"),
    (3, "目的\t建築確認等の申請を電子化し、申請者の利便性を高めるとともに、審査事務を効率化する。"),
    (3, "対象者\t建築確認等の申請者及びその代理人"),
    (
        3,
        "事業内容\t<p>1 概要</p> <p>東京都が運用するシステムと外部結合し、申請の受付及び審査を行う。</p> "
        "<p>2 対象件数</p> <p>年間約300件</p>",
    ),
    (3, "個人情報の流れ及び情報保護対策\t別紙のとおり"),
]
EXPECTED_LINES.update({"sheets_ruled.pdf": SHEET_LINES, "sheets_unruled.pdf": SHEET_LINES})


@pytest.mark.parametrize("name", sorted(EXPECTED_LINES))
def test_generated_lines(name: str) -> None:
    source = fixture(name)
    assert [(ln.page, ln.text) for ln in source.lines] == EXPECTED_LINES[name]
    assert [ln.no for ln in source.lines] == list(range(1, len(source.lines) + 1))
    assert source.page_count == EXPECTED_LINES[name][-1][0]


EVERY_PDF = [
    p
    for p in sorted((PDFS.parent).rglob("*.pdf")) + sorted((ROOT.parent / "shared" / "corpus").rglob("*.pdf"))
    if p.name not in ("encrypted.pdf", "scanned.pdf")
]


@pytest.mark.parametrize("path", EVERY_PDF, ids=[p.name for p in EVERY_PDF])
def test_lines_named_by_too_few_columns_are_not_cut_into_cells(path: Path) -> None:
    """The document types' cheap test (`LayoutHints.may_be_header`) turns away lines before they are
    cut into cells every way: the same lines as cutting every line, on every test and corpus PDF."""
    asked: list[bool] = []
    hints = layout_hints()

    def may_be_header(text: str) -> bool:
        asked.append(hints.may_be_header(text))
        return asked[-1]

    data = path.read_bytes()
    tested = read_pdf_with(data, path.name, dataclasses.replace(hints, may_be_header=may_be_header))
    every_way = read_pdf_with(data, path.name, dataclasses.replace(hints, may_be_header=lambda text: True))
    assert tested.lines == every_way.lines
    if path.name.endswith("_list.pdf"):
        assert asked.count(False) > asked.count(True) > 0  # body rows turned away, the header kept


# --------------------------------------------------------------------------- landscape and turned pages


@pytest.mark.parametrize(
    ("name", "rotation", "media", "shown", "angle"),
    [
        # name, /Rotate, media box (w, h), the page a viewer shows (w, h), the direction text runs in
        # on the media box (degrees counter-clockwise): drawn turned so that the viewer shows it upright.
        ("turned_portrait.pdf", 0, (595, 842), (595, 842), 0),
        ("turned_landscape.pdf", 0, (842, 595), (842, 595), 0),
        ("turned_rotate90.pdf", 90, (595, 842), (842, 595), 90),
        ("turned_rotate270.pdf", 270, (595, 842), (842, 595), 270),
    ],
)
def test_turned_fixtures_are_what_they_claim(
    name: str, rotation: int, media: tuple[int, int], shown: tuple[int, int], angle: int
) -> None:
    doc = pdfium.PdfDocument((PDFS / name).read_bytes())
    try:
        for page in doc:
            left, bottom, right, top = page.get_mediabox()
            textpage = page.get_textpage()
            angles = Counter(g.angle for g in page_chars(textpage, page.get_mediabox(), None))
            textpage.close()
            assert (page.get_rotation(), round(right - left), round(top - bottom)) == (rotation, *media)
            assert tuple(round(v) for v in page.get_size()) == shown
            assert angles.most_common(1)[0][0] == angle
    finally:
        doc.close()


@pytest.mark.parametrize("name", TURNED[1:])
def test_landscape_pages_read_as_the_portrait_twin(name: str) -> None:
    assert fixture(name).lines == fixture("turned_portrait.pdf").lines
    rows = list_rows(fixture(name))
    assert [values(r) for r in rows][:2] == EXPECTED_ROWS["grid_list.pdf"]
    assert [(r.seq_no, r.page_start) for r in rows] == [(11, 1), (12, 1), (13, 1), (14, 2), (15, 2)]
    assert all(not r.warnings for r in rows)


@pytest.mark.parametrize(
    ("a", "b", "angle"),
    [
        (1.0, 0.0, 0),
        (0.0, 1.0, 90),
        (-1.0, 0.0, 180),
        (0.0, -1.0, 270),
        (0.999, 0.035, 0),  # 2° of scanner skew is not a turn
        (0.999, -0.035, 0),
        (0.866, 0.5, 30),
        (0.707, -0.707, 315),
        (12.0, 0.0, 0),  # a matrix with the font size in it
    ],
)
def test_text_direction(a: float, b: float, angle: int) -> None:
    assert baseline_angle(a, b) == angle


# --------------------------------------------------------------------------- detail sheets without rules

SHEET_FIELDS = (
    "seq_no",
    "program_name",
    "detail_departments_raw",
    "purpose",
    "target",
    "summary",
    "target_count",
    "target_count_unit",
)
EXPECTED_SHEETS = [
    (
        11,
        "女性の健康支援事業",
        "四谷保健センター",
        "女性が生涯を通じて健康に過ごせるよう、健康課題に応じた対象者別の講座を実施する。",
        "区内在住の20歳以上の女性",
        # Each printed line of the cell is a paragraph of its own (tests/fixtures/make_pdfs.py).
        "1概要\n女性の健康に関する講座の運営を事業者に委託して実施する。\n2委託先\n株式会社ヘルスケアサポート"
        "\n3対象者数\n約1,200人",
        1200,
        "人",
    ),
    (
        12,
        "建築確認等電子申請システム(東京都運用)との外部結合",
        "建築指導課",
        "建築確認等の申請を電子化し、申請者の利便性を高めるとともに、審査事務を効率化する。",
        "建築確認等の申請者及びその代理人",
        # A line wrapped at the cell's edge joins the next one.
        "1概要\n東京都が運用するシステムと外部結合し、申請の受付及び審査を行う。\n2対象件数\n年間約300件",
        300,
        "件",
    ),
]


@pytest.mark.parametrize("name", ["sheets_ruled.pdf", "sheets_unruled.pdf"])
def test_sheets_with_and_without_rules_give_the_same_fields(name: str) -> None:
    out = extract_bytes((PDFS / name).read_bytes(), f"raw/{name}")
    mentions = out.case_mentions
    assert [tuple(getattr(m, f) for f in SHEET_FIELDS) for m in mentions] == EXPECTED_SHEETS
    assert [(m.page_start, m.page_end) for m in mentions] == [(1, 2), (1, 3)]
    assert all(not m.warnings for m in mentions)


def test_fixtures_are_what_the_generator_makes(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("make_pdfs", PDFS.parent / "make_pdfs.py")
    assert spec and spec.loader
    make_pdfs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_pdfs)
    for name in sorted(EXPECTED_LINES.keys() | EXPECTED_ROWS.keys()):
        assert make_pdfs.FIXTURES[name]() == (PDFS / name).read_bytes(), name
        assert (PDFS / name).stat().st_size < 200_000


def test_empty_lines_where_the_page_has_an_empty_lines_height() -> None:
    texts = [ln.text for ln in fixture("wrapped_list.pdf").lines]
    assert texts[texts.index("1") - 1 : texts.index("2") + 1] == [
        "",
        "1",
        "地方公共団体情報システム標準化に対応した",
        "国民健康保険システムへの移行等について(委託",
        "内容の変更)",
        "",
        "保険年金課 業務委託 12月21日 承認",
        "",
        "2",
    ]


# --------------------------------------------------------------------------- text PDFium loses

# reportlab's Japanese fonts are not embedded and use UniJIS-UCS2-H; PDFium reads a one-glyph string
# in them (`１` in a number cell, a wrapped `課`) as empty. These fixtures have some on every page.
GENERATED = ["grid_list.pdf", "hrules_list.pdf", "plain_list.pdf", "sheets_unruled.pdf"]


def pdfminer_pages(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    original = Fallback.chars

    def counting(self: Fallback, index: int) -> list[Char]:
        calls.append(index)
        return original(self, index)

    monkeypatch.setattr(Fallback, "chars", counting)
    return calls


@pytest.mark.parametrize("name", GENERATED)
def test_lost_one_glyph_strings_are_recovered_without_pdfminer(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = (PDFS / name).read_bytes()
    calls = pdfminer_pages(monkeypatch)
    recovered = read_pdf(data, name)
    assert calls == []
    force_pdfminer(monkeypatch)
    assert read_pdf(data, name).lines == recovered.lines
    assert calls == list(range(recovered.page_count or 0))


# PDFium (this build) also holds no text for a TURNED string of CJK glyphs alone in such a font, of any
# length (`資料２` up the margin; every cell of a page drawn turned). Those cannot be recovered for
# certain (spacing), so the page goes to pdfminer, whose characters are turned back by the page's
# /Rotate into the same frame: the lines are the same either way.
@pytest.mark.parametrize(
    ("name", "pages"),
    [
        ("turned_portrait.pdf", [0]),
        ("turned_landscape.pdf", [0]),
        ("turned_rotate90.pdf", [0, 1]),
        ("turned_rotate270.pdf", [0, 1]),
    ],
)
def test_turned_text_pdfium_loses_goes_to_pdfminer(
    name: str, pages: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = (PDFS / name).read_bytes()
    calls = pdfminer_pages(monkeypatch)
    lines = read_pdf(data, name).lines
    assert calls == pages
    force_pdfminer(monkeypatch)
    assert read_pdf(data, name).lines == lines


def turned_page(rotation: int, rows: list[str]) -> bytes:
    """A portrait media box with /Rotate, its text drawn turned to read upright in a viewer. Each row
    mixes Latin and CJK, which PDFium does read when turned: this goes through PDFium's characters."""
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen.canvas import Canvas

    pdfmetrics.registerFont(UnicodeCIDFont("HeiseiKakuGo-W5"))
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=landscape(A4), invariant=1)
    width, height = landscape(A4)
    c.setPageRotation(rotation)
    if rotation == 90:
        c.transform(0, 1, -1, 0, height, 0)
    else:
        c.transform(0, -1, 1, 0, 0, width)
    c.setFont("HeiseiKakuGo-W5", 10)
    for k, row in enumerate(rows):
        for j, cell in enumerate(row.split("\t")):
            c.drawString(40 + 200 * j, height - 60 - 16 * k, cell)
    c.showPage()
    c.save()
    return buf.getvalue()


@pytest.mark.parametrize("rotation", [90, 270])
def test_turned_page_through_pdfium(rotation: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = ["No.1 審議案件一覧", "ID 事業名\tAI-OCRの運用\tR5.4.3 承認"]
    calls = pdfminer_pages(monkeypatch)
    source = read_pdf(turned_page(rotation, rows), "turned.pdf")
    assert calls == []
    assert [ln.text for ln in source.lines] == [r.replace("\t", " ") for r in rows]


@pytest.mark.parametrize("name", GENERATED)
def test_text_objects_that_do_not_pair_up_go_to_pdfminer(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """If the content stream's text operators and PDFium's text objects cannot be matched one to
    one, nothing is guessed: the page goes to pdfminer, with the same result."""
    data = (PDFS / name).read_bytes()
    expected = read_pdf(data, name).lines
    calls = pdfminer_pages(monkeypatch)
    original = Fallback.shows
    monkeypatch.setattr(Fallback, "shows", lambda self, index: (original(self, index) or [])[1:])
    assert read_pdf(data, name).lines == expected
    assert calls


@pytest.mark.parametrize(
    ("content", "unicode_fonts", "expected"),
    [
        # A literal string with octal escapes, under a Unicode CMap font.
        (rb"BT /F2 9 Tf 1 0 0 1 41 702 Tm (\212\262) Tj ET", {"F2"}, [([b"\x8a\xb2"], True, "課")]),
        # Hex strings, TJ arrays with kerning, empty strings making no object.
        (
            rb"BT /F1 9 Tf <0031> Tj [(\000A) -250 <0042> ()] TJ () Tj [] TJ ET",
            {"F1"},
            [
                ([b"\x001"], True, "1"),
                ([b"\x00A", b"\x00B"], True, "AB"),
            ],
        ),
        # Nested parentheses and escapes inside a literal; ' and " show text too.
        (
            rb"BT /F1 9 Tf (a(b)c\)\\) Tj (x) ' 1 2 (y) " + b'" ET',
            set(),
            [
                ([b"a(b)c)\\"], False, None),
                ([b"x"], False, None),
                ([b"y"], False, None),
            ],
        ),
        # q/Q restore the font; text before any Tf makes no object (PDFium skips it too).
        (
            rb"(z) Tj q BT /F2 9 Tf <8AB2> Tj ET Q BT /F1 9 Tf <8AB2> Tj ET",
            {"F2"},
            [
                ([b"\x8a\xb2"], True, "課"),
                ([b"\x8a\xb2"], False, "課"),
            ],
        ),
        # An inline image's binary data is skipped; comments are ignored.
        (
            b"% c (not a string) Tj\nBI /W 1 /H 1 ID \x00(\xff) Tj EI\nBT /F2 9 Tf <FF11> Tj ET",
            {"F2"},
            [
                ([b"\xff\x11"], True, "１"),
            ],
        ),
    ],
    ids=["octal", "hex-and-TJ", "nesting", "font-state", "inline-image"],
)
def test_text_operators_of_a_content_stream(
    content: bytes, unicode_fonts: set[str], expected: list[tuple[list[bytes], bool, str | None]]
) -> None:
    shows = text_shows(content, unicode_fonts)
    assert [(s.strings, s.unicode) for s in shows] == [(strings, uni) for strings, uni, _ in expected]
    assert [s.text() for s in shows if s.unicode] == [t for _, uni, t in expected if uni]


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("name", "kind", "words"),
    [
        ("scanned.pdf", "no_text_layer", "OCR"),
        ("encrypted.pdf", "encrypted", "password"),
    ],
)
def test_error_fixtures(name: str, kind: str, words: str) -> None:
    with pytest.raises(ExtractionError) as err:
        read_bytes((PDFS / name).read_bytes(), f"raw/{name}", layout_hints())
    assert err.value.kind == kind
    assert err.value.message.startswith(f"raw/{name}: ") and words in err.value.message
    assert err.value.message.count(". ") == 0 and err.value.message.endswith(".")


@pytest.mark.parametrize(
    "data",
    [
        (PDFS / "hrules_list.pdf").read_bytes()[:2000],
        b"%PDF-1.7\nthis is not a PDF body",
        b"",
    ],
    ids=["truncated", "garbage", "empty"],
)
def test_unreadable(data: bytes) -> None:
    with pytest.raises(ExtractionError) as err:
        read_pdf(data, "raw/bad.pdf")
    assert err.value.kind == "unreadable"
    assert err.value.message.startswith("raw/bad.pdf: ")


def test_a_page_pdfium_fails_on_is_unreadable(monkeypatch: pytest.MonkeyPatch) -> None:
    """PDFium failing on one page (a damaged page) makes the file unreadable with that page named,
    not an AttributeError: in the package `pdfium` is its own submodule, not pypdfium2."""

    def damaged(*args: object) -> None:
        raise pdfium.PdfiumError("Failed to load page.")

    monkeypatch.setattr(read_pdf_module, "_read_page", damaged)
    with pytest.raises(ExtractionError) as err:
        read_pdf((PDFS / "plain_list.pdf").read_bytes(), "raw/bad.pdf")
    assert err.value.kind == "unreadable"
    assert err.value.message == "raw/bad.pdf: page 1 cannot be read (damaged PDF); export it again."
