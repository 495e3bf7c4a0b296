"""課名 lists as the corpus prints them → canonical names and `外N課` counts.

Every printed form below is copied from ../shared/corpus/text (test_forms_come_from_the_corpus checks
it), wrapping and OCR spaces included; the expected names were read off the same documents.
"""

from __future__ import annotations

import pytest

from pipeline.normalise.departments import bureau_of, canonical, split_departments

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
    ],
)
def test_canonical(printed: str, municipality: str | None, expected: str | None) -> None:
    assert canonical(printed, municipality) == expected


def test_forms_come_from_the_corpus(corpus) -> None:
    text = "".join(p.read_text(encoding="utf-8") for p in sorted((corpus / "text").glob("*.txt")))
    missing = [printed for printed, *_ in FORMS if printed not in text]
    assert not missing
