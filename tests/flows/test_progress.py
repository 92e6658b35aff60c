"""The build's progress bars (no Prefect run): annotate and publish report their steps, a download has a line."""

from __future__ import annotations

from earsense_m2t.acquire import DownloadProgress
from earsense_m2t.flows.progress import BuildProgress


def descriptions(progress: BuildProgress) -> dict[str, tuple[float, float | None]]:
    return {t.description: (t.completed, t.total) for t in progress._progress.tasks}


def test_a_stage_that_reports_its_steps_has_a_bar_while_it_runs():
    with BuildProgress(["annotate", "publish"], enabled=True) as progress:
        with progress.steps("publish") as report:
            report(2, 7)
            assert descriptions(progress)["  publish"] == (2, 7)
            report(3, 7)
            assert descriptions(progress)["  publish"] == (3, 7)
        assert "  publish" not in descriptions(progress)


def test_each_download_has_a_line_naming_it_with_its_bytes_and_share_until_it_ends():
    with BuildProgress(["acquire"], enabled=True) as progress:
        progress.download(DownloadProgress("http://127.0.0.1:1/watch/a", 1_000_000, 4_000_000))
        progress.download(DownloadProgress("http://127.0.0.1:1/watch/b", 300_000))
        assert descriptions(progress)["    ↓ 127.0.0.1:1/watch/a: 1.0 of 4.0 MB (25 %)"] == (25, 100)
        assert descriptions(progress)["    ↓ 127.0.0.1:1/watch/b: 0.3 MB"] == (0, None)  # no size: no bar
        progress.download(DownloadProgress("http://127.0.0.1:1/watch/a", 3_000_000, 4_000_000))
        assert "    ↓ 127.0.0.1:1/watch/a: 3.0 of 4.0 MB (75 %)" in descriptions(progress)
        long = DownloadProgress("https://www.example.org/" + "x" * 60 + "/recording-id", 1, 2)
        progress.download(long)
        assert f"    ↓ …{'x' * 34}/recording-id: 0.0 of 0.0 MB (50 %)" in descriptions(progress)
        progress.download(DownloadProgress(long.url, 2, 2, finished=True))
        progress.download(DownloadProgress("http://127.0.0.1:1/watch/a", 4_000_000, 4_000_000, finished=True))
        progress.download(DownloadProgress("http://127.0.0.1:1/watch/b", 0, finished=True, failed=True))
        assert [d for d in descriptions(progress) if "↓" in d] == []


def test_without_a_terminal_nothing_is_drawn_and_reports_do_nothing():
    with BuildProgress(["publish"], enabled=False) as progress, progress.steps("publish") as report:
        report(1, 7)
        progress.download(DownloadProgress("http://127.0.0.1:1/watch/a", 1, 2))
        assert progress._progress is None
