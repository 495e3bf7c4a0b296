"""What is under the raw root, and what each file's bytes are: the ingest's view of the folder."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from pipeline.model import PDF_SUFFIXES, TEXT_SUFFIXES

SUFFIXES = TEXT_SUFFIXES + PDF_SUFFIXES


def scan(raw_dir: Path) -> list[Path]:
    """Every candidate file below the raw root, in a stable order; hidden files are ignored."""
    found = []
    for dirpath, dirnames, filenames in os.walk(raw_dir):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith(".") and name.lower().endswith(SUFFIXES):
                found.append(Path(dirpath) / name)
    return found


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
