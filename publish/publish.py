"""Publish a build as a new version of the dataset, atomically, or not at all.

On-disk layout (``dataset_dir = local/earsense-m2t``)::

    local/earsense-m2t               -> earsense-m2t.versions/v1.1.0   (a relative symlink: the live version)
    local/earsense-m2t.versions/
        repo.git/                    the git history: one commit and one tag per version
        published.jsonl              the record of published versions: one line per version (version, tag,
                                     commit, date, previous, bump, reason), appended after the switch
        v1.1.0/                      the live tree (HF layout; a `.git` file points at ../repo.git)
        v1.0.0/                      the tree before it, kept so a reader that resolved the old link
                                     a moment before the switch can finish; older trees live in git only
        publish.lock                 one publish at a time (flock; released by the kernel on kill)
        .staging-<pid>/              the version being built (gone after a publish, or swept by the next)

Versions share files: the rows, hashes and file plan of the next version are decided in memory
(:func:`plan_configs`) before anything is written; with nothing changed nothing is written at all, and
otherwise only the files whose rows changed are written into the staging tree, the others hard-linked
from the live tree (copied where the filesystem cannot link). Published parquet files are read-only.

Why a symlink: a reader opens ``local/earsense-m2t`` and sees either the whole old version or the
whole new one, because the only step that changes what it sees is ``os.replace`` of the link, which
is atomic. Everything before it (writing, validating with ``datasets.load_dataset``, committing and
tagging) happens beside the live tree; a kill at any point leaves the old link, hence the old version,
untouched. A version is published once the link has pointed at it; ``published.jsonl`` then records it,
so the link is not the only witness. Published history is append-only: no code path deletes a
published tag. The next publish removes only what a killed one left (staging folders, stale git lock
files, and the tag and tree of a version that is absent from the record and newer than every recorded
one), points a missing or broken link back at the newest published version (re-materializing its
tree from git if it is gone) and moves the branch back to it, so numbering continues from there.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypedDict

import polars as pl
from datasets import Features

from earsense_m2t.features.excerpt import EXCERPT_RULE
from earsense_m2t.features.params import SPECTROGRAM_RULE
from earsense_m2t.media.identity import SOURCE_IDENTITY_RULE
from earsense_m2t.movements.align import TEXT_ALIGNMENT_RULE
from earsense_m2t.publish.annotations import annotation_context
from earsense_m2t.publish.audio import push_refusal  # also registers the local ``audio`` config in CONFIGS
from earsense_m2t.publish.card import (
    PLOT_DIR,
    ConfigSummary,
    card_dataset_dir,
    card_fingerprint,
    example_rows,
    make_plots,
    plot_files,
    render_card,
)
from earsense_m2t.publish.folds import assign_folds
from earsense_m2t.publish.rows import CONFIGS, Bundle, Inputs, Plan, Previous, load_bundle, spectrogram_of
from earsense_m2t.publish.screen import bundle_problems, checked_records, drop_invalid
from earsense_m2t.publish.shards import ConfigFiles, FilePlan, FileStat, features_json, plan_files
from earsense_m2t.publish.stats import dataset_stats, failure_stats, size_category
from earsense_m2t.publish.versions import (
    Git,
    Version,
    changed_rules,
    changelog_entry,
    decide_bump,
    diff_hashes,
    next_version,
    prepend_changelog,
)
from earsense_m2t.publish.writer import ParquetFileWriter, link_or_copy
from earsense_m2t.schemas import SCHEMA_VERSION, Failure, RecordError
from earsense_m2t.schemas.io import disk_full_as
from earsense_m2t.schemas.layout import PUBLISHED_RECORD, VERSION_STORE_GIT, OutputLayout, VersionStore
from earsense_m2t.schemas.published import AUDIO_CONFIG, DEFAULT_CONFIG, SPECTROGRAMS_CONFIG, WORKS_CONFIG
from earsense_m2t.schemas.stages import Stage

#: set to a stage name to make publish wait there (the kill-safety tests kill it while it waits)
PAUSE_ENV = "EARSENSE_PUBLISH_PAUSE_AT"
PAUSE_MARKER_ENV = "EARSENSE_PUBLISH_PAUSE_MARKER"
STAGES = ("wrote:default", "wrote:spectrograms", "wrote:works", "written", "validated", "committed", "renamed",
          "switched", "recorded")
#: configs bigger than this are validated with a streaming load (features + first row + row count from the
#: parquet footers) instead of a full conversion to arrow: the full load would copy gigabytes into the cache
FULL_LOAD_LIMIT = 256 << 20
KEEP_TREES = 2
#: what a publish reports to ``on_progress(done, len(PUBLISH_STEPS))`` as each step ends (the build's bar);
#: with nothing changed it stops after "card", and says it is done
PUBLISH_STEPS = ("read", "plan", "write", "plots", "card", "validate", "commit")
META_DIR = "meta"
ROW_HASHES = f"{META_DIR}/row_hashes.parquet"
#: versions of rules in earlier stages that shape row values; a change is named in the changelog
RULES: Mapping[str, tuple[str, str]] = {"source_identity": SOURCE_IDENTITY_RULE, "text_alignment": TEXT_ALIGNMENT_RULE,
                                        "excerpts": EXCERPT_RULE, "spectrograms": SPECTROGRAM_RULE}
PUBLISH_JSON = f"{META_DIR}/publish.json"
#: the durable record of published versions, in the version store (its path: VersionStore.record)
PUBLISHED = PUBLISHED_RECORD


class PublishError(RuntimeError):
    """The dataset folder or the staged version is not in the state publish needs; nothing was published."""


class HubTokenError(PublishError):
    pass


@dataclass
class PublishResult:
    version: str
    created: bool  # False when nothing changed (the live version is kept)
    previous: str | None
    path: Path  # the live dataset folder (the symlink)
    counts: dict[str, int] = field(default_factory=dict)  # rows per config
    added: dict[str, list[str]] = field(default_factory=dict)  # config -> row ids
    changed: dict[str, list[str]] = field(default_factory=dict)
    removed: dict[str, list[str]] = field(default_factory=dict)
    bump: str | None = None  # initial | major | minor | patch | None
    reason: str = ""
    pushed_to: str | None = None
    push_error: str | None = None  # the upload failed (the local version is published all the same)
    push_refused: str | None = None  # the version has the local ``audio`` config and may not go (publish/audio.py)
    carried: list[str] = field(default_factory=list)  # works the build lacks, kept from the live version
    gone: list[str] = field(default_factory=list)  # works that left because the crawl confirmed them gone
    written: list[str] = field(default_factory=list)  # parquet files written ("<config>/<file>")
    reused: list[str] = field(default_factory=list)  # parquet files taken over from the live version
    #: records left out because they failed validation or the plausibility bounds (publish failures)
    dropped: list[Failure] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------- layout

def _checkpoint(stage: str) -> None:
    if os.environ.get(PAUSE_ENV) != stage:
        return
    marker = os.environ.get(PAUSE_MARKER_ENV)
    if marker:
        Path(marker).write_text(f"{os.getpid()} {stage}\n")
    time.sleep(3600)


@dataclass(frozen=True)
class Layout:
    dataset_dir: Path

    @property
    def versions(self) -> VersionStore:
        """The store's paths (:class:`earsense_m2t.schemas.layout.VersionStore`); this class adds what publish does."""
        return VersionStore(self.dataset_dir)

    @property
    def store(self) -> Path:
        return self.versions.dir

    @property
    def git(self) -> Git:
        return Git(self.versions.git_dir)

    @property
    def record_path(self) -> Path:
        return self.versions.record

    def tree(self, version: str) -> Path:
        return self.versions.tree(version)

    def live_version(self) -> str | None:
        link = self.dataset_dir
        if not os.path.lexists(link):
            return None
        if not link.is_symlink():
            raise PublishError(f"{link} is a folder, not the link to a published version this code manages; "
                               "move it away and publish again")
        target = Path(os.readlink(link))
        try:
            version = str(Version.parse(target.name))
        except ValueError as exc:
            raise PublishError(f"{link} points at {target}, which is not a version folder") from exc
        if not (self.tree(version) / "README.md").exists():
            raise PublishError(f"{link} points at {self.tree(version)}, which is missing or incomplete")
        return version

    def linked_version(self) -> str | None:
        """The version the link shows, or None when it is missing or broken (a folder in its place is an error)."""
        try:
            return self.live_version()
        except PublishError:
            if os.path.lexists(self.dataset_dir) and not self.dataset_dir.is_symlink():
                raise
            return None

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        self.store.mkdir(parents=True, exist_ok=True)
        with open(self.versions.lock, "a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise PublishError(f"another publish into {self.dataset_dir} is running") from exc
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def init(self) -> None:
        """Create the git store, and with it the (empty) record of published versions."""
        if not (self.git.git_dir / "HEAD").exists() and not self.record_path.exists():
            self._write_record([])  # first, so that a store with a repo.git but no record is one made before it
        self.git.init()

    # ------------------------------------------------------------------------------------------ the record

    def read_record(self) -> list[dict[str, Any]] | None:
        """The published versions, oldest first, as recorded; None for a store made before the record."""
        try:
            text = self.record_path.read_text()
        except FileNotFoundError:
            return None
        entries = []
        for n, line in enumerate(text.splitlines(), 1):
            try:
                entry = json.loads(line)
                Version.parse(entry["version"])
            except (ValueError, KeyError, TypeError) as exc:
                raise PublishError(f"{self.record_path}:{n}: not a published version entry ({exc}); "
                                   "restore the file, nothing was changed") from exc
            entries.append(entry)
        return entries

    def _write_record(self, entries: Sequence[Mapping[str, Any]]) -> None:
        self.store.mkdir(parents=True, exist_ok=True)
        tmp = self.store / f".{PUBLISHED}.tmp-{os.getpid()}"
        with open(tmp, "w") as fh:
            fh.write("".join(json.dumps(e, sort_keys=True) + "\n" for e in entries))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.record_path)
        _fsync_dir(self.store)

    def record(self, entry: Mapping[str, Any]) -> None:
        """Append one published version (atomically: the whole file is rewritten and renamed into place)."""
        entries = self.read_record() or []
        newest = max((Version.parse(e["version"]) for e in entries), default=None)
        if newest is not None and Version.parse(entry["version"]) <= newest:
            raise PublishError(f"{self.record_path}: {entry['version']} is not newer than the published {newest}")
        self._write_record([*entries, entry])

    def _entry_from_tag(self, version: str, note: str) -> dict[str, Any]:
        tag = f"v{version}"
        meta: dict[str, Any] = {}
        with contextlib.suppress(ValueError, TypeError):
            meta = json.loads(self.git.show(tag, PUBLISH_JSON) or "{}")
        return {"version": version, "tag": tag, "commit": self.git.commit_of(tag), "date": self.git.tag_date(tag),
                "previous": meta.get("previous"), "bump": meta.get("bump"), "reason": meta.get("reason"),
                "recorded_by": note}

    def published_versions(self) -> list[str]:
        """Published versions, oldest first: the record's, or for a store made before it, what recovery would adopt."""
        if not (self.git.git_dir / "HEAD").exists():
            return [e["version"] for e in self.read_record() or []]
        record = self.read_record()
        if record is not None:
            return [e["version"] for e in record]
        linked = self.linked_version()
        return [t[1:] for t in self.git.tags() if linked is None or Version.parse(t) <= Version.parse(linked)]

    def commit_of(self, entry: Mapping[str, Any]) -> str | None:
        """The commit of a published version: the recorded one if the store holds it, else its tag's."""
        commit = self.git.commit_of(entry["commit"]) if entry.get("commit") else None
        return commit or self.git.commit_of(entry["tag"])

    # ------------------------------------------------------------------------------------------ recovery

    def recover(self) -> None:
        """Undo what a killed publish left behind and put the newest published version back live (lock held).

        The record (``published.jsonl``) says what was published; the link is only a second witness. A tag
        or tree is removed only when its version is absent from the record and newer than every recorded
        version (an aborted publish's: tagged, never switched to). A missing or broken link is pointed
        back at the newest published version, whose tree is re-materialized from git if it is gone.
        """
        for junk in [*self.store.glob(".staging-*"), *self.store.glob(".cache-*"), *self.store.glob(".restore-*")]:
            shutil.rmtree(junk, ignore_errors=True)
        for tmp in self.store.glob(f".{PUBLISHED}.tmp-*"):
            tmp.unlink(missing_ok=True)
        for link in self.dataset_dir.parent.glob(f".{self.dataset_dir.name}.link-*"):
            link.unlink(missing_ok=True)
        git_dir = self.git.git_dir
        if not (git_dir / "HEAD").exists():
            if self.read_record():
                raise PublishError(f"{self.record_path} lists published versions but {git_dir} is missing; "
                                   "restore it from a backup (publishing now would number versions from 1.0.0 again)")
            return
        for lock in [git_dir / "index.lock", git_dir / "HEAD.lock", git_dir / "packed-refs.lock",
                     git_dir / "config.lock", *(git_dir / "refs").rglob("*.lock")]:
            lock.unlink(missing_ok=True)
        linked = self.linked_version()
        tags = self.git.tags()
        record = self.read_record()
        if record is None:  # a store from before the record: what the link showed and everything older (all if no link)
            record = [self._entry_from_tag(t[1:], "recovery: store made before the record")
                      for t in tags if linked is None or Version.parse(t) <= Version.parse(linked)]
            self._write_record(record)
        newest = max((Version.parse(e["version"]) for e in record), default=None)
        if linked is not None and f"v{linked}" in tags and (newest is None or Version.parse(linked) > newest):
            # switched to, killed before it was recorded: readers saw it, so it is published
            entry = self._entry_from_tag(linked, "recovery: live but not yet recorded")
            self.record(entry)
            record.append(entry)
            newest = Version.parse(linked)

        def aborted(version: Version) -> bool:
            return newest is None or version > newest

        for tag in tags:
            if aborted(Version.parse(tag)):
                self.git.delete_tag(tag)
        for tree in self.store.glob("v*"):
            with contextlib.suppress(ValueError):
                if aborted(Version.parse(tree.name)):
                    shutil.rmtree(tree, ignore_errors=True)
        if newest is None:
            if self.git.has_commits():
                self.git.run("update-ref", "-d", "HEAD")
                (git_dir / "index").unlink(missing_ok=True)
            if self.dataset_dir.is_symlink():
                self.dataset_dir.unlink()  # a broken link to a version that was never published
            return
        version = str(newest)
        commit = self.commit_of(next(e for e in record if e["version"] == version))
        if commit is None:
            raise PublishError(f"version {version} is recorded as published in {self.record_path} but {git_dir} "
                               f"holds neither its tag nor its commit; restore {git_dir} from a backup")
        tree = self.tree(version)
        restored = not (tree / "README.md").exists()
        if restored:
            self.restore_tree(version, commit)
        head = self.git.run("rev-parse", "HEAD").strip() if self.git.has_commits() else None
        if restored or head != commit:
            self.git.reset_to(commit, tree)
        if linked != version:
            self.switch(tree)

    def restore_tree(self, version: str, commit: str) -> None:
        """Re-materialize the tree of a published version from git (its `.git` file included)."""
        tree = self.tree(version)
        tmp = self.store / f".restore-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        try:
            self.git.archive(commit, tmp)
            (tmp / ".git").write_text(f"gitdir: ../{VERSION_STORE_GIT}\n")
            shutil.rmtree(tree, ignore_errors=True)
            os.rename(tmp, tree)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def previous(self) -> Previous | None:
        live = self.live_version()
        if live is None:
            return None
        tree = self.tree(live)
        try:
            meta = json.loads((tree / PUBLISH_JSON).read_text())
            hashes = pl.read_parquet(tree / ROW_HASHES)
        except (OSError, ValueError) as exc:
            raise PublishError(f"{tree}: cannot read its {META_DIR}/ ({exc})") from exc
        return Previous(version=live, path=tree, meta=meta, hashes=hashes)

    def new_staging(self) -> Path:
        staging = self.store / f".staging-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        # a git file, not a folder: this tree is a work tree of ../repo.git and stays one after the rename
        (staging / ".git").write_text(f"gitdir: ../{VERSION_STORE_GIT}\n")
        return staging

    def switch(self, tree: Path) -> None:
        tmp = self.dataset_dir.parent / f".{self.dataset_dir.name}.link-{os.getpid()}"
        tmp.unlink(missing_ok=True)
        os.symlink(os.path.relpath(tree, self.dataset_dir.parent), tmp)
        os.replace(tmp, self.dataset_dir)
        _fsync_dir(self.dataset_dir.parent)

    def prune(self, keep: int = KEEP_TREES) -> None:
        """Remove old trees to save disk: never the newest ``keep`` (at least the newest one), and only trees
        of recorded versions whose tag and commit the git store holds, so ``load_version`` can bring them back."""
        recorded = {e["version"]: e for e in self.read_record() or []}
        trees = []
        for tree in self.store.glob("v*"):
            with contextlib.suppress(ValueError):
                trees.append((Version.parse(tree.name), tree))
        for version, tree in sorted(trees, reverse=True)[max(keep, 1):]:
            entry = recorded.get(str(version))
            if entry is None or not entry.get("commit") or self.git.commit_of(entry["tag"]) != entry["commit"]:
                continue
            shutil.rmtree(tree, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------------------------- building

@dataclass
class ConfigBuild:
    """One config of the next version: its rows (in memory), the files they go in, and what was written."""

    name: str
    features: Features
    plan: Plan
    files: FilePlan
    written: dict[str, FileStat] = field(default_factory=dict)

    @property
    def stats(self) -> dict[str, FileStat]:
        return {**self.files.reuse, **self.written}

    @property
    def num_rows(self) -> int:
        return len(self.plan.ids)

    @property
    def layout(self) -> ConfigFiles:
        return ConfigFiles(self.files.n_shards, self.stats, self.files.config_num_bytes)

    def row_files(self) -> dict[int, str]:
        """Row index -> the file holding it (unknown for files taken over from a version before keyed files)."""
        return {i: name for name, indices in self.files.rows.items() for i in indices}


def _movement_counts(bundle: Bundle) -> dict[str, int]:
    counts = {w.id: 0 for w in bundle.works}
    if bundle.movements:
        df = pl.DataFrame({"work_id": [m.work_id for m in bundle.movements]}).group_by("work_id").len()
        counts.update(dict(zip(df["work_id"].to_list(), df["len"].to_list(), strict=False)))
    return counts


def bundle_context(bundle: Bundle) -> dict[str, Any]:
    """What the card says about the build's data, read from the manifests themselves."""
    with_audio = {r.work_id for r in bundle.recordings}
    return {"segmentation": dict(sorted(Counter(s.method for s in bundle.segments).items())),
            "works_without_recording": sorted(w.id for w in bundle.works if w.id not in with_audio),
            "annotations": annotation_context(bundle.annotation_pool, bundle.relative_annotations,
                                              bundle.annotation_judgments)}


def plan_configs(inputs: Inputs, previous: Previous | None) -> dict[str, ConfigBuild]:
    """Every config's rows and hashes, in memory, and which files they need; nothing is written.

    Raises :class:`RecordError` listing every row that cannot be published.
    """
    builds: dict[str, ConfigBuild] = {}
    old_features: Mapping[str, Any] = previous.meta.get("features", {}) if previous else {}
    for name, spec in CONFIGS.items():
        features = spec.features(inputs)
        inputs.features_changed[name] = name in old_features and old_features[name] != _json_roundtrip(features.to_dict())
    for name, spec in CONFIGS.items():
        features = spec.features(inputs)
        plan = spec.plan(inputs, features)
        if not plan.ids and name != DEFAULT_CONFIG:
            continue  # a config without rows (no clip finished) does not load with datasets: this version leaves it out
        feats = features_json(_json_roundtrip(features.to_dict()))
        prev_feats = features_json(old_features[name]) if name in old_features else None
        unchanged = previous is not None and not diff_hashes(
            previous.config_hashes(name), pl.DataFrame({"id": plan.ids, "hash": plan.hashes},
                                                       schema={"id": pl.String, "hash": pl.String})).any
        files = plan_files(ids=plan.ids, hashes=plan.hashes, works=plan.works, total_bytes=plan.total_bytes,
                           features=feats, previous=previous.files(name) if previous else None,
                           previous_features=prev_feats, rows_unchanged=unchanged,
                           present=previous.present(name) if previous else {})
        builds[name] = ConfigBuild(name, features, plan, files)
    if inputs.problems:
        raise RecordError(inputs.problems)
    return builds


def write_files(staging: Path, builds: Mapping[str, ConfigBuild]) -> None:
    """Write the files no live file can stand for (none when nothing changed) into the staging tree."""
    for name, build in builds.items():
        spec = CONFIGS[name]
        for file in build.files.to_write:
            with ParquetFileWriter(staging / "data" / name / file, build.features, row_group_rows=spec.row_group_rows,
                                   row_group_bytes=spec.row_group_bytes) as writer:
                build.plan.write(build.files.rows[file], writer)
            build.written[file] = FileStat(writer.num_rows, writer.bytes_written, writer.size, build.files.keys[file])
        _checkpoint(f"wrote:{name}")


def link_reused(staging: Path, previous: Previous | None, builds: Mapping[str, ConfigBuild]) -> None:
    """Put the live version's files that the next version keeps into its tree (hard links where possible)."""
    for name, build in builds.items():
        for file in build.files.reuse:
            if previous is None:
                raise PublishError(f"{name}/{file}: planned for reuse but no version is live")
            link_or_copy(previous.config_dir(name) / file, staging / "data" / name / file)


def plots_key(default: pl.DataFrame, stats: Mapping[str, Any], ctx: Mapping[str, Any],
              contents: Mapping[str, str | None]) -> str:
    """Everything the card's plots are drawn from (and the code that draws them): equal keys, equal PNGs.

    ``contents`` maps spectrogram row ids to the sha256 of their array; only the examples' count.
    """
    import matplotlib

    from earsense_m2t.publish import annotations as annotations_module
    from earsense_m2t.publish import card as card_module

    columns = ["id", "has_audio", "duration_s", "loudness_before_lufs", "tempo_tag", "movement_title"]
    rows = default.select(columns).sort("id").to_dicts()
    examples = {tag: contents.get(row["id"]) for tag, row in example_rows(default).items()}
    code = hashlib.sha256()
    for module in (card_module, annotations_module):  # both draw plots
        code.update(Path(str(module.__file__)).read_bytes())
    payload = {"code": code.hexdigest(),
               "matplotlib": matplotlib.__version__, "rows": rows, "tempo_tags": stats.get("tempo_tags"),
               "audio": ctx.get("audio"), "spectrogram": ctx.get("spectrogram"), "examples": examples,
               "annotations": ctx.get("annotations")}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def validate_tree(tree: Path, summaries: list[ConfigSummary], cache_dir: Path) -> None:
    """Load every config of the staged tree the way a user will, and compare with what was written."""
    import datasets
    import pyarrow.parquet as pq
    from huggingface_hub import DatasetCard

    card = DatasetCard.load(tree / "README.md")
    names = [c.get("config_name") for c in (card.data.get("configs") or [])]
    if names != [s.name for s in summaries]:
        raise PublishError(f"{tree}/README.md: configs {names}, expected {[s.name for s in summaries]}")
    for s in summaries:
        streaming = s.download_size > FULL_LOAD_LIMIT
        try:
            ds = datasets.load_dataset(str(tree), s.name, split="train", cache_dir=str(cache_dir), streaming=streaming)
        except Exception as exc:  # noqa: BLE001 - any loader failure means the version must not go out
            raise PublishError(f"{tree}: config {s.name!r} does not load with datasets: {exc}") from exc
        if ds.features != s.features:
            raise PublishError(f"{tree}: config {s.name!r} loads with features {ds.features}, expected {s.features}")
        if streaming:
            rows = sum(pq.ParquetFile(p).metadata.num_rows for p in sorted((tree / "data" / s.name).glob("*.parquet")))
            if s.num_rows:  # one row as Arrow: decoded to Python, an hour of spectrogram is gigabytes of floats
                next(iter(ds.with_format("arrow")))
        else:
            rows = len(ds)
        if rows != s.num_rows:
            raise PublishError(f"{tree}: config {s.name!r} has {rows} rows, {s.num_rows} were written")


def _json_roundtrip(value: Any) -> Any:
    return json.loads(json.dumps(value, sort_keys=True, default=str))


# ---------------------------------------------------------------------------------------------- hub

def require_token(repo_id: str) -> str:
    """The configured Hugging Face token, or an error naming the repo (the token itself is never shown)."""
    from huggingface_hub import get_token

    token = get_token()
    if not token:
        raise HubTokenError(f"cannot push to the Hugging Face dataset repo {repo_id!r}: no token is configured "
                            "(set HF_TOKEN or run `hf auth login`); nothing was published or uploaded")
    return token


class PushError(PublishError):
    """The upload to the Hub failed; the message names the repo and never carries the token."""


def push(tree: Path, repo_id: str, version: str, token: str) -> None:
    """Upload one version. Any failure is a :class:`PushError` without a chained cause: the Hub
    client's errors keep the request, whose ``Authorization`` header holds the token, and a chained
    exception would carry it into logs and Prefect's state storage."""
    from huggingface_hub import HfApi

    try:
        api = HfApi(token=token)
        api.create_repo(repo_id, repo_type="dataset", exist_ok=True)
        api.upload_folder(folder_path=str(tree), repo_id=repo_id, repo_type="dataset",
                          commit_message=f"earsense-m2t v{version}", ignore_patterns=[".git", ".git/*"])
        api.create_tag(repo_id, tag=f"v{version}", repo_type="dataset", exist_ok=True)
    except Exception as exc:  # noqa: BLE001 - every failure of the upload is reported the same way
        detail = str(exc).splitlines()[0] if str(exc) else ""
        detail = detail.replace(token, "***")[:200]
        raise PushError(f"push of v{version} to the Hub dataset repo {repo_id!r} failed: "
                        f"{type(exc).__name__}: {detail}") from None


# ---------------------------------------------------------------------------------------------- entry points

def publish_dataset(build_dir: Path, dataset_dir: Path = OutputLayout().dataset_dir, *,
                    card_context: dict | None = None, push_to_hub: str | None = None,
                    now: datetime | None = None, gone: Collection[str] | None = None,
                    on_progress: Callable[[int, int], None] | None = None,
                    push_audio: bool = False) -> PublishResult:
    """Publish the build in ``build_dir`` as the next version of ``dataset_dir`` if anything changed.
    ``on_progress(done, total)`` is called as each of :data:`PUBLISH_STEPS` ends.

    ``gone``: the work ids the crawl confirmed gone (their page answered 404 or 410). A work of the live
    version that the build lacks leaves the next version only when it is listed there; any other (its
    page timed out or answered 5xx) keeps its rows, carried forward unchanged. Nothing is written when
    nothing changed; a change writes only the files whose rows changed and hard-links the others.

    A record that fails validation or the plausibility bounds is left out with what hangs on it and listed
    in ``PublishResult.dropped`` (and the card's failures); see :mod:`earsense_m2t.publish.screen`.

    Raises :class:`schemas.RecordError` listing every invalid row when more than
    :data:`~earsense_m2t.publish.screen.MAX_INVALID_SHARE` of the records are invalid (nothing is published),
    :class:`PublishError` when the folder or the staged version is not as expected, and
    :class:`HubTokenError` before doing anything when ``push_to_hub`` is given without a token, and
    :class:`schemas.io.DiskFull` when the disk fills up (the live version stays as it was).

    A version with the local ``audio`` config (``build --audio``) is never pushed unless ``push_audio`` is given
    and every audio row's media licence is on the allow-list (:func:`earsense_m2t.publish.audio.push_refusal`):
    otherwise ``PublishResult.push_refused`` says why and nothing is uploaded.
    """
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    dataset_dir = Path(dataset_dir)
    ctx: dict[str, Any] = {"schema_version": SCHEMA_VERSION, **(card_context or {})}
    token = require_token(push_to_hub) if push_to_hub else None
    layout = Layout(dataset_dir)
    # a full disk is schemas.io.DiskFull naming "publish" and the file; the staged tree never became live
    with disk_full_as(dataset_dir, stage=Stage.PUBLISH), layout.locked():
        layout.recover()
        layout.init()
        previous = layout.previous()
        result = _publish_locked(Path(build_dir), layout, previous, ctx, now, gone, _Steps(on_progress))
        if result.created:
            layout.prune()
    if push_to_hub and token:
        result.push_refused = audio_push_refusal(layout.tree(result.version), push_audio=push_audio)
    if push_to_hub and token and result.push_refused is None:
        try:
            push(layout.tree(result.version), push_to_hub, result.version, token)
            result.pushed_to = push_to_hub
        except PushError as exc:
            result.push_error = str(exc)
    return result


def audio_push_refusal(tree: Path, *, push_audio: bool) -> str | None:
    """Why the version in ``tree`` may not be pushed because of its ``audio`` config, or None (it has none, or
    ``push_audio`` is given and every row's licence allows it). Reads only the ids and licences."""
    import pyarrow.parquet as pq

    files = sorted((tree / "data" / AUDIO_CONFIG).glob("*.parquet"))
    if not files:
        return None
    ids: list[str] = []
    licenses: list[str | None] = []
    for file in files:
        table = pq.read_table(file, columns=["id", "media_license"])
        ids += table.column("id").to_pylist()
        licenses += table.column("media_license").to_pylist()
    return push_refusal(licenses, push_audio=push_audio, row_ids=ids)


class _CardArgs(TypedDict):
    """The ``render_card`` arguments one release shares between its neutral and its final card."""

    configs: Sequence[ConfigSummary]
    stats: Mapping[str, Any]
    failures: Mapping[str, Any]
    context: Mapping[str, Any]
    plots: Sequence[Mapping[str, str]]
    dataset_dir: str
    size_category: str


@dataclass(frozen=True)
class _Steps:
    """``step(name)``: :data:`PUBLISH_STEPS`'s ``name`` has ended; ``finished()``: there is nothing more to do."""

    on_progress: Callable[[int, int], None] | None = None

    def __call__(self, name: str) -> None:
        if self.on_progress is not None:
            self.on_progress(PUBLISH_STEPS.index(name) + 1, len(PUBLISH_STEPS))

    def finished(self) -> None:
        self(PUBLISH_STEPS[-1])


def _publish_locked(build_dir: Path, layout: Layout, previous: Previous | None, ctx: dict[str, Any],
                    now: datetime, gone: Collection[str] | None, step: _Steps = _Steps()) -> PublishResult:
    bundle = dataclasses.replace(load_bundle(build_dir), release=layout.dataset_dir)
    # an invalid or implausible record is left out (a publish failure), unless too many are: see screen.py
    total = checked_records(bundle)
    bundle, dropped, invalid = drop_invalid(bundle, bundle_problems(bundle), total=total)
    step("read")
    ctx = {**bundle_context(bundle), **ctx}
    # a live work the build lacks leaves only when the crawl confirmed it gone (404/410); otherwise its page
    # could not be had this time (timeout, 5xx) and its rows are carried forward unchanged
    present = {w.id for w in bundle.works}
    live_works = previous.work_ids() if previous else set()
    left = sorted((live_works & set(gone or ())) - present)
    carried_works = frozenset(live_works - present - set(left))
    prev_folds: dict[str, int] = {}
    sizes = _movement_counts(bundle)
    if previous is not None:
        old = previous.read(WORKS_CONFIG, ["id", "fold", "n_movements"])
        if old is not None:
            prev_folds = {k: v for k, v in zip(old["id"].to_list(), old["fold"].to_list(), strict=False) if v is not None}
            sizes.update({k: n for k, n in zip(old["id"].to_list(), old["n_movements"].to_list(), strict=False)
                          if k in carried_works})
    folds = assign_folds(sizes, prev_folds)
    spec_params = dict(ctx.get("spectrogram") or {})
    inputs = Inputs(bundle=bundle, folds=folds, spectrogram_parameters=spec_params, previous=previous,
                    n_bins=int(spec_params.get("n_bins", 256)), carried_works=carried_works)
    try:
        builds = plan_configs(inputs, previous)
    except RecordError as exc:  # rows that do not encode, spectrograms that fail their checks: plan without them
        bundle, more, invalid = drop_invalid(bundle, exc.problems, total=total, invalid_before=invalid)
        dropped += more
        inputs = Inputs(bundle=bundle, folds=folds, spectrogram_parameters=spec_params, previous=previous,
                        n_bins=int(spec_params.get("n_bins", 256)), carried_works=carried_works)
        builds = plan_configs(inputs, previous)
    hashes = pl.concat([b.plan.row_meta(name, b.row_files()) for name, b in builds.items()])
    changes = {name: diff_hashes(previous.config_hashes(name) if previous else None,
                                 pl.DataFrame({"id": b.plan.ids, "hash": b.plan.hashes},
                                              schema={"id": pl.String, "hash": pl.String}))
               for name, b in builds.items()}
    counts = {name: b.num_rows for name, b in builds.items()}
    carried = sorted(carried_works & {w for b in builds.values() for w in b.plan.works})
    step("plan")

    staging = layout.new_staging()
    committed = False
    try:
        write_files(staging, builds)
        step("write")
        default, works = inputs.frames[DEFAULT_CONFIG], inputs.frames[WORKS_CONFIG]
        stats = dataset_stats(default, works)
        failures = failure_stats(bundle.failures)
        spectrograms = builds.get(SPECTROGRAMS_CONFIG)
        contents = dict(zip(spectrograms.plan.ids, spectrograms.plan.contents, strict=True)) if spectrograms else {}
        key = plots_key(default, stats, ctx, contents)
        reuse_plots = (previous is not None and previous.meta.get("plots_key") == key
                       and bool(plot_files(previous.path)))
        if reuse_plots and previous is not None:
            plots, plot_dir = previous.meta.get("plots") or [], previous.path
        else:
            plots, plot_dir = make_plots(staging, default, stats, ctx, lambda row_id: spectrogram_of(inputs, row_id)), staging
        step("plots")
        summaries = [ConfigSummary(name, CONFIGS[name].description, b.features, b.num_rows, b.layout.num_bytes,
                                   b.layout.download_size, CONFIGS[name].default) for name, b in builds.items()]
        card_args = _CardArgs(configs=summaries, stats=stats, failures=failures, context=ctx, plots=plots,
                              dataset_dir=card_dataset_dir(layout.dataset_dir),
                              size_category=size_category(counts.get(DEFAULT_CONFIG, 0)))
        fingerprint = card_fingerprint(render_card(version="{version}", date="{date}", **card_args), plot_files(plot_dir))
        features = _json_roundtrip({name: b.features.to_dict() for name, b in builds.items()})
        part, reason = decide_bump(previous.meta if previous else None, SCHEMA_VERSION, features, changes,
                                   fingerprint)
        prev_version = previous.version if previous else None
        result = PublishResult(version=prev_version or "", created=False, previous=prev_version,
                               path=layout.dataset_dir, counts=counts,
                               added={n: c.added for n, c in changes.items()},
                               changed={n: c.changed for n, c in changes.items()},
                               removed={n: c.removed for n, c in changes.items()}, bump=part, reason=reason,
                               carried=carried, gone=left,
                               written=[f"{n}/{f}" for n, b in builds.items() for f in sorted(b.written)],
                               reused=[f"{n}/{f}" for n, b in builds.items() for f in sorted(b.files.reuse)],
                               dropped=dropped)
        step("card")
        if part is None:
            shutil.rmtree(staging, ignore_errors=True)
            step.finished()
            return result
        version = next_version(prev_version, part)
        result.version, result.created = version, True

        link_reused(staging, previous, builds)
        if reuse_plots:
            for png in plot_files(plot_dir):
                link_or_copy(png, staging / PLOT_DIR / png.name)
        (staging / META_DIR).mkdir()
        hashes.write_parquet(staging / ROW_HASHES)
        (staging / "README.md").write_text(render_card(version=version, date=now.date().isoformat(), **card_args))
        old_log = (previous.path / "CHANGELOG.md").read_text() if previous else None
        why = changed_rules(previous.meta if previous else None, RULES) if part in ("minor", "major") else []
        notes = _carry_notes(prev_version, carried, left, inputs.uncarried)
        entry = changelog_entry(version, now, part, reason, prev_version, changes, counts, why, notes)
        (staging / "CHANGELOG.md").write_text(prepend_changelog(old_log, entry))
        (staging / PUBLISH_JSON).write_text(json.dumps(
            {"version": version, "previous": prev_version, "date": now.isoformat(), "bump": part, "reason": reason,
             "schema_version": SCHEMA_VERSION, "counts": counts, "card_fingerprint": fingerprint,
             "features": features, "rules": {name: v for name, (v, _) in RULES.items()},
             "files": {name: b.layout.to_json() for name, b in builds.items()}, "plots_key": key, "plots": plots,
             "carried": carried},
            indent=1, sort_keys=True) + "\n")
        _checkpoint("written")

        cache_dir = layout.store / f".cache-{os.getpid()}"
        try:
            validate_tree(staging, summaries, cache_dir)
        finally:
            shutil.rmtree(cache_dir, ignore_errors=True)
        _checkpoint("validated")
        step("validate")

        committed = True
        commit = layout.git.commit_all(staging, f"earsense-m2t v{version}: {reason}", f"v{version}", now)
        _checkpoint("committed")
        tree = layout.tree(version)
        os.rename(staging, tree)
        _checkpoint("renamed")
        layout.switch(tree)
        _checkpoint("switched")
        layout.record({"version": version, "tag": f"v{version}", "commit": commit, "date": now.isoformat(),
                       "previous": prev_version, "bump": part, "reason": reason, "recorded_by": "publish"})
        _checkpoint("recorded")
        step("commit")
        return result
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if committed:  # the tag exists but may not be published: recovery removes it unless it was switched to
            with contextlib.suppress(Exception):
                layout.recover()
        raise


def _carry_notes(previous: str | None, carried: Sequence[str], left: Sequence[str],
                 uncarried: Mapping[str, Sequence[str]]) -> list[str]:
    """Changelog lines about works whose page was not fetched this time, or was confirmed gone."""
    notes = []
    if carried:
        notes.append(f"Kept unchanged from {previous} (their page could not be fetched this time; they leave only "
                     f"when the site answers 404/410): {', '.join(f'`{w}`' for w in carried)}.")
    if left:
        notes.append(f"Gone from the site (404/410): {', '.join(f'`{w}`' for w in left)}.")
    for name, ids in sorted(uncarried.items()):
        notes.append(f"Not kept in `{name}` (its features changed, the old rows do not fit): {len(ids)} rows.")
    return notes


def load_version(dataset_dir: Path, version: str) -> Path:
    """Materialize a published version as ``<dataset_dir>@v<version>/`` (from git) and return it.

    Only versions in the record of published versions can be loaded; any other raises a one-line
    :class:`PublishError` naming the version and the published ones. The folder is written under a
    temporary name and renamed, so a present folder is always complete and a second call reuses it.
    """
    dataset_dir = Path(dataset_dir)
    v = Version.parse(version)
    layout = Layout(dataset_dir)
    published = layout.published_versions()
    if str(v) not in published:
        raise PublishError(f"{dataset_dir}: version {v} was never published; available: {', '.join(published) or 'none'}")
    target = layout.versions.checkout(v.tag)
    if (target / "README.md").exists():
        return target
    entry = next((e for e in layout.read_record() or [] if e["version"] == str(v)), {"tag": v.tag})
    commit = layout.commit_of(entry)
    if commit is None:
        raise PublishError(f"{dataset_dir}: version {v} was published but {layout.git.git_dir} no longer holds "
                           f"its tag or commit; restore it from a backup")
    tmp = dataset_dir.parent / f".{target.name}.part-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        layout.git.archive(commit, tmp)
        os.rename(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def versions(dataset_dir: Path) -> list[str]:
    """Published versions, oldest first (from the record in the version store)."""
    return Layout(Path(dataset_dir)).published_versions()


__all__ = ["HubTokenError", "PublishError", "PublishResult", "load_version", "publish_dataset", "versions"]
