"""Throughput of the PDF path, in pages per CPU second, one process.

    .venv/bin/python bench/pdf_bench.py [--repeat N] [--fastest] [PDF ...]

(a) pdfplumber `extract_text` on every page: the baseline the contract names;
(b) pypdfium2 text extraction alone (load, text page, its text): the floor of what reading can cost;
(c) `read_pdf` + `segment` + `parse_list`: the whole path from bytes to case-list rows;
(r) `read_pdf` alone, the reader's share of (c); "runs": the share of the characters read a text
object's run at a time (`pipeline/read/pdf/chars.py`) rather than one by one.
Two ratios per file: c/a, how many times pdfplumber's throughput (c) has (target: at least 1.5, and
3 on text-heavy packets), and c:b, how many times PDFium's own time (c) takes (target: at most 3),
with r:b beside it. Without arguments it measures the corpus PDF, the generated fixtures and a
dense 20-page packet (text pages and a ruled list) built in a temporary directory. Each figure is
the median CPU time of --repeat runs (default 5; 20 / pages for small files), the four measures taken
in turn within each run so that a shared machine's load weighs on them alike: a 2-page file takes
milliseconds, and one run of it is mostly noise. --fastest shows each measure's fastest run instead
of its median: on a machine other processes keep busy, contention only ever adds time, and the
fastest runs swing far less from one bench run to the next.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pdfplumber
import pypdfium2 as pdfium

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pipeline.read.pdf as reader  # noqa: E402
from pipeline.documents import layout_hints, segments  # noqa: E402
from pipeline.documents.deliberation_list.rows import parse_list  # noqa: E402
from pipeline.read.pdf import chars, read_pdf  # noqa: E402
from pipeline.read.pdf.fallback import Fallback  # noqa: E402
from pipeline.read.pdf.geometry import Char  # noqa: E402


def plumber_text(data: bytes) -> None:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            page.extract_text()
            page.close()


def pdfium_text(data: bytes) -> None:
    doc = pdfium.PdfDocument(data)
    for i in range(len(doc)):
        page = doc[i]
        textpage = page.get_textpage()
        textpage.get_text_range()
        textpage.close()
        page.close()
    doc.close()


def whole_path(data: bytes) -> None:
    source = read_pdf(data, "bench.pdf", layout_hints())
    for seg in segments(source.lines):
        parse_list(seg.lines, seg.municipality)


def read_only(data: bytes) -> None:
    read_pdf(data, "bench.pdf", layout_hints())


def fallback_pages(data: bytes) -> int:
    """How many pages PDFium could not decode and pdfminer read instead (slow: non-embedded fonts)."""
    calls: list[int] = []
    original = Fallback.chars

    def counting(self: Fallback, index: int) -> list[Char]:
        calls.append(index)
        return original(self, index)

    Fallback.chars = counting  # type: ignore[method-assign]
    try:
        read_pdf(data, "bench.pdf", layout_hints())
    finally:
        Fallback.chars = original  # type: ignore[method-assign]
    return len(calls)


def run_share(data: bytes) -> float:
    """The share of the characters `read_pdf` read a text object's run at a time (`chars._placed`,
    `chars._each`) rather than one character at a time."""
    counts = {"runs": 0, "all": 0}
    placed, each, page_chars = chars._placed, chars._each, reader.page_chars

    def counted(fn: Callable[..., list[Char] | None], key: str) -> Callable[..., list[Char] | None]:
        def counting(*args: Any) -> list[Char] | None:
            out = fn(*args)
            counts[key] += len(out or [])
            return out

        return counting

    chars._placed, chars._each = counted(placed, "runs"), counted(each, "runs")
    reader.page_chars = counted(page_chars, "all")  # type: ignore[assignment]
    try:
        read_pdf(data, "bench.pdf", layout_hints())
    finally:
        chars._placed, chars._each, reader.page_chars = placed, each, page_chars
    return counts["runs"] / max(1, counts["all"])


def timed(fns: list[Callable[[bytes], None]], data: bytes, repeat: int, fastest: bool = False) -> list[float]:
    """Median CPU seconds of each function, run in turn `repeat` times (after one warm-up run each).
    CPU time, not wall time: every measure runs on one thread of this process, and on a shared
    machine wall time counts the other processes' turns too."""
    runs: list[list[float]] = [[] for _ in fns]
    for fn in fns:
        fn(data)
    for _ in range(repeat):
        for k, fn in enumerate(fns):
            start = time.process_time()
            fn(data)
            runs[k].append(time.process_time() - start)
    return [min(r) if fastest else statistics.median(r) for r in runs]


