"""Every path under the output root (``--out``), named once.

A build, the annotation tool, the trainer and the benchmarks all read and write the same tree, so a
folder renamed in one of them and not the others would silently start a second cache or lose a store.
This module is the only place those names are spelled; everything else asks an :class:`OutputLayout`
(or, for a stage handed one folder of it, :class:`BuildFolder`, :class:`AnnotationLayout` or
:class:`VersionStore`)::

    <out>/
        .build.lock                 one build at a time (earsense_m2t.workdir)
        .test-paused-at             tests only: the pause point a build stopped at (flows.build)
        build/                      stage manifests (see :mod:`earsense_m2t.schemas.manifests`)
            crawl/                  the crawl's own output: every page's works, the recordings listed, stats
            .crawl-*/               a crawl in progress (removed when it ends; swept after a kill)
            memo/<stage>/           per-work memos of a stage
        cache/
            media/                  downloads, under a hash of their source id
            derived/                spectrograms and measurements, under a hash of their inputs
            http/                   Scrapy's HTTP cache (real sites only)
            minisite-media/         the bundled mini site's rendered media
            minisite-port           the port the bundled mini site was served on last (its URLs key the memos)
        annotation/                 the relative annotations' pool, triplets, judgments, excerpts, salt
        training/                   training runs, ``v<version>-<config>/`` (earsense_m2t.model.run)
        earsense-m2t                the live version: a relative symlink into the version store
        earsense-m2t.versions/      the version store: ``v<X.Y.Z>/`` trees, ``repo.git``, ``published.jsonl``
        earsense-m2t@v<X.Y.Z>/      a version materialized by ``checkout-version``

Inside a published version the tree is the release's format (``data/<config>/``, ``meta/``), which
:mod:`earsense_m2t.publish` writes and any ``datasets.load_dataset`` reads; inside a training run the
folders are the model's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from earsense_m2t.config import DATASET_NAME, OUTPUT_ROOT

BUILD_DIR = "build"
CRAWL_DIR = "crawl"
#: the prefix of a crawl's temporary folder under ``build/`` (``tempfile.mkdtemp(prefix=...)``)
CRAWL_TMP_PREFIX = ".crawl-"
MEMO_DIR = "memo"
CACHE_DIR = "cache"
MEDIA_CACHE_DIR = "media"
DERIVED_CACHE_DIR = "derived"
HTTP_CACHE_DIR = "http"
MINISITE_MEDIA_DIR = "minisite-media"
MINISITE_PORT_FILE = "minisite-port"
ANNOTATION_DIR = "annotation"
TRAINING_DIR = "training"
LOCK_FILE = ".build.lock"
PAUSED_MARKER = ".test-paused-at"
#: the version store sits beside the live link: ``<dataset>.versions``
VERSIONS_SUFFIX = ".versions"
VERSION_STORE_GIT = "repo.git"
#: the durable record of published versions, in the version store: one JSON object per line, oldest first
PUBLISHED_RECORD = "published.jsonl"
PUBLISH_LOCK = "publish.lock"

# the annotation folder (see AnnotationLayout)
POOL_FILE = "pool.jsonl"
TRIPLETS_FILE = "triplets.jsonl"
JUDGMENTS_FILE = "judgments.sqlite"
EXCERPTS_DIR = "excerpts"
SALT_FILE = "salt"


@dataclass(frozen=True)
class BuildFolder:
    """``<out>/build``: the manifests of every stage, the crawl's own folder and the stages' memos.

    Stages are handed this folder, not the output root (``crawl_site(build_dir)``, ``publish_release``),
    so it is its own object; :attr:`OutputLayout.build` is the one under an output root.
    """

    dir: Path

    @property
    def crawl(self) -> Path:
        """The last complete crawl's output (works, the recordings every page lists, stats)."""
        return Path(self.dir) / CRAWL_DIR

    def memo(self, stage: str) -> Path:
        """The per-work memos of one stage."""
        return Path(self.dir) / MEMO_DIR / stage

    def crawls_in_progress(self) -> list[Path]:
        """Temporary crawl folders (only a killed build leaves one behind)."""
        return sorted(Path(self.dir).glob(CRAWL_TMP_PREFIX + "*"))


