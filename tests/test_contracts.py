"""Rules the whole code base keeps: one import root, imports that follow the pipeline, one stage shape."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import subprocess
import sys
import typing
from pathlib import Path

import pytest

from earsense_m2t.schemas import StageResult, layout, manifests
from earsense_m2t.schemas.stages import BUILD_STAGES, PIPELINE, Stage

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
SHARED = ("earsense_m2t.schemas", "earsense_m2t.tagging", "earsense_m2t.config", "earsense_m2t.folding", "earsense_m2t.egress",
          "earsense_m2t.escape",
          "earsense_m2t.code_version", "earsense_m2t.media", "earsense_m2t.annotation.metrics")
#: the command line's helpers that the flow may use too; they import only shared libraries
CORE = ("earsense_m2t.build_summary", "earsense_m2t.build_options", "earsense_m2t.workdir", "earsense_m2t.memo",
        "earsense_m2t.prefect_server")
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


# ------------------------------------------------------------------------ flows/ only wires
# Each stage splits its own inputs per work and holds its own options; flows/ maps tasks over what the stage
# package exports (its entrypoint, its per-work split, its options), keys memos and retries. So flows/ imports
# from a pipeline stage (ENTRYPOINTS' packages; the model is the training flow's, flows/train.py) only names
# the stage package's __init__ exports, never one of the stage's inner modules.


def stage_internals_imported(source: str) -> list[str]:
    """Imports in ``source`` of a build stage's inner module, or of a name its package does not export."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported = [(alias.name, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported = [(node.module, tuple(alias.name for alias in node.names))]
        else:
            continue
        for module, names in imported:
            parts = module.split(".")
            if parts[0] != "earsense_m2t" or len(parts) < 2 or parts[1] not in ENTRYPOINTS:
                continue
            if len(parts) > 2:
                found.append(f"line {node.lineno}: {module}")
                continue
            exported = set(importlib.import_module(module).__all__)
            found += [f"line {node.lineno}: {module}.{name}" for name in names if name not in exported]
    return found


@pytest.mark.parametrize("path", source_files("flows"), ids=lambda p: str(p.relative_to(REPO)))
def test_flows_import_only_what_each_stage_package_exports(path):
    internals = stage_internals_imported(path.read_text(encoding="utf-8"))
    assert not internals, (f"{path.relative_to(REPO)} imports {internals}: flows/ wires each stage through the names "
                           "its package exports (entrypoint, per-work split, options); move the logic into the stage")


def test_every_stage_package_exports_its_entrypoint_for_the_flow():
    for stage, name in ENTRYPOINTS.items():
        assert name in importlib.import_module(f"earsense_m2t.{stage}").__all__
    for stage, split in (("acquire", "acquire_inputs"), ("segment", "segment_inputs"), ("features", "features_inputs")):
        package = importlib.import_module(f"earsense_m2t.{stage}")
        assert split in package.__all__, f"the {stage} stage splits its own inputs per work"


def test_the_flows_scan_catches_a_planted_violation():
    assert stage_internals_imported("from earsense_m2t.acquire.download import DownloadOptions")
    assert stage_internals_imported("import earsense_m2t.features.params")
    assert stage_internals_imported("from earsense_m2t.segment import segment_by_durations")  # not exported
    assert stage_internals_imported("def f():\n    from earsense_m2t.annotation.stage import AnnotationConfig")
    assert not stage_internals_imported("from earsense_m2t.acquire import AcquireOptions, acquire_media")
    assert not stage_internals_imported("from earsense_m2t.offline.minisite import serve\nimport earsense_m2t.memo")


# ------------------------------------------------------------------------ the contracts live in schemas/
# Paths under --out are named only by schemas.layout, manifest file names only by schemas.manifests, and every
# stage= value is a Stage. The scans below read string constants with ast (docstrings left out), so prose that
# mentions a file is fine and a path or a name spelled in code is not.

#: every module outside the contracts' room that could spell a path under --out (benchmarks write output roots too)
CONTRACT_SCANNED = [p for p in PACKAGE_FILES + source_files("benchmarks") if p.parts[len(REPO.parts)] != "schemas"]


def _layout_names() -> set[str]:
    """The folder and file names the layout spells (its module-level string constants)."""
    return {v for k, v in vars(layout).items() if k.isupper() and isinstance(v, str)}


def _manifest_files() -> set[str]:
    """Every manifest file name in the registry, current and legacy."""
    registered = [*manifests.BUILD_MANIFESTS, *manifests.CRAWL_FEEDS]
    return {m.file for m in registered} | {n for m in registered for n in m.legacy_names}


