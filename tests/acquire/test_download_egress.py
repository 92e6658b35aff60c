"""Where downloads may go (issue 9, defect 4, the download side).

Recording links used to reach yt-dlp with only ``file://`` refused: links to other ports on
127.0.0.1, ``localhost``, ``[::1]`` and ``169.254.169.254`` were fetched. Here a host on 127.0.0.5
plays a public site (Linux routes all of 127/8 to the loopback interface): the policy presents it as
public, so everything else on this machine is what a public site's links must not reach. Every URL
yt-dlp would request is checked before a connection, redirects and extracted format URLs included.
"""

from __future__ import annotations

import socket

import pytest

from earsense_m2t.acquire import acquire_media
from earsense_m2t.acquire.discovery import Candidate, DiscoveryError, refuse_by_egress, search_recordings
from earsense_m2t.acquire.download import DownloadError, download_media, source_identity
from earsense_m2t.egress import EgressPolicy
from earsense_m2t.offline.devservers.media_files import MediaFiles, Route
from earsense_m2t.offline.devservers.search_feed import serve_search_feed
from earsense_m2t.schemas import Media
from tests.acquire._records import recording, work

PUBLIC_STAND_IN = "127.0.0.5"


def public_work(slug: str):
    return work(slug, PUBLIC_STAND_IN)




@pytest.fixture
def site(tone):
    """The 'public' host, with a recording of its own."""
    with MediaFiles({"/a.ogg": Route(tone(440, 3.0))}, host=PUBLIC_STAND_IN) as files:
        yield files


@pytest.fixture
def policy(site):
    policy = EgressPolicy.for_site(f"{site.base_url}/", treat_as_public=[PUBLIC_STAND_IN])
    assert not policy.allow_loopback
    return policy


@pytest.fixture
def this_machine(tone):
    """A server on 127.0.0.1 that must never be asked for anything."""
    with MediaFiles({"/a.ogg": Route(tone(660, 3.0))}) as files:
        yield files


def acquire_one(url: str, cache, policy: EgressPolicy | None):
    rec = recording("W", url)
    return acquire_media([public_work("W")], [rec], cache, egress=policy), rec


def test_the_sites_own_recordings_are_fetched(site, policy, tmp_path):
    result, _ = acquire_one(f"{site.base_url}/a.ogg", tmp_path, policy)
    assert result.failures == [] and len(result.of(Media)) == 1


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]"])
def test_links_to_this_machine_are_refused(site, policy, this_machine, tmp_path, host):
    port = this_machine.base_url.rsplit(":", 1)[1]
    url = f"http://{host}:{port}/a.ogg"
    result, rec = acquire_one(url, tmp_path, policy)
    [failure] = result.failures
    assert (failure.code, failure.item_id, failure.url) == ("refused", rec.id, url)
    assert failure.reason.startswith(f"refused {url}: ") and "not public" in failure.reason
    assert result.of(Media) == [] and this_machine.requests == []


@pytest.mark.parametrize("url", ["http://10.0.0.1/a.ogg", "http://169.254.169.254/a.ogg",
                                 "http://[fd00::1]/a.ogg", "file:///etc/passwd"])
def test_private_and_metadata_addresses_are_refused_before_any_socket(policy, tmp_path, monkeypatch, url):
    def no_connection(*args, **kwargs):
        raise AssertionError(f"a connection was attempted for {url}")

    monkeypatch.setattr(socket.socket, "connect", no_connection)
    monkeypatch.setattr(socket.socket, "connect_ex", no_connection)
    monkeypatch.setattr(socket, "create_connection", no_connection)
    result, rec = acquire_one(url, tmp_path, policy)
    [failure] = result.failures
    assert (failure.code, failure.url) == ("refused", url) and url in failure.reason
    with pytest.raises(DownloadError, match="refused") as err:
        download_media(url, source_identity(url), tmp_path, egress=policy)
    assert err.value.code == "refused"


def test_the_default_policy_is_a_public_sites(this_machine, tmp_path):
    """``egress=None`` refuses this machine: only a local site's build passes a loopback policy."""
    url = f"{this_machine.base_url}/a.ogg"
    result, _ = acquire_one(url, tmp_path, None)
    assert [f.code for f in result.failures] == ["refused"] and this_machine.requests == []
    allowed, _ = acquire_one(url, tmp_path, EgressPolicy(allow_loopback=True))
    assert allowed.failures == [] and len(allowed.of(Media)) == 1


def test_a_redirect_to_this_machine_is_refused(site, policy, this_machine, tmp_path):
    target = f"{this_machine.base_url}/a.ogg"
    site.routes["/moved.ogg"] = Route(location=target)
    url = f"{site.base_url}/moved.ogg"
    result, rec = acquire_one(url, tmp_path, policy)
    [failure] = result.failures
    assert (failure.code, failure.item_id, failure.url) == ("refused", rec.id, url)
    assert f"refused {target}: " in failure.reason and url in failure.reason  # both ends of the redirect
    assert site.count("/moved.ogg") == 1 and this_machine.requests == []


def test_a_media_url_that_a_page_points_to_this_machine_is_refused(site, policy, this_machine, tmp_path):
    """yt-dlp reads the page and extracts a format URL on 127.0.0.1: it is checked before it is fetched."""
    target = f"{this_machine.base_url}/a.ogg"
    page = f'<!doctype html><html><head><title>Take</title></head><body><video src="{target}"></video></body></html>'
    site.routes["/watch"] = Route(page.encode(), content_type="text/html; charset=utf-8")
    result, _ = acquire_one(f"{site.base_url}/watch", tmp_path, policy)
    [failure] = result.failures
    assert failure.code == "refused" and target in failure.reason
    assert site.count("/watch") >= 1 and this_machine.requests == []


def test_a_search_result_the_policy_refuses_is_never_chosen(policy):
    cand = Candidate(url="http://169.254.169.254/latest/meta-data", source_id="x", title="t", duration_s=None,
                     uploader=None, score=0.9, reasons=("title 1.00",))
    refused = refuse_by_egress(cand, policy)
    assert refused.rejected and refused.score == 0.0 and any(r.startswith("reject:refused") for r in refused.reasons)
    ok = Candidate(url="http://127.0.0.5/watch?v=x", source_id="x", title="t", duration_s=None, uploader=None,
                   score=0.9, reasons=())
    assert refuse_by_egress(ok, policy) == ok


def test_a_search_on_this_machine_is_refused_without_a_request():
    from tests.acquire.test_discovery import WORKS

    with serve_search_feed() as feed:
        with pytest.raises(DiscoveryError) as err:
            search_recordings(WORKS["onslow"], 4, search_template=feed.search_template)  # the public default
        assert feed.requests == []
    failure = err.value.failure()
    assert failure.code == "refused" and feed.base_url in failure.reason
