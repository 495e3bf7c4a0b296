"""Cost of `pipeline.dedupe.plan.plan` on 100,000 synthetic mentions with known duplicates and look-alikes.

    .venv/bin/python bench/dedupe_bench.py [--mentions N] [--seed S]

The generator (deterministic seed) builds packets of 23 wards, going back as many fiscal years as needed: meetings of 5-15
numbered cases, the recurring 共同電子申請 item at every meeting (different departments), 標準化 移行
cases that differ in one word on the same date, copies of packets as PDF (variant characters, an
occasional lost 付議日) and re-issues (okurigana, a word added to a title), and one pathological
list: 3,000 unnumbered rows on one date, loaded twice. It reports wall time and the peak of Python
allocations (tracemalloc, a second run) of plan(), and checks the clusters against the truth.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import resource
import sys
import time
import tracemalloc
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.dedupe.plan import DocInfo, plan  # noqa: E402
from schemas import CaseMention  # noqa: E402

WARDS = [
    "千代田区", "中央区", "港区", "新宿区", "文京区", "台東区", "墨田区", "江東区", "品川区", "目黒区",
    "大田区", "世田谷区", "渋谷区", "中野区", "杉並区", "豊島区", "北区", "荒川区", "板橋区", "練馬区",
    "足立区", "葛飾区", "江戸川区",
]  # fmt: skip
DEPTS = [
    "行政管理課", "情報システム課", "区政情報課", "総務課", "税務課", "戸籍住民課", "医療保険年金課",
    "保健予防課", "健康づくり課", "子ども家庭支援課", "保育課", "学校運営課", "教育支援課", "産業振興課",
    "生活福祉課", "交通対策課", "住宅課", "危機管理課", "中央図書館", "衛生課",
]  # fmt: skip
SUBJECTS = [
    "広報紙の個別配達", "コールセンター業務", "健康診査", "がん検診", "予防接種予診票の印字", "保育業務支援",
    "児童相談", "就学相談", "心理検査", "給食費助成", "自転車用ヘルメット購入費助成", "ふるさと納税",
    "電子契約サービス", "住民税特別徴収", "区民保養施設の受付", "地場産業の魅力発信", "女性デジタル人材育成",
    "一時保育", "バースデーサポート", "狂犬病予防注射済票交付", "防犯カメラの設置", "区政モニターアンケート",
    "福祉サービス第三者評価", "部活動指導", "読書活動推進計画の策定支援", "産後ケア",
]  # fmt: skip
FORMS = [
    "{s}に係る業務の委託について",
    "{s}に係る外部結合について",
    "{s}の運営の委託について",
    "{s}事業に係るシステム構築等について",
]
SYSTEMS = ["住民記録", "国民年金", "国保標準", "介護保険", "選挙人名簿管理", "生活保護", "児童手当", "税務"]
QUALIFIERS = ["", "", "", "(委託内容の追加)", "(委託内容の変更)", "(情報項目の追加)"]
KYODO = "東京共同電子申請・届出サービスの利用に係る外部結合等について(手続の追加)"


def generate(n_target: int, seed: int) -> tuple[list[tuple[CaseMention, DocInfo]], dict[str, str]]:
    rnd = random.Random(seed)
    out: list[tuple[CaseMention, DocInfo]] = []
    truth: dict[str, str] = {}
    doc_no = 0

    def emit(rows: list[dict], muni: str, fy: int, fmt: str) -> None:
        nonlocal doc_no
        doc_no += 1
        doc_id = f"doc{doc_no:06d}-00"
        info = DocInfo(muni, fy, fmt)
        for k, r in enumerate(rows):
            mid = f"{doc_id}:{r['seq_no'] if r['seq_no'] is not None else f's{k}'}"
            m = CaseMention(
                mention_id=mid,
                document_id=doc_id,
                seq_no=r["seq_no"],
                title=r["title"],
                departments=r["departments"],
                deliberated_on=r["date"],
                categories=["業務委託"],
                result="承認",
            )
            out.append((m, info))
            truth[mid] = r["truth"]

    def pdf_copy(rows: list[dict]) -> list[dict]:
        copy = []
        for r in rows:
            r = dict(r)
            if rnd.random() < 0.1:
                r["title"] = r["title"].replace("運営", "運營")
            if rnd.random() < 0.02:
                r["date"] = None
            copy.append(r)
        return copy

    def reissue(rows: list[dict]) -> list[dict]:
        copy = []
        for r in rows:
            r = dict(r)
            r["title"] = r["title"].replace("手続の", "手続きの")
            if rnd.random() < 0.1:
                r["title"] = "区立" + r["title"]
            copy.append(r)
        return copy

    case_no = 0
    # Going back in fiscal years until the target is reached keeps every (ward, 付議日) one meeting.
    for fy in range(2024, 1800, -1):
        if len(out) >= n_target:
            break
        for muni in WARDS:
            # One packet per period; case numbers restart in each.
            for start_month in (4, 7, 10, 1):
                year = fy if start_month >= 4 else fy + 1
                rows: list[dict] = []
                seq = 0
                # At most one meeting a month, within the packet's three months: two packets never
                # share a 付議日 (a meeting has one list), so a shared date means a copy.
                for meeting in range(rnd.randint(2, 3)):
                    day = dt.date(year, start_month + meeting, rnd.randint(1, 28))
                    seq += 1
                    case_no += 1
                    rows.append(  # the recurring item, other departments each time
                        {
                            "seq_no": seq,
                            "title": KYODO,
                            "departments": ["行政管理課", "情報システム課", rnd.choice(DEPTS)],
                            "date": day,
                            "truth": f"c{case_no}",
                        }
                    )
                    systems = rnd.sample(SYSTEMS, rnd.randint(0, 3))
                    for system in systems:  # look-alikes of one meeting, one word apart
                        seq += 1
                        case_no += 1
                        rows.append(
                            {
                                "seq_no": seq,
                                "title": f"地方公共団体情報システム標準化に対応した{system}システムへの移行について",
                                "departments": ["医療保険年金課"],
                                "date": day,
                                "truth": f"c{case_no}",
                            }
                        )
                    for _ in range(rnd.randint(5, 12)):
                        seq += 1
                        case_no += 1
                        title = rnd.choice(FORMS).format(s=rnd.choice(SUBJECTS)) + rnd.choice(QUALIFIERS)
                        rows.append(
                            {
                                "seq_no": seq,
                                "title": title,
                                "departments": rnd.sample(DEPTS, rnd.randint(1, 2)),
                                "date": day,
                                "truth": f"c{case_no}",
                            }
                        )
                emit(rows, muni, fy, "text")
                if rnd.random() < 0.4:
                    emit(pdf_copy(rows), muni, fy, "pdf")
                if rnd.random() < 0.15:
                    emit(reissue(rows), muni, fy, "text")
    del out[n_target:]  # exactly the size asked for (the last packet may lose its tail)
    # The pathological block: a 3,000-row list of one date without numbers, loaded twice.
    giant = []
    for k in range(3000):
        case_no += 1
        giant.append(
            {
                "seq_no": None,
                "title": f"第{k}号{rnd.choice(SUBJECTS)}に係る業務の委託について",
                "departments": [rnd.choice(DEPTS)],
                "date": dt.date(2023, 6, 30),
                "truth": f"c{case_no}",
            }
        )
    emit(giant, "新宿区", 2023, "text")
    emit(giant, "新宿区", 2023, "pdf")
    return out, truth


def check(result_case_of: dict[str, str], truth: dict[str, str]) -> dict[str, int]:
    predicted: dict[str, set[str]] = defaultdict(set)
    actual: dict[str, set[str]] = defaultdict(set)
    for mid, case_id in result_case_of.items():
        predicted[case_id].add(truth[mid])
        actual[truth[mid]].add(case_id)
    return {
        "true_cases": len(actual),
        "predicted_cases": len(predicted),
        "false_merges": sum(1 for ts in predicted.values() if len(ts) > 1),
        "split_cases": sum(1 for cs in actual.values() if len(cs) > 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mentions", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()

    t0 = time.perf_counter()
    mentions, truth = generate(args.mentions - 6000, args.seed)
    gen_s = time.perf_counter() - t0
    dates = Counter((m.document_id) for m, _ in mentions)
    print(
        f"machine: {platform.processor() or platform.machine()}, nproc={os.cpu_count()}, python {platform.python_version()}"
    )
    print(f"generated {len(mentions):,} mentions in {len(dates):,} documents ({gen_s:.1f} s)")

    t0 = time.perf_counter()
    result = plan(mentions)
    wall = time.perf_counter() - t0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"plan(): {wall:.2f} s wall, {len(mentions) / wall:,.0f} mentions/s; process max RSS {rss_mb:,.0f} MB"
    )
    print("stats:", dict(sorted(result.stats.items())))
    links = Counter((lk.decision, lk.rule) for lk in result.links)
    print("case_links:", dict(sorted(links.items())))
    print("against the truth:", check(result.case_of, truth))

    tracemalloc.start()
    plan(mentions)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"plan(): peak Python allocations {peak / 2**20:,.0f} MiB (tracemalloc, second run)")


if __name__ == "__main__":
    main()
