"""Build a synthetic archive of council packets from the real corpus, deterministic from a seed.

    .venv/bin/python bench/make_corpus.py --packets 1000 --seed 1 --out bench/out/a1000 [--pdf-share 0.1]
    .venv/bin/python bench/make_corpus.py --packets 10000 --places japan --out bench/out/a10000
    .venv/bin/python bench/make_corpus.py --packets 1600 --distinct-scopes --places tokyo --out bench/out/d1600

Every packet is a real corpus packet with its identity changed consistently:
- the ward (新宿区 / 世田谷区 and their stems, as in 広報新宿) becomes another municipality of
  bench/places.toml (`--places`: Tokyo's 23 wards, all of Tokyo, or Japan's large cities too);
- every era date moves by a whole number of years (令和5年度 → 令和2年度, 令和6年1月18日 →
  令和3年1月18日, R3 → R0 written H30, H22.4.1 → H19.4.1), written in the era in force on the new
  date, so dates stay valid and year-less 付議日 stay inside the shifted fiscal year; years of
  statutes (昭和25年法律第226号) are left alone;
- 報告第N号 numbers move; some titles get a one-character edit (…について → …等について);
- some packets get OCR damage (spaces between CJK characters, full-width digits), some are
  written in UTF-8 with BOM, CP932 or UTF-16, some are rendered as text-layer PDFs (reportlab,
  HeiseiKakuGo-W5, one printed line per extracted line), and the corpus PDF is copied once.

Distinct packets never share (base, ward, year shift), so two of them never describe the same
meeting. On top of them the archive holds known duplicates (the same packet renamed, re-encoded,
OCR-damaged, re-issued with small edits, or rendered as PDF) and known look-alikes that must stay
distinct (the same packet in another ward; the same ward and year with every year-less 付議日
moved inside its month, as a later meeting of recurring items). `manifest.json` lists them all.

`--distinct-scopes` makes another archive, for memory that must not grow with the number of
dedupe scopes: every packet is the 51-case list of text/002 with its sheets, each in a ward-year no
other packet has (the 23 wards through 35 fiscal years first, then the other places of `--places`),
with no duplicates, look-alikes, damage or PDFs.
"""

from __future__ import annotations

import argparse
import codecs
import datetime as dt
import io
import json
import random
import re
import shutil
import sys
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"

# Base packets: corpus text prefix → (weight, ward printed in it). 002 is raw PDF text (one cell
# line per line), the only shape a line-per-line PDF rendering reproduces; it is the PDF base.
BASES = {"000": 0.10, "001": 0.25, "002": 0.25, "003": 0.15, "004": 0.25}
BASE_YEAR = {"000": 2021, "001": 2023, "002": 2023, "003": 2023, "004": 2019}  # fiscal year printed
PDF_BASE = "002"
CORPUS_PDF_BASE = "001"  # pdf/001_* is the corpus rendering of text/001_*
SHIFTS = range(-20, 11)  # years; 23 wards × 31 shifts × 5 bases distinct meetings
SCOPE_BASE = "002"  # the packet of a --distinct-scopes archive
SCOPE_SHIFTS = range(0, -35, -1)  # its 35 fiscal years: 令和5年度 back to 平成元年度
DUP_KINDS = ("renamed_copy", "reencoded", "ocr_copy", "reissue", "pdf_render")
LOOK_KINDS = ("other_ward", "other_meeting")
ENCODINGS = ("utf-8", "utf-8", "utf-8", "utf-8-sig", "cp932", "utf-16")

