"""The working copy of the store holds the store's bytes, whether the kernel copies them or the ingest does."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from pipeline.store import access


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "council.duckdb"
    path.write_bytes(os.urandom(3 * (1 << 20) + 12_345))  # not a multiple of any chunk size
    return path


def test_copy_in_the_kernel(store: Path, tmp_path: Path) -> None:
    access._copy(store, tmp_path / "work")
    assert (tmp_path / "work").read_bytes() == store.read_bytes()


def test_copy_refused_half_way_is_finished_by_hand(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = os.copy_file_range
    calls: list[int] = []

    def refuse_after_one_mib(src: int, dst: int, count: int) -> int:
        calls.append(count)
        if len(calls) > 1:
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        return real(src, dst, 1 << 20)

    monkeypatch.setattr(os, "copy_file_range", refuse_after_one_mib)
    access._copy(store, tmp_path / "work")
    assert len(calls) == 2
    assert (tmp_path / "work").read_bytes() == store.read_bytes()


def test_copy_where_the_kernel_cannot(store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "copy_file_range")  # as on macOS
    access._copy(store, tmp_path / "work")
    assert (tmp_path / "work").read_bytes() == store.read_bytes()
