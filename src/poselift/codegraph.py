"""The import graph of the project's own code: which files a module runs, and who imports what.

The workflow lists a stage's files as inputs of its rule (so that a change to the library reruns exactly
the jobs that run it), and the layout rule "nothing outside `poselift.datasets` imports a particular data
set" is checked on it. Modules are found under `roots`: top-level package name -> its folder.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path


def module_file(dotted: str, roots: Mapping[str, Path]) -> Path | None:
    """The file of a dotted module name (`poselift.lifting.model`), or None for a module outside `roots`."""
    parts = dotted.split(".")
    if parts[0] not in roots:
        return None
    base = Path(roots[parts[0]], *parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _executed(node: ast.AST):
    """The nodes below `node` that run, leaving out `if TYPE_CHECKING:` blocks (imports for annotations only)."""
    for child in ast.iter_child_nodes(node):
        test = child.test if isinstance(child, ast.If) else None
        if test is not None and (getattr(test, "id", None) == "TYPE_CHECKING"
                                 or getattr(test, "attr", None) == "TYPE_CHECKING"):
            yield from (n for branch in child.orelse for n in (branch, *_executed(branch)))
            continue
        yield child
        yield from _executed(child)


def direct_imports(path: Path, dotted: str) -> set[str]:
    """Dotted names that file `path` (module `dotted`) imports when it runs: modules, and `module.name` for
    `from` imports (imports under `if TYPE_CHECKING:` left out). Each version of a file is parsed once per
    process (the workflow asks for the closure of every stage, and they share most of the library)."""
    stat = Path(path).stat()
    return set(_imports_of(str(path), dotted, stat.st_mtime_ns, stat.st_size))


@cache
def _imports_of(path: str, dotted: str, mtime_ns: int, size: int) -> frozenset[str]:
    """`direct_imports` of one version of a file (its modification time and size are part of the key)."""
    package = dotted if Path(path).name == "__init__.py" else dotted.rpartition(".")[0]
    names = set()
    for node in _executed(ast.parse(Path(path).read_text(), filename=path)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: `from . import x`, `from ..a import b`
                parts = package.split(".")
                base = ".".join([*parts[: len(parts) - node.level + 1], *([base] if base else [])])
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return frozenset(names)


def import_closure(modules: Iterable[str], roots: Mapping[str, Path]) -> list[Path]:
    """The files of `modules` and of every project module they import, transitively (a package's
    `__init__.py` included whenever one of its modules is imported)."""
    files: set[Path] = set()
    todo, seen = list(modules), set()
    while todo:
        dotted = todo.pop()
        if dotted in seen:
            continue
        seen.add(dotted)
        path = module_file(dotted, roots)
        if path is not None:
            files.add(path)
            for name in direct_imports(path, dotted):
                todo.extend(".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 2))
    return sorted(files)


def project_modules(roots: Mapping[str, Path]) -> dict[str, Path]:
    """Every module under `roots`: dotted name -> file."""
    out = {}
    for package, folder in roots.items():
        for path in sorted(Path(folder).rglob("*.py")):
            parts = path.relative_to(folder).with_suffix("").parts
            parts = parts[:-1] if parts[-1] == "__init__" else parts
            out[".".join((package, *parts))] = path
    return out


def layout_violations(roots: Mapping[str, Path], inside: str, private: Iterable[str]) -> list[str]:
    """Imports of a `private` package (e.g. `poselift.datasets.h36m`) by a module outside `inside`
    (e.g. `poselift.datasets`): one line per offending import, 'file: imports name'."""
    private = tuple(private)
    found = []
    for dotted, path in project_modules(roots).items():
        if dotted == inside or dotted.startswith(inside + "."):
            continue
        for name in sorted(direct_imports(path, dotted)):
            if any(name == p or name.startswith(p + ".") for p in private):
                found.append(f"{path}: imports {name}")
    return found