#: names that are a violation wherever they appear as a string: manifest files and the layout's file names
#: (with a dot: ``pool.jsonl``, ``.build.lock``); plain folder names (``build``, ``media``) only in a path
SPELLED_ANYWHERE = _manifest_files() | {n for n in _layout_names() if "." in n.strip(".")}
#: suffixes a name made with an f-string may not end with (``f"{name}.jsonl"``, ``f"{dataset}.versions"``)
SPELLED_SUFFIXES = (manifests.MANIFEST_SUFFIX, layout.VERSIONS_SUFFIX)


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def spelled_paths(source: str) -> list[str]:
    """Paths under --out and manifest names that ``source`` spells instead of asking schemas.layout/manifests."""
    tree = ast.parse(source)
    docstrings, names = _docstrings(tree), _layout_names()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):  # path / "build"
            found += [f"line {node.lineno}: / {side.value!r}" for side in (node.left, node.right)
                      if isinstance(side, ast.Constant) and side.value in names | SPELLED_ANYWHERE]
        elif (isinstance(node, ast.Constant) and id(node) not in docstrings and isinstance(node.value, str)
              and node.value in SPELLED_ANYWHERE):
            found.append(f"line {node.lineno}: {node.value!r}")
        elif isinstance(node, ast.JoinedStr) and node.values:  # f"{name}.jsonl"
            last = node.values[-1]
            if isinstance(last, ast.Constant) and str(last.value).endswith(SPELLED_SUFFIXES):
                found.append(f"line {node.lineno}: f-string ending {last.value!r}")
    return sorted(set(found))


def literal_stages(source: str) -> list[str]:
    """``stage=`` keywords (and StageResult's first argument) given a string instead of a Stage member."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        values = [k.value for k in node.keywords if k.arg == "stage"]
        if isinstance(node.func, ast.Name) and node.func.id == "StageResult" and node.args:
            values.append(node.args[0])
        found += [f"line {v.lineno}: stage={ast.unparse(v)}" for v in values
                  if isinstance(v, ast.JoinedStr) or (isinstance(v, ast.Constant) and isinstance(v.value, str))]
    return found


@pytest.mark.parametrize("path", CONTRACT_SCANNED, ids=lambda p: str(p.relative_to(REPO)))
def test_no_module_outside_schemas_spells_a_path_under_the_output_root(path):
    spelled = spelled_paths(path.read_text(encoding="utf-8"))
    assert not spelled, (f"{path.relative_to(REPO)} spells {spelled}: paths under --out come from "
                         "earsense_m2t.schemas.layout (OutputLayout), manifest names from earsense_m2t.schemas.manifests")


@pytest.mark.parametrize("path", PACKAGE_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_stage_value_is_the_stage_enum(path):
    literal = literal_stages(path.read_text(encoding="utf-8"))
    assert not literal, f"{path.relative_to(REPO)}: {literal}: use earsense_m2t.schemas.stages.Stage"


def test_the_scans_catch_a_planted_violation():
    assert spelled_paths('root / "build"') and spelled_paths('x = "works.jsonl"') and spelled_paths('f"{d}.versions"')
    assert spelled_paths('open(root / "cache" / "media")') and spelled_paths('p = out / ".build.lock"')
    assert not spelled_paths('"""Reads works.jsonl from build/."""\nd = {"media": 1}\nlog("build")')
    assert literal_stages('Failure(stage="crawl", item_id="x")') and literal_stages('StageResult("train")')
    assert not literal_stages("Failure(stage=Stage.CRAWL)") and not literal_stages("StageResult(stage=STAGE)")


def test_one_layout_one_registry_one_stage_list():
    from earsense_m2t import config
    from earsense_m2t.build_summary import STAGES as SUMMARY_STAGES
    from earsense_m2t.publish.rows import Bundle

    assert not hasattr(config, "BuildPaths"), "the output root's paths are schemas.layout.OutputLayout's alone"
    out = layout.OutputLayout(Path("out"))
    for path in (out.build_dir, out.build.crawl, out.build.memo("acquire"), out.media_cache, out.derived_cache,
                 out.httpcache, out.minisite_media, out.annotation.pool, out.training_dir, out.dataset_dir,
                 out.versions.dir, out.versions.tree("1.0.0"), out.versions.checkout("v1.0.0"), out.lock_file):
        assert path.parts[0] == "out", path
    files = [m.file for m in manifests.BUILD_MANIFESTS]
    assert len(files) == len(set(files)), "one file per build manifest"
    feeds = [m.file for m in manifests.CRAWL_FEEDS]
    assert manifests.LISTED_RECORDINGS.file != manifests.CHOSEN_RECORDINGS.file and len(feeds) == len(set(feeds))
    assert {m.name for m in manifests.PUBLISH_INPUTS} == {f.name for f in dataclasses.fields(Bundle)} - {"root", "release"}
    assert SUMMARY_STAGES == BUILD_STAGES == PIPELINE[:-1] and PIPELINE[-1] == Stage.TRAIN
    assert [s.value for s in PIPELINE] == ["crawl", "acquire", "movements", "segment", "features", "annotate",
                                           "publish", "train"]
