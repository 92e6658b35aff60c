"""Semantic versions of the dataset, what changed between two of them, and the git history.

MAJOR: the record schema's major version changed, or an existing config's features changed or a
config disappeared (a loader written for the old columns may break). MINOR: rows were added,
changed or removed, or a config was added. PATCH: only the card (text or plots) changed. Nothing
changed: no version. Row identity is the row id (movement id, work id); a row is "changed" when its
content hash differs, and the hash leaves out fetch provenance (see ``rows.carry_forward``).
"""

from __future__ import annotations

import os
import re
import subprocess
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

VERSION_RE = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)$")
FIRST_VERSION = "1.0.0"
#: ids listed inline in the changelog before the rest go into a collapsed block
INLINE_IDS = 20


@dataclass(frozen=True, order=True)
class Version:
    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> Version:
        m = VERSION_RE.match(text.strip())
        if not m:
            raise ValueError(f"{text!r} is not a version like 1.2.0 or v1.2.0")
        return cls(*(int(g) for g in m.groups()))

    def bump(self, part: str) -> Version:
        if part == "major":
            return Version(self.major + 1, 0, 0)
        if part == "minor":
            return Version(self.major, self.minor + 1, 0)
        if part == "patch":
            return Version(self.major, self.minor, self.patch + 1)
        raise ValueError(f"unknown version part {part!r}")

    @property
    def tag(self) -> str:
        return f"v{self}"

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


@dataclass
class ConfigChanges:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.added or self.changed or self.removed)


def diff_hashes(old: pl.DataFrame | None, new: pl.DataFrame) -> ConfigChanges:
    """Added, changed and removed ids between two ``id, hash`` tables (sorted, for stable changelogs)."""
    if old is None or old.is_empty():
        return ConfigChanges(added=sorted(new["id"].to_list()))
    joined = old.join(new, on="id", how="full", suffix="_new", coalesce=True)
    added = joined.filter(pl.col("hash").is_null())["id"].to_list()
    removed = joined.filter(pl.col("hash_new").is_null())["id"].to_list()
    changed = joined.filter(pl.col("hash").is_not_null() & pl.col("hash_new").is_not_null()
                            & (pl.col("hash") != pl.col("hash_new")))["id"].to_list()
    return ConfigChanges(sorted(added), sorted(changed), sorted(removed))


def decide_bump(previous_meta: Mapping[str, Any] | None, schema_version: str, features: Mapping[str, Any],
                changes: Mapping[str, ConfigChanges], card_fingerprint: str) -> tuple[str | None, str]:
    """(``major``/``minor``/``patch``/None, why) for a candidate against the live version's metadata."""
    if previous_meta is None:
        return "initial", "first version"
    old_schema = Version.parse(previous_meta.get("schema_version", "0.0.0"))
    if Version.parse(schema_version).major != old_schema.major:
        return "major", f"record schema {old_schema} -> {schema_version}"
    old_features: Mapping[str, Any] = previous_meta.get("features", {})
    for name, feats in old_features.items():
        if name not in features:
            return "major", f"config {name!r} removed"
        if features[name] != feats:
            return "major", f"features of config {name!r} changed{_column_changes(feats, features[name])}"
    added_configs = sorted(set(features) - set(old_features))
    if added_configs:
        return "minor", f"config(s) {', '.join(added_configs)} added"
    changed = [name for name, ch in changes.items() if ch.any]
    if changed:
        return "minor", f"rows changed in {', '.join(changed)}"
    if previous_meta.get("card_fingerprint") != card_fingerprint:
        return "patch", "dataset card changed"
    return None, "nothing changed"


def _column_changes(old: Any, new: Any) -> str:
    """`` (columns removed: a; added: b; changed: c)`` between two configs' features, or ``""``."""
    if not isinstance(old, Mapping) or not isinstance(new, Mapping):
        return ""
    parts = [(label, names) for label, names in (
        ("removed", sorted(set(old) - set(new))), ("added", sorted(set(new) - set(old))),
        ("changed", sorted(k for k in set(old) & set(new) if old[k] != new[k]))) if names]
    if not parts:
        return ""
    return " (columns " + "; ".join(f"{label}: {', '.join(f'`{n}`' for n in names)}" for label, names in parts) + ")"


def next_version(previous: str | None, part: str) -> str:
    if previous is None or part == "initial":
        return FIRST_VERSION
    return str(Version.parse(previous).bump(part))


def _id_list(ids: Sequence[str]) -> str:
    shown = ", ".join(f"`{i}`" for i in ids[:INLINE_IDS])
    if len(ids) <= INLINE_IDS:
        return shown
    rest = "\n".join(f"  - `{i}`" for i in ids[INLINE_IDS:])
    return f"{shown}\n\n  <details><summary>and {len(ids) - INLINE_IDS} more</summary>\n\n{rest}\n\n  </details>"


def changelog_entry(version: str, date: datetime, part: str, reason: str, previous: str | None,
                    changes: Mapping[str, ConfigChanges], counts: Mapping[str, int], why: Sequence[str] = (),
                    notes: Sequence[str] = ()) -> str:
    """``why``: the rule changes (see :func:`changed_rules`) that explain rows changing without new data;
    ``notes``: further lines (works kept from the previous version, works gone from the site)."""
    what = f"{part.upper()} against {previous}: {reason}." if previous else "First version."
    lines = [f"## {version} — {date.date().isoformat()}", "", what, ""]
    lines += [f"Why: {note}." for note in why] + ([""] if why else [])
    lines += list(notes) + ([""] if notes else [])
    for name, ch in changes.items():
        lines.append(f"- **{name}** ({counts.get(name, 0)} rows): {len(ch.added)} added, {len(ch.changed)} changed, "
                     f"{len(ch.removed)} removed")
        if previous is None:
            continue  # listing every id of a first version says nothing
        for label, ids in (("added", ch.added), ("changed", ch.changed), ("removed", ch.removed)):
            if ids:
                lines.append(f"  - {label}: {_id_list(ids)}")
    return "\n".join(lines) + "\n"


