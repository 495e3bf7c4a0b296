"""課名 lists as the corpus prints them → canonical names and `外N課` counts.

The printed forms of FORMS are copied from ../shared/corpus/text (test_forms_come_from_the_corpus checks
it), wrapping and OCR spaces included; the expected names were read off the same documents. The tables
after it pin the rest of the module (other list shapes, 部 and 課, the registry's say) with the names of
rules/departments/.
"""

# `make mutation` (mutmut 3) must kill at least 95 % of the mutants of pipeline/normalise/departments.py.
# Equivalent mutants, which no input can tell apart from the code:
# - departments_of, `if (rest) or True`: `rest` is empty only for a blank item, which has no unknown name
#   and so never reaches that line (and split_departments of nothing is an empty list anyway).

from __future__ import annotations

import pytest

from pipeline.normalise.departments import (
    bureau_of,
    canonical,
    department_and_bureau,
    departments_of,
    has_department_form,
    has_registry,
    looks_like_department,
    split_bureau,
    split_departments,
)

SJ, SG = "新宿区", "世田谷区"

# (printed, municipality, expected names, expected unnamed count)
FORMS: list[tuple[str, str, list[str], int]] = [
    # 002: case list in raw PDF text, every cell wrapped over lines.
    (
        "行政管理課、情\n報システム課、\n子ども家庭支援\n課、保健予防\n課、ごみ減量リ\nサイクル課、防\n災都市づくり課",
        SJ,
        [
            "行政管理課",
            "情報システム課",
            "子ども家庭支援課",
            "保健予防課",
            "ごみ減量リサイクル課",
            "防災都市づくり課",
        ],
        0,
    ),
    (
        "行政管理課、情\n報システム課、\n区政情報課、生\n涯学習スポーツ\n課、消費生活就\n労支援課、保健\n予防課",
        SJ,
        [
            "行政管理課",
            "情報システム課",
            "区政情報課",
            "生涯学習スポーツ課",
            "消費生活就労支援課",
            "保健予防課",
        ],
        0,
    ),
    (
        "行政管理課、情\n報システム課、\n子ども家庭支援\n課",
        SJ,
        ["行政管理課", "情報システム課", "子ども家庭支援課"],
        0,
    ),
    ("生活福祉課、保\n護担当課、情報\nシステム課", SJ, ["生活福祉課", "保護担当課", "情報システム課"], 0),
    (
        "健康政策課、健\n康づくり課、保\n健予防課、牛込\n保健センター、\n四谷保健セン\nター、東新宿保\n健センター、落\n合保健センター",
        SJ,
        [
            "健康政策課",
            "健康づくり課",
            "保健予防課",
            "牛込保健センター",
            "四谷保健センター",
            "東新宿保健センター",
            "落合保健センター",
        ],
        0,
    ),
    ("行政管理課、区\n政情報課", SJ, ["行政管理課", "区政情報課"], 0),
    ("生活福祉課、保\n護担当課", SJ, ["生活福祉課", "保護担当課"], 0),
    (
        "生活福祉課、保\n護担当課、子ど\nも家庭課、子ど\nも家庭支援課",
        SJ,
        ["生活福祉課", "保護担当課", "子ども家庭課", "子ども家庭支援課"],
        0,
    ),
    (
        "生活福祉課、保\n護担当課、子ど\nも家庭課、情報\nシステム課",
        SJ,
        ["生活福祉課", "保護担当課", "子ども家庭課", "情報システム課"],
        0,
    ),
    (
        "行政管理課、情\n報システム課、\n交通対策課、教\n育支援課",
        SJ,
        ["行政管理課", "情報システム課", "交通対策課", "教育支援課"],
        0,
    ),
    ("子ども家庭支援\n課", SJ, ["子ども家庭支援課"], 0),
    ("人材育成等担当\n課", SJ, ["人材育成等担当課"], 0),  # 担当 is a suffix too: the registry decides
    ("選挙管理委員会\n事務局", SJ, ["選挙管理委員会事務局"], 0),
    ("医療保険年金課", SJ, ["医療保険年金課"], 0),
    # 002 detail sheets and issuer line.
    ("行政管理課、情報システム課外４課 ", SJ, ["行政管理課", "情報システム課"], 4),
    (
        "行政管理課、情報システム課、子ども家庭支援課 ",
        SJ,
        ["行政管理課", "情報システム課", "子ども家庭支援課"],
        0,
    ),
    ("総 合 政 策 部 区 政 情 報 課", SJ, ["区政情報課"], 0),
    # 001: converter output.
    ("行政管理課、情報システム課、外10課", SJ, ["行政管理課", "情報システム課"], 10),
    ("行政管理課、情報システム課外10課", SJ, ["行政管理課", "情報システム課"], 10),
    (
        "健康づくり課、牛込保健センター、四谷保健センター、東新宿保健センター、落合保健センター",
        SJ,
        ["健康づくり課", "牛込保健センター", "四谷保健センター", "東新宿保健センター", "落合保健センター"],
        0,
    ),
    (
        "健康づくり課、牛込保健センター・四谷保健センター・東新宿保健センター・落合保健センター",
        SJ,
        ["健康づくり課", "牛込保健センター", "四谷保健センター", "東新宿保健センター", "落合保健センター"],
        0,
    ),
    (
        "行政管理課、情報システム課、四谷保健センター",
        SJ,
        ["行政管理課", "情報システム課", "四谷保健センター"],
        0,
    ),
    ("中央図書館", SJ, ["中央図書館"], 0),
    # 000: 保有課 with OCR spaces.
    ("教育調整 課", SJ, ["教育調整課"], 0),
    ("教育指導 課", SJ, ["教育指導課"], 0),
    ("教育支援 課", SJ, ["教育支援課"], 0),
    ("議会事務 局", SJ, ["議会事務局"], 0),
    ("地域包括ケア推進課", SJ, ["地域包括ケア推進課"], 0),
    ("みどり公園課", SJ, ["みどり公園課"], 0),
    # 004: 担当部課 printed with its 部.
    ("地域振興部戸籍住民課", SJ, ["戸籍住民課"], 0),
    # 003: Setagaya prints the 部 before the 課; names with ・ stay whole.
    ("D X 推進担当部 D X 推進担当課", SG, ["DX推進担当課"], 0),
    ("総務部区政情報課", SG, ["区政情報課"], 0),
    ("生活文化政策部文化・国際課", SG, ["文化・国際課"], 0),
    ("地域行政部住民記録・戸籍課", SG, ["住民記録・戸籍課"], 0),
    ("生活文化政策部区民健康村・ふるさと・交流推進課", SG, ["区民健康村・ふるさと・交流推進課"], 0),
    ("経済産業部工業・ものづくり・雇用促進課", SG, ["工業・ものづくり・雇用促進課"], 0),
    ("清掃・リサイクル部事業課", SG, ["事業課"], 0),
    ("子ども・若者部子ども・若者支援課", SG, ["子ども・若者支援課"], 0),
    ("保健福祉政策部国保・年金課", SG, ["国保・年金課"], 0),
    ("高齢福祉部介護予防・地域支援課", SG, ["介護予防・地域支援課"], 0),
    ("世田谷総合支所保健福祉センター生活支援課", SG, ["世田谷総合支所保健福祉センター生活支援課"], 0),
    ("北沢総合支所地域振興課", SG, ["北沢総合支所地域振興課"], 0),
    ("教育委員会事務局学務課", SG, ["学務課"], 0),
    ("世田谷保健所感染症対策課", SG, ["感染症対策課"], 0),
    ("児童相談所副所長", SG, ["児童相談所副所長"], 0),
    # 報告第360号: two issuing departments on two lines; the line break separates them.
    (
        "砧総合支所保健福祉センター健康づくり課\n総務部 区政情報課",
        SG,
        ["砧総合支所保健福祉センター健康づくり課", "区政情報課"],
        0,
    ),
]


