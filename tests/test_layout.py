"""The library's layout rule: nothing outside `poselift.datasets` imports a particular data set, and no stage
names one in its code (the stages take the data set from params `data.dataset`)."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

from poselift.codegraph import import_closure, layout_violations, project_modules
from poselift.datasets import DATASETS

ROOT = Path(__file__).resolve().parent.parent
DATA_SET_PACKAGES = [f"poselift.datasets.{key}" for key in DATASETS]
NAMES = sorted({word for d in DATASETS.values() for word in (d.key, d.name, d.title)}, key=len, reverse=True)


def roots(base: Path) -> dict[str, Path]:
    return {"poselift": base / "src" / "poselift", "stages": base / "stages"}


def names_in_code(path: Path) -> list[str]:
    """Data set names in a module's code: string constants other than docstrings, and identifiers."""
    tree = ast.parse(path.read_text())
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            text = node.value
        elif isinstance(node, ast.Name):
            text = node.id
        elif isinstance(node, ast.Attribute):
            text = node.attr
        else:
            continue
        found += [f"{path.name}:{node.lineno}: {name!r} in {text!r}" for name in NAMES if name.lower() in text.lower()]
    return found


def test_no_module_outside_datasets_imports_a_data_set():
    assert DATA_SET_PACKAGES == ["poselift.datasets.h36m", "poselift.datasets.humaneva"]
    assert layout_violations(roots(ROOT), "poselift.datasets", DATA_SET_PACKAGES) == []


def test_no_stage_names_a_data_set():
    stages = sorted((ROOT / "stages").glob("*.py"))
    assert len(stages) >= 7
    assert [line for path in stages for line in names_in_code(path)] == []


@pytest.mark.parametrize("where", ["src/poselift/lifting/evaluation.py", "stages/train.py"])
def test_a_planted_violation_is_found(tmp_path, where):
    for folder in ("src", "stages"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    planted = tmp_path / where
    planted.write_text(planted.read_text() + "\nfrom poselift.datasets.h36m.names import ACTIONS  # noqa\n")
    found = layout_violations(roots(tmp_path), "poselift.datasets", DATA_SET_PACKAGES)
    assert found == [f"{planted}: imports poselift.datasets.h36m.names", f"{planted}: imports "
                     "poselift.datasets.h36m.names.ACTIONS"]


def test_a_planted_name_in_a_stage_is_found(tmp_path):
    planted = tmp_path / "train.py"
    planted.write_text((ROOT / "stages" / "train.py").read_text() + "\nDATA = 'data_3d_h36m.npz'\n")
    line = len(planted.read_text().splitlines())
    assert names_in_code(planted) == [f"train.py:{line}: 'h36m' in 'data_3d_h36m.npz'"]


def test_import_closure_follows_packages_and_relative_imports(tmp_path):
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "sub" / "__init__.py").write_text("from . import leaf\n")
    (tmp_path / "pkg" / "sub" / "leaf.py").write_text("import os\n")
    (tmp_path / "pkg" / "top.py").write_text("from typing import TYPE_CHECKING\nfrom .sub import leaf\n"
                                             "if TYPE_CHECKING:\n    from pkg import hidden\n")
    (tmp_path / "pkg" / "hidden.py").write_text("")
    found = import_closure(["pkg.top"], {"pkg": tmp_path / "pkg"})
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "pkg/__init__.py", "pkg/sub/__init__.py", "pkg/sub/leaf.py", "pkg/top.py"]
    assert set(project_modules({"pkg": tmp_path / "pkg"})) == {"pkg", "pkg.hidden", "pkg.sub", "pkg.sub.leaf",
                                                               "pkg.top"}
