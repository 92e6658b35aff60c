"""A recording is known by its full source, never by a file name (issue 9, defect 1; and 7: the User-Agent).

Two works whose recordings are ``…/x/track1.ogg`` and ``…/y/track1.ogg`` used to share one cache entry:
the second URL was never requested and its row published the first one's audio. A cached file whose
bytes changed was reused silently.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from earsense_m2t.acquire import acquire_media
from earsense_m2t.acquire.download import ARCHIVE, download_media, media_dir
from earsense_m2t.config import USER_AGENT
from earsense_m2t.crawlers.spiders.earsense import media_source
from earsense_m2t.egress import EgressPolicy
from earsense_m2t.media.identity import source_identity
from earsense_m2t.offline.devservers.media_files import MediaFiles, Route
from earsense_m2t.schemas import Media, Recording, recording_id
from tests.acquire._records import work

LOCAL = EgressPolicy(allow_loopback=True)  # the test host is on this machine



def listed(work_id: str, embed_url: str) -> Recording:
    """The recording the crawler makes of an embed on a work page."""
    source_url, source_id = media_source(embed_url)
    return Recording(id=recording_id(work_id, source_id), work_id=work_id, source_url=source_url, source_id=source_id)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(("url", "identity"), [
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "youtube:dQw4w9WgXcQ"),
    ("https://youtu.be/dQw4w9WgXcQ", "youtube:dQw4w9WgXcQ"),
    ("https://vimeo.com/12345", "vimeo:12345"),
    # direct media: the whole URL, normalized (scheme and host case, default port, fragment)
    ("HTTP://Media.Example.ORG:80/x/track1.ogg#t=10", "http://media.example.org/x/track1.ogg"),
    ("https://cdn.example.org:8443/hls/index.m3u8?token=a", "https://cdn.example.org:8443/hls/index.m3u8?token=a"),
    ("https://cdn.example.org/play", "https://cdn.example.org/play"),
    # a server on this machine takes a free port on each start: its port is no part of the identity
    ("http://127.0.0.1:43123/embed/Ab3-x_Yz0Q1", "http://127.0.0.1/embed/Ab3-x_Yz0Q1"),
])
def test_identity_is_the_extractor_id_or_the_full_url(url, identity):
    assert source_identity(url) == identity


@pytest.mark.parametrize("name", ["track1.ogg", "index.m3u8", "video.mp4", "play"])
def test_a_file_name_shared_by_two_sources_names_two_identities(name):
    first, second = f"https://a.example.org/x/{name}", f"https://a.example.org/y/{name}"
    assert source_identity(first) != source_identity(second)
    assert source_identity(first + "?take=1") != source_identity(first + "?take=2")
    assert source_identity(first) != source_identity(first.replace("a.example.org", "b.example.org"))


@pytest.mark.parametrize("embed", [
    "https://www.youtube.com/embed/dQw4w9WgXcQ?rel=0",
    "https://www.youtube-nocookie.com/embed/abcdefghijk",
    "https://player.vimeo.com/video/12345",
    "http://127.0.0.1:8000/embed/Ab3-x_Yz0Q1",
    "http://Files.Example.org:8080/y/track1.ogg?v=2#start",
])
def test_the_crawler_gives_a_recording_the_identity_the_downloads_use(embed):
    """The spider may not import the acquire stage, so it forms the id itself: the two must agree."""
    source_url, source_id = media_source(embed)
    assert source_id == source_identity(source_url)


def test_two_works_whose_recordings_share_a_file_name_get_their_own_audio(tone, tmp_path):
    low, high = tone(440, 3.0), tone(660, 5.0)
    with MediaFiles({"/x/track1.ogg": Route(low), "/y/track1.ogg": Route(high)}) as host:
        recs = [listed("Work-A", f"{host.base_url}/x/track1.ogg"), listed("Work-B", f"{host.base_url}/y/track1.ogg")]
        result = acquire_media([work("Work-A"), work("Work-B")], recs, tmp_path / "cache", egress=LOCAL)
        assert host.count("/x/track1.ogg") >= 1 and host.count("/y/track1.ogg") >= 1  # both were requested

    assert result.failures == [] and result.counts["computed"] == 2
    media = {m.source_url: m for m in result.of(Media)}
    a, b = media[recs[0].source_url], media[recs[1].source_url]  # each with its own URL as provenance
    assert (a.sha256, b.sha256) == (sha256(low), sha256(high))
    assert Path(a.path).read_bytes() == low and Path(b.path).read_bytes() == high
    assert round(a.duration_s or 0) == 3 and round(b.duration_s or 0) == 5
    assert a.source_id != b.source_id and Path(a.path).parent != Path(b.path).parent
    # the rows join each work to its own audio
    chosen = {r.work_id: r.source_id for r in result.of(Recording)}
    assert chosen == {"Work-A": a.source_id, "Work-B": b.source_id}
    archive = (tmp_path / "cache" / ARCHIVE).read_text().splitlines()
    assert sorted(archive) == sorted(f"generic {m.source_id}" for m in (a, b))


def test_a_recording_with_a_file_name_for_its_id_is_known_by_its_source(tone, tmp_path):
    """A crawl from before full identities (reused on a 304) carries file names: they are replaced."""
    low, high = tone(440, 3.0), tone(660, 5.0)
    with MediaFiles({"/x/track1.ogg": Route(low), "/y/track1.ogg": Route(high)}) as host:
        recs = [Recording(id=f"{w}@track1.ogg", work_id=w, source_url=f"{host.base_url}/{d}/track1.ogg",
                          source_id="track1.ogg") for w, d in (("Work-A", "x"), ("Work-B", "y"))]
        result = acquire_media([work("Work-A"), work("Work-B")], recs, tmp_path / "cache", egress=LOCAL)
    by_work = {r.work_id: r for r in result.of(Recording)}
    media = {m.source_id: m for m in result.of(Media)}
    assert media[by_work["Work-A"].source_id].sha256 == sha256(low)
    assert media[by_work["Work-B"].source_id].sha256 == sha256(high)
    assert by_work["Work-B"].id == recording_id("Work-B", source_identity(recs[1].source_url))


@pytest.mark.parametrize("damage", ["changed", "truncated"])
def test_a_cached_file_that_fails_its_sha256_is_downloaded_again(tone, tmp_path, damage):
    audio = tone(440, 3.0)
    with MediaFiles({"/m/take.ogg": Route(audio)}) as host:
        url = f"{host.base_url}/m/take.ogg"
        first = download_media(url, source_identity(url), tmp_path, egress=LOCAL)
        per_download = host.count("/m/take.ogg")  # yt-dlp's look at the URL, then the download
        cached = Path(first.path)
        data = cached.read_bytes()
        if damage == "changed":  # same length, other bytes
            mid = len(data) // 2
            cached.write_bytes(data[:mid] + bytes(b ^ 0xFF for b in data[mid:mid + 64]) + data[mid + 64:])
        else:
            cached.write_bytes(data[: len(data) // 3])
        again = acquire_media([work("W")], [listed("W", url)], tmp_path, egress=LOCAL)
        assert host.count("/m/take.ogg") == 2 * per_download  # asked for again, not reused

    assert again.counts["computed"] == 1 and again.counts["reused"] == 0
    [media] = again.of(Media)
    assert media.sha256 == sha256(audio) == first.sha256
    assert Path(media.path).read_bytes() == audio
    assert Path(media.path).parent == media_dir(tmp_path, first.source_id)


def test_downloads_send_the_project_user_agent(tone, tmp_path):
    with MediaFiles({"/m/take.ogg": Route(tone(440, 3.0))}) as host:
        url = f"{host.base_url}/m/take.ogg"
        download_media(url, source_identity(url), tmp_path, egress=LOCAL)
        agents = {r.headers.get("user-agent") for r in host.requests}
    assert agents == {USER_AGENT} and "Mozilla" not in USER_AGENT
