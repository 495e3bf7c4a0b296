"""bench/ocr_damage.py (the seeded OCR-damage injector) and the scoring of bench/ocr_curve.py."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))  # bench/ holds scripts, not a package

import ocr_curve  # noqa: E402
from ocr_damage import ALL, LOOKALIKES, damage, damage_with_log  # noqa: E402

import schemas  # noqa: E402

# A packet-like text: tab-separated rows, a wrapped cell, an HTML fragment, full-width digits.
ROWS = [
    "No.\t事業名\t担当課\t区分\t付議日\t審議結果",
    "1\t<p>住民情報システムの運用について</p>\t情報システム課\t業務委託\t4月3日\t承認",
    "2\t区民健康診査に係るデータ入力業務\t健康づくり課、情\n報システム課外1課\t電算処理\t令和５年10月20日\t承認",
    "3\tLGWAN接続端末の入れ替え\t行政管理課\t外部結合\tR5.7.28\t承認",
]
TEXT = "\n".join(ROWS * 80)


def _structure(text: str) -> list[int]:
    """Tabs per line: the table structure OCR must not change."""
    return [line.count("\t") for line in text.split("\n")]


def test_same_seed_same_output_and_different_seed_differs():
    assert damage(TEXT, 0.02, seed=7) == damage(TEXT, 0.02, seed=7)
    assert damage(TEXT, 0.02, seed=7) != damage(TEXT, 0.02, seed=8)


def test_rate_zero_is_identity():
    assert damage(TEXT, 0.0, seed=1) == TEXT
    assert damage_with_log(TEXT, 0.0, seed=1)[1] == []


@pytest.mark.parametrize("rate", [0.005, 0.02, 0.05])
def test_damaged_share_is_the_rate(rate):
    # look-alikes keep the length, so the share of changed characters can be counted independently
    # of the log, over the characters that have a look-alike
    out = damage(TEXT, rate, seed=3, kinds={"lookalike"})
    assert len(out) == len(TEXT)
    eligible = sum(c in LOOKALIKES for c in TEXT)  # the tags hold none
    changed = sum(a != b for a, b in zip(TEXT, out, strict=True))
    assert abs(changed / eligible - rate) <= 0.1 * rate
    # with every kind, the log's count against the damageable characters (all but tabs, newlines, tags)
    _, log = damage_with_log(TEXT, rate, seed=3)
    damageable = len(TEXT) - TEXT.count("\t") - TEXT.count("\n") - len("<p></p>") * TEXT.count("<p>")
    assert abs(len(log) / damageable - rate) <= 0.1 * rate
    assert len({c.pos for c in log}) == len(log)  # each position damaged once


def test_tabs_newlines_and_tags_survive_heavy_damage():
    out = damage(TEXT, 0.3, seed=5)
    assert _structure(out) == _structure(TEXT)
    assert out.count("<p>") == TEXT.count("<p>") and out.count("</p>") == TEXT.count("</p>")


def test_dates_numbers_and_department_names_are_damaged_too():
    _, log = damage_with_log(TEXT, 0.2, seed=2)
    hit = {c.before for c in log}
    assert hit & set("0123456789５") and hit & set("情報システム課")


def test_drop_alone_only_shortens():
    out, log = damage_with_log(TEXT, 0.05, seed=1, kinds={"drop"})
    assert log and {c.kind for c in log} == {"drop"}
    assert len(out) == len(TEXT) - len(log)
    it = iter(TEXT)
    assert all(c in it for c in out)  # a subsequence of the input


def test_double_alone_only_repeats():
    out, log = damage_with_log(TEXT, 0.05, seed=1, kinds={"double"})
    assert log and all(c.after == c.before * 2 for c in log)
    assert len(out) == len(TEXT) + len(log)


def test_space_alone_only_inserts_spaces_inside_words():
    text = TEXT.replace(" ", "")
    out, log = damage_with_log(text, 0.05, seed=1, kinds={"space"})
    assert log and out.replace(" ", "") == text
    assert out.count(" ") == len(log)
    assert all(line[:1] != " " and line[-1:] != " " for line in out.replace("\t", "\n").split("\n"))


def test_lookalike_alone_substitutes_from_the_table():
    out, log = damage_with_log(TEXT, 0.5, seed=1, kinds={"lookalike"})
    assert log and len(out) == len(TEXT)
    for c in log:
        assert c.after in LOOKALIKES[c.before]
        assert out[c.pos] == c.after
    # digits inside a date, and the radicals NFKC does not repair
    assert damage("5", 1.0, seed=1, kinds={"lookalike"}) == "S"
    assert damage("区長", 1.0, seed=1, kinds={"lookalike"}) == "区⻑"


def test_unknown_kind_and_bad_rate_are_refused():
    with pytest.raises(ValueError):
        damage(TEXT, 0.01, seed=1, kinds={"smudge"})
    with pytest.raises(ValueError):
        damage(TEXT, 1.5, seed=1)
    assert frozenset({"lookalike", "space", "drop", "double"}) == ALL


# --- the curve's alignment and scoring ----------------------------------------------------------


def test_every_column_is_classified():
    for table, model in ocr_curve.MODELS.items():
        assert set(model.model_fields) <= set(ocr_curve.FIELDS[table]), table


def _doc(doc_id: str, fiscal_year: int | None, title: str) -> schemas.Document:
    return schemas.Document(
        document_id=doc_id,
        file_sha256=doc_id,
        source_path="x.txt",
        source_format="text",
        municipality="新宿区",
        doc_type="deliberation_list",
        fiscal_year=fiscal_year,
        title=title,
        parser_version="test",
    )


def _mention(
    doc_id: str, seq_no: int, dept: str, title: str = "住民情報システムの運用について"
) -> schemas.CaseMention:
    return schemas.CaseMention(
        mention_id=f"{doc_id}:{seq_no}",
        document_id=doc_id,
        seq_no=seq_no,
        title=title,
        departments=[dept],
        departments_raw=dept,
        categories=["業務委託"],
        deliberated_on=dt.date(2023, 4, 3),
        result="承認",
    )


def test_score_of_a_hand_made_pair():
    clean = schemas.FileExtraction(
        source_path="x.txt",
        file_sha256="c",
        documents=[_doc("c-00", 2023, "審議案件一覧")],
        case_mentions=[_mention("c-00", 1, "情報システム課"), _mention("c-00", 2, "行政管理課")],
    )
    damaged = schemas.FileExtraction(
        source_path="x.txt",
        file_sha256="d",  # another sha256, other ids: rows are aligned by document position
        documents=[_doc("d-00", None, "審議案件一覽")],
        case_mentions=[
            # case 2 renumbered as a second case 1: the closer copy is the reading, the other is extra
            _mention("d-00", 1, "行政管理課", title="区民健康診査について"),
            _mention("d-00", 1, "情報ツステム課"),
        ],
    )
    t = ocr_curve.Tally()
    for per_table in ocr_curve.score(clean, damaged).values():
        for tally in per_table.values():
            t.add(tally)
    assert (t.expected, t.found, t.extra) == (3, 2, 1)
    # structured: document municipality ✓ doc_type ✓ fiscal_year ✗; mention 1 departments ✗,
    # unnamed_department_count ✓ categories ✓ deliberated_on ✓ result ✓ → 6 of 8
    assert t.accuracy("structured") == 6 / 8
    # free text: document title ✗; mention title ✓, departments_raw ✗ → 1 of 3
    assert t.accuracy("free") == 1 / 3

    lost = ocr_curve.score(clean, None)["deliberation_list"]
    assert sum(x.expected for x in lost.values()) == 3
    assert sum(x.found for x in lost.values()) == 0
