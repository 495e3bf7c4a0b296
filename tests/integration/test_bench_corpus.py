"""bench/make_corpus.py: deterministic from its seed, and every duplicate / look-alike it claims is on disk."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from ingest_support import load_make_corpus

from pipeline import segment
from pipeline.extract import extract_bytes
from pipeline.read.text import decode_text
from pipeline.rules import vocabulary

ROOT = Path(__file__).resolve().parents[2]


mc = load_make_corpus()

PACKETS, SEED = 36, 5


@pytest.fixture(scope="module")
def archive(corpus: Path) -> Any:
    return mc.build(PACKETS, SEED, pdf_share=0.1, dup_share=0.3, look_share=0.2)


@pytest.fixture(scope="module")
def manifest(archive: Any) -> dict[str, Any]:
    return dict(mc.manifest(archive))


def _packet(archive: Any, path: str) -> Any:
    return next(p for p in archive.packets if p.path == path)


def _text(archive: Any, path: str) -> str:
    return str(decode_text(archive.files[path], path)[0])


def _clean_text(archive: Any, path: str) -> str:
    """The packet's text regenerated without OCR damage (what a look-alike imitates)."""
    p = _packet(archive, path)
    return str(mc.packet_text(mc.base_texts()[p.base], dataclasses.replace(p, ocr=False)))


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


# --------------------------------------------------------------------------- the transformations


@pytest.mark.parametrize(
    ("printed", "years", "expected"),
    [
        ("令和5年度", 0, "令和5年度"),
        ("令和5年度", 2, "令和7年度"),
        ("令和5年度", -4, "令和元年度"),  # fiscal 2019 is called 令和元年度
        ("令和5年度", -5, "平成30年度"),
        ("令和５年度", -20, "平成１５年度"),  # full-width digits stay full-width
        ("令和5年4月から6月", -4, "平成31年4月から6月"),  # 2019-04 is still 平成
        ("令和5年5月1日", -4, "令和元年5月1日"),
        ("令和元年11月5日", -1, "平成30年11月5日"),
        ("令 和 6 年 1 月 18 日", -5, "平 成 31 年 1 月 18 日"),  # OCR spacing kept
        ("平成16年度", -20, "昭和59年度"),
        ("平成21年度第7回", 3, "平成24年度第7回"),
        ("地方税法（昭和25年法律第226号）", 5, "地方税法（昭和25年法律第226号）"),  # a statute's year
        ("R3", -3, "H30"),
        ("H24", 10, "R4"),
        ("H22.4.1 委託開始", 2, "H24.4.1 委託開始"),
        ("H30.4.1", 1, "H31.4.1"),
        ("H30.5.1", 1, "R1.5.1"),
        ("4月3日", 7, "4月3日"),  # year-less: the fiscal year decides it
    ],
)
def test_shift_era_dates(printed: str, years: int, expected: str) -> None:
    assert mc.shift_era_dates(printed, years) == expected


@pytest.mark.parametrize(
    ("printed", "ward", "expected"),
    [
        ("新宿区個人情報保護管理運営会議", "港区", "港区個人情報保護管理運営会議"),
        ("「広報新宿」に係る個別配達", "北区", "「広報北」に係る個別配達"),
        ("世田谷区個人情報保護条例", "中野区", "中野区個人情報保護条例"),
    ],
)
def test_replace_ward(printed: str, ward: str, expected: str) -> None:
    assert mc.replace_ward(printed, ward) == expected


@pytest.mark.parametrize(
    ("printed", "days", "expected"),
    [
        ("4月3日 承認", 7, "4月10日 承認"),
        ("5月31日 承認", 7, "5月24日 承認"),  # kept inside its month
        ("９月１日", 5, "９月６日"),
        ("令和5年4月1日から", 7, "令和5年4月1日から"),  # a dated event is not a meeting
    ],
)
def test_move_meeting(printed: str, days: int, expected: str) -> None:
    assert mc.move_meeting(printed, days) == expected


# --------------------------------------------------------------------------- the archive


