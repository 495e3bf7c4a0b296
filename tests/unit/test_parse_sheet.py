"""Detail sheets (別紙) of 審議案件一覧 packets: the real corpus in both text shapes, then synthetic shapes.

Golden values are written as printed in the source (read there by eye) and compared after `clean()`,
so the tests check what the parser extracts, not the details of normalisation.
"""

from __future__ import annotations

import pytest

from pipeline.documents import layout_hints
from pipeline.documents.deliberation_list.sheets import Sheet, parse_sheets
from pipeline.extract import extract_bytes
from pipeline.model import Line
from pipeline.normalise.text import clean, fold
from pipeline.read import read_bytes
from pipeline.read.text import read_text

# --------------------------------------------------------------------------- real corpus


@pytest.fixture(scope="module")
def sheets(corpus_text) -> dict[str, dict[int, Sheet]]:
    out: dict[str, dict[int, Sheet]] = {}
    for prefix in ("001", "002"):
        name, data = corpus_text(prefix)
        found = parse_sheets(read_text(data, name).lines)
        assert all(s.seq_no is not None for s in found)
        out[prefix] = {s.seq_no: s for s in found if s.seq_no is not None}
        out[prefix + "_order"] = {k: s for k, s in enumerate(found, start=1)}
    return out


# (case, 事業名, 担当課) as printed on each sheet of text/001 (tab-separated converter output).
GOLDEN_001 = [
    (1, "行政手続のオンライン化等の推進", "行政管理課、情報システム課外10課"),
    (2, "AI-OCRの運用", "行政管理課、情報システム課"),
    (3, "「広報新宿」個別配達及びコールセンター業務", "区政情報課"),
    (4, "健康保険料及び厚生年金保険料等", "人事課"),
    (5, "新宿区立四谷スポーツスクエアの指定管理", "生涯学習スポーツ課"),
    (6, "地域商業活性化推進事業", "産業振興課"),
    (7, "売上向上実践講座運営委託", "産業振興課"),
    (8, "私立認可保育所・認定こども園の運営費等給付事務", "保育指導課"),
    (9, "ベビーシッター利用支援事業（一時預かり利用支援）", "子ども家庭支援課"),
    (
        10,
        "新宿区産後ケア事業（アウトリーチ型）",
        "健康づくり課、牛込保健センター・四谷保健センター・東新宿保健センター・落合保健センター",
    ),
    (11, "女性の健康支援事業業務委託", "四谷保健センター"),
    (12, "建築確認等電子申請システム", "建築指導課"),
    (13, "部活動運営支援事業", "教育支援課"),
    (14, "子ども読書活動の推進", "中央図書館"),
    (15, "行政手続のオンライン化等の推進", "行政管理課、情報システム課、四谷保健センター"),
    (16, "区政モニターアンケート業務委託", "区政情報課"),
    (17, "ふるさと納税ポータルサイトサービスの導入について", "総務課"),
    (18, "新宿区物価高騰対策臨時給付金給付事業", "総務課"),
    (19, "契約業務", "契約管財課"),
    (20, "給与からの住民税特別徴収にかかる税額通知書の電子的送付", "税務課"),
    (21, "区民保養所等受付業務委託", "生涯学習スポーツ課"),
    (22, "地場産業の魅力発信", "産業振興課"),
    (23, "女性デジタル人材育成支援事業", "消費生活就労支援課"),
    (24, "医療扶助におけるオンライン資格確認導入", "生活福祉課、保護担当課、情報システム課"),
    (25, "Web 版 “飲みきるミカタ” を利用した結核患者服薬治療支援について", "保健予防課"),
    (26, "自転車用ヘルメット購入費助成事業", "交通対策課"),
    (27, "就学相談における心理検査業務", "教育支援課"),
    (28, "新宿区多子世帯への学校給食費助成事業", "学校運営課"),
    (29, "地方税の手続きにおける電子申告等及び電子納付の拡大", "税務課"),
    (30, "福祉サービス第三者評価委託", "保育指導課"),
]