_FW = str.maketrans("0123456789", "０１２３４５６７８９")
_HW = str.maketrans("０１２３４５６７８９", "0123456789")
_CJK = "\u3005\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff"
_CJK_PAIR = re.compile(rf"(?<=[{_CJK}0-9])(?=[{_CJK}])|(?<=[{_CJK}])(?=[0-9])")
_D = r"[0-9０-９]"
_ERA_DATE = re.compile(
    rf"(?P<era>(?:令[ 　]*和|平[ 　]*成|昭[ 　]*和|大[ 　]*正|明[ 　]*治)[ 　]*)(?P<y>元|{_D}{{1,2}})(?P<s1>[ 　]*)年"
    rf"(?:(?P<fy>[ 　]*度)|(?P<md>[ 　]*(?P<m>{_D}{{1,2}})[ 　]*月(?:[ 　]*(?P<d>{_D}{{1,2}})[ 　]*日)?))?"
    r"(?![ 　]*(?:法律|条例|政令|省令|規則|告示))"
)
_ABBREV = re.compile(
    r"(?<![A-Za-z0-9])(?P<era>[MTSHR])(?P<y>[0-9]{1,2})(?:\.(?P<m>[0-9]{1,2})\.(?P<d>[0-9]{1,2}))?(?![0-9A-Za-z.])"
)
_MONTH_DAY = re.compile(rf"(?<![年0-9０-９])(?P<m>{_D}{{1,2}})月(?P<d>{_D}{{1,2}})日")
_REPORT_NO = re.compile(rf"報告第(?P<n>{_D}+)号")
_TITLE_EDIT = re.compile(r"(?<!等)について")


@dataclass(frozen=True)
class Era:
    name: str
    abbrev: str
    start: dt.date


def load_eras() -> list[Era]:
    data = tomllib.loads((ROOT / "rules" / "eras.toml").read_text(encoding="utf-8"))
    return [Era(e["name"], e["abbrev"], e["start"]) for e in data["era"]]


def load_places() -> dict[str, list[list[str]]]:
    """`--places` choice → its tiers of municipalities, in order (bench/places.toml)."""
    data = tomllib.loads((ROOT / "bench" / "places.toml").read_text(encoding="utf-8"))
    return {choice: [data["tiers"][t] for t in names] for choice, names in data["places"].items()}


ERAS = load_eras()
PLACE_TIERS = load_places()
PLACES = {choice: [m for tier in tiers for m in tier] for choice, tiers in PLACE_TIERS.items()}
WARDS = PLACES["wards"]
ERA_BY_NAME = {e.name: e for e in ERAS}
ERA_BY_ABBREV = {e.abbrev: e for e in ERAS}


def era_of(day: dt.date) -> Era:
    return [e for e in ERAS if e.start <= day][-1]


def era_of_year(year: int) -> Era:
    """A year or fiscal year without a month is named by the era that began in or before it (令和元年度)."""
    return [e for e in ERAS if e.start.year <= year][-1]


def _num(n: int, fullwidth: bool) -> str:
    s = str(n)
    return s.translate(_FW) if fullwidth else s


def _spaced(s: str) -> str:
    """`令和6年1月18日` → `令 和 6 年 1 月 18 日`, the way OCR prints some headers."""
    return " ".join(re.findall(r"[0-9０-９]+|.", s))


