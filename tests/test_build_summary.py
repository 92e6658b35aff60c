"""The run summary is made from the stage results alone: counts, notes and failures by stage and reason."""

from __future__ import annotations

from earsense_m2t.build_summary import BuildSummary
from earsense_m2t.schemas import Failure, Movement, Release, Segment, StageResult, Work

NOW = "2026-01-01T00:00:00+00:00"


def results() -> list[StageResult]:
    crawl = StageResult(stage="crawl", notes={"new": ["A"], "changed": ["B"], "unchanged": [], "gone": ["C"]})
    for wid in ("A", "B"):
        crawl.add(Work(id=wid, url=f"http://x/{wid}/", title="T", composer="Anon", fetched_at=NOW, page_sha256="e" * 64))
    acquire = StageResult(stage="acquire", notes={"works_without_recording": ["B"], "spotify_skipped": ["no credentials"]})
    acquire.counts.update(computed=2, reused=3)
    for n in (1, 2):
        acquire.drop(Failure(stage="acquire", item_id=f"A#{n}", code="download_failed", reason=f"http://x/{n}: HTTP 404"))
    movements = StageResult(stage="movements")
    movements.add(Movement(id="A#1", work_id="A", number=1, title="Allegro", title_source="page"))
    movements.drop(Failure(stage="movements", item_id="B", code="no_titles", reason="no movement titles found"))
    segment = StageResult(stage="segment")
    segment.add(Segment(id="A#1", movement_id="A#1", source_id="s", media_sha256="f" * 64, start_s=0, end_s=9,
                        method="silence", confidence=0.7))
    features = StageResult(stage="features", notes={"flag:too_short": ["A#1: 9 s is under 20 s"]})
    features.counts.update(computed=1)
    publish = StageResult(stage="publish")
    publish.add(Release(id="v1.1.0", version="1.1.0", created=True, dataset_dir="out/earsense-m2t", published_at=NOW,
                        rows=1))
    return [crawl, acquire, movements, segment, features, publish]


def test_summary_counts_by_stage_and_reason():
    summary = BuildSummary.of("http://x/chamber-music/", results())
    text = summary.render()
    assert summary.failure_counts() == {("acquire", "download_failed"): 2, ("movements", "no_titles"): 1}
    assert "works crawled:        2 (1 without a recording)" in text
    assert "since last crawl:     new 1, changed 1, unchanged 0, gone 1" in text
    assert "media downloaded:     2 new, 3 reused from cache" in text
    assert "segments:             silence 1" in text and "quality flags:        too_short 1" in text
    assert "by stage:  acquire 2, movements 1" in text
    assert "by reason: acquire/download_failed 2, movements/no_titles 1" in text
    assert "- [movements] B: no movement titles found" in text
    assert "v1.1.0 (new version, 1 movement rows)" in text and summary.rows == 1


def test_a_build_without_publish_or_failures_says_so():
    text = BuildSummary.of("http://x/", results()[:1]).render()
    assert "failures:             0" in text and "published:" not in text


def test_time_per_stage_is_a_line_when_measured():
    assert "time:" not in BuildSummary.of("http://x/chamber-music/", results()).render()
    timed = BuildSummary.of("http://x/chamber-music/", results(), durations={"crawl": 1.25, "features": 10.0})
    assert "  time:                 crawl 1.2 s, features 10.0 s (total 11.2 s)" in timed.render()


def test_markdown_has_counts_per_stage_failures_with_reasons_times_and_the_version():
    summary = BuildSummary.of("http://x/chamber-music/", results(), durations={"acquire": 3.0},
                              training="deployment 'train-gtp/gpu' not found; nothing triggered")
    md = summary.markdown()
    assert md.startswith("# earsense-m2t build of http://x/chamber-music/\n")
    assert "Published: **v1.1.0** (new version, 1 movement rows) at `out/earsense-m2t`" in md
    assert "| acquire | 0 | 2 | 3 | 2 | 3.0 |" in md  # records, computed, reused, dropped, seconds
    assert "| crawl | 2 | 2 | 0 | 0 |  |" in md  # not timed: an empty cell
    assert "## Failures: 3" in md and "| acquire | download_failed | 2 |" in md
    assert "| acquire | A#1 | download_failed | http://x/1: HTTP 404 |" in md
    assert "Training: deployment 'train-gtp/gpu' not found" in md


