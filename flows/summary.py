"""The run summary a person reads at the end of a build."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from earsense_m2t.schemas import Failure


@dataclass
class BuildSummary:
    site_url: str
    works: int = 0
    changes: dict[str, list[str]] = field(default_factory=dict)
    recordings: int = 0
    works_without_recording: list[str] = field(default_factory=list)
    found_by_search: list[str] = field(default_factory=list)
    spotify: str = "not run"
    downloaded: int = 0
    reused_downloads: int = 0
    movements: int = 0
    segments_by_method: dict[str, int] = field(default_factory=dict)
    clips_computed: int = 0
    clips_reused: int = 0
    failures: list[Failure] = field(default_factory=list)
    version: str | None = None
    version_created: bool = False
    dataset_dir: str | None = None
    rows: int = 0

    def render(self) -> str:
        lines = [
            f"earsense-m2t build of {self.site_url}",
            f"  works crawled:        {self.works} ({len(self.works_without_recording)} without a recording)",
            "  since last crawl:     " + ", ".join(f"{k} {len(self.changes.get(k, []))}"
                                                  for k in ("new", "changed", "unchanged", "gone")),
            f"  recordings listed:    {self.recordings} (+{len(self.found_by_search)} found by search)",
            f"  Spotify:              {self.spotify}",
            f"  media downloaded:     {self.downloaded} new, {self.reused_downloads} reused from cache",
            f"  movements:            {self.movements}",
            "  segments:             " + (", ".join(f"{k} {v}" for k, v in sorted(self.segments_by_method.items())) or "0"),
            f"  spectrograms:         {self.clips_computed} computed, {self.clips_reused} reused from cache",
        ]
        if self.failures:
            lines.append(f"  failures:             {len(self.failures)}")
            by_stage = Counter(f.stage for f in self.failures)
            lines.append("    by stage: " + ", ".join(f"{k} {v}" for k, v in sorted(by_stage.items())))
            for f in self.failures:
                lines.append(f"    - [{f.stage}] {f.item_id}: {f.reason}")
        else:
            lines.append("  failures:             0")
        if self.dataset_dir:
            state = "new version" if self.version_created else "no change, version kept"
            lines.append(f"  published:            {self.dataset_dir} v{self.version} ({state}, {self.rows} movement rows)")
            lines.append("")
            lines.append("Try it (from this folder):")
            lines.append(f"  python -c 'import datasets; print(datasets.load_dataset(\"{self.dataset_dir}\"))'")
        return "\n".join(lines)
