"""The data in rules/ checks out against itself: eras ordered and contiguous, the 課名 registry unambiguous."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import tomllib
from collections import Counter, defaultdict

import pytest

from pipeline.normalise.text import match_key
from pipeline.rules import RULES_DIR, department_registry, eras, vocabulary


@pytest.fixture(scope="module")
def era_rows() -> list[dict]:
    with (RULES_DIR / "eras.toml").open("rb") as fh:
        return list(tomllib.load(fh)["era"])


def test_eras_are_ordered(era_rows: list[dict]) -> None:
    starts = [e["start"] for e in era_rows]
    assert all(isinstance(s, dt.date) for s in starts)
    assert starts == sorted(starts) and len(set(starts)) == len(starts)


def test_eras_are_contiguous(era_rows: list[dict]) -> None:
    """Each era's printed last day is the day before the next one starts; only the last era is open."""
    for era, nxt in itertools.pairwise(era_rows):
        assert era.get("end") == nxt["start"] - dt.timedelta(days=1), era["name"]
    assert "end" not in era_rows[-1]
    # What the pipeline loads agrees with the file.
    assert [(e.name, e.start, e.end) for e in eras()] == [
        (r["name"], r["start"], r.get("end")) for r in era_rows
    ]


def test_era_names_and_abbreviations_are_unique(era_rows: list[dict]) -> None:
    abbrevs = [e["abbrev"] for e in era_rows]
    names = [e["name"] for e in era_rows]
    assert len(set(abbrevs)) == len(abbrevs)
    assert len(set(names)) == len(names)
    assert all(len(a) == 1 and a.isascii() and a.isupper() for a in abbrevs)


def test_registry_files_have_the_expected_header() -> None:
    paths = sorted((RULES_DIR / "departments").glob("*.tsv"))
    assert paths
    for path in paths:
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader((ln for ln in fh if not ln.startswith("#")), delimiter="\t"))
        assert rows[0] == ["municipality", "name", "bureau", "aliases"], path.name
        # One ward per file, and a ward the pipeline recognises.
        wards = {r[0] for r in rows[1:]}
        assert len(wards) == 1, path.name
        assert wards <= set(vocabulary()["municipalities"]), path.name
        assert all(len(r) == 4 for r in rows[1:]), path.name


def test_registry_has_no_duplicate_names() -> None:
    counts = Counter((e.municipality, e.name) for e in department_registry())
    assert [k for k, n in counts.items() if n > 1] == []


def test_registry_names_are_clean() -> None:
    """Names are stored as the contract normalises them: no spaces, no full-width forms left."""
    from pipeline.normalise.text import clean

    for e in department_registry():
        assert clean(e.name) == e.name, e
        assert e.bureau is None or clean(e.bureau) == e.bureau, e


def test_every_alias_maps_to_exactly_one_name() -> None:
    owners: dict[tuple[str, str], set[str]] = defaultdict(set)
    for e in department_registry():
        for alias in e.aliases:
            owners[(e.municipality, match_key(alias))].add(e.name)
    assert {k: v for k, v in owners.items() if len(v) > 1} == {}


def test_no_alias_is_a_name_or_its_own_name() -> None:
    names = {(e.municipality, match_key(e.name)) for e in department_registry()}
    for e in department_registry():
        for alias in e.aliases:
            assert match_key(alias) != match_key(e.name), e
            # An alias that is another entry's canonical name would make a cycle.
            assert (e.municipality, match_key(alias)) not in names, e


def test_every_printed_form_reaches_one_name() -> None:
    """Names, aliases and `bureau + name` never share a match key within a ward: look-up is unambiguous."""
    owners: dict[tuple[str, str], set[str]] = defaultdict(set)
    for e in department_registry():
        forms = [e.name, *e.aliases]
        if e.bureau and not e.name.startswith(e.bureau):
            forms += [e.bureau + f for f in forms]
        for form in forms:
            owners[(e.municipality, match_key(form))].add(e.name)
    assert {k: v for k, v in owners.items() if len(v) > 1} == {}


def test_limits_are_positive_and_name_known_error_kinds() -> None:
    from pipeline.rules import limits

    lim = limits()
    for key in ("max_file_mb", "max_pages", "timeout_seconds", "memory_mb", "writer_memory_mb"):
        assert isinstance(lim[key], int | float) and lim[key] > 0, key
    assert set(lim["retry_error_kinds"]) <= {"timeout", "crashed", "too_large", "parse_error", "load_error"}


def test_check_rules_are_well_formed() -> None:
    """rules/checks.toml: types that exist, shares and ratios in range, a pattern that reads the printed form."""
    import re

    from pipeline.checks.base import rules
    from pipeline.documents import registered
    from schemas.records import OutsourcingEntry, SensitiveItem

    r = rules()
    assert set(r["common"]["period_types"]) <= {kind.doc_type for kind in registered()}
    assert 0 < r["common"]["column_min_share"] <= 1
    assert 0 < r["deliberation_list"]["title_min_ratio"] <= 100
    assert r["deliberation_list"]["title_max_chars"] > 0
    from pipeline.rules import document_rules

    pattern = re.compile(rf"^{document_rules('outsourcing_report')['registration_number']['form']}$")
    assert pattern.match("230101-043") and not pattern.match("23010-043")
    flags = {
        n
        for m in (OutsourcingEntry, SensitiveItem)
        for n, f in m.model_fields.items()
        if "bool" in str(f.annotation)
    }
    assert set(r["reports"]["optional_flags"]) <= flags
