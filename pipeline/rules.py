"""Loading of the data in `rules/`: read once, validated on load, shared by every stage."""

from __future__ import annotations

import csv
import datetime as dt
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"


class RuleError(ValueError):
    """A rule file is malformed: names the file and what is wrong."""


def _toml(name: str) -> dict[str, Any]:
    path = RULES_DIR / name
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RuleError(f"{path}: {exc}") from exc


@dataclass(frozen=True)
class Era:
    name: str
    abbrev: str
    start: dt.date
    end: dt.date | None  # last day, None for the current era


@cache
def eras() -> tuple[Era, ...]:
    raw = _toml("eras.toml")["era"]
    out: list[Era] = []
    for i, e in enumerate(raw):
        start = e["start"]
        if not isinstance(start, dt.date):
            raise RuleError(f"eras.toml: era {e.get('name')!r} has a start that is not a date")
        nxt = raw[i + 1]["start"] if i + 1 < len(raw) else None
        out.append(Era(e["name"], e["abbrev"], start, nxt - dt.timedelta(days=1) if nxt else None))
    return tuple(out)


@cache
def char_folds() -> dict[str, str]:
    """Look-alike → right character, applied to all text: punctuation, radicals, glyph variants."""
    data = _toml("char_folds.toml")
    out: dict[str, str] = {}
    for section in ("fold", "radicals", "glyph_variants"):
        for k, v in data.get(section, {}).items():
            if k in out and out[k] != v:
                raise RuleError(f"char_folds.toml: {k!r} folds to {out[k]!r} and to {v!r}")
            out[k] = v
    return out


@cache
def match_folds() -> dict[str, str]:
    return dict(_toml("char_folds.toml")["match_fold"])


@cache
def vocabulary() -> dict[str, Any]:
    return _toml("vocabulary.toml")


@cache
def document_rules(doc_type: str) -> dict[str, Any]:
    """`rules/documents/<doc_type>.toml`: how a document type is recognised and the words its parser reads."""
    return _toml(f"documents/{doc_type}.toml")


@cache
def dedupe_thresholds() -> dict[str, Any]:
    return _toml("dedupe.toml")


@cache
def ocr() -> dict[str, Any]:
    """How structured values are read through OCR damage: digit look-alikes, match thresholds."""
    return _toml("ocr.toml")


@cache
def limits() -> dict[str, Any]:
    return _toml("limits.toml")


@dataclass(frozen=True)
class DepartmentEntry:
    municipality: str
    name: str
    bureau: str | None
    aliases: tuple[str, ...] = field(default_factory=tuple)


@cache
def department_registry() -> tuple[DepartmentEntry, ...]:
    """Every `rules/departments/*.tsv`: municipality, name, bureau, aliases (`|`-separated)."""
    out: list[DepartmentEntry] = []
    for path in sorted((RULES_DIR / "departments").glob("*.tsv")):
        with path.open(encoding="utf-8", newline="") as fh:
            rows = csv.DictReader((ln for ln in fh if not ln.startswith("#")), delimiter="\t")
            for n, row in enumerate(rows, start=2):
                muni, name = (row.get("municipality") or "").strip(), (row.get("name") or "").strip()
                if not muni or not name:
                    raise RuleError(f"{path.name} line {n}: municipality and name are required")
                aliases = tuple(a.strip() for a in (row.get("aliases") or "").split("|") if a.strip())
                out.append(DepartmentEntry(muni, name, (row.get("bureau") or "").strip() or None, aliases))
    return tuple(out)
