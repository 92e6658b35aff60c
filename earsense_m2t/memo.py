"""Per-work stage memos: what a refresh reuses instead of running a stage again for an unchanged work.

A per-work stage task (acquire, segment, features) is a function of its inputs (the work's records
from the stages before), its parameters, and its code. After it succeeds for a work, the memo keeps its
result under ``<build>/memo/<stage>/`` keyed by all three: the key hashes the input records, the
parameters, and the stage's computed code version (``earsense_m2t.code_version``). A later run whose key
for that work is the same takes the result from the memo and does not run the task: no download check,
no decode, no task run on the server. This is what makes a refresh in which nothing changed cost
little more than the crawl, and a refresh in which one work changed run only that work.

The memo never vouches for a file on its own: it records the size and modification time of every file
the result points at (media, spectrograms, normalized audio) as they were when the stage had verified
them, and a file that is missing or whose size or time differ makes the memo void, so the stage runs
and verifies (or remakes) it in full. This is the check git makes of its work tree. Only results with no
failure are kept: a failure may be transient (a timeout, the deadline), and is retried.

Neither a key nor a memo depends on where the output root is: a path under it (a record's file, a state
file) enters a key, and is kept in a memo, relative to the root (``<out>/cache/...``), and a memo's paths
are read back under the root as this run names it. A CLI build (a relative ``--out``) and a deployment
build (an absolute ``output_root``) of one output root take the same memos, and so does a moved root.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from earsense_m2t.code_version import code_version
from earsense_m2t.schemas import ANNOTATION_RECORD_TYPES, RECORD_TYPES, Clip, Excerpt, Media, Record, Release, StageResult
from earsense_m2t.schemas.io import atomic_write_text, content_key
from earsense_m2t.schemas.layout import BuildFolder

MEMO_FORMAT = 1
#: how a path under the output root is written in keys and memos: ``<out>/`` and the path below the root
ROOT_MARK = "<out>/"
#: the fields of a record that name a local file or folder
_PATH_FIELDS: dict[type[Record], tuple[str, ...]] = {Media: ("path", "info_json_path"),
                                                     Clip: ("spectrogram_path", "audio_path"), Excerpt: ("path",),
                                                     Release: ("dataset_dir",)}
_BY_KIND: dict[str, type[Record]] = {cls.kind: cls for cls in (*RECORD_TYPES, *ANNOTATION_RECORD_TYPES)}


def _record_files(record: Record) -> list[str]:
    """The local files a record points at, which must be as they were for a memo of it to hold."""
    if isinstance(record, Media):
        return [p for p in (record.path, record.info_json_path) if p]
    if isinstance(record, Clip):
        return [p for p in (record.spectrogram_path, record.audio_path) if p]
    if isinstance(record, Excerpt):
        return [record.path]
    if isinstance(record, Release):  # the live version it names is still the one published
        return [os.path.join(record.dataset_dir, "meta", "publish.json")]
    return []


def _stat(path: str) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def _memo_name(work_id: str) -> str:
    """A file name for any work id (ids are slugs, but a name never comes from the site unchecked)."""
    return content_key("work", work_id)[:32] + ".json"


@dataclass(frozen=True)
class StageMemo:
    """The memos of one stage of one build folder; ``module`` is the stage entrypoint's module, whose code
    version is part of every key."""

    directory: Path
    stage: str
    module: str
    #: the output root the memo's paths are relative to (None: the folder holding ``build/memo/<stage>``)
    root: Path | None = None

    @classmethod
    def of(cls, build_dir: Path, stage: str, module: str) -> StageMemo:
        return cls(BuildFolder(build_dir).memo(stage), stage, module, Path(build_dir).parent)

    @property
    def out(self) -> Path:
        return Path(self.root) if self.root is not None else Path(self.directory).parent.parent.parent

    def portable(self, path: str) -> str:
        """``path`` as keys and memos write it: relative to the output root (``<out>/...``) when under it."""
        return _portable(path, self.out)

    def local(self, path: str) -> str:
        """A path as a memo keeps it, under the output root as this run names it."""
        if not path.startswith(ROOT_MARK):
            return path
        rest = path[len(ROOT_MARK):]
        return str(self.out / rest) if rest else str(self.out)

    def key(self, inputs: Mapping[str, Any]) -> str:
        """The key of one work's task: its inputs (records as dicts, parameters; paths relative to the output
        root) and the stage's code version."""
        return content_key(MEMO_FORMAT, self.stage, code_version(self.module), _plain(inputs, self.portable))

    def load(self, work_id: str, key: str) -> StageResult | None:
        """The work's memo as a result in which everything counts as reused, or None when there is none for
        this key, or one of the files it points at is not as it was."""
        path = self.directory / _memo_name(work_id)
        try:
            memo = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if memo.get("key") != key or memo.get("work_id") != work_id:
            return None
        for name, recorded in memo.get("files", {}).items():
            if _stat(self.local(name)) != recorded:
                return None
        try:
            records = [_moved(_BY_KIND[item["kind"]].from_dict(item["record"]), self.local) for item in memo["records"]]
        except (KeyError, TypeError, ValueError):
            return None
        result = StageResult(stage=self.stage, records=records, notes={k: list(v) for k, v in memo["notes"].items()})
        counts = Counter({k: int(v) for k, v in memo["counts"].items()})
        counts["reused"] += counts["computed"]  # made then, reused now
        counts["computed"] = 0
        counts["memo_works"] = 1
        result.counts = counts
        return result

    def save(self, work_id: str, key: str, result: StageResult, files_too: Iterable[Path] = ()) -> bool:
        """Keep ``result`` for this key when it has no failure; True when kept. ``files_too``: files the result
        stands for that its records do not name with a path (they are checked like the others)."""
        if result.failures:
            return False
        files: dict[str, list[int]] = {}
        names = [name for record in result.records for name in _record_files(record)]
        for name in [*names, *map(str, files_too)]:
            stat = _stat(name)
            if stat is None:
                return False  # it points at a file that is not there: nothing to vouch for
            files[self.portable(name)] = stat
        memo = {"format": MEMO_FORMAT, "work_id": work_id, "key": key, "files": files,
                "records": [{"kind": r.kind, "record": _moved(r, self.portable).to_dict()} for r in result.records],
                "counts": {k: v for k, v in result.counts.items() if k != "memo_works"}, "notes": result.notes}
        self.directory.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.directory / _memo_name(work_id), json.dumps(memo, ensure_ascii=False, default=str))
        return True