@dataclass(frozen=True)
class AnnotationLayout:
    """``<out>/annotation``: it outlives every build (triplets are append-only, judgments are people's
    work, excerpts a cache), so it sits beside the build folder and no build deletes it::

        pool.jsonl          PoolExcerpt records (the current pool; rewritten by every build)
        triplets.jsonl      Triplet records, append-only (a round once written is never rewritten)
        judgments.sqlite    human judgments (the annotation page's store, SQLite in WAL mode)
        excerpts/<key>.ogg  rendered excerpts, content-addressed (``.mp3`` when ffmpeg has no Opus encoder)
        salt                the annotator pseudonyms' salt (mode 0600; never published)

    ``AnnotationLayout(out).dir`` is ``<out>/annotation``; :meth:`at` takes the annotation folder itself
    (what ``prepare_annotations`` is given).
    """

    root: Path
    folder: Path | None = None  # the annotation folder when it is not ``<root>/annotation``

    @classmethod
    def at(cls, annotation_dir: Path) -> AnnotationLayout:
        annotation_dir = Path(annotation_dir)
        return cls(annotation_dir.parent, annotation_dir)

    @property
    def dir(self) -> Path:
        return self.folder if self.folder is not None else Path(self.root) / ANNOTATION_DIR

    @property
    def pool(self) -> Path:
        return self.dir / POOL_FILE

    @property
    def triplets(self) -> Path:
        return self.dir / TRIPLETS_FILE

    @property
    def judgments(self) -> Path:
        return self.dir / JUDGMENTS_FILE

    @property
    def excerpts(self) -> Path:
        return self.dir / EXCERPTS_DIR

    @property
    def state_files(self) -> list[Path]:
        """The files a build's annotate stage reads besides the manifests (the triplets drawn so far, the
        judgments collected and SQLite's write-ahead log): their states are part of the stage's memo key."""
        return [self.triplets, self.judgments, Path(f"{self.judgments}-wal")]

    @property
    def salt(self) -> Path:
        return self.dir / SALT_FILE

    def excerpt(self, file_name: str) -> Path:
        """The path of one rendered excerpt; a name with a folder part is refused (it comes from a manifest)."""
        if not file_name or Path(file_name).name != file_name or file_name.startswith("."):
            raise ValueError(f"excerpt file {file_name!r} is not a plain file name under {self.excerpts}")
        return self.excerpts / file_name


@dataclass(frozen=True)
class VersionStore:
    """The published versions of the dataset at ``dataset_dir`` (the live link), kept beside it.

    Publish writes it; the trainer and ``checkout-version`` read it. A version's tree is ``v<X.Y.Z>``
    whether the version is given as ``1.2.0`` or ``v1.2.0``.
    """

    dataset_dir: Path

    @property
    def dir(self) -> Path:
        return self.dataset_dir.parent / f"{self.dataset_dir.name}{VERSIONS_SUFFIX}"

    @property
    def git_dir(self) -> Path:
        return self.dir / VERSION_STORE_GIT

    @property
    def record(self) -> Path:
        return self.dir / PUBLISHED_RECORD

    @property
    def lock(self) -> Path:
        return self.dir / PUBLISH_LOCK

    def tree(self, version: str) -> Path:
        return self.dir / f"v{version.removeprefix('v')}"

    def trees(self) -> list[Path]:
        """Every version folder present (a pruned version's tree is absent until checked out)."""
        return sorted(self.dir.glob("v*")) if self.dir.is_dir() else []

    def checkout(self, tag: str) -> Path:
        """Where ``checkout-version`` materializes the version tagged ``tag`` (``v1.2.0``): beside the live link."""
        return self.dataset_dir.parent / f"{self.dataset_dir.name}@{tag}"


@dataclass(frozen=True)
class OutputLayout:
    """Every path under one output root; ``OutputLayout()`` is the default root (``local/``)."""

    root: Path = OUTPUT_ROOT
    dataset_name: str = field(default=DATASET_NAME)

    @property
    def build(self) -> BuildFolder:
        return BuildFolder(self.build_dir)

    @property
    def build_dir(self) -> Path:
        """Stage manifests (JSON Lines of schemas records)."""
        return Path(self.root) / BUILD_DIR

    @property
    def cache_dir(self) -> Path:
        return Path(self.root) / CACHE_DIR

    @property
    def media_cache(self) -> Path:
        """Downloads, under a hash of their source id."""
        return self.cache_dir / MEDIA_CACHE_DIR

    @property
    def derived_cache(self) -> Path:
        """Spectrograms and measurements, under a hash of (input, parameters, code version)."""
        return self.cache_dir / DERIVED_CACHE_DIR

    @property
    def httpcache(self) -> Path:
        return self.cache_dir / HTTP_CACHE_DIR

    @property
    def minisite_media(self) -> Path:
        return self.cache_dir / MINISITE_MEDIA_DIR

    @property
    def minisite_port(self) -> Path:
        """The port the bundled mini site was last served on for this root: its URLs (the port in them) are
        in the records and the memo keys, so a refresh serves it on the same port when it is free."""
        return self.cache_dir / MINISITE_PORT_FILE

    def cache(self, name: str) -> Path:
        """A cache of a tool outside the build (a benchmark's, a test's): ``<out>/cache/<name>``."""
        if not name or Path(name).name != name:
            raise ValueError(f"cache name {name!r} is not a plain folder name under {self.cache_dir}")
        return self.cache_dir / name

    @property
    def annotation(self) -> AnnotationLayout:
        return AnnotationLayout(Path(self.root))

    @property
    def training_dir(self) -> Path:
        """Training runs: ``v<version>-<config>/`` each."""
        return Path(self.root) / TRAINING_DIR

    @property
    def dataset_dir(self) -> Path:
        """The live version (a symlink into :attr:`versions`)."""
        return Path(self.root) / self.dataset_name

    @property
    def versions(self) -> VersionStore:
        return VersionStore(self.dataset_dir)

    @property
    def lock_file(self) -> Path:
        return Path(self.root) / LOCK_FILE

    @property
    def paused_marker(self) -> Path:
        return Path(self.root) / PAUSED_MARKER


__all__ = ["AnnotationLayout", "BuildFolder", "CRAWL_TMP_PREFIX", "OutputLayout", "VersionStore"]