def shift_era_dates(text: str, years: int) -> str:
    """Every era date moves by `years`, written in the era in force on its new date."""
    if years == 0:
        return text

    def full(m: re.Match[str]) -> str:
        src = m.group(0)
        era = ERA_BY_NAME[re.sub(r"[ 　]", "", m.group("era"))]
        y_raw = m.group("y")
        fullwidth = bool(re.search("[０-９]", src))
        old_year = era.start.year - 1 + (1 if y_raw == "元" else int(y_raw.translate(_HW)))
        year = old_year + years
        if m.group("m"):
            month = int(m.group("m").translate(_HW))
            day = int(m.group("d").translate(_HW)) if m.group("d") else 1
            if not (1 <= month <= 12):
                return src
            day = min(day, 28) if month == 2 else day
            try:
                new_era = era_of(dt.date(year, month, day))
            except ValueError:
                return src
        else:
            new_era = era_of_year(year)
        n = year - new_era.start.year + 1
        out = new_era.name + ("元" if n == 1 else _num(n, fullwidth)) + "年"
        if m.group("fy"):
            out += "度"
        if m.group("m"):
            out += _num(month, fullwidth) + "月"
            if m.group("d"):
                out += _num(day, fullwidth) + "日"
        return _spaced(out) if " " in src.strip() else out

    def abbrev(m: re.Match[str]) -> str:
        era = ERA_BY_ABBREV[m.group("era")]
        year = era.start.year - 1 + int(m.group("y")) + years
        if m.group("m"):
            try:
                day = dt.date(year, int(m.group("m")), int(m.group("d")))
            except ValueError:
                return m.group(0)
            new_era = era_of(day)
            return f"{new_era.abbrev}{year - new_era.start.year + 1}.{m.group('m')}.{m.group('d')}"
        new_era = era_of_year(year)
        return f"{new_era.abbrev}{year - new_era.start.year + 1}"

    return _ABBREV.sub(abbrev, _ERA_DATE.sub(full, text))


def replace_ward(text: str, ward: str) -> str:
    stem = ward[:-1]
    for old in ("新宿区", "世田谷区"):
        text = text.replace(old, ward)
    for old in ("新宿", "世田谷"):
        text = text.replace(old, stem)
    return text


def shift_report_numbers(text: str, offset: int) -> str:
    return _REPORT_NO.sub(lambda m: f"報告第{int(m.group('n').translate(_HW)) + offset}号", text)


def year_less_dates(text: str) -> dict[int, set[int]]:
    found: dict[int, set[int]] = {}
    for m in _MONTH_DAY.finditer(text):
        found.setdefault(int(m.group("m").translate(_HW)), set()).add(int(m.group("d").translate(_HW)))
    return found


def _move_day(d: int, k: int) -> int:
    return d + k if d + k <= 28 else d - k


def meeting_offset(text: str, rng: random.Random) -> int:
    """Days to move every year-less date so that no moved date lands on a date the packet already uses."""
    used = year_less_dates(text)
    choices = [
        k
        for k in range(3, 14)
        if all(_move_day(d, k) not in days and _move_day(d, k) >= 1 for days in used.values() for d in days)
    ]
    return rng.choice(choices) if choices else 0


def move_meeting(text: str, k: int) -> str:
    """Year-less 付議日 `4月3日` → `4月3+k日`, kept inside the month (and so inside the period)."""

    def sub(m: re.Match[str]) -> str:
        fullwidth = bool(re.search("[０-９]", m.group(0)))
        d = _move_day(int(m.group("d").translate(_HW)), k)
        return f"{m.group('m')}月{_num(d, fullwidth)}日"

    return _MONTH_DAY.sub(sub, text)


def edit_titles(text: str, rng: random.Random, count: int) -> str:
    """A re-issue: `count` titles get one character more (…について → …等について)."""
    spots = [m.start() for m in _TITLE_EDIT.finditer(text)]
    chosen = set(rng.sample(spots, min(count, len(spots))))
    for pos in sorted(chosen, reverse=True):
        text = text[:pos] + "等" + text[pos:]
    return text


def ocr_damage(text: str, rng: random.Random) -> str:
    """Spaces between CJK characters in some lines, full-width digits in others; HTML tags untouched."""
    out = []
    for line in text.split("\n"):
        if "<" not in line and rng.random() < 0.25:
            line = line.translate(_FW)
        if rng.random() < 0.15:
            line = _CJK_PAIR.sub(lambda _m: " " if rng.random() < 0.5 else "", line)
        out.append(line)
    return "\n".join(out)


