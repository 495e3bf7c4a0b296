"""No module of the pipeline binds one top-level name twice.

A second `_PATTERN = re.compile(...)` further down a module silently replaces the first for every
function that uses the name, including those written above it: `normalise.ocr` once had two
`_SPACE_IN_NUMBER` patterns, and `fold_figures` ran with the other one (any run of white space
instead of one blank). ruff flags a function or import defined twice, not a constant.
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted((ROOT / "pipeline").rglob("*.py")) + sorted((ROOT / "schemas").rglob("*.py"))


def top_level_bindings(tree: ast.Module) -> Counter[str]:
    names: Counter[str] = Counter()
    for node in tree.body:
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets = [node.target]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names[node.name] += 1
        for target in targets:
            for leaf in ast.walk(target):
                if isinstance(leaf, ast.Name):
                    names[leaf.id] += 1
    return names


def test_a_name_bound_twice_is_found() -> None:
    tree = ast.parse("import re\n_A = re.compile('a')\ndef f(): return _A\n_A = re.compile('b')\n")
    assert top_level_bindings(tree)["_A"] == 2


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_top_level_name_is_bound_twice(path: Path) -> None:
    names = top_level_bindings(ast.parse(path.read_text(encoding="utf-8")))
    assert [n for n, k in names.items() if k > 1] == []