@pytest.mark.parametrize(("printed", "municipality", "names", "unnamed"), FORMS)
def test_split_departments(printed: str, municipality: str, names: list[str], unnamed: int) -> None:
    got = split_departments(printed, municipality)
    assert (got.names, got.unnamed_count, got.unknown) == (names, unnamed, [])


@pytest.mark.parametrize(
    ("printed", "municipality", "names", "unknown"),
    [
        # 002: the police department a case provides data to is no ward department: kept, reported.
        ("警視庁生活安全部少年育成課", SJ, ["警視庁生活安全部少年育成課"], ["警視庁生活安全部少年育成課"]),
        # A near neighbour of a registered name is not corrected to it.
        ("情報システム部", SJ, ["情報システム部"], ["情報システム部"]),
        ("情報システム係", SJ, ["情報システム係"], ["情報システム係"]),
        # Unregistered names split on line breaks when each could stand alone, OCR spaces still removed.
        ("未来創造 課\n地域連携課", SJ, ["未来創造課", "地域連携課"], ["未来創造課", "地域連携課"]),
        # …and rejoin when a fragment cannot (`課` alone, a name cut before its suffix).
        ("未来創\n造課", SJ, ["未来創造課"], ["未来創造課"]),
        # A name registered for one ward is unknown in another.
        ("牛込保健センター", SG, ["牛込保健センター"], ["牛込保健センター"]),
    ],
)
def test_unregistered_names_are_kept_as_printed(
    printed: str, municipality: str, names: list[str], unknown: list[str]
) -> None:
    got = split_departments(printed, municipality)
    assert (got.names, got.unknown) == (names, unknown)


