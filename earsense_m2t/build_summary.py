"""The run summary a person reads at the end of a build, made from the stages' results alone.

``render()`` is the text the command prints; ``markdown()`` the same facts as the Prefect artifact of
the run (counts per stage, failures with their reasons, time per stage, the version published). Text
that came from the site (its URL, item ids, failure reasons) is escaped for where it is shown
(:mod:`earsense_m2t.escape`): no control character reaches the terminal, no markup the artifact.
"""

from __future__ import annotations

import shlex
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from earsense_m2t.escape import for_markdown_cell, for_terminal
from earsense_m2t.schemas import Failure, Movement, Recording, Release, Segment, StageResult, Work
from earsense_m2t.schemas.layout import BUILD_DIR
from earsense_m2t.schemas.manifests import FAILURES
from earsense_m2t.schemas.results import (
    ALBUM_TRACKS_FOUND,
    FLAG_NOTE_PREFIX,
    FOUND_BY_SEARCH,
    SPOTIFY_SKIPPED,
    WORKS_WITHOUT_RECORDING,
)
from earsense_m2t.schemas.stages import BUILD_STAGES, Stage


def load_command(dataset_dir: str) -> str:
    """The shell line that loads ``dataset_dir`` with ``datasets``: run by this interpreter (a plain ``python``
    may be one without the package), both it and the path quoted for the shell."""
    code = f"import datasets; print(datasets.load_dataset({str(dataset_dir)!r}))"
    return f"{shlex.quote(sys.executable)} -c {shlex.quote(code)}"


#: the stages in pipeline order, as the summary lists them (a build's: training is a flow of its own)
STAGES = BUILD_STAGES
#: the stages memoized as a whole (one memo, not one per work): the summary names them without a count
WHOLE_STAGE_MEMOS = (Stage.ANNOTATE, Stage.PUBLISH)