# The same for text/002 part A (raw PDF text): wrapped values rejoined as they read.
GOLDEN_002 = [
    (1, "行政手続のオンライン化等の推進", "行政管理課、情報システム課外4課"),
    (2, "広報新宿個別配達のLINEを活用した電子申請に係るシステムの構築等", "区政情報課"),
    (3, "地方公共団体情報システム標準化に対応した住民記録及び印鑑登録システムへの移行", "戸籍住民課"),
    (4, "地方公共団体情報システム標準化に対応した国民年金システムの移行", "医療保険年金課"),
    (5, "新宿区要保護児童対策地域協議会における児童虐待に関する情報の警視庁への提供", "子ども家庭支援課"),
    (6, "次期国保情報集約システム（クラウド移行後のシステム）との外部結合等", "医療保険年金課"),
    (7, "行政手続のオンライン化等の推進", "行政管理課、情報システム課外4課"),
    (8, "ふるさと納税管理業務", "総務課"),
    (9, "新宿区物価高騰対策臨時給付金給付事業", "総務課"),
    (10, "税務システムの再整備", "税務課"),
    (
        11,
        "地方公共団体情報システム標準化に対応した国保標準システムのガバメントクラウドへの移行",
        "医療保険年金課",
    ),
    (12, "地方公共団体情報システム標準化に対応した住民記録及び印鑑登録システムへの移行", "戸籍住民課"),
    (13, "地方公共団体情報システム標準化に対応した国民年金システムへの移行", "医療保険年金課"),
    (14, "地方公共団体情報システム標準化に対応した国保標準システムへの移行等", "医療保険年金課"),
    (
        15,
        "地方公共団体情報システム標準化に対応した保健情報システム（事務名：予防接種）への移行"
        "（特定個人情報保護評価の報告）",
        "保健予防課",
    ),
    (16, "行政手続のオンライン化等の推進", "行政管理課、情報システム課、子ども家庭支援課"),
    (17, "税務システムの再整備", "税務課"),
    (18, "新宿区立公園における防犯カメラの設置及び運用", "危機管理課"),
    (19, "医療扶助におけるオンライン資格確認導入", "生活福祉課、保護担当課、情報システム課"),
    (20, "マンションの適正な維持管理及び再生への支援", "住宅課"),
    (
        21,
        "児童・生徒の健全育成に関する警察と新宿区立学校との相互連絡制度の協定に基づく外部提供について",
        "教育指導課",
    ),
    (22, "新宿区立幼稚園入園申請のオンライン化の推進", "学校運営課"),
    (23, "心臓検診", "学校運営課"),
    (24, "区立幼稚園・区立学校一斉連絡事業", "学校運営課"),
    (25, "ふるさと納税管理事務", "総務課"),
]


@pytest.mark.parametrize(("prefix", "count"), [("001", 30), ("002", 25)])
def test_every_sheet_found_in_order(sheets, prefix: str, count: int) -> None:
    ordered = sheets[prefix + "_order"]
    assert [s.seq_no for s in ordered.values()] == list(range(1, count + 1))
    assert all(not s.warnings for s in ordered.values())


@pytest.mark.parametrize(
    ("prefix", "seq", "program", "departments"),
    [("001", *g) for g in GOLDEN_001] + [("002", *g) for g in GOLDEN_002],
)
def test_program_and_departments(sheets, prefix: str, seq: int, program: str, departments: str) -> None:
    sheet = sheets[prefix][seq]
    assert sheet.program_name == clean(program)
    assert sheet.detail_departments_raw == clean(departments)


