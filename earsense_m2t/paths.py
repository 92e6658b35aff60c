"""Where a build puts things. Everything is under one output root (``local/`` by default, git-ignored)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DATASET_NAME = "earsense-m2t"


@dataclass(frozen=True)
class BuildPaths:
    root: Path = Path("local")

    @property
    def build_dir(self) -> Path:
        """Stage manifests (JSON Lines of schemas records)."""
        return self.root / "build"

    @property
    def media_cache(self) -> Path:
        """Downloads, under a hash of their source id."""
        return self.root / "cache" / "media"

    @property
    def derived_cache(self) -> Path:
        """Spectrograms and measurements, under a hash of (input, parameters, code version)."""
        return self.root / "cache" / "derived"

    @property
    def httpcache(self) -> Path:
        return self.root / "cache" / "http"

    @property
    def minisite_media(self) -> Path:
        return self.root / "cache" / "minisite-media"

    @property
    def dataset_dir(self) -> Path:
        return self.root / DATASET_NAME