@dataclass
class BuildSummary:
    site_url: str
    results: dict[str, StageResult] = field(default_factory=dict)
    leftovers_removed: int = 0  # temporary files of an interrupted build, removed at the start
    #: what the release trigger did, for the ``training:`` line ('' when no training deployment was asked for)
    training: str = ""
    #: wall-clock seconds per stage, as the flow measured them (empty: not measured)
    durations: dict[str, float] = field(default_factory=dict)

    @classmethod
    def of(cls, site_url: str, results: Sequence[StageResult], *, leftovers_removed: int = 0,
           training: str = "", durations: Mapping[str, float] | None = None) -> BuildSummary:
        return cls(site_url=site_url, results={r.stage: r for r in results}, leftovers_removed=leftovers_removed,
                   training=training, durations=dict(durations or {}))

    def _result(self, stage: str) -> StageResult:
        return self.results.get(stage) or StageResult(stage=stage)

    @property
    def failures(self) -> list[Failure]:
        return [f for stage in STAGES for f in self._result(stage).failures]

    @property
    def release(self) -> Release | None:
        releases = self._result(Stage.PUBLISH).of(Release)
        return releases[0] if releases else None

    @property
    def rows(self) -> int:
        return self.release.rows if self.release else 0

    def failure_counts(self) -> Counter[tuple[str, str]]:
        """(stage, reason code) -> how many items failed that way."""
        return Counter((f.stage, f.code) for f in self.failures)

    def render(self) -> str:
        crawl, acquire = self._result(Stage.CRAWL), self._result(Stage.ACQUIRE)
        features = self._result(Stage.FEATURES)
        n_works = len(crawl.of(Work))
        without = acquire.notes.get(WORKS_WITHOUT_RECORDING, [])
        searched = acquire.notes.get(FOUND_BY_SEARCH, [])
        spotify = ("skipped (no credentials)" if SPOTIFY_SKIPPED in acquire.notes else
                   f"album tracks found for {len(acquire.notes.get(ALBUM_TRACKS_FOUND, []))} of {n_works} works")
        methods = Counter(s.method for s in self._result(Stage.SEGMENT).of(Segment))
        flags = {k.removeprefix(FLAG_NOTE_PREFIX): len(v) for k, v in sorted(features.notes.items())
                 if k.startswith(FLAG_NOTE_PREFIX)}
        lines = [
            f"earsense-m2t build of {for_terminal(self.site_url)}",
            f"  works crawled:        {n_works} ({len(without)} without a recording)",
            "  since last crawl:     " + ", ".join(f"{k} {len(crawl.notes.get(k, []))}"
                                                  for k in ("new", "changed", "unchanged", "gone"))
            + (f" (unreached {len(crawl.notes['unreached'])}: kept as published)" if crawl.notes.get("unreached") else ""),
            f"  recordings listed:    {len(crawl.of(Recording))} (+{len(searched)} found by search)",
            f"  Spotify:              {spotify}",
            f"  media downloaded:     {acquire.counts['computed']} new, {acquire.counts['reused']} reused from cache",
            f"  movements:            {len(self._result('movements').of(Movement))}",
            "  segments:             " + (", ".join(f"{k} {v}" for k, v in sorted(methods.items())) or "0"),
            f"  spectrograms:         {features.counts['computed']} computed, {features.counts['reused']} reused from cache",
            "  quality flags:        " + (", ".join(f"{k} {v}" for k, v in flags.items()) or "none"),
        ]
        annotate = self.results.get(Stage.ANNOTATE)
        if annotate is not None:
            c = annotate.counts
            lines.append(f"  annotations:          pool {c['pool']} excerpts ({c['computed']} rendered), {c['triplets']} "
                         f"triplets in {c['rounds']} rounds, {c['pairs']} pairs; rows: {c['rows_human']} human, "
                         f"{c['rows_silver']} silver ({c['judgments']} judgments so far)")
        skipped = [(stage, n) for stage in STAGES if (n := self._result(stage).counts.get("memo_works", 0))]
        if skipped:
            lines.append("  unchanged, not rerun: "
                         + ", ".join(stage if stage in WHOLE_STAGE_MEMOS else f"{stage} {n} works" for stage, n in skipped)
                         + " (their inputs, parameters and code are as when last done)")
        if self.leftovers_removed:
            lines.append(f"  cleaned up:           {self.leftovers_removed} leftovers of an interrupted build")
        lines += self._failure_lines()
        release = self.release
        if release is not None:
            state = "new version" if release.created else "no change, version kept"
            lines.append(f"  published:            {for_terminal(release.dataset_dir)} v{release.version} ({state}, "
                         f"{release.rows} movement rows)")
        if self.training:
            lines.append(f"  training:             {for_terminal(self.training)}")
        if self.durations:
            lines.append(f"  time:                 {self._time_line()}")
        if release is not None:
            lines.append("")
            lines.append("Try it (from this folder):")
            lines.append(f"  {for_terminal(load_command(release.dataset_dir))}")
        return "\n".join(lines)

    def _failure_lines(self) -> list[str]:
        failures = self.failures
        if not failures:
            return ["  failures:             0"]
        by_stage = Counter(f.stage for f in failures)
        lines = [f"  failures:             {len(failures)}",
                 "    by stage:  " + ", ".join(f"{s} {by_stage[s]}" for s in STAGES if s in by_stage),
                 "    by reason: " + ", ".join(f"{s}/{c} {n}" for (s, c), n in sorted(self.failure_counts().items()))]
        lines += [f"    - [{f.stage}] {for_terminal(f.item_id)}: {for_terminal(f.reason)}" for f in failures]
        return lines

    def _time_line(self) -> str:
        stages = [s for s in STAGES if s in self.durations]
        total = sum(self.durations[s] for s in stages)
        return ", ".join(f"{s} {self.durations[s]:.1f} s" for s in stages) + f" (total {total:.1f} s)"

    def stage_rows(self) -> list[tuple[str, int, int, int, int, float | None]]:
        """Per stage that ran: (stage, records, computed, reused, dropped, seconds or None)."""
        return [(stage, len(r.records), r.counts["computed"], r.counts["reused"], r.counts["dropped"],
                 self.durations.get(stage)) for stage in STAGES if (r := self.results.get(stage)) is not None]

    def markdown(self, max_failures: int = 200) -> str:
        """The summary as markdown: the Prefect artifact of the run (counts, failures with reasons, times, version)."""
        release = self.release
        if release is None:
            published = "nothing published"
        else:
            state = "new version" if release.created else "no change, version kept"
            published = f"**v{release.version}** ({state}, {release.rows} movement rows) at `{release.dataset_dir}`"
        lines = [f"# earsense-m2t build of {_cell(self.site_url)}", "", f"Published: {published}", ""]
        if self.training:
            lines += [f"Training: {_cell(self.training)}", ""]
        lines += ["| stage | records | computed | reused | dropped | seconds |", "|---|---:|---:|---:|---:|---:|"]
        for stage, records, computed, reused, dropped, seconds in self.stage_rows():
            lines.append(f"| {stage} | {records} | {computed} | {reused} | {dropped} | "
                         f"{'' if seconds is None else f'{seconds:.1f}'} |")
        if self.leftovers_removed:
            lines += ["", f"Cleaned up {self.leftovers_removed} leftovers of an interrupted build."]
        failures = self.failures
        lines += ["", f"## Failures: {len(failures)}"]
        if failures:
            lines += ["", "| stage | reason code | count |", "|---|---|---:|"]
            lines += [f"| {s} | {c} | {n} |" for (s, c), n in sorted(self.failure_counts().items())]
            lines += ["", "| stage | item | code | reason |", "|---|---|---|---|"]
            lines += [f"| {f.stage} | {_cell(f.item_id)} | {f.code} | {_cell(f.reason)} |" for f in failures[:max_failures]]
            if len(failures) > max_failures:
                lines.append(f"\n… and {len(failures) - max_failures} more (all of them: {BUILD_DIR}/{FAILURES.file})")
        return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    """Text for one markdown table cell: one line, no markup, no control characters."""
    return for_markdown_cell(text)