# (file, case, 区分, 目的, 対象者, target_count, unit), read in the source.
SAMPLE = [
    (
        "001",
        1,
        "外部結合、業務委託",
        "申請者が窓口に来庁することなく、24時間申請手続を可能とするため、行政手続のオンライン化を推進し、"
        "区民の利便性の向上を図るため。",
        "手続の申請者",
        12100,
        "件",
    ),
    # 3 対象者数: 講演会参加予定者 約150人 / 実践講座参加予定者 約60人: two figures, no single count.
    ("001", 7, "業務委託", "区内における中小企業や店舗等の売上向上を図るため", "区内中小企業者", None, None),
    (
        "001",
        16,
        "業務委託",
        "区民から広く意見を聴取し、区政への区民参加を推進するため",
        "無作為抽出した、区内在住の18歳以上の方(日本人4,800名、外国人300名)",
        5100,
        "人",
    ),
    (
        "001",
        22,
        "業務委託",
        "区が主催する行事において、染色業及び印刷・製本関連業の魅力を発信することにより、地場産業に対する"
        "区民及び来街者の認知度を向上し、地場産業団体の振興を図る。",
        "当該年度に二十歳になる区民",
        10,
        "人",
    ),
    (
        "001",
        25,
        "外部結合",
        "Web 版 “飲みきるミカタ” を利用することで、結核服薬治療中の患者への支援体制を強化するとともに"
        "患者の利便性向上を図り、確実に結核を治癒させる。",
        "結核及び潜在性結核感染症の服薬治療中の患者",
        15,
        "人",
    ),
    (
        "001",
        28,
        "業務委託",
        "多子世帯の区立小・中学生の学校給食費を助成することにより、多子世帯の経済的負担を軽減する。",
        "新宿区に住民登録があり、区立小・中学校及び特別支援学校に在籍している第2子以降の児童・生徒",
        3200,
        "人",
    ),
    # 保育園3園、子ども園3園 在園児保護者 約800名: the 園 figures describe the targets, 800名 counts them.
    (
        "001",
        30,
        "業務委託",
        "福祉サービス第三者評価における、利用者アンケートを紙及び Web アンケート形式でも可とするため。",
        "第三者評価受審園（保育園3園・子ども園3園）在園児保護者",
        800,
        "名",
    ),
    (
        "002",
        1,
        "外部結合、業務委託",
        "申請者が窓口に来庁することなく、24時間申請手続を可能とするため、行政手続のオンライン化を推進し、"
        "区民の利便性の向上を図るため。",
        "手続の申請者",
        3120,
        "件",
    ),
    (
        "002",
        6,
        "外部結合、業務委託",
        "国民健康保険事務の安定運用の継続",
        "新宿区国民健康保険の被保険者(元被保険者を含む)及びその世帯員",
        90000,
        "人",
    ),
    # 3 対象者数: (1) 67,852件 (2) 54,974件 (3) 合計 122,826件: several figures.
    (
        "002",
        9,
        "電算処理(特定個人情報保護評価の報告)",
        "電力・ガスをはじめとしたエネルギー・食料品価格等の物価高騰の影響による負担増を踏まえ、給付金を支給する"
        "ことにより、物価高騰の家計への影響が大きい世帯の生活を支援する。",
        None,
        None,
        None,
    ),
    (
        "002",
        10,
        "電算処理、業務委託",
        "「地方公共団体情報システムの標準化に関する法律」(令和3年法律第40号)(以下、「標準化法」という。)に"
        "基づき、令和7年度末までに標準化基準(標準仕様書)に適合した情報システム(以下、「標準準拠システム」"
        "という。)への移行が求められている。将来的なシステムの移行を見据え、移行するまでの間は、既存の税務"
        "システムをシステムベンダが提供するパッケージシステムに再整備し、区民サービスの質を下げることなく現行の"
        "業務を行うため。",
        "住民登録のある者及び住民登録外登録者(転出者、住民登録外課税者、特別徴収義務者、納税管理人等)",
        350000,
        "人",
    ),
    # 被保険者 64,744名 / 免除者 25,109名 / 受給権者 62,837名.
    ("002", 13, "電算処理(特定個人情報保護評価の報告)", None, None, None, None),
    # 85,200人(被保険者数), then a ※ note about 10万人以上 of stored data: a note, not a second count.
    ("002", 14, "電算処理(特定個人情報保護評価の報告)", None, None, 85200, "人"),
    ("002", 15, "電算処理(特定個人情報保護評価の報告)", None, "新宿区民", 350000, "人"),
    (
        "002",
        18,
        "防犯カメラ",
        "新宿区立大久保公園の外周に防犯カメラを設置し、公園利用者の安全確保を図るとともに、犯罪の発生を抑止する"
        "ことを目的とする。",
        "大久保公園に設置する防犯カメラが撮影する範囲に映る者",
        None,
        None,
    ),
    ("002", 20, "外部結合", None, "管理計画認定申請者", 5, "件"),
    ("002", 23, "外部提供", "心臓検診のデータを使った学術研究", None, 2500, "人"),
    ("002", 24, "外部結合、業務委託", None, None, 20000, "件"),
]


@pytest.mark.parametrize(("prefix", "seq", "categories", "purpose", "target", "count", "unit"), SAMPLE)
def test_sample_fields(
    sheets,
    prefix: str,
    seq: int,
    categories: str,
    purpose: str | None,
    target: str | None,
    count: int | None,
    unit: str | None,
) -> None:
    sheet = sheets[prefix][seq]
    assert sheet.categories_raw == clean(categories)
    if purpose is not None:
        assert sheet.purpose == clean(purpose)
    if target is not None:
        assert sheet.target == clean(target)
    assert (sheet.target_count, sheet.target_count_unit) == (count, unit)


@pytest.mark.parametrize(
    ("prefix", "seq", "line_start", "line_end"),
    [
        ("001", 1, 51, 59),  # title … the flow row `個人情報の流れ及び情報保護対策<TAB>別紙のとおり`
        ("001", 5, 120, 129),  # a title wrapped before its marker `(No.5)` on the next line
        # … to the wrapped flow label and its `別紙のとおり`; the page number `1` after it is not included
        ("002", 1, 509, 578),
        ("002", 3, 900, 1009),  # a title wrapped over a blank line: `…移行等に` / `ついて(No3)`
        ("002", 9, 2138, 2211),  # no flow row: the sheet runs to the next title
    ],
)
def test_line_span(sheets, prefix: str, seq: int, line_start: int, line_end: int) -> None:
    sheet = sheets[prefix][seq]
    assert (sheet.line_start, sheet.line_end) == (line_start, line_end)
    assert sheet.page_start is None and sheet.page_end is None


