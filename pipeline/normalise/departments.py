"""課名: split a printed list, repair wrapping and OCR damage, count `外N課`, map names through
`rules/departments/`.

Hard separators (`、` `,` `;` `/`) always split. Line breaks and spaces are soft: a cell wraps inside a
name (`情\\n報システム課`) and OCR puts spaces inside one (`教育調整 課`), yet a line break also
separates names. Each soft break is decided by the registry and the suffix rule: the reading that
leaves no fragment which cannot be a name on its own (`課`, `報システム課` after `情`, a bare 部) and,
among those, registers the most names wins. A name not in the registry is kept as printed (cleaned)
and reported in `.unknown`, never "corrected" to a near neighbour.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from pipeline.normalise.text import clean, fold, match_key, strip_html
from pipeline.rules import department_registry, vocabulary

_UNNAMED = re.compile(r"外\s*(\d+)\s*(?:課|部課|所属|部署|係|室)(?:等)?$")
_HARD_SEP = re.compile(r"[、,;/]+")
# Past this many soft fragments in one hard-separated part, the text is not a list of names (a
# sentence, a whole row): keep it as one piece rather than search every split.
_MAX_FRAGMENTS = 16


@dataclass
class DepartmentList:
    names: list[str] = field(default_factory=list)
    unnamed_count: int = 0
    unknown: list[str] = field(default_factory=list)  # names not in the registry, as kept


@cache
def _lookup() -> dict[tuple[str, str], str]:
    """(municipality, match key of a name, alias, or bureau + name as printed together) → canonical name."""
    table: dict[tuple[str, str], str] = {}
    for e in department_registry():
        forms = [e.name, *e.aliases]
        if e.bureau and not e.name.startswith(e.bureau):
            # Setagaya prints the 部 before the 課 (総務部区政情報課): the same 課, not an alias.
            forms += [e.bureau + f for f in (e.name, *e.aliases)]
        for form in forms:
            table[(e.municipality, match_key(form))] = e.name
    return table


@cache
def _bureau_keys() -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    for e in department_registry():
        if e.bureau:
            out.setdefault(e.municipality, set()).add(match_key(e.bureau))
    return {m: frozenset(keys) for m, keys in out.items()}


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


def _whole(name: str) -> bool:
    """Could `name` stand alone as an unregistered department: a suffix with something before it."""
    if not looks_like_department(name):
        return False
    suffixes: list[str] = vocabulary()["department_suffixes"]
    longest = max((s for s in suffixes if name.endswith(s)), key=len)
    return len(name) > len(longest)


def _is_bureau(name: str, municipality: str | None) -> bool:
    key = match_key(name)
    if municipality:
        return key in _bureau_keys().get(municipality, frozenset())
    return any(key in keys for keys in _bureau_keys().values())


def _split_middle_dots(part: str, municipality: str | None) -> list[str]:
    """`・` separates names unless the whole is a registered name (文化・国際課)."""
    # Inside brackets `・` lists what the bracket qualifies (福祉事務所(生活福祉課・保護担当課)).
    if "・" not in part or "(" in part or canonical(part, municipality):
        return [part]
    pieces = [p for p in part.split("・") if p]
    if all(looks_like_department(p) or canonical(p, municipality) for p in pieces):
        return pieces
    return [part]


def _strip_unnamed(part: str) -> tuple[str, int]:
    part = part.strip(" 等")
    m = _UNNAMED.search(part)
    if not m:
        return part, 0
    return part[: m.start()].strip(" 等"), int(m.group(1))


def _score(run: str, municipality: str | None) -> tuple[int, int]:
    """(fragments that cannot be a name, registered names) of one candidate name."""
    rest, _ = _strip_unnamed(run)
    if not rest:
        return 0, 0
    bad = registered = 0
    for piece in _split_middle_dots(rest, municipality):
        if canonical(piece, municipality):
            registered += 1
        elif _is_bureau(piece, municipality) or not _whole(piece):
            bad += 1
    return bad, registered


def _resolve_soft_breaks(fragments: list[str], municipality: str | None) -> list[str]:
    """Split `fragments` (pieces of text between soft breaks, each with its break) into names.

    Dynamic programming over where runs end: fewest impossible names, then most registered names,
    then most names (a line break is a separator when nothing says otherwise).
    """
    n = len(fragments)
    best: list[tuple[tuple[int, int, int], list[str]] | None] = [None] * (n + 1)
    best[0] = ((0, 0, 0), [])
    for j in range(1, n + 1):
        for i in range(j):
            prev = best[i]
            if prev is None:
                continue
            run = clean("".join(fragments[i:j])) or ""
            bad, registered = _score(run, municipality)
            (pbad, preg, pnames), names = prev
            key = (pbad + bad, preg - registered, pnames - 1)
            cur = best[j]
            if cur is None or key < cur[0]:
                best[j] = (key, [*names, run])
    final = best[n]
    assert final is not None
    return [r for r in final[1] if r]


def _fragments(part: str) -> list[str]:
    """Pieces between soft breaks, each keeping the break after it so that a run can be re-cleaned."""
    return [f for f in re.split(r"(?<=[ \t\r\n])", part) if f.strip()]


def split_departments(raw: str | None, municipality: str | None) -> DepartmentList:
    out = DepartmentList()
    if not raw:
        return out
    text = strip_html(fold(raw))
    for part in _HARD_SEP.split(text):
        frags = _fragments(part)
        if not frags:
            continue
        if len(frags) > _MAX_FRAGMENTS:
            runs = [clean(part) or ""]
        else:
            runs = _resolve_soft_breaks(frags, municipality)
        for run in runs:
            rest, count = _strip_unnamed(run)
            out.unnamed_count += count
            if not rest:
                continue
            for name in _split_middle_dots(rest, municipality):
                canon = canonical(name, municipality)
                if canon is None:
                    out.unknown.append(name)
                out.names.append(canon or name)
    return out


# --------------------------------------------------------------------------- 部 and 課


def split_bureau(printed: str | None) -> tuple[str | None, str | None]:
    """`総務部区政情報課` → (`総務部`, `区政情報課`); (None, name) when no bureau can be split off."""
    name = clean(printed)
    if not name:
        return None, None
    name = re.sub(r"\s+", "", name)
    suffixes: list[str] = vocabulary()["bureau_suffixes"]
    for end in range(1, len(name)):
        head, rest = name[:end], name[end:]
        if head.endswith(tuple(suffixes)) and looks_like_department(rest):
            return head, rest
    return None, name


def department_and_bureau(printed: str | None, municipality: str | None) -> tuple[str | None, str | None]:
    """(bureau, department) of a printed 担当部課: the registry's entry when it knows the name, else split."""
    bureau, rest = split_bureau(printed)
    if rest is None:
        return None, None
    whole = (bureau or "") + rest
    canon = canonical(whole, municipality)
    if canon is not None:
        return bureau_of(municipality, canon) or bureau, canon
    canon = canonical(rest, municipality) if bureau else None
    return bureau, canon or rest


def departments_of(printed: list[str], municipality: str | None) -> list[str]:
    """Registered names when the registry knows the name (with or without its 部), else as printed."""
    out: list[str] = []
    for raw in printed:
        full = split_departments(raw, municipality)
        if not full.unknown:
            out += full.names
            continue
        _, rest = split_bureau(raw)
        short = split_departments(rest, municipality) if rest else None
        if short is not None and short.names and not short.unknown:
            out += short.names
        else:
            out += full.names
    return out