def test_same_seed_same_archive(archive: Any, manifest: dict[str, Any]) -> None:
    again = mc.build(PACKETS, SEED, pdf_share=0.1, dup_share=0.3, look_share=0.2)
    assert again.files == archive.files
    assert mc.manifest(again) == manifest
    other = mc.build(PACKETS, SEED + 1, pdf_share=0.1, dup_share=0.3, look_share=0.2)
    assert other.files != archive.files


def test_smaller_archive_is_a_prefix(archive: Any) -> None:
    """Scaling runs compare archives that differ only in size."""
    small = mc.build(PACKETS // 2, SEED, pdf_share=0.1, dup_share=0.3, look_share=0.2)
    assert [p.path for p in small.packets] == [p.path for p in archive.packets[: PACKETS // 2]]


def test_manifest_counts(archive: Any, manifest: dict[str, Any]) -> None:
    assert manifest["packets"] == PACKETS == len(archive.files) == len({f["path"] for f in manifest["files"]})
    kinds = Counter(p.kind for p in archive.packets)
    assert kinds["distinct"] > PACKETS // 3
    assert len(manifest["duplicates"]) >= 4
    assert len(manifest["lookalikes"]) >= 2
    assert {f["format"] for f in manifest["files"]} == {"text", "pdf"}
    assert len({f["encoding"] for f in manifest["files"]} - {None}) >= 3


def test_distinct_packets_are_distinct_meetings(archive: Any) -> None:
    keys = [(p.base, p.ward, p.shift) for p in archive.packets if p.kind == "distinct"]
    assert len(keys) == len(set(keys))


def test_duplicates_hold(archive: Any, manifest: dict[str, Any]) -> None:
    seen = set()
    for d in manifest["duplicates"]:
        kind, left, right = d["kind"], d["left"], d["right"]
        seen.add(kind)
        lp, rp = _packet(archive, left), _packet(archive, right)
        assert (lp.base, lp.ward, lp.shift) == (rp.base, rp.ward, rp.shift)
        if kind == "renamed_copy":
            assert archive.files[left] == archive.files[right] and left != right
        elif kind == "reencoded":
            assert archive.files[left] != archive.files[right]
            assert _text(archive, left) == _text(archive, right)
            assert decode_text(archive.files[left], left)[1] != decode_text(archive.files[right], right)[1]
        elif kind == "ocr_copy":
            assert _text(archive, left) != _text(archive, right)
            assert _squash(_text(archive, left)) == _squash(_text(archive, right))
        elif kind == "reissue":
            a, b = _text(archive, left), _text(archive, right)
            assert b.count("等") - a.count("等") == 2
            assert a.replace("等", "") == b.replace("等", "")
        elif kind == "pdf_render":
            pdf = pdfium.PdfDocument(archive.files[right])
            printed = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
            if right.startswith("scans/"):  # the corpus PDF, copied
                assert lp.base == "001" and lp.shift == 0 and len(pdf) == 32
            else:
                assert _squash(printed) == _squash(_text(archive, left).replace("\t", " "))
        else:
            raise AssertionError(kind)
    assert {"renamed_copy", "pdf_render"} <= seen


def _year_less(text: str) -> dict[int, set[int]]:
    return dict(mc.year_less_dates(text))


def test_lookalikes_hold(archive: Any, manifest: dict[str, Any]) -> None:
    for d in manifest["lookalikes"]:
        left, right = d["left"], d["right"]
        lp, rp = _packet(archive, left), _packet(archive, right)
        clean, look = _clean_text(archive, left), _text(archive, right)
        assert clean != look
        if d["kind"] == "other_ward":
            assert lp.ward != rp.ward and rp.ward in look
            undone = look.replace(rp.ward, lp.ward).replace(rp.ward[:-1], lp.ward[:-1])
            assert undone == clean
        else:
            assert d["kind"] == "other_meeting" and rp.ward == lp.ward and rp.shift == lp.shift
            before, after = _year_less(clean), _year_less(look)
            assert before.keys() == after.keys()
            assert all(not (before[m] & after[m]) for m in before)
            strip = re.compile(r"[0-9０-９]{1,2}月[0-9０-９]{1,2}日")
            assert strip.sub("", clean) == strip.sub("", look)


def test_a_shifted_packet_parses_as_its_new_ward_and_year(archive: Any) -> None:
    """The generator keeps documents valid: the pipeline reads the new ward and fiscal year back."""
    p = next(p for p in archive.packets if p.kind == "distinct" and p.base == "001" and p.format == "text")
    ex = extract_bytes(archive.files[p.path], p.path)
    (doc,) = ex.documents
    fy = 2023 + p.shift
    assert (doc.municipality, doc.doc_type, doc.fiscal_year) == (p.ward, "deliberation_list", fy)
    assert len(ex.case_mentions) == 30
    dates = {m.deliberated_on for m in ex.case_mentions}
    assert None not in dates
    assert all(dt.date(fy, 4, 1) <= d <= dt.date(fy + 1, 3, 31) for d in dates if d)


def test_write_puts_files_and_manifest(tmp_path: Path, corpus: Path) -> None:
    arch = mc.build(3, 1, pdf_share=0.0)
    man = mc.write(arch, tmp_path / "a")
    assert sorted(
        p.relative_to(tmp_path / "a" / "raw").as_posix() for p in (tmp_path / "a" / "raw").rglob("*.*")
    ) == sorted(arch.files)
    assert (tmp_path / "a" / "manifest.json").is_file() and man["packets"] == 3


# --------------------------------------------------------------------------- places and distinct scopes


def test_every_place_is_one_the_pipeline_recognises() -> None:
    """A packet moved to any place of bench/places.toml is attributed to that place, not to a name
    inside it (久留米市 in 東久留米市, 大阪市 in 東大阪市) nor to the ward it came from."""
    known = vocabulary()["municipalities"]
    heading = "令和5年度新宿区個人情報保護管理運営会議における審議案件一覧\n新宿区総合政策部区政情報課"
    for place in mc.PLACES["japan"]:
        assert place in known
        assert segment._municipality(mc.replace_ward(heading, place)) == place
    assert len(mc.PLACES["japan"]) == len(set(mc.PLACES["japan"])) == 143
    assert mc.PLACES["wards"] == mc.WARDS == known[:23]


def test_distinct_scopes_take_the_wards_first_and_never_repeat_a_scope(corpus: Path) -> None:
    # `corpus`: the packets are built from the corpus texts; without ../shared the test is skipped.
    keys = mc.scope_keys("tokyo", 1)
    assert len(keys) == len(set(keys)) == 62 * 35
    assert {m for m, _ in keys[: 23 * 35]} == set(mc.WARDS)
    assert {k for _, k in keys} == set(range(-34, 1))
    small, large = (
        mc.build(40, 1, distinct_scopes=True),
        mc.build(80, 1, distinct_scopes=True, places="tokyo"),
    )
    assert [p.path for p in small.packets] == [p.path for p in large.packets[:40]]
    assert all(p.base == "002" and p.kind == "distinct" and p.format == "text" for p in large.packets)
    with pytest.raises(SystemExit, match="805 distinct scopes"):
        mc.build(806, 1, distinct_scopes=True)


def test_a_distinct_scope_packet_parses_as_its_place_and_year(corpus: Path) -> None:
    """The 35th fiscal year back of a city: 平成元年度 (1989), all 51 cases in it."""
    keys = mc.scope_keys("tokyo", 1)
    n = next(i for i, (m, k) in enumerate(keys) if m.endswith("市") and k == -34)
    arch = mc.build(n + 1, 1, distinct_scopes=True, places="tokyo")
    p = arch.packets[n]
    ex = extract_bytes(arch.files[p.path], p.path)
    (doc,) = ex.documents
    assert (doc.municipality, doc.fiscal_year) == (keys[n][0], 1989)
    assert doc.title == f"平成元年度{keys[n][0]}個人情報保護管理運営会議における審議案件一覧"
    assert len(ex.case_mentions) == 51
    dates = {m.deliberated_on for m in ex.case_mentions} - {None}
    assert dates and all(dt.date(1989, 4, 1) <= d <= dt.date(1990, 3, 31) for d in dates)