def test_summary_is_clean_text(sheets) -> None:
    s001, s002 = sheets["001"][1].summary, sheets["002"][1].summary
    assert s001 is not None and s002 is not None
    for s in (s001, s002):
        assert "<" not in s and "別紙のとおり" not in s and "個人情報の流れ" not in s
        assert s.splitlines()[0] == "1概要"
        assert s.splitlines()[-2:] == ["3対象者", "約12,100件" if s is s001 else "約3,120件"]
    # The raw shape's wrapped lines are rejoined into the paragraph they came from.
    assert (
        "区では、平成16年度から東京都及び都内区市町村で構成される東京電子自治体共同運営協議会"
        "(東京電子自治体共同運営センター)が提供する" in s002
    )
    # The diagram after a sheet (`東京共同電子申請・届出サービスに係る個人情報の流れ` …) is in no field.
    assert "特定相手以外の通信不可" not in s002


def test_a_line_padded_with_spaces_is_not_taken_for_a_wrapped_one(sheets) -> None:
    # 002 sheet 4 prints its counts one per line, the figures aligned with runs of spaces
    # (`受給権者         ６２，８３７名…`): the spaces do not make the line as long as a wrapped one.
    summary = sheets["002"][4].summary
    assert summary is not None
    assert summary.splitlines()[-1] == "受給権者62,837名(令和5年3月末現在)"
    # Known limit: the 被保険者 line before it is as long as a wrapped line, so 免除者 is joined to it.


def test_heading_of_wrapped_title(sheets) -> None:
    assert sheets["002"][9].heading == clean(
        "新宿区物価高騰対策臨時給付金給付事業に係るシステム改修について(特定個人情報保護評価の報告)"
    )
    assert sheets["001"][10].heading == clean(
        "新宿区産後ケア事業（アウトリーチ型）に係る業務の委託について（委託内容の追加）"
    )


# --------------------------------------------------------------------------- synthetic shapes


def lines_of(text: str, page: int | None = None) -> list[Line]:
    return [Line(i, fold(t), page) for i, t in enumerate(text.split("\n"), start=1)]


SHEET_BODY = (
    "\n事業名\t見本事業\n担当課\t見本課\n区分\t業務委託\n個人情報の流れ及び情報保護対策\t別紙のとおり\n"
)


@pytest.mark.parametrize(
    ("title", "seq_no", "heading"),
    [
        ("見本事業の委託について（No.1）", 1, "見本事業の委託について"),
        ("見本事業の委託について (No.1 1)", 11, "見本事業の委託について"),
        ("見本事業の委託について(No. 1 5)", 15, "見本事業の委託について"),
        ("見本事業の委託について（№１２）", 12, "見本事業の委託について"),
        ("見本事業の委託について（Ｎｏ．７）", 7, "見本事業の委託について"),
        ("見本事業の委託について(NO.3)", 3, "見本事業の委託について"),
        ("<b>見本事業の委託について（No.4）</b>", 4, "見本事業の委託について"),
        # A title wrapped before its marker, with or without a blank line between.
        ("区立施設における見本事業の委託について（委託内容の追加）  \n (No. 10)", 10, None),
        ("区立施設における見本事業の委託について（委託内容の\n\n追加）(No6)", 6, None),
    ],
)
def test_marker_forms(title: str, seq_no: int, heading: str | None) -> None:
    [sheet] = parse_sheets(lines_of(title + "\n" + SHEET_BODY))
    assert sheet.seq_no == seq_no
    expected = heading or clean(title.replace("(No. 10)", "").replace("(No6)", ""))
    assert sheet.heading == expected
    assert (sheet.program_name, sheet.detail_departments_raw, sheet.categories_raw) == (
        "見本事業",
        "見本課",
        "業務委託",
    )
    assert sheet.line_start == 1
    assert not sheet.warnings


def test_marker_without_number_is_kept_with_a_warning() -> None:
    text = "見本事業について（No.1）\n" + SHEET_BODY + "\n別の事業について（No.）\n" + SHEET_BODY
    first, second = parse_sheets(lines_of(text))
    assert (first.seq_no, second.seq_no) == (1, None)
    assert second.program_name == "見本事業"
    assert second.warnings == ["seq_no: (No.): the sheet's marker has no case number"]


def test_a_marker_with_no_rows_is_still_a_sheet() -> None:
    [sheet] = parse_sheets(lines_of("見本事業について(No.2)\n\n本文だけがある。"))
    assert sheet.seq_no == 2 and sheet.program_name is None
    assert sheet.warnings and sheet.warnings[0].startswith("sheet: (No.2):")


def test_case_list_before_the_sheets_is_ignored() -> None:
    text = (
        "No.\t事業名\t担当課\t区分\t付議日\t審議結果\n"
        "1\t見本事業について\t見本課\t業務委託\t4月3日\t承認\n"
        "※各事業に係る事項の詳細については、別紙のとおり。\n\n"
        "見本事業について（No.1）\n" + SHEET_BODY
    )
    [sheet] = parse_sheets(lines_of(text))
    assert sheet.seq_no == 1 and sheet.line_start == 5


