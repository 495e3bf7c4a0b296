"""The raw folder is listed in os.walk's order whatever lists it: the first path of identical bytes owns
their documents, so the order decides outcomes."""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.run import scan


def _reference(raw: Path) -> list[tuple[str, str]]:
    """The listing before scandir: os.walk top-down, names sorted, hidden names skipped."""
    found = []
    for dirpath, dirnames, filenames in os.walk(raw):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith(".") and name.lower().endswith(scan.SUFFIXES):
                path = Path(dirpath) / name
                found.append((str(path), path.relative_to(raw).as_posix()))
    return found


def test_listing_order_and_what_is_left_out(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    for rel in (
        "a/x.txt",
        "a/b/y.PDF",
        "B/c.txt",
        "z.md",
        "n.doc",
        ".hid.txt",
        ".h/z.txt",
        "a/.h/w.txt",
        "ä/ü.txt",
    ):
        (raw / rel).parent.mkdir(parents=True, exist_ok=True)
        (raw / rel).write_text("x", encoding="utf-8")
    (raw / "linked").symlink_to(raw / "a")  # listed by os.walk as a folder, not entered
    (raw / "l.txt").symlink_to(raw / "z.md")
    (raw / "gone.txt").symlink_to(raw / "nothing")  # a broken link is a file that cannot be read
    # A folder's own files first, then its sub-folders in name order (upper case sorts first).
    expected = ["gone.txt", "l.txt", "z.md", "B/c.txt", "a/x.txt", "a/b/y.PDF", "ä/ü.txt"]
    assert [rel for _, rel in scan.walk(raw)] == expected
    assert scan.walk(raw) == _reference(raw)
    assert scan.scan(raw) == [Path(p) for p, _ in _reference(raw)]
