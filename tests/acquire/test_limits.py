"""Limits that hold without the server's help (issue 9, defect 5).

``max_filesize`` used to hold only with a Content-Length (an endless response was read to 1.2 GiB), the
duration limit was not applied to direct media (a 10-hour file was accepted), and a response that sent
one byte every 25 s blocked forever. Each breach is now a ``Failure`` naming the URL and the limit, and
the rest of the build goes on.
"""

from __future__ import annotations

import re
import time

import pytest

from earsense_m2t.acquire import acquire_media
from earsense_m2t.acquire.download import DownloadOptions, media_dir, source_identity
from earsense_m2t.acquire.limits import Limits
from earsense_m2t.egress import EgressPolicy
from earsense_m2t.offline.devservers.media_files import MediaFiles, Route
from earsense_m2t.schemas import Media, Recording
from tests.acquire._records import recording, work

LOCAL = EgressPolicy(allow_loopback=True)  # the test host is on this machine
CAP = 256 << 10




def acquire(host: MediaFiles, paths: dict[str, str], cache, **limits):
    """Acquire work -> path on ``host`` with these limits; also a good work, which must still be built."""
    recs = [recording(w, f"{host.base_url}{p}") for w, p in {**paths, "Good-Work": "/good.ogg"}.items()]
    opts = DownloadOptions(limits=Limits(**limits), retries=1)
    started = time.monotonic()
    result = acquire_media([work(r.work_id) for r in recs], recs, cache, opts, egress=LOCAL)
    return result, time.monotonic() - started, {r.work_id: r for r in recs}


@pytest.fixture
def host(tone):
    with MediaFiles({"/good.ogg": Route(tone(440, 3.0))}) as files:
        yield files


def assert_built_the_good_work(result) -> None:
    assert [m.source_id for m in result.of(Media)] == [source_identity(next(
        r.source_url for r in result.of(Recording) if r.work_id == "Good-Work"))]


def test_an_endless_body_without_content_length_stops_at_the_byte_cap(host, tmp_path):
    host.routes["/live/stream.ogg"] = Route(endless=True)
    result, took, recs = acquire(host, {"Endless": "/live/stream.ogg"}, tmp_path, max_bytes=CAP)

    [failure] = result.failures
    assert (failure.code, failure.item_id, failure.url) == ("too_large", recs["Endless"].id, recs["Endless"].source_url)
    assert recs["Endless"].source_url in failure.reason and f"size limit of {CAP} bytes" in failure.reason
    read = int(re.search(r"stopped after (\d+) bytes", failure.reason).group(1))
    assert read == CAP + 1  # the byte past the cap is the last one read
    assert host.sent["/live/stream.ogg"] < 64 << 20  # the server was cut off, not read to its end
    assert took < 60
    assert not media_dir(tmp_path, recs["Endless"].source_id).exists()
    assert_built_the_good_work(result)


def test_a_content_length_over_the_cap_is_refused_before_the_body(host, tmp_path):
    host.routes["/big.ogg"] = Route(body=b"\0" * (CAP * 2))
    result, _, recs = acquire(host, {"Big": "/big.ogg"}, tmp_path, max_bytes=CAP)
    [failure] = result.failures
    assert failure.code == "too_large" and f"announces {CAP * 2} bytes: over the size limit of {CAP} bytes" in failure.reason
    assert recs["Big"].source_url in failure.reason
    assert_built_the_good_work(result)


def test_a_drip_fed_body_fails_on_the_read_timeout(host, tmp_path):
    host.routes["/drip.ogg"] = Route(drip_s=3.0)
    result, took, recs = acquire(host, {"Drip": "/drip.ogg"}, tmp_path, read_timeout_s=0.5)
    [failure] = result.failures
    assert failure.code == "timed_out" and failure.item_id == recs["Drip"].id
    assert recs["Drip"].source_url in failure.reason and "read timeout of 0.5 s" in failure.reason
    assert took < 20  # two attempts of 0.5 s, a retry pause, two yt-dlp runs
    assert_built_the_good_work(result)


def test_a_body_dripped_inside_the_read_timeout_meets_the_deadline(host, tmp_path):
    """A byte every 0.2 s never trips a 5 s read timeout; the wall-clock deadline ends it."""
    host.routes["/trickle.ogg"] = Route(drip_s=0.2)
    result, took, recs = acquire(host, {"Trickle": "/trickle.ogg"}, tmp_path, read_timeout_s=5.0, deadline_s=2.0)
    failure = next(f for f in result.failures if f.item_id == recs["Trickle"].id)
    assert failure.code == "timed_out" and "download deadline 2 s" in failure.reason
    assert recs["Trickle"].source_url in failure.reason
    assert took < 20
    assert host.sent["/trickle.ogg"] < 100  # a few dozen bytes, not an hour of them


def test_a_file_longer_than_the_duration_cap_is_refused_before_decoding(host, tone, tmp_path, monkeypatch):
    """Direct media carry no duration before the download: the probe of the file decides, and nothing decodes it."""
    from earsense_m2t.media import decode

    def no_decoding(*args, **kwargs):
        raise AssertionError("a refused file was decoded")

    monkeypatch.setattr(decode, "decode_mono", no_decoding)
    host.routes["/long.ogg"] = Route(tone(220, 40.0))
    result, _, recs = acquire(host, {"Long": "/long.ogg"}, tmp_path, max_duration_s=30)
    [failure] = result.failures
    assert failure.code == "too_long" and failure.item_id == recs["Long"].id
    assert recs["Long"].source_url in failure.reason and "duration limit of 30 s" in failure.reason
    assert "lasts 40 s" in failure.reason
    assert not media_dir(tmp_path, recs["Long"].source_id).exists()  # no cache entry: a rerun asks again
    assert_built_the_good_work(result)


def test_limits_have_one_home_and_refuse_nonsense():
    assert DownloadOptions().limits == Limits()
    assert Limits().max_bytes == 1 << 30 and Limits().max_duration_s == 4 * 3600
    with pytest.raises(ValueError, match="max_bytes"):
        Limits(max_bytes=0)
    with pytest.raises(ValueError, match="deadline_s"):
        Limits(deadline_s=-1)


def test_the_search_for_a_work_without_recordings_keeps_the_build_limits(host, tmp_path):
    """A work whose page lists no recording is searched for; that request obeys the build's time limit."""
    host.routes["/search"] = Route(body=b"<html>" + b" " * 34, content_type="text/html", drip_s=0.25)  # never ends
    opts = DownloadOptions(limits=Limits(deadline_s=3.0), retries=1)
    started = time.monotonic()
    result = acquire_media([work("Unlisted-Work")], [], tmp_path, opts, search_template=f"{host.base_url}/search?q={{query}}",
                           egress=LOCAL)
    [failure] = result.failures
    assert failure.item_id == "Unlisted-Work" and failure.code == "timed_out", failure
    assert time.monotonic() - started < 30