RAW_SHEET = """\
 見本事業のシステム改修について(No3)



事業名 見本事業の
システム改修

担当課 見本課、情
報システム課外2課

区 分 電算処理、外部結合

目 的
区民の利便性の向上を図るた

め。

対 象 者 区民

事業内容

1 概要
区では、見本事業を実施している。この事業は長く続いており、多くの区民
が利用している。今回、システムを改修し、さらなる利便性の向上を図る。12
12
この度、新たに手続を追加する。
2 業務委託の付議内容
(1)システム改修
3 対象者数
約3,120件

個人情報の

流れ及び情

報保護対策

別紙のとおり
2
見本事業に係る個人情報の流れ
・特定相手以外の通信不可
"""


def test_raw_shape_with_page_numbers() -> None:
    [sheet] = parse_sheets(lines_of(RAW_SHEET, page=4))
    assert sheet.seq_no == 3
    assert sheet.program_name == "見本事業のシステム改修"
    assert sheet.detail_departments_raw == "見本課、情報システム課外2課"
    assert sheet.categories_raw == "電算処理、外部結合"
    assert sheet.purpose == "区民の利便性の向上を図るため。"
    assert sheet.target == "区民"
    assert sheet.summary == (
        "1概要\n"
        "区では、見本事業を実施している。この事業は長く続いており、多くの区民が利用している。"
        "今回、システムを改修し、さらなる利便性の向上を図る。\n"
        "この度、新たに手続を追加する。\n"
        "2業務委託の付議内容\n"
        "(1)システム改修\n"
        "3対象者数\n"
        "約3,120件"
    )
    assert (sheet.target_count, sheet.target_count_unit) == (3120, "件")
    assert (sheet.line_start, sheet.line_end) == (1, 38)
    assert (sheet.page_start, sheet.page_end) == (4, 4)


def test_unknown_label_before_an_annex_value_closes_the_sheet() -> None:
    text = RAW_SHEET.replace("個人情報の\n\n流れ及び情\n\n報保護対策", "添付資\n\n料一覧")
    [sheet] = parse_sheets(lines_of(text))
    assert sheet.summary is not None and sheet.summary.endswith("3対象者数\n約3,120件")
    assert "添付" not in sheet.summary and "特定相手" not in sheet.summary


def test_pdf_text_shape_with_a_label_cut_by_its_column() -> None:
    pages = [
        "見本事業の委託について（No.1）\n事業名 見本事業\n担当課 見本課\n区分 業務委託\n"
        "事業内容 3 対象者数\n約12,100件\n個人情報の流れ及 別紙のとおり\nび情報保護対策",
        "別の事業について（No.2）\n事業名 別の事業\n担当課 別の課\n区分 外部結合\n事業内容\n"
        "個人情報の流れ及 別紙のとおり\nび情報保護対策",
    ]
    lines: list[Line] = []
    for page, text in enumerate(pages, start=3):
        for t in text.split("\n"):
            lines.append(Line(len(lines) + 1, fold(t), page))
    first, second = parse_sheets(lines)
    assert (first.program_name, first.target_count, first.target_count_unit) == ("見本事業", 12100, "件")
    assert (first.page_start, first.page_end, first.line_end) == (3, 3, 8)
    assert (second.program_name, second.summary, second.target_count) == ("別の事業", None, None)
    assert (second.page_start, second.page_end) == (4, 4)


