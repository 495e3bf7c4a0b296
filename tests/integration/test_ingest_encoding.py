"""Text encodings: detected from the bytes (never from a guess that yields mojibake) and recorded."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from ingest_support import query, run

from pipeline.model import ExtractionError
from pipeline.read.text import decode_text

SAMPLE = (
    "令和5年度 新宿区個人情報保護管理運営会議 審議案件一覧\n"
    "No.\t事業名\t担当課\t付議日\n"
    "1\t住民異動届等入出力処理業務等の委託について（情報項目の追加）\t戸籍住民課\t4月3日\n"
)


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (SAMPLE.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + SAMPLE.encode("utf-8"), "utf-8-sig"),
        (SAMPLE.encode("cp932"), "cp932"),
        (SAMPLE.encode("euc-jp"), "euc-jp"),
        (SAMPLE.encode("euc_jis_2004"), "euc-jp"),
        (codecs.BOM_UTF16_LE + SAMPLE.encode("utf-16-le"), "utf-16"),
        (codecs.BOM_UTF16_BE + SAMPLE.encode("utf-16-be"), "utf-16"),
        (SAMPLE.encode("utf-16-le"), "utf-16-le"),
        (SAMPLE.encode("utf-16-be"), "utf-16-be"),
        ("No. 1\tR5.4.3\n".encode("utf-16-le"), "utf-16-le"),  # ASCII only: NULs every other byte
        ("No. 1\tR5.4.3\n".encode("cp932"), "utf-8"),  # ASCII is both: UTF-8 wins
    ],
)
def test_encodings_are_detected(data: bytes, encoding: str) -> None:
    text, detected = decode_text(data, "x.txt")
    assert detected == encoding
    assert text in (SAMPLE, "No. 1\tR5.4.3\n")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            SAMPLE.encode("cp932")[:-3] + b"\x81",  # cut inside a double-byte character
            "x.txt: is neither UTF-8, UTF-16, Shift_JIS (CP932) nor EUC-JP text; re-save it as UTF-8.",
        ),
        (
            SAMPLE.encode("cp932")[:40].decode("cp932").encode("euc-jp")[:-1] + SAMPLE.encode("cp932")[40:],
            "x.txt: is neither UTF-8, UTF-16, Shift_JIS (CP932) nor EUC-JP text; re-save it as UTF-8.",
        ),
        (
            SAMPLE.encode("utf-8")[:10] + b"\xff" + SAMPLE.encode("utf-8")[11:],
            "x.txt: is UTF-8 text with 3 invalid byte(s), the first at byte 10; the file is damaged: "
            "download or convert it again.",
        ),
        (
            codecs.BOM_UTF8 + b"\xe4\xbb",
            "x.txt: is UTF-8 text with 1 invalid byte(s), the first at byte 0; the file is damaged: "
            "download or convert it again.",
        ),
        (
            codecs.BOM_UTF16_LE + SAMPLE.encode("utf-16-le") + b"\x00",
            "x.txt: has a UTF-16 byte-order mark but is not valid UTF-16; convert it again.",
        ),
        (
            b"\x00" * 64,
            "x.txt: is binary data, not text (it is full of NUL bytes); export the packet's text again.",
        ),
    ],
)
def test_undecodable_text_is_refused_with_a_reason(data: bytes, message: str) -> None:
    with pytest.raises(ExtractionError) as err:
        decode_text(data, "x.txt")
    assert (err.value.kind, err.value.message) == ("unreadable", message)


def test_every_encoding_of_one_packet_loads_the_same_document(tmp_path: Path, corpus: Path) -> None:
    text = next((corpus / "text").glob("004_*.txt")).read_text(encoding="utf-8")
    raw = tmp_path / "raw"
    raw.mkdir()
    written = {
        "utf-8.txt": text.encode("utf-8"),
        "utf-8-bom.txt": codecs.BOM_UTF8 + text.encode("utf-8"),
        "shift_jis.txt": text.encode("cp932"),
        "euc-jp.txt": text.encode("euc_jis_2004"),
        "utf-16-bom.txt": text.encode("utf-16"),
        "utf-16-le.txt": text.encode("utf-16-le"),
        "utf-16-be.txt": text.encode("utf-16-be"),
    }
    for name, data in written.items():
        (raw / name).write_bytes(data)
    summary = run(raw, tmp_path / "council.duckdb")
    assert (summary.files_new, summary.files_failed) == (7, 0)
    rows = query(
        tmp_path / "council.duckdb",
        "SELECT source_path, encoding, doc_type, title, md5(text) FROM documents ORDER BY source_path",
    )
    assert [r[:2] for r in rows] == [
        ("euc-jp.txt", "euc-jp"),
        ("shift_jis.txt", "cp932"),
        ("utf-16-be.txt", "utf-16-be"),
        ("utf-16-bom.txt", "utf-16"),
        ("utf-16-le.txt", "utf-16-le"),
        ("utf-8-bom.txt", "utf-8-sig"),
        ("utf-8.txt", "utf-8"),
    ]
    # One packet, read the same way whatever its encoding.
    assert {r[2:] for r in rows} == {rows[0][2:]}
    assert rows[0][2:4] == ("council_item", "情報公開・個人情報保護審議会諮問・報告事項")
