"""課名: split a printed list, repair OCR damage, count `外N課`, map aliases through `rules/departments/`.

A name not in the registry is kept as printed (cleaned) and reported, never "corrected" to a
near neighbour.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from pipeline.normalise import clean, match_key
from pipeline.rules import department_registry, vocabulary

_UNNAMED = re.compile(r"外\s*(\d+)\s*(?:課|部課|所属|部署|係|室)(?:等)?$")
_SPLIT = re.compile(r"[、,，\n;；]+")


@dataclass
class DepartmentList:
    names: list[str] = field(default_factory=list)
    unnamed_count: int = 0
    unknown: list[str] = field(default_factory=list)  # names not in the registry, as kept


@cache
def _lookup() -> dict[tuple[str, str], str]:
    """(municipality, match key of a name or alias) → canonical name."""
    table: dict[tuple[str, str], str] = {}
    for entry in department_registry():
        for name in (entry.name, *entry.aliases):
            table[(entry.municipality, match_key(name))] = entry.name
    return table


@cache
def _bureaus() -> dict[tuple[str, str], str | None]:
    return {(e.municipality, e.name): e.bureau for e in department_registry()}


def bureau_of(municipality: str | None, name: str) -> str | None:
    return _bureaus().get((municipality or "", name))


def canonical(name: str, municipality: str | None) -> str | None:
    """The registered name for `name` (or one of its aliases), None when not registered."""
    key = match_key(name)
    if municipality:
        return _lookup().get((municipality, key))
    hits = {v for (m, k), v in _lookup().items() if k == key}
    return hits.pop() if len(hits) == 1 else None


def looks_like_department(name: str) -> bool:
    suffixes: list[str] = vocabulary()["department_suffixes"]
    n = name.strip()
    return 1 < len(n) <= 30 and n.endswith(tuple(suffixes)) and "について" not in n


def _split_middle_dots(part: str, municipality: str | None) -> list[str]:
    """`・` separates names unless the whole is a registered name (文化・国際課)."""
    if "・" not in part or canonical(part, municipality):
        return [part]
    pieces = [p for p in part.split("・") if p]
    if all(looks_like_department(p) or canonical(p, municipality) for p in pieces):
        return pieces
    return [part]


def split_departments(raw: str | None, municipality: str | None) -> DepartmentList:
    out = DepartmentList()
    if not raw:
        return out
    text = clean(raw.replace("\n", "、")) or ""
    for part in _SPLIT.split(text):
        part = part.strip(" 等")
        if not part:
            continue
        m = _UNNAMED.search(part)
        if m:
            out.unnamed_count += int(m.group(1))
            part = part[: m.start()].strip()
            if not part:
                continue
        for name in _split_middle_dots(part, municipality):
            canon = canonical(name, municipality)
            if canon is None:
                out.unknown.append(name)
            out.names.append(canon or name)
    return out