def test_converter_rows_continued_and_repeated() -> None:
    text = (
        "見本事業について (No.18)\n\n"
        "<b>事業名</b>\t見本事業\n"
        "<b>区 分</b>\t電算処理\n"
        "事業内容\t<p>1 概要          区では見本事業を行う。</p> <p>3 予定世帯数</p>"
        "<table><tr><td>対象世帯数</td><td>約69,000世帯</td></tr></table>\t対象世帯数\t約69,000世帯\n"
        "\n"
        "\t<p>続きの段落である。</p>\n"
        "対象世帯数\t約69,000世帯\t\t\n"
        "<p>個人情報の流れ及び情報保護対策</p>\t<p>別紙のとおり</p>\n"
        "# 見本事業に係る個人情報の流れ\n"
        "区民\n"
    )
    [sheet] = parse_sheets(lines_of(text))
    assert sheet.categories_raw == "電算処理"
    assert (
        sheet.summary
        == "1概要\n区では見本事業を行う。\n3予定世帯数\n対象世帯数約69,000世帯\n続きの段落である。"
    )
    assert (sheet.target_count, sheet.target_count_unit) == (69000, "世帯")
    assert sheet.line_end == 9


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        ("1 概要\n区では事業を行う。\n3 対象者\n約3,120件", (3120, "件")),
        ("3 対象者数\n約9万人(令和5年6月1日現在)", (90000, "人")),
        ("3 想定件数 30件", (30, "件")),
        ("3 部活動数\n30件", (30, "件")),
        ("3 対象者数(区に申請を行うことが想定される年間件数)\n5件", (5, "件")),
        ("3 対象者数\n講演会参加予定者:約150人\n実践講座参加予定者:約60人", (None, None)),
        ("3 生活保護受給世帯数\n受給世帯数 8, 721世帯\n受給人員 9, 746人", (None, None)),
        ("3 対象者数\n85,200人\n※管理している全データは10万人以上", (85200, "人")),
        ("3 対象者人数(想定)\n保育園3園、子ども園3園 在園児保護者 約800名", (800, "名")),
        ("3 設置予定日\n令和5年11月27日", (None, None)),
        ("3 対象者数\n① 区内在住の利用者 約1,200人\n4 その他\n2,000件", (1200, "人")),
        ("1 概要\n対象者は約3,000人である。", (None, None)),
    ],
)
def test_target_count(summary: str, expected: tuple[int | None, str | None]) -> None:
    text = (
        "見本事業について(No.1)\n事業名 見本事業\n事業内容\n"
        + summary
        + "\n個人情報の流れ及び情報保護対策 別紙のとおり"
    )
    [sheet] = parse_sheets(lines_of(text))
    assert (sheet.target_count, sheet.target_count_unit) == expected


def test_page_number_glued_to_the_last_line_before_the_next_sheet() -> None:
    text = (
        "見本事業の評価について(No.9)\n事業名 見本事業\n事業内容\n1 概要\n"
        "根拠法令の修正、その他文言の軽微な修正等32\n\n\n"
        "別の事業について(No.10)\n事業名 別の事業\n"
    )
    first, second = parse_sheets(lines_of(text))
    assert first.summary == "1概要\n根拠法令の修正、その他文言の軽微な修正等"
    assert (first.line_end, second.line_start, second.program_name) == (5, 8, "別の事業")


# (case, page, target_count, unit) read on the pages of pdf/001: one short sheet per page from page 3.
PDF_SAMPLE = [
    (1, 3, 12100, "件"),
    (2, 4, None, None),
    (4, 6, 971, "人"),
    (25, 27, 15, "人"),
    (30, 32, 800, "人"),
]


def test_pdf_sheets_through_the_pdf_reader(corpus_pdf) -> None:
    found = parse_sheets(read_bytes(corpus_pdf.read_bytes(), corpus_pdf.name, layout_hints()).lines)
    assert [s.seq_no for s in found] == list(range(1, 31))
    by_seq = {s.seq_no: s for s in found}
    for seq, program, departments in GOLDEN_001:
        # The PDF prints `Web版“飲みきるミカタ”を…` where the text has spaces around the quotes.
        assert (by_seq[seq].program_name or "").replace(" ", "") == (clean(program) or "").replace(" ", "")
        assert by_seq[seq].detail_departments_raw == clean(departments)
    for seq, page, count, unit in PDF_SAMPLE:
        sheet = by_seq[seq]
        assert (sheet.page_start, sheet.page_end) == (page, page)
        assert (sheet.target_count, sheet.target_count_unit) == (count, unit)


# --------------------------------------------------------------------------- numbering before the title

# (what is printed above the rows → case number, heading, first line of the sheet). The sheet's rows
# (SHEET_BODY) follow on the next line.
LEADING_FORMS = [
    ("【別紙1】見本事業の委託について", 1, "見本事業の委託について", 1),
    ("【別紙１２】見本事業の委託について", 12, "見本事業の委託について", 1),
    ("【 別 紙 1 2 】 見本事業の委託について", 12, "見本事業の委託について", 1),
    ("[別紙3] 見本事業の委託について", 3, "見本事業の委託について", 1),
    ("別紙1 見本事業の委託について", 1, "見本事業の委託について", 1),
    ("別紙 ７\n見本事業の委託について", 7, "見本事業の委託について", 1),
    # A title wrapped under its number.
    ("別紙7\n区立施設における見本事業の委託について(委託内容の\n追加)", 7, None, 1),
    ("案件3　見本事業の委託について", 3, "見本事業の委託について", 1),
    ("案 件 1 5 見本事業の委託について", 15, "見本事業の委託について", 1),
    ("No.4\n見本事業の委託について", 4, "見本事業の委託について", 1),
    ("№４\n\n見本事業の委託について", 4, "見本事業の委託について", 1),
    ("Ｎｏ．２ ３\n見本事業の委託について", 23, "見本事業の委託について", 1),
    # The number on its own line under the title (the title's first line is the sheet's first).
    ("見本事業の委託について\nNo.4", 4, "見本事業の委託について", 1),
    ("区立施設における見本事業の委託について(委託内容の\n追加)\n別紙4", 4, None, 1),
    # An end marker cut by the line width.
    ("区立施設における見本事業の委託について(委託内容の追加)(No.\n6)", 6, None, 1),
    ("見本事業の委託について(No.1\n2)", 12, "見本事業の委託について", 1),
]


