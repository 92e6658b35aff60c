"""Rules the whole code base keeps: one import root, imports that follow the pipeline, one stage shape."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
import typing
from pathlib import Path

import pytest

from earsense_m2t.schemas import StageResult

REPO = Path(__file__).resolve().parents[1]

#: repository folder -> the package it installs as (pyproject.toml's package-dir says the same)
PACKAGES = {
    "earsense_m2t": "earsense_m2t", "schemas": "earsense_m2t.schemas", "tagging": "earsense_m2t.tagging",
    "crawlers": "earsense_m2t.crawlers", "acquire": "earsense_m2t.acquire", "movements": "earsense_m2t.movements",
    "segment": "earsense_m2t.segment", "features": "earsense_m2t.features", "publish": "earsense_m2t.publish",
    "annotation": "earsense_m2t.annotation", "model": "earsense_m2t.model", "flows": "earsense_m2t.flows",
    "datacards": "earsense_m2t.datacards", "offline": "earsense_m2t.offline",
}
#: the import names the project had before it had one root: none may come back
OLD_TOP_LEVEL = {"annotation", "audio", "crawlers", "devservers", "flows", "minisite", "model", "publish", "schemas",
                 "tagging"}
#: the pipeline in order; a stage may import only the stages before it (annotate runs before publish, which
#: publishes its configs and computes the card's agreement figures with its modules)
STAGES = ("crawlers", "acquire", "movements", "segment", "features", "annotation", "publish", "model")
#: shared libraries any stage may import; they import no stage, not even the one whose folder holds them
#: (annotation.metrics: the answer vocabulary, agreement, evaluation and emotion that publish and model use)
SHARED = ("earsense_m2t.schemas", "earsense_m2t.tagging", "earsense_m2t.config", "earsense_m2t.text", "earsense_m2t.egress",
          "earsense_m2t.code_version", "earsense_m2t.media", "earsense_m2t.annotation.metrics")
#: the command line's helpers that the flow may use too; they import only shared libraries
CORE = ("earsense_m2t.summary", "earsense_m2t.build_options", "earsense_m2t.workdir", "earsense_m2t.memo")
#: stage packages that must not load the acquire stage's network libraries: they only read what it downloaded
#: (yt-dlp alone took about 2.5 s of `import earsense_m2t.publish`)
LIGHT_STAGES = ("earsense_m2t.segment", "earsense_m2t.features", "earsense_m2t.publish")
HEAVY = ("yt_dlp", "spotipy")
#: the stage entrypoints, as each stage package's __init__ names them
ENTRYPOINTS = {"crawlers": "crawl_site", "acquire": "acquire_media", "movements": "prepare_movements",
               "segment": "prepare_segments", "features": "prepare_clips", "annotation": "prepare_annotations",
               "publish": "publish_release"}


def source_files(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (REPO / folder).rglob("*.py"))


def module_name(path: Path) -> str:
    folder, *rest = path.relative_to(REPO).with_suffix("").parts
    parts = [PACKAGES[folder], *rest]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every module the file imports, anywhere in it (functions too), as absolute dotted names."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def area(module: str) -> str | None:
    """The part of the project a module belongs to: a stage, a shared library, flows, offline, cli..."""
    if not module.startswith("earsense_m2t"):
        return None
    parts = module.split(".")
    if len(parts) == 1:
        return "earsense_m2t"
    return parts[1]


PACKAGE_FILES = source_files(*(f for f in PACKAGES if f != "earsense_m2t")) + sorted((REPO / "earsense_m2t").glob("*.py"))
ALL_FILES = PACKAGE_FILES + source_files("tests", "benchmarks")


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_no_module_imports_an_old_top_level_name(path):
    old = sorted(m for m in imports_of(path) if m.split(".")[0] in OLD_TOP_LEVEL)
    assert not old, f"{path.relative_to(REPO)} imports {old}: everything lives under earsense_m2t now"


def allowed(importer: str, imported: str) -> bool:
    src, dst = area(importer), area(imported)
    if dst is None:
        return True
    if importer.startswith(SHARED) and not imported.startswith(SHARED):
        return False  # a shared library imports no stage, not even the one whose folder it sits in
    if src == dst:
        return True
    if imported.startswith(SHARED):
        # shared libraries never reach back into a stage or the wiring
        return True
    if importer.startswith(SHARED) or src == "offline":
        return False  # shared libraries and the offline stand-ins import only shared libraries
    if src in STAGES:
        return dst in STAGES and STAGES.index(dst) < STAGES.index(src) and src != "crawlers"
    if importer.startswith(CORE):
        return False
    if src == "flows":
        return dst in STAGES or dst == "offline" or imported.startswith(CORE)
    return src in ("earsense_m2t", "cli")  # the command line may start anything


@pytest.mark.parametrize("path", PACKAGE_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_imports_follow_the_pipeline(path):
    importer = module_name(path)
    bad = sorted(m for m in imports_of(path)
                 if m.startswith("earsense_m2t.") and not allowed(importer, m) and _is_module(m))
    assert not bad, f"{importer} imports {bad}: a stage imports only earlier stages and the shared libraries"


def _is_module(name: str) -> bool:
    """`from earsense_m2t.x import y` lists both `x` and `x.y`; only real modules count."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ModuleNotFoundError, ValueError):
        return False


def test_the_graph_check_catches_a_later_stage_import():
    assert not allowed("earsense_m2t.segment.segment", "earsense_m2t.features.features")
    assert not allowed("earsense_m2t.crawlers.crawl", "earsense_m2t.movements.align")
    assert not allowed("earsense_m2t.schemas.records", "earsense_m2t.acquire.download")
    assert not allowed("earsense_m2t.acquire.acquire", "earsense_m2t.offline.minisite")
    assert allowed("earsense_m2t.features.features", "earsense_m2t.media.decode")
    assert allowed("earsense_m2t.crawlers.spiders.earsense", "earsense_m2t.media.identity")
    assert allowed("earsense_m2t.model.metrics", "earsense_m2t.annotation.metrics.emotion")
    assert not allowed("earsense_m2t.annotation.metrics.agreement", "earsense_m2t.annotation.aggregate")
    assert not allowed("earsense_m2t.media.decode", "earsense_m2t.acquire.download")
    assert allowed("earsense_m2t.flows.build", "earsense_m2t.offline.minisite")


@pytest.mark.parametrize("stage, name", ENTRYPOINTS.items())
def test_each_stage_names_one_entrypoint_that_returns_a_stage_result(stage, name):
    package = importlib.import_module(f"earsense_m2t.{stage}")
    assert name in package.__all__ and name in (package.__doc__ or "")
    hints = typing.get_type_hints(getattr(package, name))
    assert hints["return"] is StageResult


def test_every_folder_is_a_package_in_pyproject():
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    for folder, package in PACKAGES.items():
        assert f'"{package}" = "{folder}"' in text


def heavy_modules_loaded_by(package: str) -> list[str]:
    """The HEAVY libraries in ``sys.modules`` after importing ``package`` in a fresh interpreter."""
    code = f"import sys, {package}; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    return out.stdout.split()


@pytest.mark.parametrize("package", LIGHT_STAGES)
def test_stages_that_read_media_do_not_load_the_download_libraries(package):
    loaded = heavy_modules_loaded_by(package)
    assert not loaded, (f"import {package} loads {loaded}: shared helpers live in earsense_m2t.media and "
                        f"earsense_m2t.annotation.metrics, not in the acquire stage")