def changed_rules(previous_meta: Mapping[str, Any] | None, rules: Mapping[str, tuple[str, str]]) -> list[str]:
    """The notes of the data-shaping rules whose version differs from the live version's (absent = "1")."""
    if previous_meta is None:
        return []
    before = previous_meta.get("rules") or {}
    return [note for name, (version, note) in sorted(rules.items()) if before.get(name, "1") != version]


def prepend_changelog(old_text: str | None, entry: str) -> str:
    header = ("# Changelog\n\nEvery published version, newest first, with the rows added, changed and removed "
              "against the version before it. Load any of them as the dataset card explains.\n")
    body = ""
    if old_text:
        _, _, body = old_text.partition("\n## ")
        body = "## " + body if body else ""
    return f"{header}\n{entry}\n{body}".rstrip() + "\n"


# ---------------------------------------------------------------------------------------------- git

class GitError(RuntimeError):
    pass


@dataclass(frozen=True)
class Git:
    """A git directory kept apart from the work trees (see ``earsense_m2t.publish.publish`` for why)."""

    git_dir: Path

    def run(self, *args: str, work_tree: Path | None = None, env: Mapping[str, str] | None = None,
            stdout: Any = subprocess.PIPE) -> str:
        cmd = ["git", "--git-dir", str(self.git_dir)]
        if work_tree is not None:
            cmd += ["--work-tree", str(work_tree)]
        # trustctime off: a file hard-linked from the previous version's tree has a new ctime but the same
        # inode, size and mtime, so add and commit see it unchanged instead of hashing gigabytes again (every
        # other file of a new tree is a new inode, which git does compare)
        cmd += ["-c", "commit.gpgsign=false", "-c", "tag.gpgSign=false", "-c", "core.hooksPath=/dev/null",
                "-c", "core.trustctime=false", *args]
        full_env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", **(env or {})}
        proc = subprocess.run(cmd, stdout=stdout, stderr=subprocess.PIPE, env=full_env, check=False)
        if proc.returncode != 0:
            raise GitError(f"git {' '.join(args)} in {self.git_dir}: {proc.stderr.decode(errors='replace').strip()}")
        return proc.stdout.decode(errors="replace") if stdout is subprocess.PIPE else ""

    def init(self) -> None:
        if (self.git_dir / "HEAD").exists():
            return
        self.git_dir.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "init", "--bare", "-q", "-b", "main", str(self.git_dir)], check=True,
                       capture_output=True)
        # a bare git dir used with explicit work trees; big binary files are already compressed; trustctime
        # off for a user's git commands in a tree too (see ``run``)
        for key, value in (("core.bare", "false"), ("core.compression", "0"), ("core.looseCompression", "0"),
                           ("gc.auto", "0"), ("user.name", "earsense-m2t publish"),
                           ("user.email", "publish@earsense-m2t.invalid"), ("core.trustctime", "false")):
            self.run("config", key, value)

    def commit_all(self, work_tree: Path, message: str, tag: str, date: datetime) -> str:
        stamp = date.isoformat()
        env = {"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
        self.run("add", "-A", ".", work_tree=work_tree)
        self.run("commit", "-q", "--allow-empty", "-m", message, work_tree=work_tree, env=env)
        self.run("tag", "-a", tag, "-m", message, env=env)
        return self.run("rev-parse", "HEAD").strip()

    def tags(self) -> list[str]:
        out = self.run("tag", "--list", "v*")
        return sorted((t for t in out.split() if VERSION_RE.match(t)), key=Version.parse)

    def has_commits(self) -> bool:
        try:
            self.run("rev-parse", "--verify", "-q", "HEAD")
            return True
        except GitError:
            return False

    def reset_to(self, tag: str, work_tree: Path) -> None:
        """Point the branch and the index back at ``tag`` (after a publish killed between commit and switch)."""
        self.run("reset", "-q", "--mixed", tag, work_tree=work_tree)

    def delete_tag(self, tag: str) -> None:
        """Only for the tag of an aborted publish (never recorded as published): see ``Layout.recover``."""
        self.run("tag", "-d", tag)

    def commit_of(self, rev: str) -> str | None:
        """The commit ``rev`` (a tag or a commit id) names, or None when the store does not hold it."""
        try:
            return self.run("rev-parse", "--verify", "-q", f"{rev}^{{commit}}").strip() or None
        except GitError:
            return None

    def tag_date(self, tag: str) -> str:
        return self.run("for-each-ref", "--format=%(creatordate:iso-strict)", f"refs/tags/{tag}").strip()

    def show(self, rev: str, path: str) -> str | None:
        try:
            return self.run("show", f"{rev}:{path}")
        except GitError:
            return None

    def archive(self, rev: str, dest: Path) -> None:
        """Write the tree of ``rev`` into the (existing, empty) folder ``dest``."""
        proc = subprocess.Popen(["git", "--git-dir", str(self.git_dir), "archive", "--format=tar", rev],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stdout is not None
        try:
            with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
                tar.extractall(dest, filter="data")
        except tarfile.TarError as exc:
            proc.kill()
            _, err = proc.communicate()
            raise GitError(f"git archive {rev} in {self.git_dir}: {err.decode(errors='replace').strip() or exc}") from exc
        _, err = proc.communicate()
        if proc.returncode != 0:
            raise GitError(f"git archive {rev} in {self.git_dir}: {err.decode(errors='replace').strip()}")
