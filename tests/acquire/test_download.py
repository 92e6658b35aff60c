"""Real yt-dlp downloads over HTTP from the mini site, into the content-addressed cache."""

from pathlib import Path

import pytest

from earsense_m2t.acquire.download import DownloadError, download_media, media_dir
from earsense_m2t.offline.minisite import serve
from earsense_m2t.offline.minisite.catalogue import all_videos


def _first_video(catalogue):
    return all_videos(catalogue)[0].video_id


def test_download_then_reuse(minisite, catalogue, tmp_path):
    vid = _first_video(catalogue)
    url = f"{minisite.base_url}/watch/{vid}"
    media = download_media(url, vid, tmp_path)
    assert media.duration_s and media.duration_s > 30
    assert len(media.sha256) == 64 and media.title
    folder = media_dir(tmp_path, vid)
    assert (folder / "media.json").exists() and (folder / "media.info.json").exists()
    media_gets = sum(1 for m, p, _ in minisite.requests if m == "GET" and p.startswith("/media/"))
    again = download_media(url, vid, tmp_path)
    assert again == media
    assert sum(1 for m, p, _ in minisite.requests if m == "GET" and p.startswith("/media/")) == media_gets


@pytest.mark.parametrize("fault", ["404", "media-404", "html-media", "empty"])
def test_bad_media_is_a_clear_error_and_leaves_no_cache_entry(catalogue, tmp_path, fault):
    vid = _first_video(catalogue)
    with serve(faults={vid: fault}, cache_dir=tmp_path / "site") as site:
        url = f"{site.base_url}/watch/{vid}"
        with pytest.raises(DownloadError, match=url.replace(".", r"\.")):
            download_media(url, vid, tmp_path / "cache")
    leftovers = [p for p in (tmp_path / "cache").rglob("*") if p.is_file() and p.name != "download-archive.txt"]
    assert leftovers == []
    archive = tmp_path / "cache" / "download-archive.txt"
    assert not archive.exists() or vid not in archive.read_text()


def test_archive_does_not_hide_a_deleted_cache_entry(minisite, catalogue, tmp_path):
    import shutil

    vid = _first_video(catalogue)
    url = f"{minisite.base_url}/watch/{vid}"
    first = download_media(url, vid, tmp_path)
    archive = (tmp_path / "download-archive.txt").read_text()
    assert vid in archive
    shutil.rmtree(media_dir(tmp_path, vid))
    again = download_media(url, vid, tmp_path)
    assert again.sha256 == first.sha256 and Path(again.path).exists()


def test_truncated_media_is_rejected(catalogue, tmp_path):
    vid = _first_video(catalogue)
    with serve(faults={vid: "truncated"}, cache_dir=tmp_path / "site") as site:
        url = f"{site.base_url}/watch/{vid}"
        try:
            media = download_media(url, vid, tmp_path / "cache")
        except DownloadError as exc:
            assert url in str(exc)
            return
    # a cut Ogg file can still be a valid, shorter stream: then the decoder must notice it is short
    full = next(v for v in all_videos(catalogue) if v.video_id == vid).duration_s
    assert media.duration_s < 0.5 * full


def test_a_recording_longer_than_the_limit_is_not_downloaded(catalogue, tmp_path):
    """Stands in for the 6-hour video: the limit is checked on the page's metadata, before any media byte."""
    from earsense_m2t.acquire.download import DownloadOptions

    video = all_videos(catalogue)[0]
    with serve(cache_dir=tmp_path / "site") as site:
        url = f"{site.base_url}/watch/{video.video_id}"
        with pytest.raises(DownloadError, match="limit"):
            download_media(url, video.video_id, tmp_path / "cache", DownloadOptions(max_duration_s=video.duration_s / 2))
        assert site.count("/media/", method="GET") == 0
