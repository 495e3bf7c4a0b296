"""The seam of the pipeline: one file's bytes (and its name) → every record it contributes.

`extract_bytes` is a pure function with no access to the store: the local process pool and any
distributed executor call it the same way, and `council extract` prints its result.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pipeline.checks import run_checks
from pipeline.documents import layout_hints
from pipeline.documents.council_item import parse_council_item
from pipeline.documents.deliberation_list.rows import ListRow, parse_list
from pipeline.documents.deliberation_list.sheets import Sheet, parse_sheets
from pipeline.documents.incident import parse_incident
from pipeline.documents.outsourcing import parse_outsourcing
from pipeline.documents.review_status import parse_review_status
from pipeline.model import Source
from pipeline.normalise.dates import DateError, parse_date
from pipeline.normalise.departments import split_departments
from pipeline.normalise.text import clean, clean_multiline
from pipeline.read import read_bytes
from pipeline.segment import Segment, segment
from schemas import CaseMention, Document, FileExtraction

# Bump when parsing changes what a file yields: every file is re-parsed on the next ingest.
PARSER_VERSION = "0.2.0"

_CATEGORY_SPLIT = re.compile(r"[、,・\n]+")


def document_id(sha256: str, position: int) -> str:
    """Stable: the same bytes give the same ids, whatever the file is called or when it is read."""
    return f"{sha256[:16]}-{position:02d}"


def split_categories(raw: str | None) -> list[str]:
    if not raw:
        return []
    return [c for c in (clean(p) for p in _CATEGORY_SPLIT.split(raw)) if c]


def _mention_from_row(row: ListRow, seg: Segment, doc_id: str) -> CaseMention:
    warnings = list(row.warnings)
    depts = split_departments(row.departments_raw, seg.municipality)
    deliberated_on = None
    if row.date_raw:
        try:
            deliberated_on = parse_date(row.date_raw, seg.context)
        except DateError as exc:
            warnings.append(f"deliberated_on: {row.date_raw}: {exc}")
    return CaseMention(
        mention_id=f"{doc_id}:{row.seq_no}",
        document_id=doc_id,
        seq_no=row.seq_no,
        title=row.title,
        departments=depts.names,
        departments_raw=row.departments_raw,
        unnamed_department_count=depts.unnamed_count,
        categories=split_categories(row.categories_raw),
        deliberated_on=deliberated_on,
        result=row.result,
        line_start=row.line_start,
        line_end=row.line_end,
        page_start=row.page_start,
        page_end=row.page_end,
        warnings=warnings,
    )


def _apply_sheet(m: CaseMention, sheet: Sheet, seg: Segment) -> None:
    """One row carries list and sheet: the list's 担当課 win, the sheet's text stays in its raw column."""
    m.program_name = sheet.program_name
    m.detail_departments_raw = sheet.detail_departments_raw
    m.purpose = sheet.purpose
    m.target = sheet.target
    m.summary = sheet.summary
    m.target_count = sheet.target_count
    m.target_count_unit = sheet.target_count_unit
    m._has_sheet, m._sheet_heading = True, sheet.heading
    if not m.departments and sheet.detail_departments_raw:
        depts = split_departments(sheet.detail_departments_raw, seg.municipality)
        m.departments, m.unnamed_department_count = depts.names, depts.unnamed_count
    if not m.categories:
        m.categories = split_categories(sheet.categories_raw)
    if m.title is None:
        m.title = sheet.heading
    for attr in ("line_start", "page_start"):
        a, b = getattr(m, attr), getattr(sheet, attr)
        if b is not None and b != 0:
            setattr(m, attr, b if a is None else min(a, b))
    for attr in ("line_end", "page_end"):
        a, b = getattr(m, attr), getattr(sheet, attr)
        if b is not None and b != 0:
            setattr(m, attr, b if a is None else max(a, b))
    m.warnings = m.warnings + [f"sheet: {w}" for w in sheet.warnings]


def _sheet_only_mention(sheet: Sheet, seg: Segment, doc_id: str, k: int) -> CaseMention:
    depts = split_departments(sheet.detail_departments_raw, seg.municipality)
    m = CaseMention(
        mention_id=f"{doc_id}:s{sheet.seq_no if sheet.seq_no is not None else k}",
        document_id=doc_id,
        seq_no=sheet.seq_no,
        title=sheet.heading,
        departments=depts.names,
        departments_raw=None,
        unnamed_department_count=depts.unnamed_count,
        categories=split_categories(sheet.categories_raw),
        warnings=[f"sheet: no list row has case number {sheet.seq_no}; kept from its detail sheet alone"],
    )
    _apply_sheet(m, sheet, seg)
    return m


def parse_deliberation_list(seg: Segment, doc_id: str) -> tuple[list[CaseMention], list[str]]:
    rows = parse_list(seg.lines, seg.municipality)
    mentions = [_mention_from_row(r, seg, doc_id) for r in rows]
    for m in mentions:
        m._listed = True
    by_seq: dict[int, CaseMention] = {}
    for m in mentions:
        if m.seq_no is not None:
            by_seq.setdefault(m.seq_no, m)
    notices: list[str] = []
    for k, sheet in enumerate(parse_sheets(seg.lines, seg.context), start=1):
        target = by_seq.get(sheet.seq_no) if sheet.seq_no is not None else None
        if target is not None and target.program_name is None:
            _apply_sheet(target, sheet, seg)
        else:
            mentions.append(_sheet_only_mention(sheet, seg, doc_id, k))
            notices.append(f"detail sheet No.{sheet.seq_no} matches no row of the case list")
    if not rows:
        notices.append("a 審議案件一覧 document with no case-list rows found")
    return mentions, notices


def _notice_unknown_departments(mentions: list[CaseMention], municipality: str | None) -> list[str]:
    unknown: set[str] = set()
    for m in mentions:
        unknown.update(split_departments(m.departments_raw, municipality).unknown)
    return [f"課名 not in the registry: {name}" for name in sorted(unknown)]


DocParser = Callable[[Segment, str, FileExtraction], list[str]]


def _deliberation(seg: Segment, doc_id: str, out: FileExtraction) -> list[str]:
    mentions, notices = parse_deliberation_list(seg, doc_id)
    out.case_mentions.extend(mentions)
    return notices + _notice_unknown_departments(mentions, seg.municipality)


def _outsourcing(seg: Segment, doc_id: str, out: FileExtraction) -> list[str]:
    entries, counts, notices = parse_outsourcing(seg, doc_id)
    out.outsourcing_entries.extend(entries)
    out.institution_counts.extend(counts)
    return notices


def _review(seg: Segment, doc_id: str, out: FileExtraction) -> list[str]:
    items, counts, notices = parse_review_status(seg, doc_id)
    out.sensitive_items.extend(items)
    out.institution_counts.extend(counts)
    return notices


def _incident(seg: Segment, doc_id: str, out: FileExtraction) -> list[str]:
    incidents, notices = parse_incident(seg, doc_id)
    out.incidents.extend(incidents)
    return notices


def _council_item(seg: Segment, doc_id: str, out: FileExtraction) -> list[str]:
    mentions, notices = parse_council_item(seg, doc_id)
    out.case_mentions.extend(mentions)
    return notices + _notice_unknown_departments(mentions, seg.municipality)


PARSERS: dict[str, DocParser] = {
    "deliberation_list": _deliberation,
    "outsourcing_report": _outsourcing,
    "review_status_report": _review,
    "incident_report": _incident,
    "council_item": _council_item,
}


def extract_source(src: Source) -> FileExtraction:
    out = FileExtraction(source_path=src.source_path, file_sha256=src.sha256)
    for position, seg in enumerate(segment(src.lines)):
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
                warnings=list(seg.warnings),
            )
        )
        label = f"{src.source_path} document {position + 1} ({seg.doc_type})"
        notices = [f"{label}: {w}" for w in seg.warnings]
        parser = PARSERS.get(seg.doc_type)
        if parser is None:
            notices.append(f"{label}: type not recognised; kept as an unknown document with its text")
        else:
            notices += [f"{label}: {n}" for n in parser(seg, doc_id, out)]
        out.notices.extend(notices)
    _unique_mention_ids(out.case_mentions)
    run_checks(out)
    return out


def _unique_mention_ids(mentions: list[CaseMention]) -> None:
    """A number printed twice (OCR reads 15 as 5) must not cost the file its load: the store keys
    mentions by id, so a repeated id takes `~2`, `~3` … in printed order."""
    seen: dict[str, int] = {}
    for m in mentions:
        n = seen[m.mention_id] = seen.get(m.mention_id, 0) + 1
        if n > 1:
            m.mention_id = f"{m.mention_id}~{n}"


def extract_bytes(data: bytes, source_path: str) -> FileExtraction:
    """Parse one file. Raises `pipeline.read.ExtractionError` for a file that is not a usable packet."""
    return extract_source(read_bytes(data, source_path, layout_hints()))


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
