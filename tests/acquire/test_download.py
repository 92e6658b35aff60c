"""Real yt-dlp downloads over HTTP from the mini site, into the content-addressed cache."""

from pathlib import Path

import pytest

from earsense_m2t.acquire.download import DownloadError, DownloadOptions, download_media, media_dir, source_identity
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
