"""The real yt-dlp (Python API, generic extractor) downloads from the mini site's watch pages."""

from __future__ import annotations

from pathlib import Path

import yt_dlp

from earsense_m2t.offline.minisite import SPECIAL_CASES, MiniSite, load_catalogue, videos_of
from earsense_m2t.offline.minisite.catalogue import find_work

CAT = load_catalogue()


def _download(url: str, out: Path) -> dict:
    opts = {"quiet": True, "no_warnings": True, "noprogress": True, "outtmpl": str(out / "%(id)s.%(ext)s")}
    with yt_dlp.YoutubeDL(opts) as ydl:
        return ydl.extract_info(url, download=True)


def test_ytdlp_downloads_whole_work_with_title_and_description(site: MiniSite, tmp_path: Path) -> None:
    video = videos_of(find_work(CAT, SPECIAL_CASES["whole_with_timestamps"]))[0]
    before = site.count("/media/")
    info = _download(f"{site.base_url}/watch/{video.video_id}", tmp_path)
    assert info["id"] == video.video_id
    assert info["title"] == video.title
    assert info["description"] == video.description
    assert info["uploader"] == video.uploader
    assert info["duration"] == video.duration_s
    path = Path(info["requested_downloads"][0]["filepath"])
    assert path.read_bytes() == site.media_path(video.video_id).read_bytes()
    assert site.count("/media/") == before + 1


def test_ytdlp_on_embed_page_of_a_track(site: MiniSite, tmp_path: Path) -> None:
    video = videos_of(find_work(CAT, SPECIAL_CASES["second_recording"]))[5]
    info = _download(f"{site.base_url}/embed/{video.video_id}", tmp_path)
    assert (info["id"], info["title"], info["ext"]) == (video.video_id, video.title, "ogg")
    assert "2. Largo cantabile e mesto" in info["description"]  # the second recording lists its own titles
