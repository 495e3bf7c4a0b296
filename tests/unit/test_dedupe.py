"""Dedupe (issue 7): copies of one packet collapse to one case each; look-alikes stay apart, in one series.

The duplicates are built from the corpus: text/001 as converted, pdf/001 (its list gives the same 30
rows), text/001 re-encoded (CP932, UTF-16), and text/001 with the edits a re-issue brings, written as
transformations of the corpus text. Expected values were read in the source documents:
No.1 (4月3日) and No.15 (5月31日) of 001 are both `東京共同電子申請・届出サービスの利用に係る外部結合等について
（手続の追加）`; 002 lists 51 cases, 001 30, 004 holds one 諮問 item.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import unicodedata
from pathlib import Path

import duckdb
import pytest

from pipeline.dedupe.keys import Settings, series_title, split_qualifier
from pipeline.dedupe.plan import DocInfo, Plan, plan
from pipeline.extract import extract_bytes
from pipeline.rules import RuleError
from pipeline.run.ingest import Options, ingest
from schemas import CaseMention, FileExtraction

Pairs = list[tuple[CaseMention, DocInfo]]

KYODO = "東京共同電子申請・届出サービスの利用に係る外部結合等について(手続の追加)"


def _fullwidth(m: re.Match[str]) -> str:
    return m.group(0).translate(str.maketrans("0123456789", "０１２３４５６７８９"))


def reissue(text: str) -> str:
    """The edits a corrected re-issue brings: okurigana, an OCR space in a 課名, a 旧字, full-width
    dates, a word added to one title (No.22)."""
    text = text.replace("手続の追加", "手続きの追加")
    text = text.replace("情報システム課", "情報 システム課")
    text = text.replace("運営", "運營")
    text = re.sub(r"\t\d+月\d+日\t", _fullwidth, text)
    return text.replace("地場産業の魅力発信事業に係る", "新宿区地場産業の魅力発信事業に係る")


def undated_row_7(text: str) -> str:
    """A copy whose 付議日 cell of No.7 is empty (a cell the converter lost)."""
    return re.sub(r"(\n7\t[^\n]*)\t4月3日\t", r"\1\t\t", text)


def to_cp932(text: str) -> bytes:
    """What a Shift_JIS re-save leaves: characters CP932 lacks (NBSP, ⑴) become their NFKC form or 〓."""
    out = []
    for ch in text:
        for cand in (ch, unicodedata.normalize("NFKC", ch), "〓"):
            try:
                cand.encode("cp932")
            except UnicodeEncodeError:
                continue
            out.append(cand)
            break
    return "".join(out).encode("cp932")


def _pairs(ex: FileExtraction) -> Pairs:
    docs = {d.document_id: d for d in ex.documents}
    return [
        (
            m,
            DocInfo(
                docs[m.document_id].municipality,
                docs[m.document_id].fiscal_year,
                docs[m.document_id].source_format,
            ),
        )
        for m in ex.case_mentions
    ]


@pytest.fixture(scope="module")
def copies(corpus_text, corpus_pdf) -> dict[str, Pairs]:
    name, data = corpus_text("001")
    text = data.decode("utf-8")
    sources = {
        "text": (data, name),
        "pdf": (corpus_pdf.read_bytes(), corpus_pdf.name),
        "cp932": (to_cp932(text), "001_cp932.txt"),
        "utf16": (text.encode("utf-16"), "001_utf16.txt"),
        "reissue": (reissue(text).encode("utf-8"), "001_reissue.txt"),
        "undated7": (undated_row_7(text).encode("utf-8"), "001_undated7.txt"),
    }
    for prefix in ("002", "003", "004"):
        n, d = corpus_text(prefix)
        sources[prefix] = (d, n)
    sources["002_cp932"] = (to_cp932(corpus_text("002")[1].decode("utf-8")), "002_cp932.txt")
    sources["004_cp932"] = (to_cp932(corpus_text("004")[1].decode("utf-8")), "004_cp932.txt")
    return {key: _pairs(extract_bytes(d, n)) for key, (d, n) in sources.items()}


def _plan(copies: dict[str, Pairs], keys: list[str]) -> Plan:
    return plan([p for k in keys for p in copies[k]])


def _case(p: Plan, mention: CaseMention):
    case_id = p.case_of[mention.mention_id]
    return next(c for c in p.cases if c.case_id == case_id)


def _by_seq(copies: dict[str, Pairs], key: str) -> dict[int, CaseMention]:
    return {m.seq_no: m for m, _ in copies[key] if m.seq_no is not None}


def _link(p: Plan, a: CaseMention, b: CaseMention):
    ids = {a.mention_id, b.mention_id}
    found = [
        lk
        for lk in p.links
        if {lk.left_mention_id, lk.right_mention_id} == ids and lk.decision != "same_series"
    ]
    assert len(found) == 1, f"expected one case_links row for {ids}, found {len(found)}"
    return found[0]


# --------------------------------------------------------------------------- copies of 001 → 30 cases

MIXES = [
    ["text"],
    ["pdf"],
    ["text", "pdf"],
    ["text", "cp932", "utf16"],
    ["text", "reissue"],
    ["reissue", "pdf", "utf16"],
    ["text", "undated7"],
    ["text", "pdf", "cp932", "utf16", "reissue", "undated7"],
]


@pytest.mark.parametrize("keys", MIXES, ids="+".join)
def test_any_mix_of_001_copies_gives_30_cases(copies, keys):
    for k in keys:
        assert len(copies[k]) == 30
    p = _plan(copies, keys)
    assert len(p.cases) == 30
    assert all(c.mention_count == len(keys) and len(c.document_ids) == len(keys) for c in p.cases)
    assert sorted(c.seq_no or 0 for c in p.cases) == list(range(1, 31))
    assert len(p.case_of) == 30 * len(keys)


def test_case_ids_do_not_depend_on_which_copies_are_loaded(copies):
    """The id is the hash of municipality + 付議日 + number: every copy proposes the same one, so a re-issue
    loaded after the original (or before it) does not change it."""
    reference = {c.seq_no: c.case_id for c in _plan(copies, ["text"]).cases}
    for keys in MIXES[1:]:
        if "undated7" in keys:
            continue
        assert {c.seq_no: c.case_id for c in _plan(copies, keys).cases} == reference, keys
    # The undated copy of No.7 carries a weaker key; No.7 keeps the key the dated copy proposes.
    assert {c.seq_no: c.case_id for c in _plan(copies, ["undated7", "text"]).cases} == reference
    assert _plan(copies, ["reissue"]).cases[0].case_id in reference.values()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_plan_does_not_depend_on_input_order(copies, seed):
    pairs = [p for k in ("text", "pdf", "reissue", "undated7", "002", "004") for p in copies[k]]
    shuffled = pairs[:]
    random.Random(seed).shuffle(shuffled)
    a, b = plan(pairs), plan(shuffled)
    assert a.cases == b.cases
    assert a.links == b.links
    assert a.case_of == b.case_of


# --------------------------------------------------------------------------- the chosen values


@pytest.mark.parametrize(
    ("keys", "seq", "field", "expected"),
    [
        # 運營 (re-issue) and 運営 are one reading; the form without the variant character wins the tie.
        (["reissue", "text"], 7, "title", "売上向上実践講座に係る運営の委託について"),
        (
            ["reissue", "pdf"],
            8,
            "title",
            "私立認可保育所・認定こども園運営費等給付事務に係る外部結合について",
        ),
        # Two copies against one: the original wording of No.22 is the best supported.
        (["text", "pdf", "reissue"], 22, "title", "地場産業の魅力発信事業に係る業務の委託について"),
        (["reissue", "cp932", "utf16"], 22, "title", "地場産業の魅力発信事業に係る業務の委託について"),
        # The OCR-spaced 課名 of the re-issue is the registered name once cleaned.
        (["reissue", "pdf"], 2, "departments", ["行政管理課", "情報システム課"]),
        (["text", "reissue"], 15, "departments", ["行政管理課", "情報システム課", "四谷保健センター"]),
        # The undated copy does not blank the 付議日 the other copy states.
        (["undated7", "text"], 7, "deliberated_on", "2023-04-03"),
        (["text", "pdf"], 10, "categories", ["業務委託"]),
        (["text", "pdf"], 1, "unnamed_department_count", 10),
        (["text", "pdf"], 30, "result", "承認"),
    ],
)
def test_case_takes_the_best_supported_value(copies, keys, seq, field, expected):
    p = _plan(copies, keys)
    case = next(c for c in p.cases if c.seq_no == seq)
    value = getattr(case, field)
    assert (str(value) if field == "deliberated_on" else value) == expected


def test_case_records_its_documents(copies):
    p = _plan(copies, ["text", "pdf"])
    doc_ids = sorted({m.document_id for k in ("text", "pdf") for m, _ in copies[k]})
    assert all(c.document_ids == doc_ids for c in p.cases)
    assert {c.municipality for c in p.cases} == {"新宿区"}
    assert {c.fiscal_year for c in p.cases} == {2023}


# --------------------------------------------------------------------------- look-alikes and series


def test_recurring_kyodo_cases_are_distinct_but_one_series(copies):
    p = _plan(copies, ["text", "pdf", "reissue"])
    text = _by_seq(copies, "text")
    first, second = _case(p, text[1]), _case(p, text[15])
    assert (first.title, first.deliberated_on.isoformat()) == (KYODO, "2023-04-03")
    assert (second.title, second.deliberated_on.isoformat()) == (KYODO, "2023-05-31")
    assert first.case_id != second.case_id
    assert first.series_id == second.series_id
    # No pair across the two meetings was ever merged.
    assert not any(
        lk.decision == "same_case"
        and {p.case_of[lk.left_mention_id], p.case_of[lk.right_mention_id]} == {first.case_id, second.case_id}
        for lk in p.links
    )


def test_001_and_002_and_004_give_82_cases(copies):
    p = _plan(copies, ["text", "002", "004"])
    assert len(p.cases) == 30 + 51 + 1
    # Copies of each packet change nothing but the mention counts.
    q = _plan(copies, ["text", "pdf", "002", "002_cp932", "004", "004_cp932", "reissue"])
    assert [c.case_id for c in q.cases] == [c.case_id for c in p.cases]
    kyodo = {c.series_id for c in q.cases if c.title and c.title.startswith("東京共同電子申請")}
    assert len(kyodo) == 1
    series = [c for c in q.cases if c.series_id in kyodo]
    # 001 No.1, No.15; 002 No.1, No.7, No.16 (情報項目の追加), No.42.
    assert sorted(str(c.deliberated_on) for c in series) == [
        "2023-04-03",
        "2023-05-31",
        "2023-07-28",
        "2023-09-01",
        "2023-10-20",
        "2024-01-15",
    ]
    chain = [
        lk
        for lk in q.links
        if lk.decision == "same_series" and q.case_of[lk.left_mention_id] in {c.case_id for c in series}
    ]
    assert len(chain) == 5 and {lk.rule for lk in chain} == {"series_title"}


def test_setagaya_items_are_not_touched(copies, corpus_text):
    """sensitive_items (Setagaya's repeated 総合支所 rows) are not case mentions: dedupe never sees them."""
    assert copies["003"] == []
    name, data = corpus_text("003")
    ex = extract_bytes(data, name)
    p = _plan(copies, ["003", "text"])
    assert len(p.cases) == 30
    assert not {d.document_id for d in ex.documents} & {d for c in p.cases for d in c.document_ids}


# --------------------------------------------------------------------------- the audit trail


def test_merged_pairs_are_linked_with_their_rule(copies):
    p = _plan(copies, ["text", "reissue"])
    merged = [lk for lk in p.links if lk.decision == "same_case"]
    assert len(merged) == 30
    assert {lk.rule for lk in merged} == {"date_number_title"}
    text, re_ = _by_seq(copies, "text"), _by_seq(copies, "reissue")
    lk = _link(p, text[22], re_[22])
    details = json.loads(lk.details)
    assert details["title"][0] != details["title"][1]
    assert "新宿区地場産業の魅力発信事業に係る業務の委託について" in details["title"]
    assert 90 < lk.score < 100
    assert details["deliberated_on"] == ["2023-05-31", "2023-05-31"]
    assert details["seq_no"] == [22, 22]
    # 運營 is folded for matching: the titles of No.7 compare equal.
    assert _link(p, text[7], re_[7]).score == 100.0


def test_undated_copy_merges_only_between_aligned_documents(copies):
    p = _plan(copies, ["text", "undated7"])
    lk = _link(p, _by_seq(copies, "text")[7], _by_seq(copies, "undated7")[7])
    assert (lk.decision, lk.rule) == ("same_case", "fiscal_year_number_title")
    details = json.loads(lk.details)
    assert details["aligned_numbers"] == 30 and details["aligned_share"] == 1.0
    # A later packet's No.1 whose 付議日 did not parse: same number, same title, but the packets are not
    # copies of one list (case numbers restart in every packet), so it stays apart.
    kyodo = _by_seq(copies, "text")[1]
    stray = kyodo.model_copy(
        update={"mention_id": "other-00:1", "document_id": "other-00", "deliberated_on": None}
    )
    info = copies["text"][0][1]
    q = plan([*copies["text"], (stray, info)])
    assert len(q.cases) == 31
    lk = _link(q, kyodo, stray)
    assert (lk.decision, lk.rule, lk.score) == ("distinct", "documents_not_aligned", 100.0)


@pytest.mark.parametrize(
    ("left", "right", "rule"),
    [
        # 9月6日, both 医療保険年金課: 国民年金 vs 国保標準, one word apart (score 92.9).
        (13, 14, "title_differs"),
        # 12月21日, both 医療保険年金課, score 94.4.
        (39, 40, "title_differs"),
        # 9月6日: 住民記録 (戸籍住民課) vs 国民年金 (医療保険年金課).
        (12, 13, "departments_differ"),
    ],
)
def test_look_alikes_of_one_meeting_are_kept_apart_and_linked(copies, left, right, rule):
    p = _plan(copies, ["002", "002_cp932"])
    assert len(p.cases) == 51
    a, b = _by_seq(copies, "002"), _by_seq(copies, "002_cp932")
    lk = _link(p, a[left], b[right])
    assert lk.decision == "distinct" and lk.rule == rule and lk.score >= 70
    assert _case(p, a[left]).case_id != _case(p, b[right]).case_id
    assert _case(p, a[left]).case_id == _case(p, b[left]).case_id


def test_another_item_of_a_series_at_the_same_meeting_is_kept_apart(copies):
    """A second 共同電子申請 item on 4月3日 under another number, qualified （情報項目の追加）: one series,
    two cases, and the pair is in case_links with the rule that kept it apart."""
    kyodo = _by_seq(copies, "text")[1]
    other = kyodo.model_copy(
        update={
            "mention_id": "other-00:31",
            "document_id": "other-00",
            "seq_no": 31,
            "title": KYODO.replace("手続の追加", "情報項目の追加"),
        }
    )
    p = plan([*copies["text"], (other, copies["text"][0][1])])
    assert len(p.cases) == 31
    lk = _link(p, kyodo, other)
    assert (lk.decision, lk.rule) == ("distinct", "qualifier_differs")
    assert json.loads(lk.details)["qualifier"] == ["(手続の追加)", "(情報項目の追加)"]
    assert _case(p, kyodo).series_id == _case(p, other).series_id


# --------------------------------------------------------------------------- oversized blocks


def test_oversized_block_is_compared_by_neighbourhood():
    """600 mentions on one date without numbers, two copies of 300 rows: linear work, every copy found."""
    rows = [f"第{k}地区の{'健康' if k % 2 else '福祉'}事業に係る業務の委託について" for k in range(300)]
    info = DocInfo("新宿区", 2023, "text")
    import datetime as dt

    pairs = [
        (
            CaseMention(
                mention_id=f"{doc}:{k}",
                document_id=doc,
                title=title,
                departments=["健康づくり課"],
                deliberated_on=dt.date(2023, 4, 3),
            ),
            info,
        )
        for doc in ("a-00", "b-00")
        for k, title in enumerate(rows)
    ]
    p = plan(pairs)
    assert p.stats["oversized_blocks"] == 1
    assert p.stats["pairs_compared"] <= 600 * 3 * 6
    assert len(p.cases) == 300
    assert all(c.mention_count == 2 for c in p.cases)


# --------------------------------------------------------------------------- series titles and rules


@pytest.mark.parametrize(
    ("title", "series", "qualifier"),
    [
        (KYODO, "東京共同電子申請・届出サービスの利用に係る外部結合等について", "(手続の追加)"),
        (
            "区政モニターアンケートに係る封入封緘業務等の委託について（委託内容の変更）",
            "区政モニターアンケートに係る封入封緘業務等の委託について",
            "（委託内容の変更）",
        ),
        (
            "税務システムの再整備等について(特定個人情報保護評価のパブリック・コメント等の実施結果)",
            "税務システムの再整備等について",
            "(特定個人情報保護評価のパブリック・コメント等の実施結果)",
        ),
        # A parenthesis inside the title or without a qualifier word stays.
        (
            "ベビーシッター利用支援事業(一時預かり利用支援)委託について",
            "ベビーシッター利用支援事業(一時預かり利用支援)委託について",
            "",
        ),
        ("(仮称)児童相談システムの開発等について", "(仮称)児童相談システムの開発等について", ""),
        ("保育業務支援システムの開発(仮称)", "保育業務支援システムの開発(仮称)", ""),
        ("Xについて(手続の追加)(一部変更)", "Xについて", "(手続の追加)(一部変更)"),
        (None, "", ""),
    ],
)
def test_series_title(title, series, qualifier):
    assert series_title(title) == series
    assert split_qualifier(title) == (series, qualifier)


def test_settings_validate_themselves():
    with pytest.raises(RuleError, match="title_date_number"):
        Settings(120, 97, 100, 90, 95, 85, 85, 1.0, 0.6, 3, 70, 60, 6, ("追加",))
    with pytest.raises(RuleError, match="content_undated"):
        Settings(75, 97, 100, 90, 101, 85, 85, 1.0, 0.6, 3, 70, 60, 6, ("追加",))
    with pytest.raises(RuleError, match="qualifier_words"):
        Settings(75, 97, 100, 90, 95, 85, 85, 1.0, 0.6, 3, 70, 60, 6, ())


# --------------------------------------------------------------------------- through the store


def _store_ids(db: Path) -> tuple[dict[int, str], int, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        ids = dict(
            con.execute(
                "SELECT seq_no, case_id FROM cases WHERE deliberated_on < DATE '2023-07-01'"
            ).fetchall()
        )
        (n_cases,) = con.execute("SELECT count(*) FROM cases").fetchone() or (0,)
        (unlinked,) = con.execute("SELECT count(*) FROM case_mentions WHERE case_id IS NULL").fetchone() or (
            0,
        )
    return ids, int(n_cases), int(unlinked)


def test_loading_order_does_not_change_ids(tmp_path, corpus_text):
    """Original first then the re-issue, or the other way round: the same ids, and the ids the first
    load gave do not change when the re-issue merges."""
    _name, data = corpus_text("001")
    files = {"a_original.txt": data, "b_reissue.txt": reissue(data.decode("utf-8")).encode("utf-8")}
    results: list[dict[int, str]] = []
    for order in (list(files), list(reversed(files))):
        raw, db = tmp_path / f"raw{len(results)}", tmp_path / f"store{len(results)}.duckdb"
        raw.mkdir()
        seen = []
        for fname in order:
            (raw / fname).write_bytes(files[fname])
            ingest(Options(raw_dir=raw, db=db, jobs=1))
            seen.append(_store_ids(db))
        assert seen[0][0] == seen[1][0]
        assert [n for _, n, _ in seen] == [30, 30]
        assert [u for _, _, u in seen] == [0, 0]
        results.append(seen[1][0])
        shutil.rmtree(raw)
    assert results[0] == results[1]


# --------------------------------------------------------------------------- council items


def test_copies_of_a_council_item_merge_on_title_and_text(copies):
    """004's item has neither 付議日 nor case number: its copy in CP932 is the same case."""
    p = _plan(copies, ["004", "004_cp932"])
    (case,) = p.cases
    assert case.mention_count == 2
    assert case.title == "住民異動届等入出力処理業務等の委託について(情報項目の追加)"
    (a, _), (b, _) = copies["004"][0], copies["004_cp932"][0]
    link = _link(p, a, b)
    assert (link.decision, link.rule) == ("same_case", "title_content")
    assert json.loads(link.details)["content_score"] == 100.0


def test_a_council_item_with_the_same_title_and_other_text_stays_apart(copies):
    item, info = copies["004"][0]
    other = _by_seq(copies, "text")[3]  # another business's sheet
    again = item.model_copy(
        update={
            "mention_id": "later:1",
            "document_id": "later",
            "summary": other.summary,
            "purpose": other.purpose,
        }
    )
    p = plan([(item, info), (again, info)])
    assert len(p.cases) == 2
    link = _link(p, item, again)
    assert (link.decision, link.rule) == ("distinct", "content_differs")
    assert json.loads(link.details)["content_score"] < 95


def test_a_title_that_adds_or_drops_a_word_stays_in_its_series(copies):
    """002 titles the tax system's cases 再整備等について, then 再整備について, then 再整備等 again."""
    p = _plan(copies, ["text", "002"])
    tax = sorted(
        (str(c.deliberated_on), c.title, c.series_id)
        for c in p.cases
        if "税務システムの再整備" in (c.title or "")
    )
    assert [(d, t) for d, t, _ in tax] == [
        ("2023-09-01", "税務システムの再整備等について"),
        ("2023-10-20", "税務システムの再整備について(特定個人情報保護評価の報告)"),
        (
            "2023-12-21",
            "税務システムの再整備等について(特定個人情報保護評価のパブリック・コメント等の実施結果)",
        ),
    ]
    assert len({s for _, _, s in tax}) == 1


@pytest.mark.parametrize(
    ("printed", "reprinted"),
    [
        ("令和元年11月5日", "令和2年11月5日"),  # the same item reported again a year later
        ("平成28年", "令和28年"),  # the same figure, another era
    ],
)
def test_a_council_item_whose_figures_differ_stays_apart(copies, printed, reprinted):
    item, info = copies["004"][0]
    assert item.summary is not None and printed in item.summary
    again = item.model_copy(
        update={
            "mention_id": "later:1",
            "document_id": "later",
            "summary": item.summary.replace(printed, reprinted),
        }
    )
    p = plan([(item, info), (again, info)])
    link = _link(p, item, again)
    assert (len(p.cases), link.decision, link.rule) == (2, "distinct", "content_differs")
    details = json.loads(link.details)
    assert details["content_score"] >= 95 and details["figures_agree"] is False
