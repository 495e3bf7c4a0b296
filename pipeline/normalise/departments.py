"""課名: split a printed list, repair wrapping and OCR damage, count `外N課`, map names through
`rules/departments/`.

Hard separators (`、` `,` `;` `/`) always split. Line breaks and spaces are soft: a cell wraps inside a
name (`情\\n報システム課`) and OCR puts spaces inside one (`教育調整 課`), yet a line break also
separates names. Each soft break is decided by the registry and the suffix rule: the reading that
leaves no fragment which cannot be a name on its own (`課`, `報システム課` after `情`, a bare 部) and,
among those, registers the most names wins.

A name not in the registry is read through OCR damage when exactly one registered name of the ward
is one edit away (`情報ツステム課` → 情報システム課, `rules/ocr.toml` [department]), and `.notes` says
so for the row's warnings; two registered names as near, or a name with another unit suffix
(情報システム部 is not 情報システム課), keep the name as printed. Names kept as printed are reported
in `.unknown`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, lru_cache

from rapidfuzz.distance import Levenshtein

from pipeline.normalise.ocr import (
    Note,
    ambiguous,
    doubled_once,
    fold_digit_lookalikes,
    lookalike_substitution,
    read_as,
)
from pipeline.normalise.text import clean, fold, match_key, strip_html
from pipeline.rules import department_registry, ocr, vocabulary

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
    # One per name read through OCR damage (`read as 情報システム課`) or kept as printed because it
    # reads as two registered names: the caller's row warnings (`note.warning("departments")`).
    notes: list[Note] = field(default_factory=list)


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
def _registered() -> frozenset[str]:
    return frozenset(e.municipality for e in department_registry())


def has_registry(municipality: str | None) -> bool:
    """Whether `rules/departments/` holds the 課名 of this municipality (with none named, of any):
    where it does not, no name can be told registered or not, only whether it has a 課名's form."""
    return municipality is None or municipality in _registered()


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
    hits = _names_by_key().get(key, frozenset())
    return next(iter(hits)) if len(hits) == 1 else None


@cache
def _names_by_key() -> dict[str, frozenset[str]]:
    """Match key → the registered names it stands for in any municipality (a list naming none)."""
    out: dict[str, set[str]] = {}
    for (_, k), v in _lookup().items():
        out.setdefault(k, set()).add(v)
    return {k: frozenset(v) for k, v in out.items()}


@cache
def _forms(municipality: str | None) -> tuple[tuple[str, str], ...]:
    """(match key of a printed form, canonical name) of one ward, or of every ward when None."""
    return tuple((k, v) for (m, k), v in _lookup().items() if municipality in (None, m))


def _suffix(name: str) -> str:
    suffixes: list[str] = vocabulary()["department_suffixes"]
    return max((s for s in suffixes if name.endswith(s)), key=len, default="")


def near_names(name: str, municipality: str | None) -> list[str]:
    """Registered names `name` is one OCR edit from (`rules/ocr.toml` [department]), nearest first
    tied: one name is a reading, two are a doubt, none leaves the name as printed."""
    return list(_near_names(match_key(name), municipality))


@lru_cache(maxsize=8192)
def _near_names(key: str, municipality: str | None) -> tuple[str, ...]:
    rules = ocr()["department"]
    max_edits = int(rules["max_edits"])
    if len(key) < int(rules["lookalike_min_length"]):
        return ()
    any_edit = len(key) >= int(rules["min_length"])
    suffix = _suffix(key)
    by_distance: dict[int, set[str]] = {}
    for form, canon in _forms(municipality):
        if abs(len(form) - len(key)) > max_edits or (suffix and _suffix(form) != suffix):
            continue
        if any_edit:
            d = Levenshtein.distance(key, form, score_cutoff=max_edits)
        else:
            d = 1 if lookalike_substitution(key, form) else max_edits + 1
        if d <= max_edits:
            by_distance.setdefault(d, set()).add(canon)
    return tuple(sorted(by_distance[min(by_distance)])) if by_distance else ()


