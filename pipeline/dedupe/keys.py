"""Dedupe settings (rules/dedupe.toml) and the keys mentions are compared and named by."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache, lru_cache

from pipeline.normalise.text import match_key
from pipeline.rules import RuleError, dedupe_thresholds
from schemas import CaseMention


@dataclass(frozen=True)
class Settings:
    title_date_number: float
    title_number_missing: float
    title_numbers_differ: float
    title_date_missing: float
    content_undated: float
    departments_agree: float
    qualifier_agree: float
    ambiguity_margin: float
    aligned_min_share: float
    aligned_min_cases: int
    link_title: float
    max_block: int
    window: int
    qualifier_words: tuple[str, ...]
    series_ignored_words: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in (
            "title_date_number",
            "title_number_missing",
            "title_numbers_differ",
            "title_date_missing",
            "content_undated",
            "departments_agree",
            "qualifier_agree",
            "ambiguity_margin",
            "link_title",
        ):
            if not 0 <= getattr(self, name) <= 100:
                raise RuleError(f"dedupe.toml: {name} must be a score between 0 and 100")
        if not 0 < self.aligned_min_share <= 1:
            raise RuleError("dedupe.toml: aligned_documents.min_share must be in (0, 1]")
        if self.max_block < 2 or self.window < 1:
            raise RuleError("dedupe.toml: blocking.max_block must be >= 2 and blocking.window >= 1")
        if not self.qualifier_words:
            raise RuleError("dedupe.toml: series.qualifier_words is empty")


@cache
def settings() -> Settings:
    raw = dedupe_thresholds()
    try:
        same, aligned, blocking = raw["same_case"], raw["aligned_documents"], raw["blocking"]
        return Settings(
            title_date_number=float(same["title_when_date_and_number_agree"]),
            title_number_missing=float(same["title_when_number_missing"]),
            title_numbers_differ=float(same["title_when_numbers_differ"]),
            title_date_missing=float(same["title_when_date_missing"]),
            content_undated=float(same["content_when_date_and_number_missing"]),
            departments_agree=float(same["departments_agree"]),
            qualifier_agree=float(same["qualifier_agree"]),
            ambiguity_margin=float(same["ambiguity_margin"]),
            aligned_min_share=float(aligned["min_share"]),
            aligned_min_cases=int(aligned["min_cases"]),
            link_title=float(raw["links"]["title"]),
            max_block=int(blocking["max_block"]),
            window=int(blocking["window"]),
            qualifier_words=tuple(str(w) for w in raw["series"]["qualifier_words"]),
            series_ignored_words=tuple(str(w) for w in raw["series"]["ignored_words"]),
        )
    except KeyError as exc:
        raise RuleError(f"dedupe.toml: missing setting {exc}") from exc


@cache
def _qualifier_re() -> re.Pattern[str]:
    words = "|".join(map(re.escape, settings().qualifier_words))
    return re.compile(rf"[（(][^（）()]*(?:{words})[^（）()]*[）)]\s*$")


@lru_cache(maxsize=1 << 16)  # a title is split for its mention, its case and its links
def split_qualifier(title: str | None) -> tuple[str, str]:
    """`…について（手続の追加）` → (`…について`, `（手続の追加）`); repeated qualifiers all go."""
    t = (title or "").strip()
    qualifier = ""
    while m := _qualifier_re().search(t):
        qualifier = m.group(0).strip() + qualifier
        t = t[: m.start()].strip()
    return t, qualifier


def series_title(title: str | None) -> str:
    """The title without its trailing qualifier: `…について（手続の追加）` → `…について`."""
    return split_qualifier(title)[0]


def series_key(title: str | None) -> str:
    """What the cases of one series share: the folded series title without the words a re-issued
    title adds or drops (`…の再整備等について` / `…の再整備について`)."""
    key = fold_key(series_title(title))
    for word in settings().series_ignored_words:
        key = key.replace(fold_key(word), "")
    return key


@lru_cache(maxsize=1 << 18)
def fold_key(text: str | None) -> str:
    """match_key, remembered: titles and 課名 repeat across copies, and clean() is the costly part."""
    return match_key(text)


def hashed(prefix: str, key: str) -> str:
    return f"{prefix}{hashlib.sha1(key.encode('utf-8')).hexdigest()[:16]}"


def quality(m: CaseMention, source_format: str) -> tuple[int, int, str]:
    """Fewer warnings first; text before PDF (the converter's text has fewer OCR defects); then the id."""
    return quality_of(len(m.warnings), source_format, m.mention_id)


def quality_of(warnings: int, source_format: str, mention_id: str) -> tuple[int, int, str]:
    """`quality` on a mention's columns read back from the store."""
    return (warnings, 0 if source_format == "text" else 1, mention_id)