def test_empty() -> None:
    assert split_departments(None, SJ).names == []
    assert split_departments("", SJ).names == []


@pytest.mark.parametrize(
    ("municipality", "name", "bureau"),
    [
        (SG, "区政情報課", "総務部"),
        (SJ, "区政情報課", "総合政策部"),
        (SG, "砧総合支所保健福祉センター健康づくり課", "砧総合支所"),
        (SG, "DX推進担当課", "DX推進担当部"),
        (SJ, "行政管理課", None),
        (SJ, "存在しない課", None),
    ],
)
def test_bureau_of(municipality: str, name: str, bureau: str | None) -> None:
    assert bureau_of(municipality, name) == bureau


@pytest.mark.parametrize(
    ("printed", "municipality", "expected"),
    [
        ("総務部区政情報課", SG, "区政情報課"),
        ("区政情報課", None, "区政情報課"),  # both wards have one: the same name either way
        ("子ども家庭課", None, "子ども家庭課"),
        ("教育調整 課", SJ, "教育調整課"),
        ("文化国際課", SG, "文化・国際課"),  # matching ignores ・ (match_key)
        ("地域振興課", SG, None),  # five 総合支所 have one: which one is not said
        ("牛込保健センター", None, "牛込保健センター"),  # registered in one ward only
        ("総務部区政情報課", None, "区政情報課"),  # only Setagaya prints its 総務部 with it
        ("存在しない課", None, None),
        ("", SJ, None),
    ],
)
def test_canonical(printed: str, municipality: str | None, expected: str | None) -> None:
    assert canonical(printed, municipality) == expected


def test_forms_come_from_the_corpus(corpus) -> None:
    text = "".join(p.read_text(encoding="utf-8") for p in sorted((corpus / "text").glob("*.txt")))
    missing = [printed for printed, *_ in FORMS if printed not in text]
    assert not missing


# Lists as other cells print them: the other `外N` units, HTML a converter left, stray separators.
MORE_FORMS: list[tuple[str, str, list[str], int]] = [
    ("行政管理課外3部署", SJ, ["行政管理課"], 3),
    ("行政管理課外2所属", SJ, ["行政管理課"], 2),
    ("行政管理課外3係", SJ, ["行政管理課"], 3),
    ("行政管理課外3室等", SJ, ["行政管理課"], 3),
    ("行政管理課外2部課", SJ, ["行政管理課"], 2),
    ("行政管理課 外 3 課", SJ, ["行政管理課"], 3),
    ("行政管理課、情報システム課外5課等", SJ, ["行政管理課", "情報システム課"], 5),
    ("外3課", SJ, [], 3),
    # `等` alone says there are more without saying how many.
    ("情報システム課等", SJ, ["情報システム課"], 0),
    ("、行政管理課", SJ, ["行政管理課"], 0),
    ("行政管理課、、情報システム課、", SJ, ["行政管理課", "情報システム課"], 0),
    (
        "行政管理課,情報システム課;区政情報課/人事課",
        SJ,
        ["行政管理課", "情報システム課", "区政情報課", "人事課"],
        0,
    ),
    ("行政管理課<br>情報システム課", SJ, ["行政管理課", "情報システム課"], 0),
    ("<p>行政管理課</p><p>情報システム課</p>", SJ, ["行政管理課", "情報システム課"], 0),
    ("行政管理課・情報システム課", SJ, ["行政管理課", "情報システム課"], 0),
    ("文化・国際課", SG, ["文化・国際課"], 0),
    ("文化・国際課・人権・男女共同参画課", SG, ["文化・国際課・人権・男女共同参画課"], 0),
    ("行政管理課\n情報システム課", SJ, ["行政管理課", "情報システム課"], 0),
    ("情報システム\n課", SJ, ["情報システム課"], 0),
    ("総合政策部\n区政情報課", SJ, ["区政情報課"], 0),
]