def dense_packet() -> bytes:
    """20 pages: a two-page ruled case list, then 18 pages of running text with a page footer."""
    spec = importlib.util.spec_from_file_location("make_pdfs", ROOT / "tests" / "fixtures" / "make_pdfs.py")
    assert spec and spec.loader
    mk = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mk)
    buf = io.BytesIO()
    c = mk._canvas(buf)
    cells = [
        ["電子申請サービスの利用に係る外部結合", "について（手続の追加）"],
        "行政管理課",
        "外部結合",
        "4月3日",
        "承認",
    ]
    for page in range(1, 21):
        mk.running(c, page, font=mk.MIN, footer="- {page} -")
        if page <= 2:
            rows = [[str(20 * (page - 1) + k + 1), *cells] for k in range(20)]
            mk.draw_table(c, 60, mk.HRULES_WIDTHS, [mk.HRULES_HEADER, *rows], font=mk.MIN, rules="grid")
        else:
            top = 60.0
            for k in range(48):
                sentence = f"第{k + 1}項 個人情報の取扱いについては、委託先に必要な安全管理措置を講じさせる。"
                top = mk.text(c, top, sentence, font=mk.MIN, size=9)
        c.showPage()
    c.save()
    return buf.getvalue()


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main(paths: list[Path], repeat: int = 5, fastest: bool = False) -> None:
    inputs: list[tuple[str, bytes]] = [(p.name, p.read_bytes()) for p in paths]
    if not paths:
        corpus = ROOT.parent / "shared" / "corpus" / "pdf"
        fixtures = ROOT / "tests" / "fixtures" / "pdf"
        for p in sorted(corpus.glob("*.pdf")) + sorted(fixtures.glob("*_list.pdf")):
            inputs.append((p.name, p.read_bytes()))
        with tempfile.TemporaryDirectory() as tmp:
            dense = Path(tmp) / "dense_20_pages.pdf"
            dense.write_bytes(dense_packet())
            inputs.append((dense.name, dense.read_bytes()))
    print(f"machine: {os.cpu_count()} CPUs, {cpu_model()}, Python {platform.python_version()}")
    header = (
        f"{'file':<36} {'pages':>5} {'pdfminer':>8} {'(a) plumber':>12} {'(b) pdfium':>11} {'(c) path':>9}"
        f" {'c/a':>6} {'c:b':>6} {'r:b':>6} {'runs':>5} {'c <= 3x b':>10}"
    )
    print(header)
    print("-" * len(header))
    within = 0
    for name, data in inputs:
        pages = len(pdfium.PdfDocument(data))
        # Small files get more runs: a 2-page file takes milliseconds.
        a, b, c, r = timed(
            [plumber_text, pdfium_text, whole_path, read_only], data, max(repeat, 20 // pages), fastest
        )
        within += c <= 3 * b
        print(
            f"{name[:36]:<36} {pages:>5} {fallback_pages(data):>8} {pages / a:>12.1f} {pages / b:>11.1f}"
            f" {pages / c:>9.1f} {a / c:>6.2f} {c / b:>6.2f} {r / b:>6.2f} {run_share(data):>5.0%}"
            f" {'yes' if c <= 3 * b else 'no':>10}"
        )
    stat = "fastest" if fastest else "median"
    print(f"(a), (b), (c) in pages per CPU second, {stat} of {repeat} runs (20 / pages if more);")
    print("c/a: (c)'s throughput over (a)'s;")
    print("c:b and r:b: the time (c) and read_pdf alone take over PDFium's (b); pdfminer: pages (c) had to")
    print("read with pdfminer because PDFium lost text in them that could not be recovered from the")
    print("content stream; runs: the share of characters read a text object's run at a time.")
    print("Targets: c/a >= 1.5, and >= 3 on text-heavy packets; c:b <= 3")
    print(f"within 3x of PDFium: {within} of {len(inputs)} files")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "pdfs", nargs="*", type=Path, help="PDFs to measure (default: corpus, fixtures, dense)"
    )
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure; the median is shown")
    parser.add_argument(
        "--fastest", action="store_true", help="show each figure's fastest run, not its median"
    )
    args = parser.parse_args()
    main(args.pdfs, args.repeat, args.fastest)
