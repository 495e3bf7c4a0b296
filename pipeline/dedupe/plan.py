"""Stage 5: case mentions → cases. A plan first (decisions with their reasons), then applied by the loader.

The same deliberation reaches the store more than once (PDF and text of one packet, a re-issue, a
re-encoded copy); many different deliberations look alike (the recurring 共同電子申請 item, the
標準化 移行 cases of one meeting that differ in one word). So:

* candidate pairs come from blocks, never from all pairs: municipality + 付議日, municipality +
  fiscal year + case number for mentions without a 付議日, and municipality + fiscal year + title for
  mentions with neither (council items); an oversized block is compared by sorted neighbourhood, so
  the cost stays linear;
* two mentions of one document are never compared (a list does not repeat a case);
* a pair is the same case only when 付議日, number and departments agree and the folded titles score
  high; how high depends on which of date and number agree (thresholds in `rules/dedupe.toml`); a pair
  without a 付議日 also needs the two documents to be copies of one list (aligned case numbers); a pair
  with neither date nor number needs identical folded titles and nearly identical texts (事業内容)
  whose figures (dates, counts) all agree;
* ambiguity never merges: a mention with two equally strong matches in one other document merges with
  neither, and a merge that would put two mentions of one document in one case is refused;
* every compared pair that merged or came close is a `case_links` row with its rule, score and values.

Ids derive from content, never from input order or time: `plan` is a function of the set of mentions,
so the final ids do not depend on the order files were loaded. A case's id is the hash of its anchor,
the identity key most of its mentions share: municipality + 付議日 + number when both are printed
(title-free, so a re-issue that rewords a title keeps the id). What is guaranteed, and what is not:

* adding mentions that merge into an existing case with the same anchor key (the same list row as PDF,
  text, re-encoded or re-issued copy with edited wording) keeps its id, whichever copy came first;
* adding mentions that do not merge with a case never changes its id, except when a new case claims
  the same anchor key with more support (two lists numbering one meeting differently): keys are given
  out by support, then cluster size, then key, and a case that loses its key falls back to its next one;
* a case whose merged mentions carry different anchor keys (a renumbered re-issue, a copy whose
  付議日 did not parse) takes the best-supported key; which copy came first cannot matter, so its id
  may change when the merge happens.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

from pipeline.dedupe.keys import Settings, fold_key, hashed, quality, series_key, settings, split_qualifier
from pipeline.dedupe.series import SeriesEntry, series_links
from pipeline.dedupe.values import alone, best, majority
from pipeline.normalise.text import match_key
from schemas import CASE_FIELDS, Case, CaseLink, CaseMention


@dataclass(frozen=True)
class DocInfo:
    municipality: str | None
    fiscal_year: int | None
    source_format: str


@dataclass
class Plan:
    case_of: dict[str, str] = field(default_factory=dict)  # mention_id → case_id
    cases: list[Case] = field(default_factory=list)
    links: list[CaseLink] = field(default_factory=list)
    stats: Counter[str] = field(default_factory=Counter)  # blocks, pairs compared, oversized blocks …


# --------------------------------------------------------------------------- prepared mentions


@dataclass
class _M:
    m: CaseMention
    doc: DocInfo
    muni: str
    title_key: str
    series_key: str
    qualifier_key: str
    dept_text: str  # canonical names, match-folded, sorted, space-joined (token_set_ratio's tokens)
    content_key: str = ""  # folded summary (else purpose, 事業名) of a mention with neither date nor number

    @property
    def anchor(self) -> tuple[int, str]:
        """(tier, key): the identity this mention proposes for its case; lower tiers are stronger."""
        d, n, fy = self.m.deliberated_on, self.m.seq_no, self.doc.fiscal_year
        if d is not None and n is not None:
            return 0, f"{self.muni}|{d.isoformat()}|No.{n}"
        if d is not None:
            return 1, f"{self.muni}|{d.isoformat()}|{self.title_key}"
        if n is not None and fy is not None:
            return 2, f"{self.muni}|FY{fy}|No.{n}|{self.title_key}"
        return 3, f"{self.muni}|FY{fy or ''}|{self.title_key}"


def _prepare(mentions: Iterable[tuple[CaseMention, DocInfo]]) -> list[_M]:
    out = []
    for m, doc in mentions:
        core, qualifier = split_qualifier(m.title)
        depts = " ".join(sorted({fold_key(d) for d in m.departments} - {""}))
        out.append(
            _M(
                m,
                doc,
                doc.municipality or "",
                fold_key(m.title),
                fold_key(core),
                fold_key(qualifier),
                depts,
                # Not the cached fold_key: summaries are long and rarely repeat.
                match_key(m.summary or m.purpose or m.program_name)
                if m.deliberated_on is None and m.seq_no is None
                else "",
            )
        )
    # Sorting by mention id makes every later step independent of the order mentions arrive in.
    out.sort(key=lambda it: it.m.mention_id)
    return out


# --------------------------------------------------------------------------- blocking


def _neighbourhood(members: list[int], items: list[_M], window: int) -> Iterator[tuple[int, int]]:
    """Pairs of an oversized block: each mention with its next `window` in three sort orders.

    Copies of one row sort together by number (lists), by title, or by reversed title (a word added at
    the start of a title); ties break on the mention id, so the pairs do not depend on input order.
    """
    orders = (
        lambda i: (items[i].m.seq_no if items[i].m.seq_no is not None else -1, items[i].title_key, i),
        lambda i: (items[i].title_key, items[i].dept_text, i),
        lambda i: (items[i].title_key[::-1], items[i].dept_text, i),
    )
    for key in orders:
        ranked = sorted(members, key=key)
        for x, i in enumerate(ranked):
            for j in ranked[x + 1 : x + 1 + window]:
                yield (i, j) if i < j else (j, i)


def _candidates(items: list[_M], s: Settings, stats: Counter[str]) -> set[tuple[int, int]]:
    by_date: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    by_number: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    by_title: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for i, it in enumerate(items):
        if it.m.deliberated_on is not None:
            by_date[(it.muni, it.m.deliberated_on)].append(i)
        if it.m.seq_no is not None and it.doc.fiscal_year is not None:
            by_number[(it.muni, it.doc.fiscal_year, it.m.seq_no)].append(i)
        if it.m.deliberated_on is None and it.m.seq_no is None and it.title_key:
            by_title[(it.muni, it.doc.fiscal_year, it.title_key)].append(i)
    # Dated mentions are decided by their date block; the number block only serves the undated ones,
    # and the title block those with neither date nor number (a council item).
    number_blocks = [ms for ms in by_number.values() if any(items[i].m.deliberated_on is None for i in ms)]
    pairs: set[tuple[int, int]] = set()
    for members in itertools.chain(by_date.values(), number_blocks, by_title.values()):
        if len(members) < 2:
            continue
        stats["blocks"] += 1
        if len(members) > s.max_block:
            stats["oversized_blocks"] += 1
            found: Iterable[tuple[int, int]] = _neighbourhood(members, items, s.window)
        else:
            found = itertools.combinations(members, 2)  # members are ascending, so i < j
        for i, j in found:
            a, b = items[i], items[j]
            if a.m.document_id == b.m.document_id:
                continue
            if a.m.deliberated_on is not None and b.m.deliberated_on is not None:
                if a.m.deliberated_on != b.m.deliberated_on:
                    continue
            pairs.add((i, j))
    stats["pairs_compared"] = len(pairs)
    return pairs


# --------------------------------------------------------------------------- pairwise decisions

# Which rule wins when one mention has several matches in one other document: the lower, the stronger.
_STRENGTH = {
    "date_number_title": 0,
    "date_title_renumbered": 1,
    "date_title_departments": 2,
    "fiscal_year_number_title": 3,
    "title_content": 4,
}


@dataclass(slots=True)
class _Verdict:
    decision: str
    rule: str
    title_score: float
    departments_score: float | None
    qualifier_score: float
    extra: dict[str, Any] = field(default_factory=dict)


# A figure with the two characters before it: 令和11 and 平成11 are not the same year.
_FIGURES = re.compile(r"\D{0,2}\d+")


def _decide(a: _M, b: _M, s: Settings) -> _Verdict:
    title = float(fuzz.ratio(a.title_key, b.title_key))
    depts = float(fuzz.token_set_ratio(a.dept_text, b.dept_text)) if a.dept_text and b.dept_text else None
    qualifier = (
        float(fuzz.ratio(a.qualifier_key, b.qualifier_key)) if a.qualifier_key or b.qualifier_key else 100.0
    )

    def verdict(decision: str, rule: str) -> _Verdict:
        return _Verdict(decision, rule, title, depts, qualifier)

    if a.muni != b.muni:
        return verdict("distinct", "municipality_differs")
    da, db = a.m.deliberated_on, b.m.deliberated_on
    if da is not None and db is not None and da != db:
        return verdict("distinct", "date_differs")
    if (da is None or db is None) and a.doc.fiscal_year != b.doc.fiscal_year:
        return verdict("distinct", "fiscal_year_differs")
    if depts is not None and depts < s.departments_agree:
        return verdict("distinct", "departments_differ")
    na, nb = a.m.seq_no, b.m.seq_no
    same_number = na is not None and na == nb
    if not same_number and qualifier < s.qualifier_agree:
        return verdict("distinct", "qualifier_differs")
    if da is not None and db is not None:
        if same_number:
            ok, rule = title >= s.title_date_number, "date_number_title"
        elif na is not None and nb is not None:
            ok, rule = title >= s.title_numbers_differ, "date_title_renumbered"
        else:
            ok, rule = title >= s.title_number_missing, "date_title_departments"
        return verdict("same_case", rule) if ok else verdict("distinct", "title_differs")
    if same_number and title >= s.title_date_missing:
        # Provisional: confirmed only when the two documents turn out to be copies of one list.
        return verdict("same_case", "fiscal_year_number_title")
    if na is None and nb is None and da is None and db is None and title == 100:
        # Nothing but the text to go on (a council item): the same item is the same text.
        if not (a.content_key and b.content_key):
            return verdict("distinct", "content_missing")
        content = float(fuzz.ratio(a.content_key, b.content_key))
        # The same item of another year reads the same but for its dates and counts: every figure
        # of the text must agree too.
        figures = _FIGURES.findall(a.content_key) == _FIGURES.findall(b.content_key)
        v = verdict("same_case" if content >= s.content_undated and figures else "distinct", "title_content")
        v.extra["content_score"] = round(content, 2)
        v.extra["figures_agree"] = figures
        if v.decision == "distinct":
            v.rule = "content_differs"
        return v
    return verdict("distinct", "title_differs")


def _number_titles(items: list[_M]) -> dict[str, dict[int, str]]:
    out: dict[str, dict[int, str]] = defaultdict(dict)
    for it in items:
        if it.m.seq_no is not None:
            out[it.m.document_id].setdefault(it.m.seq_no, it.title_key)
    return out


def _alignment(doc_a: dict[int, str], doc_b: dict[int, str], s: Settings) -> tuple[int, float]:
    """How many case numbers carry the same title in both documents, and their share of the smaller."""
    agree = sum(1 for n, t in doc_a.items() if n in doc_b and fuzz.ratio(t, doc_b[n]) >= s.title_date_missing)
    return agree, agree / max(1, min(len(doc_a), len(doc_b)))


# --------------------------------------------------------------------------- clustering


class _Clusters:
    """Union-find that refuses to put two mentions of one document in one case."""

    def __init__(self, items: list[_M]) -> None:
        self.parent = list(range(len(items)))
        self.docs: list[set[str]] = [{it.m.document_id} for it in items]

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if self.docs[ra] & self.docs[rb]:
            return False
        keep, gone = min(ra, rb), max(ra, rb)
        self.parent[gone] = keep
        self.docs[keep] |= self.docs[gone]
        self.docs[gone] = set()
        return True


def _resolve_ambiguity(items: list[_M], verdicts: dict[tuple[int, int], _Verdict], margin: float) -> None:
    """A mention keeps a match in another document only when it is the single strongest one there."""
    by_side: dict[tuple[int, str], list[tuple[int, int]]] = defaultdict(list)
    for (i, j), v in verdicts.items():
        if v.decision == "same_case":
            by_side[(i, items[j].m.document_id)].append((i, j))
            by_side[(j, items[i].m.document_id)].append((i, j))
    demoted: dict[tuple[int, int], str] = {}
    for pairs in by_side.values():
        if len(pairs) < 2:
            continue
        best = min(_STRENGTH[verdicts[p].rule] for p in pairs)
        top = [p for p in pairs if _STRENGTH[verdicts[p].rule] == best]
        if len(top) > 1:
            # Of equally strong matches, one clearly closer title (an exact copy beside a one-character
            # neighbour: 第1地区 / 第10地区) still wins; otherwise none does.
            scores = sorted((verdicts[p].title_score for p in top), reverse=True)
            if scores[0] - scores[1] >= margin:
                top = [p for p in top if verdicts[p].title_score == scores[0]]
        for p in pairs:
            if p not in top:
                demoted.setdefault(p, "stronger_match_elsewhere")
            elif len(top) > 1:
                demoted[p] = "ambiguous"
    for p, rule in demoted.items():
        v = verdicts[p]
        v.extra["matched_rule"] = v.rule
        v.decision, v.rule = "distinct", rule


def _quality(it: _M) -> tuple[int, int, str]:
    return quality(it.m, it.doc.source_format)


def _assign_ids(items: list[_M], clusters: list[list[int]]) -> list[str]:
    """Case ids from anchors. Each key goes to one cluster: more supporting mentions first, then the larger
    cluster, then the key itself; a cluster whose keys are all taken hashes its best key with its
    smallest mention id (content-derived, unique)."""
    claims = []
    for c, members in enumerate(clusters):
        support = Counter(items[i].anchor for i in members)
        first = items[members[0]].m.mention_id
        for (tier, key), n in support.items():
            claims.append(((tier, -n, -len(members), key, first), c, key))
    claims.sort()
    taken: set[str] = set()
    ids: list[str | None] = [None] * len(clusters)
    for _rank, c, key in claims:
        if ids[c] is None and key not in taken:
            ids[c] = hashed("case-", key)
            taken.add(key)
    out = []
    for c, members in enumerate(clusters):
        cid = ids[c]
        if cid is None:
            best = min(items[i].anchor for i in members)[1]
            cid = hashed("case-", f"{best}|{items[members[0]].m.mention_id}")
        out.append(cid)
    return out


# --------------------------------------------------------------------------- the plan


def _details(a: _M, b: _M, v: _Verdict) -> str:
    details: dict[str, Any] = {
        "title": [a.m.title, b.m.title],
        "deliberated_on": [a.m.deliberated_on, b.m.deliberated_on],
        "seq_no": [a.m.seq_no, b.m.seq_no],
        "fiscal_year": [a.doc.fiscal_year, b.doc.fiscal_year],
        "departments": [a.m.departments, b.m.departments],
        "qualifier": [split_qualifier(a.m.title)[1], split_qualifier(b.m.title)[1]],
        "document_id": [a.m.document_id, b.m.document_id],
        "title_score": round(v.title_score, 2),
        "departments_score": None if v.departments_score is None else round(v.departments_score, 2),
        "qualifier_score": round(v.qualifier_score, 2),
        **v.extra,
    }
    return json.dumps(details, ensure_ascii=False, default=str)


def plan(mentions: Iterable[tuple[CaseMention, DocInfo]], *, series: bool = True) -> Plan:
    """The whole plan of a set of mentions. With `series=False` the chains of recurring series are left
    out: the store links them over every case of a series (pipeline/dedupe/apply.py)."""
    s = settings()
    items = _prepare(mentions)
    out = Plan()
    pairs = _candidates(items, s, out.stats)
    verdicts: dict[tuple[int, int], _Verdict] = {}
    for p in sorted(pairs):
        v = _decide(items[p[0]], items[p[1]], s)
        # A distinct pair under the link floor leaves no trace and takes part in nothing further.
        if v.decision == "same_case" or v.title_score >= s.link_title:
            verdicts[p] = v
    del pairs

    # Undated matches stand only between copies of one list: case numbers restart in every packet.
    numbered = _number_titles(items)
    alignment: dict[tuple[str, str], tuple[int, float]] = {}
    for (i, j), v in verdicts.items():
        if v.decision == "same_case" and v.rule == "fiscal_year_number_title":
            key = (items[i].m.document_id, items[j].m.document_id)
            if key not in alignment:
                alignment[key] = _alignment(numbered[key[0]], numbered[key[1]], s)
            agree, share = alignment[key]
            v.extra["aligned_numbers"], v.extra["aligned_share"] = agree, round(share, 3)
            if agree < s.aligned_min_cases or share < s.aligned_min_share:
                v.decision, v.rule = "distinct", "documents_not_aligned"

    _resolve_ambiguity(items, verdicts, s.ambiguity_margin)

    # Strongest evidence first, so a conflicting weaker merge is the one refused.
    uf = _Clusters(items)
    merges = sorted(
        (p for p, v in verdicts.items() if v.decision == "same_case"),
        key=lambda p: (_STRENGTH[verdicts[p].rule], -verdicts[p].title_score, p),
    )
    for i, j in merges:
        if not uf.union(i, j):
            v = verdicts[(i, j)]
            v.extra["matched_rule"] = v.rule
            v.decision, v.rule = "distinct", "document_already_in_case"
    out.stats["merges"] = sum(1 for v in verdicts.values() if v.decision == "same_case")

    for (i, j), v in sorted(verdicts.items()):
        if v.decision == "same_case" or v.title_score >= s.link_title:
            out.links.append(
                CaseLink(
                    left_mention_id=items[i].m.mention_id,
                    right_mention_id=items[j].m.mention_id,
                    decision="same_case" if v.decision == "same_case" else "distinct",
                    rule=v.rule,
                    score=v.title_score,
                    details=_details(items[i], items[j], v),
                )
            )

    grouped: dict[int, list[int]] = defaultdict(list)
    for i in range(len(items)):
        grouped[uf.find(i)].append(i)
    clusters = sorted(grouped.values())
    case_ids = _assign_ids(items, clusters)

    entries: list[SeriesEntry] = []
    for case_id, members in zip(case_ids, clusters, strict=True):
        its = [items[i] for i in members]
        if len(its) == 1:  # most cases: `best` of one value, without its lists and qualities
            only = its[0].m
            values = {f: alone(getattr(only, f)) for f in CASE_FIELDS}
        else:
            qualities = [_quality(it) for it in its]
            values = {
                f: best([(getattr(it.m, f), q) for it, q in zip(its, qualities, strict=True)])
                for f in CASE_FIELDS
            }
        values["departments"] = values["departments"] or []
        values["categories"] = values["categories"] or []
        values["unnamed_department_count"] = values["unnamed_department_count"] or 0
        municipality = majority([it.doc.municipality for it in its])
        series_id = hashed("series-", f"{municipality or ''}|{series_key(values['title'])}")
        out.cases.append(
            Case(
                case_id=case_id,
                series_id=series_id,
                municipality=municipality,
                fiscal_year=majority([it.doc.fiscal_year for it in its]),
                mention_count=len(its),
                document_ids=sorted({it.m.document_id for it in its}),
                **values,
            )
        )
        for it in its:
            out.case_of[it.m.mention_id] = case_id
        representative = min(its, key=_quality)
        entries.append(SeriesEntry(series_id, case_id, values["deliberated_on"], representative.m))
    if series:
        out.links.extend(series_links(entries))
    out.cases.sort(key=lambda c: c.case_id)
    out.stats["mentions"], out.stats["cases"] = len(items), len(out.cases)
    return out
