"""Real yt-dlp downloads over HTTP from the mini site, into the content-addressed cache."""

from pathlib import Path

import pytest

from earsense_m2t.acquire.download import (
    DownloadError,
    DownloadOptions,
    DownloadProgress,
    _ProgressHook,
    download_media,
    media_dir,
    obtain_media,
    source_identity,
)
from earsense_m2t.acquire.limits import Limits
from earsense_m2t.egress import EgressPolicy
from earsense_m2t.offline.minisite import serve
from earsense_m2t.offline.minisite.catalogue import all_videos

LOCAL = EgressPolicy(allow_loopback=True)  # the mini site is on this machine


def _first_video(catalogue):
    return all_videos(catalogue)[0].video_id


def _download(url, cache, opts=DownloadOptions()):
    return download_media(url, source_identity(url), cache, opts, egress=LOCAL)


def test_download_then_reuse(minisite, catalogue, tmp_path):
    vid = _first_video(catalogue)
    url = f"{minisite.base_url}/watch/{vid}"
    media = _download(url, tmp_path)
    assert media.duration_s and media.duration_s > 30
    assert len(media.sha256) == 64 and media.title
    assert media.source_id == source_identity(url) == f"http://127.0.0.1/watch/{vid}"
    folder = media_dir(tmp_path, media.source_id)
    assert (folder / "media.json").exists() and (folder / "media.info.json").exists()
    media_gets = sum(1 for m, p, _ in minisite.requests if m == "GET" and p.startswith("/media/"))
    again = _download(url, tmp_path)
    assert again == media
    assert sum(1 for m, p, _ in minisite.requests if m == "GET" and p.startswith("/media/")) == media_gets


@pytest.mark.parametrize("fault", ["404", "media-404", "html-media", "empty"])
def test_bad_media_is_a_clear_error_and_leaves_no_cache_entry(catalogue, tmp_path, fault):
    vid = _first_video(catalogue)
    with serve(faults={vid: fault}, cache_dir=tmp_path / "site") as site:
        url = f"{site.base_url}/watch/{vid}"
        with pytest.raises(DownloadError, match=url.replace(".", r"\.")):
            _download(url, tmp_path / "cache")
    leftovers = [p for p in (tmp_path / "cache").rglob("*") if p.is_file() and p.name != "download-archive.txt"]
    assert leftovers == []
    archive = tmp_path / "cache" / "download-archive.txt"
    assert not archive.exists() or vid not in archive.read_text()


def test_archive_does_not_hide_a_deleted_cache_entry(minisite, catalogue, tmp_path):
    import shutil

    vid = _first_video(catalogue)
    url = f"{minisite.base_url}/watch/{vid}"
    first = _download(url, tmp_path)
    archive = (tmp_path / "download-archive.txt").read_text()
    assert archive == f"generic {first.source_id}\n"  # keyed by identity, in yt-dlp's archive format
    shutil.rmtree(media_dir(tmp_path, first.source_id))
    again = _download(url, tmp_path)
    assert again.sha256 == first.sha256 and Path(again.path).exists()


def test_truncated_media_is_rejected(catalogue, tmp_path):
    vid = _first_video(catalogue)
    with serve(faults={vid: "truncated"}, cache_dir=tmp_path / "site") as site:
        url = f"{site.base_url}/watch/{vid}"
        try:
            media = _download(url, tmp_path / "cache")
        except DownloadError as exc:
            assert url in str(exc)
            return
    # a cut Ogg file can still be a valid, shorter stream: then the decoder must notice it is short
    full = next(v for v in all_videos(catalogue) if v.video_id == vid).duration_s
    assert media.duration_s < 0.5 * full


def test_a_recording_longer_than_the_limit_is_not_downloaded(catalogue, tmp_path):
    """Stands in for the 6-hour video: the limit is checked on the page's metadata, before any media byte."""
    video = all_videos(catalogue)[0]
    with serve(cache_dir=tmp_path / "site") as site:
        url = f"{site.base_url}/watch/{video.video_id}"
        with pytest.raises(DownloadError, match="limit") as err:
            _download(url, tmp_path / "cache", DownloadOptions(limits=Limits(max_duration_s=video.duration_s / 2)))
        assert err.value.code == "too_long" and url in str(err.value)
        assert site.count("/media/", method="GET") == 0


def test_a_source_id_that_is_not_the_identity_is_refused(minisite, catalogue, tmp_path):
    """A file name (the old source id) could label another recording's audio: it is not accepted."""
    vid = _first_video(catalogue)
    with pytest.raises(ValueError, match="identity"):
        download_media(f"{minisite.base_url}/watch/{vid}", vid, tmp_path, egress=LOCAL)


def test_a_download_reports_its_progress_and_a_cached_one_nothing(minisite, catalogue, tmp_path, caplog):
    url = f"{minisite.base_url}/watch/{_first_video(catalogue)}"
    reports = []
    with caplog.at_level("INFO", logger="earsense_m2t.acquire.download"):
        media, reused = obtain_media(url, tmp_path, egress=LOCAL, on_progress=reports.append)
    size = Path(media.path).stat().st_size
    assert not reused and reports and {r.url for r in reports} == {url}
    assert [r.finished for r in reports] == [False] * (len(reports) - 1) + [True]
    assert reports[-1].downloaded_bytes == size and reports[-1].line() == f"{url}: {size / 1e6:.1f} MB, done"
    assert f"downloading {url}" in caplog.messages  # the run's log: one line as it starts, one as it ends
    assert any(m.startswith(f"downloaded {url}: {size / 1e6:.1f} MB, done in ") for m in caplog.messages)
    reports.clear()
    assert obtain_media(url, tmp_path, egress=LOCAL, on_progress=reports.append)[1] and reports == []


def test_progress_reports_are_throttled_and_name_bytes_and_share():
    clock = iter([0.0, 0.1, 0.2, 0.7, 0.8, 0.9])
    reports = []
    hook = _ProgressHook("http://127.0.0.1/watch/x", reports.append, interval_s=0.5, clock=lambda: next(clock))
    for done in (100_000, 200_000, 300_000, 2_000_000, 3_000_000):
        hook({"status": "downloading", "downloaded_bytes": done, "total_bytes": 4_000_000})
    hook({"status": "finished", "downloaded_bytes": 4_000_000, "total_bytes": 4_000_000})
    assert [r.line() for r in reports] == ["http://127.0.0.1/watch/x: 0.1 of 4.0 MB (2 %)",  # the first, always
                                           "http://127.0.0.1/watch/x: 2.0 of 4.0 MB (50 %)",  # 0.5 s later
                                           "http://127.0.0.1/watch/x: 4.0 MB, done"]  # the last, always
    assert DownloadProgress("http://127.0.0.1/a", 1_500_000).line() == "http://127.0.0.1/a: 1.5 MB"  # no total
