"""The seam of the pipeline: one file's bytes (and its name) → every record it contributes.

`extract_bytes` is a pure function with no access to the store: the local process pool and any
distributed executor call it the same way, and `council extract` prints its result. It loops over
the registered document types (pipeline/documents): each document goes to its type's `parse`.
"""

from __future__ import annotations

from collections.abc import Sequence

from pipeline import documents
from pipeline.documents.registry import DocumentType, check
from pipeline.model import Source
from pipeline.normalise.departments import split_departments
from pipeline.normalise.text import clean_multiline
from pipeline.read import read_bytes
from pipeline.segment import Segment, segment
from schemas import CaseMention, Document, FileExtraction, Record

# Bump when parsing changes what a file yields: every file is re-parsed on the next ingest.
PARSER_VERSION = "0.1.0"


def document_id(sha256: str, position: int) -> str:
    """Stable: the same bytes give the same ids, whatever the file is called or when it is read."""
    return f"{sha256[:16]}-{position:02d}"


def _notice_unknown_departments(mentions: Sequence[Record], municipality: str | None) -> list[str]:
    unknown: set[str] = set()
    for m in mentions:
        assert isinstance(m, CaseMention)  # `check` has seen to it
        unknown.update(split_departments(m.departments_raw, municipality).unknown)
    return [f"課名 not in the registry: {name}" for name in sorted(unknown)]


def _parse(kind: DocumentType, seg: Segment, doc_id: str, out: FileExtraction) -> list[str]:
    parsed = kind.parse(seg, doc_id)
    check(kind, parsed)
    for table, records in parsed.records.items():
        getattr(out, table).extend(records)
    notices = list(parsed.notices)
    if "case_mentions" in parsed.records:
        notices += _notice_unknown_departments(parsed.records["case_mentions"], seg.municipality)
    return notices


def extract_source(src: Source) -> FileExtraction:
    out = FileExtraction(source_path=src.source_path, file_sha256=src.sha256)
    for position, seg in enumerate(segment(src.lines, documents.recognitions())):
        doc_id = document_id(src.sha256, position)
        out.documents.append(
            Document(
                document_id=doc_id,
                file_sha256=src.sha256,
                source_path=src.source_path,
                source_format="pdf" if src.source_format == "pdf" else "text",
                encoding=src.encoding,
                municipality=seg.municipality,
                doc_type=seg.doc_type,
                report_no=seg.report_no,
                title=seg.title,
                issued_on=seg.issued_on,
                fiscal_year=seg.fiscal_year,
                period_start=seg.period_start,
                period_end=seg.period_end,
                page_count=src.page_count,
                text=clean_multiline(seg.text) or "",
                parser_version=PARSER_VERSION,
            )
        )
        label = f"{src.source_path} document {position + 1} ({seg.doc_type})"
        notices = [f"{label}: {w}" for w in seg.warnings]
        kind = documents.get(seg.doc_type)
        if kind is None:
            notices.append(f"{label}: type not recognised; kept as an unknown document with its text")
        else:
            notices += [f"{label}: {n}" for n in _parse(kind, seg, doc_id, out)]
        out.notices.extend(notices)
    return out


def extract_bytes(data: bytes, source_path: str) -> FileExtraction:
    """Parse one file. Raises `pipeline.read.ExtractionError` for a file that is not a usable packet."""
    return extract_source(read_bytes(data, source_path))


# One small packet holding every document type: parsing it once fills every cache (rules files,
# compiled patterns, the 課名 registry) in the parent, so forked workers start warm.
_WARM_UP = """報告第1号
令和5年度新宿区個人情報保護管理運営会議における審議案件一覧
新宿区個人情報保護管理運営会議で令和5年4月から6月に審議した案件について報告する。
No.\t事業名\t担当課\t区分\t付議日\t審議結果
1\t電子申請に係る外部結合について\t行政管理課、情報システム課外1課\t外部結合\t4月3日\t承認
電子申請に係る外部結合について（No.1）
事業名\t電子申請
担当課\t行政管理課
区分\t外部結合
目的\t利便性の向上
対象者\t申請者
事業内容\t3 対象者数 約100件
報告第6号
令和5年度新宿区個人情報保護管理運営会議における審議案件一覧
№ 事業名 担当課 区分 付議日
審議
結果
1
東京共同電子申請・届出サービスの利用に係
る外部結合等について（手続の追加）

行政管理課、情
報システム課

外部結合、
業務委託

７月２８日 承認
 東京共同電子申請・届出サービスの利用に係る外部結合等について（手続の追加）（№１）
事業名 行政手続のオンライン化等の推進
担当課 行政管理課、情報システム課外４課
区 分 外部結合、業務委託
目 的
申請者の利便性の向上を図るため。
３ 対象者
  約３，１２０件
個人情報の
流れ及び情
報保護対策
別紙のとおり
報告第2号
7 個人情報業務委託の状況
(1) 実施機関別個人情報業務委託件数
件数 実施機関\t委託数\t新たな業務委託数
区長\t1\t1
(2)新たに個人情報業務委託を行った業務の内訳
No.\t保有課\t業務登録番号\t委託する個人情報業務の名称\t特定個人情報の有無\t委託する業務の内容\t開始(新規)年度\t終了年度\t追加理由
1\t総務課\t230101-043\t給付事業\t○\t発送業務\tR3\t\t新規委託のため
報告第3号
個人情報を取り扱う業務の審査の状況について
実施機関\t審査件数\tうち、要配慮個人情報 を取り扱うもの
区長\t1\t1
No\t委託の内容\t担当部課\t実施機関\t要配慮個人情報 (有/無)\t条例要配慮個人情報 (有/無)
1\t避難行動要支援者の支援\t総務部区政情報課\t区長\t有\t無
報告第4号
個人情報を含む文書の誤廃棄について
令和5年8月18日
1 事案の概要
(3) 誤廃棄した件数
約40件
2 事案の経過
- (1) 6月26日(月) 文書を廃棄した。
報告第5号
情報公開・個人情報保護審議会 諮問・報告事項
件 名\t電子申請の委託について
事業名\t電子申請
担当課\t戸籍住民課
"""


def warm_up() -> None:
    """Fill the parsers' caches in this process (see `_WARM_UP`); never fails."""
    try:
        extract_bytes(_WARM_UP.encode("utf-8"), "warm-up.txt")
    except Exception:  # warming is an optimisation only: a failure here is found again per file
        return