def read_department(name: str, municipality: str | None) -> tuple[str | None, Note | None]:
    """The registered name of `name`, read through one OCR edit when that is unambiguous, and a
    note when it was so read or when two registered names are as near (then the name is None)."""
    canon = canonical(name, municipality)
    if canon is not None:
        return canon, None
    near = near_names(name, municipality)
    if len(near) == 1:
        return near[0], read_as(name, near[0])
    if len(near) > 1:
        return None, ambiguous(name, near)
    # More than one character OCR doubled (`戸戸籍住民課課`): every doubled one read once.
    once = doubled_once(name, digits=True)
    canon = canonical(once, municipality) if once != name else None
    if canon is not None:
        return canon, read_as(name, canon)
    return None, None


@cache
def _suffixes(kind: str) -> tuple[str, ...]:
    """`department_suffixes`, `bureau_suffixes` or `post_suffixes` of the vocabulary, as `str.endswith`
    takes them."""
    return tuple(vocabulary()[kind])


def _ends_as(name: str, kind: str) -> bool:
    """A name's length (30 characters at most: a longer run is a sentence or a whole row) and an
    ending of the vocabulary's `kind`."""
    n = name.strip()
    return 1 < len(n) <= 30 and n.endswith(_suffixes(kind))


def looks_like_department(name: str) -> bool:
    return _ends_as(name, "department_suffixes") and "について" not in name


def has_department_form(name: str) -> bool:
    """What a name of a ward with no registry is checked by: it ends as a department or as a post
    printed in a department's place (`児童相談所副所長`), not as a title or a date run into the cell."""
    return looks_like_department(name) or _ends_as(name, "post_suffixes")


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
    m = _UNNAMED.search(part) or _UNNAMED.search(fold_digit_lookalikes(part))  # `外1O課`
    if not m:
        return part, 0
    return part[: m.start()].strip(" 等"), int(m.group(1))


def _score(run: str, municipality: str | None) -> tuple[int, int]:
    """(fragments that cannot be a name, registered names) of one candidate name."""
    return _score_short(run, municipality) if len(run) <= _REMEMBERED_LENGTH else _score_of(run, municipality)


# Remembered: a cell's runs come back in every split of a row the wrapped list tries, and in the
# sheet cross-check and the checks; about 70 % of the calls in a packet repeat one of its own.
@lru_cache(maxsize=8192)
def _score_short(run: str, municipality: str | None) -> tuple[int, int]:
    return _score_of(run, municipality)


def _score_of(run: str, municipality: str | None) -> tuple[int, int]:
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


_AFTER_SOFT_BREAK = re.compile(r"(?<=[ \t\r\n])")


def _fragments(part: str) -> list[str]:
    """Pieces between soft breaks, each keeping the break after it so that a run can be re-cleaned."""
    return [f for f in _AFTER_SOFT_BREAK.split(part) if f.strip()]


# A row's 担当課 cell is split by its parser, again by the sheet cross-check, the checks and the
# unknown-name notice: the split of a short cell is remembered (a bounded number of them).
_REMEMBERED_LENGTH = 200


def split_departments(raw: str | None, municipality: str | None) -> DepartmentList:
    if not raw:
        return DepartmentList()
    if len(raw) > _REMEMBERED_LENGTH:
        return _split_departments(raw, municipality)
    kept = _split_remembered(raw, municipality)
    # a copy: callers store these lists in records
    return DepartmentList(list(kept.names), kept.unnamed_count, list(kept.unknown), list(kept.notes))


@lru_cache(maxsize=4096)
def _split_remembered(raw: str, municipality: str | None) -> DepartmentList:
    return _split_departments(raw, municipality)


def _split_departments(raw: str, municipality: str | None) -> DepartmentList:
    out = DepartmentList()
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
            if count and not _UNNAMED.search(run.strip(" 等")):
                out.notes.append(read_as(run[len(rest) :].strip("、 "), f"外{count}課"))
            if not rest:
                continue
            for name in _split_middle_dots(rest, municipality):
                canon, note = read_department(name, municipality)
                joined = _split_joined(name, municipality) if canon is None and note is None else None
                if joined is not None:
                    out.notes.append(read_as(name, "、".join(joined)))
                    out.names.extend(joined)
                    continue
                if canon is None:
                    out.unknown.append(name)
                if note is not None:
                    out.notes.append(note)
                out.names.append(canon or name)
    return out