@pytest.mark.parametrize(("title", "seq_no", "heading", "line_start"), LEADING_FORMS)
def test_numbering_forms(title: str, seq_no: int, heading: str | None, line_start: int) -> None:
    [sheet] = parse_sheets(lines_of(title + "\n" + SHEET_BODY))
    assert sheet.seq_no == seq_no
    expected = heading or clean(
        "区立施設における見本事業の委託について(委託内容の追加)"
        if "追加" in title
        else title.replace("\n", "")
    )
    assert sheet.heading == expected
    assert (sheet.program_name, sheet.detail_departments_raw, sheet.categories_raw) == (
        "見本事業",
        "見本課",
        "業務委託",
    )
    assert sheet.line_start == line_start
    assert not sheet.warnings


def test_leading_numbers_back_to_back() -> None:
    text = (
        "別紙1\n見本事業について"
        + SHEET_BODY
        + "別紙2\n別の事業について"
        + SHEET_BODY.replace("見本", "別の")
    )
    first, second = parse_sheets(lines_of(text))
    assert (first.seq_no, first.heading, first.program_name) == (1, "見本事業について", "見本事業")
    assert (second.seq_no, second.heading, second.program_name) == (2, "別の事業について", "別の事業")
    assert (first.line_end, second.line_start) == (6, 7)


@pytest.mark.parametrize("number", ["別紙 ３", "No.3", "【別紙３】", "案件 ３"])
def test_leading_number_in_the_raw_text_shape(number: str) -> None:
    # The raw shape (wrapped cells, blank lines, page numbers) with its number above the title.
    text = RAW_SHEET.replace(
        " 見本事業のシステム改修について(No3)", number + "\n 見本事業のシステム改修について"
    )
    [sheet] = parse_sheets(lines_of(text, page=4))
    [expected] = parse_sheets(lines_of(RAW_SHEET, page=4))
    assert (sheet.seq_no, sheet.heading) == (3, "見本事業のシステム改修について")
    fields = ("program_name", "detail_departments_raw", "categories_raw", "purpose", "target", "summary")
    assert [getattr(sheet, f) for f in fields] == [getattr(expected, f) for f in fields]
    assert (sheet.line_start, sheet.line_end) == (1, 39)


# Numbers that are no sheet's: what each text yields (case numbers of the sheets found).
NOT_A_SHEET_NUMBER = [
    # A case list whose rows are numbered `No.N` (tabbed, or each cell wrapped on its own line).
    (
        "No.\t事業名\t担当課\nNo.1\t見本事業について\t見本課\nNo.2\t別の事業について\t別の課\n"
        "見本事業について(No.1)" + SHEET_BODY,
        [1],
    ),
    (
        "No.1\n見本事業について\n見本課\n業務委託\n4月3日\n承認\nNo.2\n別の事業について\n別の課\n"
        "※各事業に係る事項の詳細については、別紙のとおり。\n\n【別紙2】別の事業について" + SHEET_BODY,
        [2],
    ),
    (
        "No.1 見本事業について 見本課 業務委託 承認\nNo.2 別の事業について 別の課 外部結合 承認\n"
        "【別紙1】見本事業について" + SHEET_BODY,
        [1],
    ),
    # A page number above a title, and paragraphs of 事業内容 numbered inside the sheet.
    ("- 3 -\n案件1 見本事業について" + SHEET_BODY, [1]),
    (
        "案件1 見本事業について\n事業名 見本事業\n事業内容\n1 対象者\n区民\n2 概要\n別紙2 参照\n"
        "No.3 の手続を追加する。\n個人情報の流れ及び情報保護対策 別紙のとおり\n",
        [1],
    ),
    # The annex value and a reference to an annex are not numbers.
    ("案件1 見本事業について\n事業名 見本事業\n別紙1のとおり\n担当課 見本課\n", [1]),
]


@pytest.mark.parametrize(("text", "seqs"), NOT_A_SHEET_NUMBER)
def test_not_a_sheet_number(text: str, seqs: list[int]) -> None:
    assert [s.seq_no for s in parse_sheets(lines_of(text))] == seqs


def test_numbered_paragraphs_stay_in_the_summary() -> None:
    text = NOT_A_SHEET_NUMBER[4][0]
    [sheet] = parse_sheets(lines_of(text))
    assert sheet.summary == "1対象者\n区民\n2概要\n別紙2参照\nNo.3の手続を追加する。"


