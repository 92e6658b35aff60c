"""Where the annotation stage keeps its files, under the build's output root (``<out>/annotation/``).

Everything here outlives one build: the triplets are append-only across releases, the judgments are
people's work, the rendered excerpts are a cache. So the folder sits beside the build folder, not in
it, and no build ever deletes it::

    <out>/annotation/
        pool.jsonl          PoolExcerpt records (the current pool; rewritten by every build)
        triplets.jsonl      Triplet records, append-only (a round once written is never rewritten)
        judgments.sqlite    human judgments (the annotation page's store, SQLite in WAL mode)
        excerpts/<key>.ogg  rendered excerpts, content-addressed (``.mp3`` when ffmpeg has no Opus encoder)
        salt                the annotator pseudonyms' salt (mode 0600; never published)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ANNOTATION_DIR = "annotation"
POOL_FILE = "pool.jsonl"
TRIPLETS_FILE = "triplets.jsonl"
JUDGMENTS_FILE = "judgments.sqlite"
EXCERPTS_DIR = "excerpts"
SALT_FILE = "salt"


@dataclass(frozen=True)
class AnnotationPaths:
    """The annotation folder's layout under an output root, like :class:`earsense_m2t.config.BuildPaths`:
    ``AnnotationPaths(out).dir`` is ``<out>/annotation``. :meth:`at` takes the annotation folder itself
    (what ``prepare_annotations`` is given)."""

    root: Path
    folder: Path | None = None  # the annotation folder when it is not ``<root>/annotation``

    @classmethod
    def at(cls, annotation_dir: Path) -> AnnotationPaths:
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
    def salt(self) -> Path:
        return self.dir / SALT_FILE

    def excerpt(self, file_name: str) -> Path:
        """The path of one rendered excerpt; a name with a folder part is refused (it comes from a manifest)."""
        if not file_name or Path(file_name).name != file_name or file_name.startswith("."):
            raise ValueError(f"excerpt file {file_name!r} is not a plain file name under {self.excerpts}")
        return self.excerpts / file_name


__all__ = ["ANNOTATION_DIR", "AnnotationPaths", "EXCERPTS_DIR", "JUDGMENTS_FILE", "POOL_FILE", "SALT_FILE",
           "TRIPLETS_FILE"]
