"""Shared fixtures. The real corpus lives in ../shared/corpus; tests that need it skip cleanly without it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# `make mutation` runs the tests from a copy in mutants/, one folder deeper: look up the tree.
CORPUS = next(
    (p / "shared" / "corpus" for p in ROOT.parents if (p / "shared" / "corpus").is_dir()),
    ROOT.parent / "shared" / "corpus",
)
FIXTURES = Path(__file__).resolve().parent / "fixtures"
INTEGRATION = Path(__file__).resolve().parent / "integration"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The folder is the marker: `-m "not slow"` runs the unit tests alone in seconds.
    for item in items:
        if INTEGRATION in item.path.parents:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present beside the project")
    return CORPUS


@pytest.fixture(scope="session")
def corpus_text(corpus: Path):
    """corpus_text('001') → the bytes of text/001_*.txt."""

    def get(prefix: str) -> tuple[str, bytes]:
        matches = sorted((corpus / "text").glob(f"{prefix}_*.txt"))
        assert matches, f"no corpus text file starting with {prefix}"
        return matches[0].name, matches[0].read_bytes()

    return get


@pytest.fixture(scope="session")
def corpus_pdf(corpus: Path) -> Path:
    matches = sorted((corpus / "pdf").glob("*.pdf"))
    assert matches
    return matches[0]


@pytest.fixture(scope="session")
def corpus_store(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus text files ingested once per session; every test module asking for it shares the store."""
    from pipeline.run.ingest import Options, ingest

    root = tmp_path_factory.getbasetemp() / "corpus_store"
    db = root / "council.duckdb"
    if not db.exists():
        shutil.copytree(corpus / "text", root / "raw")
        ingest(Options(raw_dir=root / "raw", db=db, jobs=1))
    return db