@pytest.mark.parametrize(("printed", "municipality", "names", "unnamed"), MORE_FORMS)
def test_split_departments_more(printed: str, municipality: str, names: list[str], unnamed: int) -> None:
    got = split_departments(printed, municipality)
    assert (got.names, got.unnamed_count) == (names, unnamed)


# Sixteen of Shinjuku's registered names, one a line, as a cell printed without 、 would hold them.
SIXTEEN = [
    "区政情報課",
    "行政管理課",
    "情報システム課",
    "人事課",
    "人材育成等担当課",
    "総務課",
    "契約管財課",
    "税務課",
    "危機管理課",
    "地域コミュニティ課",
    "戸籍住民課",
    "生涯学習スポーツ課",
    "文化観光課",
    "産業振興課",
    "消費生活就労支援課",
    "男女共同参画課",
]


def test_sixteen_names_on_sixteen_lines() -> None:
    got = split_departments("\n".join(SIXTEEN), SJ)
    assert (got.names, got.unknown) == (SIXTEEN, [])


@pytest.mark.xfail(
    strict=True,
    reason="past 16 soft fragments (_MAX_FRAGMENTS) a part is taken for a sentence and kept whole, even "
    "when every line is a registered name",
)
def test_seventeen_names_on_seventeen_lines() -> None:
    names = [*SIXTEEN, "地域包括ケア推進課"]
    got = split_departments("\n".join(names), SJ)
    assert (got.names, got.unknown) == (names, [])


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("情報システム課", True),
        ("四谷保健センター", True),
        ("選挙管理委員会事務局", True),
        ("議会事務局", True),
        ("中央図書館", True),
        (" 行政管理課 ", True),
        ("課", False),
        ("情報システム", False),
        # 30 characters is the longest name; a longer run is a sentence or a whole row.
        ("区" * 29 + "課", True),
        ("区" * 30 + "課", False),
        ("防犯カメラの設置について担当課", False),
    ],
)
def test_looks_like_department(name: str, expected: bool) -> None:
    assert looks_like_department(name) is expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("情報システム課", True),
        ("児童相談所副所長", True),  # a post printed in the 担当課 column (corpus text/003)
        ("情報化推進担当副参事", True),
        ("中央図書館長", True),
        ("委託内容の変更", False),  # a title's words run into the cell
        ("4月3日", False),
        ("長", False),
        ("防犯カメラの設置について担当課", False),
        ("区" * 29 + "長", False),  # 長 alone is no post: 延長, 区長 is not a unit of the list
    ],
)
def test_has_department_form(name: str, expected: bool) -> None:
    assert has_department_form(name) is expected


@pytest.mark.parametrize(
    ("municipality", "expected"), [(SJ, True), (SG, True), ("中野区", False), ("大阪市", False), (None, True)]
)
def test_has_registry(municipality: str | None, expected: bool) -> None:
    assert has_registry(municipality) is expected


@pytest.mark.parametrize(
    ("printed", "expected"),
    [
        ("総務部区政情報課", ("総務部", "区政情報課")),
        ("地域振興部戸籍住民課", ("地域振興部", "戸籍住民課")),
        ("D X 推進担当部 D X 推進担当課", ("DX推進担当部", "DX推進担当課")),
        ("清掃・リサイクル部事業課", ("清掃・リサイクル部", "事業課")),
        ("子ども・若者部子ども・若者支援課", ("子ども・若者部", "子ども・若者支援課")),
        ("教育委員会事務局学務課", ("教育委員会事務局", "学務課")),
        ("世田谷保健所感染症対策課", ("世田谷保健所", "感染症対策課")),
        ("北沢総合支所地域振興課", ("北沢総合支所", "地域振興課")),
        ("世田谷総合支所保健福祉センター生活支援課", ("世田谷総合支所", "保健福祉センター生活支援課")),
        ("総務部 区政情報課", ("総務部", "区政情報課")),
        ("総務部\n区政情報課", ("総務部", "区政情報課")),
        ("区政情報課", (None, "区政情報課")),
        ("総務部", (None, "総務部")),
        ("児童相談所副所長", (None, "児童相談所副所長")),
        ("", (None, None)),
        (None, (None, None)),
    ],
)
def test_split_bureau(printed: str | None, expected: tuple[str | None, str | None]) -> None:
    assert split_bureau(printed) == expected