def test_markdown_cells_stay_one_line_and_the_failure_list_is_capped():
    pipe = StageResult(stage="features")
    for n in range(5):
        pipe.drop(Failure(stage="features", item_id=f"A#{n}", code="decode_failed", reason="bad | file\nsecond line"))
    md = BuildSummary.of("http://x/", [pipe]).markdown(max_failures=3)
    assert "| features | A#0 | decode_failed | bad \\| file second line |" in md
    assert "A#3" not in md and "… and 2 more (all of them: build/failures.jsonl)" in md
    assert "Published: nothing published" in md


HOSTILE_URL = "http://127.0.0.1:8000/\x1b]0;pwned\x07/chamber-music/"
HOSTILE_TYPE = "text/html</td><script>alert(1)</script>"


def hostile() -> BuildSummary:
    acquire = StageResult(stage="acquire")
    acquire.drop(Failure(stage="acquire", item_id="A\x1b[2J#1", code="not_audio",
                         reason=f"{HOSTILE_URL}: Content-Type {HOSTILE_TYPE}, not audio\x07"))
    return BuildSummary.of(HOSTILE_URL, [StageResult(stage="crawl"), acquire])


def test_site_text_in_the_printed_summary_has_no_control_characters():
    """Issue 23 item 6: an ESC ] 0 ; … BEL in a URL retitled the terminal that read the summary."""
    text = hostile().render()
    assert "\x1b" not in text and "\x07" not in text
    assert "earsense-m2t build of http://127.0.0.1:8000/\\x1b]0;pwned\\x07/chamber-music/" in text
    assert "- [acquire] A\\x1b[2J#1: http://127.0.0.1:8000/\\x1b]0;pwned\\x07/" in text


def test_site_text_in_the_markdown_artifact_is_neither_markup_nor_control_characters():
    """Issue 23 item 6: a Content-Type `</td><script>` reached the Prefect artifact's failure table raw."""
    md = hostile().markdown()
    assert "\x1b" not in md and "\x07" not in md
    assert "<script>" not in md and "</td>" not in md
    assert "&lt;/td&gt;&lt;script&gt;" in md
    [row] = [line for line in md.splitlines() if line.startswith("| acquire | A")]
    assert row.count(" | ") == 3  # four cells, one line
    assert md.startswith("# earsense-m2t build of http://127.0.0.1:8000/\\\\x1b\\]0;pwned\\\\x07/chamber-music/\n")


def test_try_it_runs_the_interpreter_that_has_datasets_with_a_quoted_path():
    import ast
    import shlex
    import sys

    publish = StageResult(stage="publish")
    publish.add(Release(id="v1.1.0", version="1.1.0", created=True, dataset_dir="it's out/earsense-m2t",
                        published_at=NOW, rows=1))
    argv = shlex.split(BuildSummary.of("http://x/", [publish]).render().splitlines()[-1])
    assert argv[:2] == [sys.executable, "-c"]  # plain `python` may be one without the package
    call = ast.parse(argv[2]).body[-1].value.args[0]  # print(datasets.load_dataset(PATH))
    assert ast.literal_eval(call.args[0]) == "it's out/earsense-m2t"


def test_unchanged_not_rerun_lists_every_stage_taken_from_its_memo_in_pipeline_order():
    """annotate and publish are memoized as a whole (one memo each): they are listed too when taken from it."""
    taken = {"features": 3, "acquire": 3, "publish": 1, "segment": 2, "annotate": 1}
    stages = []
    for name, n in taken.items():
        result = StageResult(stage=name)
        result.counts["memo_works"] = n
        stages.append(result)
    [line] = [ln for ln in BuildSummary.of("http://x/", stages).render().splitlines() if "unchanged, not rerun:" in ln]
    assert line.startswith("  unchanged, not rerun: acquire 3 works, segment 2 works, features 3 works, annotate, "
                           "publish ("), line
    ran = [StageResult(stage="annotate"), *stages[2:3]]  # annotate ran; publish taken from its memo
    [line] = [ln for ln in BuildSummary.of("http://x/", ran).render().splitlines() if "unchanged, not rerun:" in ln]
    assert line.startswith("  unchanged, not rerun: publish ("), line