def encode(text: str, encoding: str) -> tuple[bytes, str]:
    """Bytes in `encoding`; text CP932 cannot hold falls back to UTF-16 (as Windows tools do)."""
    if encoding == "cp932":
        try:
            return text.encode("cp932"), "cp932"
        except UnicodeEncodeError:
            encoding = "utf-16"
    if encoding == "utf-16":
        return text.encode("utf-16"), "utf-16"  # with BOM
    if encoding == "utf-8-sig":
        return codecs.BOM_UTF8 + text.encode("utf-8"), "utf-8-sig"
    return text.encode("utf-8"), "utf-8"


def render_pdf(text: str) -> bytes:
    """One printed line per line of text, 60 to a page: the raw-PDF-text shape read back from a PDF."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen.canvas import Canvas

    font = "HeiseiKakuGo-W5"
    pdfmetrics.registerFont(UnicodeCIDFont(font))
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4, invariant=1)
    width, height = A4
    lines = text.split("\n")
    per_page, lead, top = 60, 12.5, 40.0
    for start in range(0, max(1, len(lines)), per_page):
        for i, line in enumerate(lines[start : start + per_page]):
            line = line.replace("\t", " ").rstrip()
            if not line:
                continue
            size = min(9.0, (width - 72) / max(1, len(line)))
            c.setFont(font, size)
            c.drawString(36, height - top - i * lead, line)
        c.showPage()
    c.save()
    return buf.getvalue()


@dataclass
class Packet:
    path: str
    base: str
    ward: str
    shift: int
    format: str  # text | pdf
    encoding: str | None
    ocr: bool = False
    report_offset: int = 0
    title_edits: int = 0
    meeting_days: int = 0
    of: str | None = None  # the packet this one duplicates or imitates
    kind: str = "distinct"
    tseed: str = ""  # seeds the random edits of its text, so a look-alike can redo them


@dataclass
class Archive:
    seed: int
    packets: list[Packet] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)


def base_texts() -> dict[str, str]:
    out = {}
    for prefix in BASES:
        (path,) = sorted((CORPUS / "text").glob(f"{prefix}_*.txt"))
        out[prefix] = path.read_text(encoding="utf-8")
    return out


def packet_text(base: str, p: Packet) -> str:
    """The text of a packet from its base text and its recorded variations (no randomness left)."""
    rng = random.Random(p.tseed)
    text = replace_ward(base, p.ward)
    text = shift_era_dates(text, p.shift)
    text = shift_report_numbers(text, p.report_offset)
    if p.title_edits:
        text = edit_titles(text, rng, p.title_edits)
    if p.meeting_days:
        text = move_meeting(text, p.meeting_days)
    if p.ocr:
        text = ocr_damage(text, rng)
    return text


def scope_keys(places: str, seed: int) -> list[tuple[str, int]]:
    """(municipality, shift) of every packet a --distinct-scopes archive can hold, in the order it takes
    them: tier after tier, shuffled inside a tier, so a smaller archive is a prefix of a larger one."""
    rng = random.Random(f"{seed}:scopes")
    keys: list[tuple[str, int]] = []
    for tier in PLACE_TIERS[places]:
        block = [(m, k) for m in tier for k in SCOPE_SHIFTS]
        rng.shuffle(block)
        keys.extend(block)
    return keys


def build_scopes(packets: int, seed: int, places: str = "wards") -> Archive:
    """`packets` copies of the 002 list, each in a ward-year of its own (see the module's docstring)."""
    keys = scope_keys(places, seed)
    if packets > len(keys):
        raise SystemExit(f"--places {places} holds {len(keys)} distinct scopes, fewer than {packets} packets")
    base = base_texts()[SCOPE_BASE]
    arch = Archive(seed)
    for n, (muni, shift) in enumerate(keys[:packets]):
        p = Packet("", SCOPE_BASE, muni, shift, "text", "utf-8", tseed=f"{seed}:{n}")
        p.path = f"{muni}/{BASE_YEAR[SCOPE_BASE] + shift}/packet_{n:05d}_{SCOPE_BASE}.txt"
        arch.packets.append(p)
        arch.files[p.path] = packet_text(base, p).encode("utf-8")
    return arch


def build(
    packets: int,
    seed: int,
    pdf_share: float = 0.1,
    dup_share: float = 0.1,
    look_share: float = 0.06,
    places: str = "wards",
    distinct_scopes: bool = False,
) -> Archive:
    """The whole archive in memory (file bytes by relative path), the same for the same arguments."""
    if distinct_scopes:
        return build_scopes(packets, seed, places)
    pool = PLACES[places]
    rng = random.Random(seed)
    texts = base_texts()
    arch = Archive(seed)
    used: set[tuple[str, str, int]] = set()
    made: dict[str, tuple[Packet, str]] = {}  # path → (packet, its text before encoding)

    def put(p: Packet, text: str, data: bytes) -> None:
        arch.packets.append(p)
        arch.files[p.path] = data
        made[p.path] = (p, text)

    def name(p: Packet, n: int, suffix: str) -> str:
        return f"{p.ward}/{BASE_YEAR[p.base] + p.shift}/packet_{n:05d}_{p.base}.{suffix}"

    def fresh(n: int, base: str | None = None) -> tuple[Packet, str]:
        while True:
            b = base or rng.choices(list(BASES), weights=list(BASES.values()))[0]
            key = (b, rng.choice(pool), rng.choice(SHIFTS))
            if key not in used:
                used.add(key)
                break
        p = Packet(
            path="", base=b, ward=key[1], shift=key[2], format="text", encoding=None, tseed=f"{seed}:{n}"
        )
        p.report_offset = rng.randrange(0, 200)
        p.title_edits = rng.choice((0, 0, 0, 1, 2))
        p.ocr = rng.random() < 0.25
        return p, packet_text(texts[b], p)

    include_corpus_pdf = pdf_share > 0 and packets >= 2
    n = 0
    while n < packets:
        if include_corpus_pdf and n == 0:
            # The corpus PDF renders text/001 as printed: its twin is the unchanged text packet.
            used.add((CORPUS_PDF_BASE, "新宿区", 0))
            p = Packet("", CORPUS_PDF_BASE, "新宿区", 0, "text", "utf-8")
            p.path = name(p, n, "txt")
            text = texts[CORPUS_PDF_BASE]
            put(p, text, text.encode("utf-8"))
            (pdf,) = sorted((CORPUS / "pdf").glob(f"{CORPUS_PDF_BASE}_*.pdf"))
            q = Packet("", CORPUS_PDF_BASE, "新宿区", 0, "pdf", None, of=p.path, kind="pdf_render")
            q.path = f"scans/{pdf.name}"
            put(q, text, pdf.read_bytes())
            n += 2
            continue
        roll = rng.random()
        originals = [q for q, _ in made.values() if q.kind == "distinct" and q.format == "text"]
        if originals and roll < dup_share:
            orig = rng.choice(originals)
            otext = made[orig.path][1]
            kind = rng.choice(DUP_KINDS if orig.base == PDF_BASE else DUP_KINDS[:-1])
            p = Packet(**{**asdict(orig), "of": orig.path, "kind": kind})
            if kind == "renamed_copy":
                p.path = f"mirror/{Path(orig.path).parent}/copy_{n:05d}_{Path(orig.path).name}"
                put(p, otext, arch.files[orig.path])
            elif kind == "reencoded":
                # CP932 falls back to UTF-16 for text it cannot hold: keep the first choice that
                # gives other bytes than the original's.
                choices = [e for e in dict.fromkeys(ENCODINGS) if e != orig.encoding]
                rng.shuffle(choices)
                for enc in choices:
                    data, p.encoding = encode(otext, enc)
                    if data != arch.files[orig.path]:
                        break
                p.path = name(p, n, "txt")
                put(p, otext, data)
            elif kind == "ocr_copy":
                p.ocr = True
                p.path = name(p, n, "txt")
                text = ocr_damage(otext, random.Random(f"{seed}:{n}:ocr"))
                data, p.encoding = encode(text, "utf-8")
                put(p, text, data)
            elif kind == "reissue":
                p.title_edits = orig.title_edits + 2
                p.path = name(p, n, "txt")
                text = edit_titles(otext, random.Random(f"{seed}:{n}:reissue"), 2)
                data, p.encoding = encode(text, orig.encoding or "utf-8")
                put(p, text, data)
            else:  # pdf_render
                p.format, p.encoding = "pdf", None
                p.path = name(p, n, "pdf")
                put(p, otext, render_pdf(otext))
        elif originals and roll < dup_share + look_share:
            orig = rng.choice(originals)
            kind = rng.choice(LOOK_KINDS)
            p = Packet(**{**asdict(orig), "of": orig.path, "kind": kind, "ocr": False})
            base = texts[orig.base]
            if kind == "other_ward":
                p.ward = rng.choice([w for w in pool if w != orig.ward])
                if (orig.base, p.ward, orig.shift) in used:
                    continue
                used.add((orig.base, p.ward, orig.shift))
            else:
                p.meeting_days = meeting_offset(packet_text(base, p), rng)
                if p.meeting_days == 0:
                    continue
            text = packet_text(base, p)
            p.path = name(p, n, "txt")
            data, p.encoding = encode(text, "utf-8")
            put(p, text, data)
        else:
            as_pdf = rng.random() < pdf_share
            p, text = fresh(n, PDF_BASE if as_pdf else None)
            if as_pdf:
                p.format = "pdf"
                p.path = name(p, n, "pdf")
                put(p, text, render_pdf(text))
            else:
                p.path = name(p, n, "txt")
                data, p.encoding = encode(text, rng.choice(ENCODINGS))
                put(p, text, data)
        n += 1
    return arch


def manifest(arch: Archive) -> dict[str, Any]:
    dups = [
        {"kind": p.kind, "left": p.of, "right": p.path}
        for p in arch.packets
        if p.kind in DUP_KINDS and p.of is not None
    ]
    looks = [
        {"kind": p.kind, "left": p.of, "right": p.path}
        for p in arch.packets
        if p.kind in LOOK_KINDS and p.of is not None
    ]
    return {
        "seed": arch.seed,
        "packets": len(arch.packets),
        "bytes": sum(len(b) for b in arch.files.values()),
        "files": [asdict(p) for p in arch.packets],
        "duplicates": dups,
        "lookalikes": looks,
    }


def write(arch: Archive, out: Path) -> dict[str, Any]:
    if out.exists():
        shutil.rmtree(out)
    raw = out / "raw"
    for rel, data in arch.files.items():
        path = raw / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    man = manifest(arch)
    (out / "manifest.json").write_text(json.dumps(man, ensure_ascii=False, indent=1), encoding="utf-8")
    return man


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--packets", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, required=True, help="folder: raw/ and manifest.json go in it")
    ap.add_argument("--pdf-share", type=float, default=0.1)
    ap.add_argument("--dup-share", type=float, default=0.1)
    ap.add_argument("--look-share", type=float, default=0.06)
    ap.add_argument(
        "--places", choices=sorted(PLACES), default="wards", help="municipalities (bench/places.toml)"
    )
    ap.add_argument(
        "--distinct-scopes",
        action="store_true",
        help="only the 002 list, each packet in a ward-year of its own",
    )
    args = ap.parse_args(argv)
    arch = build(
        args.packets,
        args.seed,
        args.pdf_share,
        args.dup_share,
        args.look_share,
        places=args.places,
        distinct_scopes=args.distinct_scopes,
    )
    man = write(arch, args.out)
    print(
        f"{man['packets']} packets, {man['bytes'] / 1e6:.1f} MB, {len(man['duplicates'])} duplicates, "
        f"{len(man['lookalikes'])} look-alikes → {args.out}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
