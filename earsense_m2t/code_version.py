"""The code version of a stage: a hash of the sources its entrypoint runs.

A refresh skips a work whose stage inputs are unchanged (``earsense_m2t.memo``); it must not skip one
whose result would differ because the code did. A hand-kept version number is only as good as the
memory of whoever edits the code, so the version is computed: the SHA-256 of the source of the stage's
module and of every module of this package it imports, directly or not (found from the import
statements, the way a reader would follow them). Editing the tempo table changes the version of every
stage that imports ``tagging``, and of no other; editing a docstring in it does too, which costs a
rerun that the stages' content caches make cheap, never a stale result.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.util
from pathlib import Path

PACKAGE = "earsense_m2t"


@functools.cache
def _location_of(top: str) -> Path | None:
    """Where the subpackage or module ``earsense_m2t.<top>`` lives (found without running it: the package's
    folders are mapped by the install, so they are not all under one directory)."""
    try:
        spec = importlib.util.find_spec(f"{PACKAGE}.{top}")  # imports only earsense_m2t itself, which is light
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(spec.origin) if spec.origin else None


def _source_of(module: str) -> Path | None:
    """The source file of ``module``, or None when it is not a module of this package with a source."""
    parts = module.split(".")
    if parts[0] != PACKAGE:
        return None
    if len(parts) == 1:
        spec = importlib.util.find_spec(PACKAGE)
        return Path(spec.origin) if spec and spec.origin else None
    location = _location_of(parts[1])
    if location is None:
        return None
    if location.suffix == ".py":
        return location if len(parts) == 2 else None
    base = location.joinpath(*parts[2:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


@functools.cache
def _imports_of(module: str, source: Path) -> frozenset[str]:
    """This package's modules that ``module`` names in an import statement (at any depth of its code)."""
    package = module if source.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"), filename=str(source))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package this module sits in, up level - 1
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)  # `from pkg import module`
    return frozenset(name for name in found if name == PACKAGE or name.startswith(PACKAGE + "."))


def import_closure(module: str) -> dict[str, Path]:
    """``module`` and every module of this package it imports, directly or not, with their sources.

    A submodule's parent packages run on import too, so their ``__init__`` counts as imported.
    """
    seen: dict[str, Path] = {}
    todo = [module]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        source = _source_of(name)
        if source is None:
            continue
        seen[name] = source
        parents = [name.rsplit(".", depth)[0] for depth in range(1, name.count(".") + 1)]
        todo.extend(parents)
        todo.extend(_imports_of(name, source) - seen.keys())
    return dict(sorted(seen.items()))


@functools.cache
def code_version(module: str) -> str:
    """SHA-256 over the names and sources of ``import_closure(module)``: changes when any of that code does."""
    closure = import_closure(module)
    if module not in closure:
        raise ValueError(f"code_version: {module!r} is not a module of {PACKAGE} with a source file")
    digest = hashlib.sha256()
    for name, source in closure.items():
        digest.update(name.encode("utf-8") + b"\0" + source.read_bytes() + b"\0")
    return digest.hexdigest()


@functools.cache
def package_data_version(package: str) -> str:
    """SHA-256 over the files a package ships besides its code (templates, tables): code reads them through
    ``importlib.resources``, which no import statement shows, so a stage that renders them names them."""
    location = _location_of(package.removeprefix(PACKAGE + "."))
    if location is None or not location.is_dir():
        raise ValueError(f"package_data_version: {package!r} is not a package of {PACKAGE}")
    digest = hashlib.sha256()
    for path in sorted(p for p in location.rglob("*") if p.is_file() and p.suffix not in {".py", ".pyc"}):
        digest.update(str(path.relative_to(location)).encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


__all__ = ["code_version", "import_closure", "package_data_version"]