@pytest.mark.xfail(
    strict=True,
    reason="a 部 with nothing before it is no bureau: 部活動支援課 (a 課 for school clubs) splits into 部 + "
    "活動支援課",
)
def test_split_bureau_needs_a_name_before_the_suffix() -> None:
    assert split_bureau("部活動支援課") == (None, "部活動支援課")


@pytest.mark.parametrize(
    ("printed", "municipality", "expected"),
    [
        # The registry knows the 課: its own 部, whether or not the print shows it.
        ("総務部区政情報課", SG, ("総務部", "区政情報課")),
        ("区政情報課", SG, ("総務部", "区政情報課")),
        ("区政情報課", SJ, ("総合政策部", "区政情報課")),
        ("地域振興部戸籍住民課", SJ, ("地域振興部", "戸籍住民課")),
        ("生活文化政策部文化・国際課", SG, ("生活文化政策部", "文化・国際課")),
        ("DX推進担当部DX推進担当課", SG, ("DX推進担当部", "DX推進担当課")),
        (
            "砧総合支所保健福祉センター健康づくり課",
            SG,
            ("砧総合支所", "砧総合支所保健福祉センター健康づくり課"),
        ),
        # Registered without a 部: the printed 部, if any.
        ("行政管理課", SJ, (None, "行政管理課")),
        ("総務部行政管理課", SJ, ("総務部", "行政管理課")),
        # Another ward's 部 printed before a registered 課: the print is kept.
        ("総合政策部区政情報課", SG, ("総合政策部", "区政情報課")),
        # Not registered: split as printed.
        ("未来部未来創造課", SJ, ("未来部", "未来創造課")),
        ("未来創造課", SJ, (None, "未来創造課")),
        ("", SJ, (None, None)),
        (None, SG, (None, None)),
    ],
)
def test_department_and_bureau(
    printed: str | None, municipality: str, expected: tuple[str | None, str | None]
) -> None:
    assert department_and_bureau(printed, municipality) == expected


@pytest.mark.parametrize(
    ("printed", "municipality", "expected"),
    [
        # Shinjuku registers 行政管理課 without a 部: the 部 printed with it is dropped, not kept.
        (["総務部行政管理課"], SJ, ["行政管理課"]),
        (
            ["総務部区政情報課", "砧総合支所保健福祉センター健康づくり課"],
            SG,
            ["区政情報課", "砧総合支所保健福祉センター健康づくり課"],
        ),
        (["行政管理課、情報システム課", "区政情報課"], SJ, ["行政管理課", "情報システム課", "区政情報課"]),
        (["総務部区政情報課", "総務部区政情報課"], SG, ["区政情報課", "区政情報課"]),
        # Unknown with or without its 部: kept as printed.
        (["警視庁生活安全部少年育成課"], SJ, ["警視庁生活安全部少年育成課"]),
        (["未来創造課", "行政管理課"], SJ, ["未来創造課", "行政管理課"]),
        (["行政管理課", "警視庁生活安全部少年育成課"], SJ, ["行政管理課", "警視庁生活安全部少年育成課"]),
        (["区政情報課", "総務部行政管理課"], SJ, ["区政情報課", "行政管理課"]),
        # A name only the other ward registers is not mapped through that ward's registry.
        (["文化国際課"], SG, ["文化・国際課"]),
        (["文化国際課"], SJ, ["文化国際課"]),
        (["総務部文化国際課"], SJ, ["総務部文化国際課"]),
        ([""], SJ, []),
        ([], SJ, []),
    ],
)
def test_departments_of(printed: list[str], municipality: str, expected: list[str]) -> None:
    assert departments_of(printed, municipality) == expected


@pytest.mark.xfail(
    strict=True,
    reason="departments_of drops the printed 部 only when every name of the item is registered: one unknown "
    "name keeps 総務部行政管理課 as printed, though the registry knows 行政管理課",
)
def test_departments_of_decides_name_by_name() -> None:
    assert departments_of(["総務部行政管理課、未来創造課"], SJ) == ["行政管理課", "未来創造課"]


def test_a_remembered_split_is_handed_out_as_a_copy() -> None:
    """Parsers store the lists of a split in their records: changing one must not change the next."""
    first = split_departments("戸籍住民課、外2課", "新宿区")
    first.names.append("changed")
    first.unknown.append("changed")
    again = split_departments("戸籍住民課、外2課", "新宿区")
    assert (again.names, again.unnamed_count, again.unknown) == (["戸籍住民課"], 2, [])
