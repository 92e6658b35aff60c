"""Real yt-dlp downloads over HTTP from the mini site, into the content-addressed cache."""

import pytest

from audio.download import DownloadError, download_media, media_dir
from minisite import serve
from minisite.catalogue import all_videos


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
    leftovers = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert leftovers == []
