"""The acquire stage's entrypoint over HTTP: fallback to the next recording, counts, notes, failures."""

from __future__ import annotations

from earsense_m2t.acquire import acquire_media
from earsense_m2t.acquire.download import source_identity
from earsense_m2t.egress import EgressPolicy
from earsense_m2t.offline.minisite import serve
from earsense_m2t.offline.minisite.catalogue import all_videos
from earsense_m2t.schemas import AlbumTrack, Media, Recording, Work, recording_id
from tests.conftest import MINISITE_MEDIA

NOW = "2026-01-01T00:00:00+00:00"
LOCAL = EgressPolicy(allow_loopback=True)  # the mini site is on this machine


def work(slug: str) -> Work:
    return Work(id=slug, url=f"http://127.0.0.1/chamber-music/{slug}/", title="A work", composer="Anon",
                fetched_at=NOW, page_sha256="c" * 64)


def test_first_complete_recording_is_used_and_every_drop_is_a_failure(catalogue, tmp_path):
    whole = [v for v in all_videos(catalogue) if v.index == 0][:2]
    broken, good = whole
    with serve(faults={broken.video_id: "404"}, cache_dir=MINISITE_MEDIA) as site:
        def recording(video, ri):
            return Recording(id=recording_id("W", video.video_id), work_id="W", recording_index=ri,
                             source_url=f"{site.base_url}/watch/{video.video_id}", source_id=video.video_id)

        listed = [recording(broken, 0), recording(good, 1)]
        first = acquire_media([work("W"), work("No-Recording")], listed, tmp_path, egress=LOCAL)
        again = acquire_media([work("W"), work("No-Recording")], listed, tmp_path, egress=LOCAL)

    # a recording is known by its source (the URL, here), whatever id the caller gave it
    good_id = source_identity(listed[1].source_url)
    assert good_id == f"http://127.0.0.1/watch/{good.video_id}"
    assert [m.source_id for m in first.of(Media)] == [good_id]
    assert [(r.source_id, r.id) for r in first.of(Recording)] == [(good_id, recording_id("W", good_id))]
    assert [r.recording_index for r in first.of(Recording)] == [1]
    assert first.counts == {"computed": 1, "reused": 0, "dropped": 1}
    [failure] = first.failures
    broken_id = recording_id("W", source_identity(listed[0].source_url))
    assert (failure.stage, failure.code, failure.item_id) == ("acquire", "download_failed", broken_id)
    assert listed[0].source_url in failure.reason
    assert first.notes["works_without_recording"] == ["No-Recording"]
    assert first.notes["spotify_skipped"] == ["no credentials"] and first.of(AlbumTrack) == []
    # the rerun takes the good recording from the cache and still reports the broken one
    assert again.counts == {"computed": 0, "reused": 1, "dropped": 1}


def test_a_recording_whose_movements_the_page_lists_is_tried_first():
    from earsense_m2t.acquire.acquire import recordings_by_choice

    def rec(source_id: str, ri: int, listed=()) -> Recording:
        return Recording(id=f"W@{source_id}", work_id="W", source_url=f"http://127.0.0.1/{source_id}",
                         source_id=source_id, recording_index=ri, listed_movements=listed)

    listed = (("I. Allegro", 400.0), ("II. Adagio", 300.0))
    order = recordings_by_choice([rec("c", 2), rec("b", 1, listed), rec("a", 0)])["W"]
    assert [[r.source_id for r in group] for group in order] == [["b"], ["a"], ["c"]]