# --------------------------------------------------------------------------- ※ notes

DEPT_NOTE = "※契約は無料公衆無線LANの導入施設の各所管課が締結する。"
PROGRAM_NOTE = "※追加する事務1外国人生活保護事務、2中国残留邦人等支援給付事務"

# (rows under `案件1 見本事業について` → 事業名, 担当課, 区分, warnings)
NOTES = [
    # A note after the value, in a converter's cell and in wrapped text.
    (
        f"担当課\t行政管理課、区政情報課{DEPT_NOTE}",
        (None, "行政管理課、区政情報課", None),
        [f"detail_departments_raw: note: {DEPT_NOTE}"],
    ),
    (
        f"担当課 行政管理課、区政情報課\n{DEPT_NOTE[:20]}\n{DEPT_NOTE[20:]}",
        (None, "行政管理課、区政情報課", None),
        [f"detail_departments_raw: note: {DEPT_NOTE}"],
    ),
    (
        f"事業名\t生活保護システムの整備{PROGRAM_NOTE}\n区分\t業務委託 ※再委託あり",
        ("生活保護システムの整備", None, "業務委託"),
        [f"program_name: note: {PROGRAM_NOTE}", "categories: note: ※再委託あり"],
    ),
    # A mark that is the whole value, or a reference in brackets, is part of the value.
    ("担当課\t※調整中", (None, "※調整中", None), []),
    ("事業名\t見本教室(※)の運営", ("見本教室(※)の運営", None, None), []),
]


@pytest.mark.parametrize(("rows", "values", "warnings"), NOTES)
def test_note_after_a_short_value(rows: str, values: tuple, warnings: list[str]) -> None:
    [sheet] = parse_sheets(lines_of("案件1 見本事業について\n" + rows + "\n目的\t区民のため。"))
    assert (sheet.program_name, sheet.detail_departments_raw, sheet.categories_raw) == values
    assert sheet.warnings == warnings


def test_free_text_keeps_its_notes() -> None:
    # 001 sheet 27 prints its 対象者 with a note: free text is kept as printed.
    target = "まなびの教室(※)を利用している児童・生徒 ※…通常学級に在籍する児童・生徒が通う特別支援教室"
    [sheet] = parse_sheets(lines_of(f"案件1 見本事業について\n事業名\t見本事業\n対象者\t{target}\n"))
    assert sheet.target == clean(target)
    assert not sheet.warnings


def test_note_reaches_the_mention_warnings() -> None:
    text = (
        "令和5年度 新宿区個人情報保護管理運営会議 審議案件一覧\n"
        "No.\t事業名\t担当課\t区分\t付議日\t審議結果\n"
        "1\t無料公衆無線LANの導入について\t行政管理課、区政情報課\t業務委託\t4月3日\t承認\n\n"
        "【別紙1】無料公衆無線LANの導入について\n"
        f"事業名\t無料公衆無線LANの導入\n担当課\t行政管理課、区政情報課{DEPT_NOTE}\n"
        "個人情報の流れ及び情報保護対策\t別紙のとおり\n"
    )
    [m] = extract_bytes(text.encode(), "notes.txt").case_mentions
    assert (m.seq_no, m.program_name, m.detail_departments_raw) == (
        1,
        "無料公衆無線LANの導入",
        "行政管理課、区政情報課",
    )
    assert m.warnings == [f"sheet: detail_departments_raw: note: {DEPT_NOTE}"]


# --------------------------------------------------------------------------- grids read as spaced text

# A label/value grid with no rules may reach the parser with spaces, not a tab, between label and value.
SPACED_GRID = """\
【別紙5】見本事業について
事業名      見本事業
担 当 課    見本課、情報システム課
区分　　　　電算処理、外部結合
目的:       区民の利便性の向上を図るため、
            手続をオンライン化する。
対象者      区民
事業内容    1 概要
            区では見本事業を行う。
            3 対象者数
            約1,200人
個人情報の流れ及び情報保護対策    別紙のとおり
"""


def test_grid_with_spaces_between_label_and_value() -> None:
    [sheet] = parse_sheets(lines_of(SPACED_GRID))
    assert sheet.seq_no == 5
    assert sheet.program_name == "見本事業"
    assert sheet.detail_departments_raw == "見本課、情報システム課"
    assert sheet.categories_raw == "電算処理、外部結合"
    assert sheet.purpose == "区民の利便性の向上を図るため、手続をオンライン化する。"
    assert sheet.target == "区民"
    assert sheet.summary == "1概要\n区では見本事業を行う。\n3対象者数\n約1,200人"
    assert (sheet.target_count, sheet.target_count_unit) == (1200, "人")
    assert (sheet.line_start, sheet.line_end) == (1, 12)
