"""The run summary a person reads at the end of a build, made from the stages' results alone."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from earsense_m2t.schemas import Failure, Movement, Recording, Release, Segment, StageResult, Work
from earsense_m2t.schemas.results import (
    ALBUM_TRACKS_FOUND,
    FLAG_NOTE_PREFIX,
    FOUND_BY_SEARCH,
    SPOTIFY_SKIPPED,
    WORKS_WITHOUT_RECORDING,
)

#: the stages in pipeline order, as the summary lists them
STAGES = ("crawl", "acquire", "movements", "segment", "features", "publish")


@dataclass
class BuildSummary:
    site_url: str
    results: dict[str, StageResult] = field(default_factory=dict)
    leftovers_removed: int = 0  # temporary files of an interrupted build, removed at the start
    #: what the release trigger did, for the ``training:`` line ('' when no training deployment was asked for)
    training: str = ""

    @classmethod
    def of(cls, site_url: str, results: Sequence[StageResult], *, leftovers_removed: int = 0,
           training: str = "") -> BuildSummary:
        return cls(site_url=site_url, results={r.stage: r for r in results}, leftovers_removed=leftovers_removed,
                   training=training)

    def _result(self, stage: str) -> StageResult:
        return self.results.get(stage) or StageResult(stage=stage)

    @property
    def failures(self) -> list[Failure]:
        return [f for stage in STAGES for f in self._result(stage).failures]

    @property
    def release(self) -> Release | None:
        releases = self._result("publish").of(Release)
        return releases[0] if releases else None

    @property
    def rows(self) -> int:
        return self.release.rows if self.release else 0

    def failure_counts(self) -> Counter[tuple[str, str]]:
        """(stage, reason code) -> how many items failed that way."""
        return Counter((f.stage, f.code) for f in self.failures)

    def render(self) -> str:
        crawl, acquire = self._result("crawl"), self._result("acquire")
        features = self._result("features")
        n_works = len(crawl.of(Work))
        without = acquire.notes.get(WORKS_WITHOUT_RECORDING, [])
        searched = acquire.notes.get(FOUND_BY_SEARCH, [])
        spotify = ("skipped (no credentials)" if SPOTIFY_SKIPPED in acquire.notes else
                   f"album tracks found for {len(acquire.notes.get(ALBUM_TRACKS_FOUND, []))} of {n_works} works")
        methods = Counter(s.method for s in self._result("segment").of(Segment))
        flags = {k.removeprefix(FLAG_NOTE_PREFIX): len(v) for k, v in sorted(features.notes.items())
                 if k.startswith(FLAG_NOTE_PREFIX)}
        lines = [
            f"earsense-m2t build of {self.site_url}",
            f"  works crawled:        {n_works} ({len(without)} without a recording)",
            "  since last crawl:     " + ", ".join(f"{k} {len(crawl.notes.get(k, []))}"
                                                  for k in ("new", "changed", "unchanged", "gone")),
            f"  recordings listed:    {len(crawl.of(Recording))} (+{len(searched)} found by search)",
            f"  Spotify:              {spotify}",
            f"  media downloaded:     {acquire.counts['computed']} new, {acquire.counts['reused']} reused from cache",
            f"  movements:            {len(self._result('movements').of(Movement))}",
            "  segments:             " + (", ".join(f"{k} {v}" for k, v in sorted(methods.items())) or "0"),
            f"  spectrograms:         {features.counts['computed']} computed, {features.counts['reused']} reused from cache",
            "  quality flags:        " + (", ".join(f"{k} {v}" for k, v in flags.items()) or "none"),
        ]
        if self.leftovers_removed:
            lines.append(f"  cleaned up:           {self.leftovers_removed} leftovers of an interrupted build")
        lines += self._failure_lines()
        release = self.release
        if release is not None:
            state = "new version" if release.created else "no change, version kept"
            lines.append(f"  published:            {release.dataset_dir} v{release.version} ({state}, "
                         f"{release.rows} movement rows)")
        if self.training:
            lines.append(f"  training:             {self.training}")
        if release is not None:
            lines.append("")
            lines.append("Try it (from this folder):")
            lines.append(f"  python -c 'import datasets; print(datasets.load_dataset(\"{release.dataset_dir}\"))'")
        return "\n".join(lines)

    def _failure_lines(self) -> list[str]:
        failures = self.failures
        if not failures:
            return ["  failures:             0"]
        by_stage = Counter(f.stage for f in failures)
        lines = [f"  failures:             {len(failures)}",
                 "    by stage:  " + ", ".join(f"{s} {by_stage[s]}" for s in STAGES if s in by_stage),
                 "    by reason: " + ", ".join(f"{s}/{c} {n}" for (s, c), n in sorted(self.failure_counts().items()))]
        lines += [f"    - [{f.stage}] {f.item_id}: {f.reason}" for f in failures]
        return lines
