"""What is under the raw root, and what each file's bytes are: the ingest's view of the folder."""

from __future__ import annotations

import hashlib
import operator
import os
from pathlib import Path

from pipeline.model import PDF_SUFFIXES, TEXT_SUFFIXES

SUFFIXES = TEXT_SUFFIXES + PDF_SUFFIXES
_NAME = operator.attrgetter("name")  # a key in C: most folders of an archive hold a file or two, so
# the cost of sorting them is the cost of calling the key


def scan(raw_dir: Path) -> list[Path]:
    """Every candidate file below the raw root, in a stable order; hidden files are ignored."""
    return [Path(full) for full, _ in walk(raw_dir)]


def walk(raw_dir: Path) -> list[tuple[str, str]]:
    """(path, path relative to the raw root with `/`) of every candidate file, in os.walk's top-down
    order with sorted names (a folder's files, then its sub-folders; symlinked folders are listed, not
    entered). Strings and one scandir per folder: a rerun of a large archive spent most of its planning
    on Path objects and on os.walk's extra calls per folder."""
    found: list[tuple[str, str]] = []
    todo = [(os.fspath(raw_dir), "")]
    while todo:
        folder, prefix = todo.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=_NAME)
        except OSError:
            continue  # as os.walk: a folder that cannot be listed is passed over
        subfolders = []
        for e in entries:
            if e.name.startswith("."):
                continue
            try:
                is_dir = e.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                if not e.is_symlink():
                    subfolders.append((e.path, prefix + e.name + "/"))
            elif e.name.lower().endswith(SUFFIXES):
                found.append((e.path, prefix + e.name))
        todo.extend(reversed(subfolders))
    return found


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