def _split_joined(name: str, municipality: str | None) -> tuple[str, ...] | None:
    """Two registered names printed as one (`生活福祉課保護担当課`: OCR lost the 、 between them), when
    exactly one place splits the name into two registered names; None otherwise."""
    if len(name) > _REMEMBERED_LENGTH:
        return _split_joined_of(name, municipality)
    return _split_joined_short(name, municipality)


# Remembered for the same reason as `_score_short`, and every cut of the name is looked up; the
# answer is a tuple, so no caller can change what the next one gets.
@lru_cache(maxsize=4096)
def _split_joined_short(name: str, municipality: str | None) -> tuple[str, ...] | None:
    return _split_joined_of(name, municipality)


def _split_joined_of(name: str, municipality: str | None) -> tuple[str, ...] | None:
    splits = [
        (a, b)
        for i in range(2, len(name) - 1)
        if (a := canonical(name[:i], municipality)) and (b := canonical(name[i:], municipality))
    ]
    return splits[0] if len(splits) == 1 else None


# --------------------------------------------------------------------------- 部 and 課


def split_bureau(printed: str | None) -> tuple[str | None, str | None]:
    """`総務部区政情報課` → (`総務部`, `区政情報課`); (None, name) when no bureau can be split off."""
    name = clean(printed)
    if not name:
        return None, None
    name = "".join(name.split())
    suffixes = _suffixes("bureau_suffixes")
    for end in range(1, len(name)):
        head, rest = name[:end], name[end:]
        if head.endswith(suffixes) and looks_like_department(rest):
            return head, rest
    return None, name


def department_and_bureau(
    printed: str | None, municipality: str | None, notes: list[Note] | None = None
) -> tuple[str | None, str | None]:
    """(bureau, department) of a printed 担当部課: the registry's entry when it knows the name, else split.

    A name read through OCR damage (`総務部区政情執課`) or left as printed because it reads two ways
    adds a note to `notes`.
    """
    bureau, rest = split_bureau(printed)
    if rest is None:
        return None, None
    whole = (bureau or "") + rest
    canon = canonical(whole, municipality)
    if canon is not None:
        return bureau_of(municipality, canon) or bureau, canon
    found: list[Note] = []
    canon = canonical(rest, municipality) if bureau else None
    # The 課 known without the 部 printed before it: the printed 部 stands (a 課 moved between 部).
    printed_bureau_stands = canon is not None
    if canon is None:
        canon, note = read_department(whole, municipality)
        if canon is None and note is None and bureau:
            canon, note = read_department(rest, municipality)
        found += [note] if note is not None else []
    if bureau is not None:
        bureau = _read_bureau(bureau, municipality, canon, found)
    if notes is not None:
        notes.extend(found)
    if canon is not None and not printed_bureau_stands:
        return bureau_of(municipality, canon) or bureau, canon
    return bureau, canon or rest


@cache
def _known_bureaus(municipality: str) -> dict[str, str]:
    return {match_key(b): b for (m, _), b in _bureaus().items() if b and m == municipality}


def _read_bureau(printed: str, municipality: str | None, name: str | None, notes: list[Note]) -> str:
    """A printed 部 the registry does not know, read through OCR damage (`障害福祉祉部`, `財部`): as the
    registered 部 of the 課 beside it, or else as the one registered 部 of the ward, when it is one
    edit from it (a character doubled, dropped or misread); otherwise as printed."""
    key = match_key(printed)
    known = _known_bureaus(municipality or "")
    if key in known:
        return printed
    own = bureau_of(municipality, name) if name else None
    near = [own] if own and Levenshtein.distance(key, match_key(own)) == 1 else []
    if not near:
        near = list({b for k, b in known.items() if Levenshtein.distance(key, k) == 1})
    if len(near) == 1:
        notes.append(read_as(printed, near[0]))
        return near[0]
    return printed


def departments_of(
    printed: list[str], municipality: str | None, notes: list[Note] | None = None
) -> list[str]:
    """Registered names when the registry knows the name (with or without its 部), else as printed.

    Names read through OCR damage, or kept as printed because they read two ways, add to `notes`.
    """
    out: list[str] = []
    for raw in printed:
        full = split_departments(raw, municipality)
        chosen = full
        if full.unknown:
            _, rest = split_bureau(raw)
            short = split_departments(rest, municipality) if rest else None
            if short is not None and short.names and not short.unknown:
                chosen = short
        out += chosen.names
        if notes is not None:
            notes += chosen.notes
    return out