def _portable(path: str, out: Path) -> str:
    """``path`` relative to the output root ``out`` (``<out>/...``) when under it, else as it is."""
    relative = os.path.relpath(os.path.abspath(path), os.path.abspath(out))
    if relative == os.curdir:
        return ROOT_MARK
    if relative == os.pardir or relative.startswith(os.pardir + os.sep) or os.path.isabs(relative):
        return path
    return ROOT_MARK + Path(relative).as_posix()


def _moved(record: Record, where: Callable[[str], str]) -> Record:
    """``record`` with the local paths it names passed through ``where``."""
    fields = _PATH_FIELDS.get(type(record), ())
    changes = {name: where(getattr(record, name)) for name in fields if getattr(record, name)}
    moved: Record = dataclasses.replace(cast(Any, record), **changes) if changes else record
    return moved


def _plain(value: Any, where: Callable[[str], str]) -> Any:
    """Inputs as JSON-ready values: records as their dicts (with their kind; their local paths, and paths anywhere,
    passed through ``where``), containers element by element."""
    if isinstance(value, Record):
        return {"kind": value.kind, **_moved(value, where).to_dict()}
    if isinstance(value, Path):
        return where(str(value))
    if isinstance(value, Mapping):
        return {where(str(k)) if isinstance(k, Path) else str(k): _plain(v, where) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, where) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(dataclasses.asdict(value), where)
    return value


def manifests_digest(build_dir: Path) -> str:
    """One hash of every manifest in ``build_dir`` (``*.jsonl``: what publish reads): names and the set of
    their lines. A manifest's line order follows the order pages answered in; publish orders rows by id.

    A record's local paths (the fields of ``_PATH_FIELDS``) count relative to the output root (``<out>/...``),
    as in every memo key: the manifests of a CLI build (a relative ``--out``: ``local/cache/...``) and of a
    deployment's build (``/abs/local/cache/...``) of one root, or of a moved root, have one digest."""
    out = Path(build_dir).parent
    digest = hashlib.sha256()
    for path in sorted(build_dir.glob("*.jsonl")):
        digest.update(path.name.encode("utf-8") + b"\0")
        for line in sorted(_portable_line(line, out) for line in path.read_bytes().splitlines()):
            digest.update(line + b"\n")
        digest.update(b"\0")
    return digest.hexdigest()


_PATH_FIELD_NAMES = frozenset(name for names in _PATH_FIELDS.values() for name in names)


def _portable_line(line: bytes, out: Path) -> bytes:
    """A manifest's line with the local paths it names relative to ``out``; a line naming none, as it is."""
    try:
        record = json.loads(line)
    except ValueError:
        return line
    if not isinstance(record, dict) or not any(isinstance(record.get(n), str) for n in _PATH_FIELD_NAMES):
        return line
    for name in _PATH_FIELD_NAMES:
        if isinstance(record.get(name), str) and record[name]:
            record[name] = _portable(record[name], out)
    return json.dumps(record, ensure_ascii=False, sort_keys=True).encode("utf-8")


def file_states(paths: Iterable[Path]) -> dict[Path, list[int] | None]:
    """(size, modification time) of each file, None when absent: a key part for state kept in files (a database).
    Keyed by the paths themselves, which a memo key writes relative to the output root."""
    return {Path(p): _stat(str(p)) for p in paths}


def split_by_memo(memo: StageMemo, items: Iterable[Mapping[str, Any]], work_of: Callable[[Mapping[str, Any]], str],
                  inputs_of: Callable[[Mapping[str, Any]], Mapping[str, Any]]
                  ) -> tuple[dict[str, StageResult], list[dict[str, Any]]]:
    """(results taken from memos by work id, the items still to run, each with its ``memo_key``)."""
    reused: dict[str, StageResult] = {}
    to_run: list[dict[str, Any]] = []
    for item in items:
        work_id = work_of(item)
        key = memo.key(inputs_of(item))
        found = memo.load(work_id, key)
        if found is not None:
            reused[work_id] = found
        else:
            to_run.append({**item, "memo_key": key})
    return reused, to_run


__all__ = ["MEMO_FORMAT", "ROOT_MARK", "StageMemo", "file_states", "manifests_digest", "split_by_memo"]
