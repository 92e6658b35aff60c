"""The crawl's egress policy (issue 9, defect 4): pages are requested only from public addresses.

A mini site on 127.0.0.5 stands in for a public site (``treat_as_public``); everything else on loopback
is then as forbidden as a private address. Next to it run "targets" on 127.0.0.1 that would answer any
request, so a test can check that nothing reached them. No test resolves a name other than
``localhost`` or opens a socket outside loopback: the private and link-local addresses in the pages are
refused from the URL alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from scrapy import Request
from scrapy.http import Response
from scrapy.settings import Settings
from scrapy.utils.conf import build_component_list
from scrapy.utils.test import get_crawler

import earsense_m2t.crawlers.settings as project_settings
from earsense_m2t.crawlers.crawl import CrawlError, crawl_site
from earsense_m2t.crawlers.middlewares import (
    EGRESS_SETTING,
    EgressMiddleware,
    EgressRedirectMiddleware,
    RefusedRequest,
)
from earsense_m2t.egress import EgressPolicy
from earsense_m2t.offline.minisite import serve
from earsense_m2t.offline.minisite.server import MiniSite
from earsense_m2t.schemas import Failure, StageResult, Work

PUBLIC_STAND_IN = "127.0.0.5"


def public_site_policy(site: MiniSite) -> EgressPolicy:
    return EgressPolicy.for_site(site.start_url, treat_as_public=[PUBLIC_STAND_IN])


def refused(result: StageResult) -> dict[str, Failure]:
    return {f.url or "": f for f in result.failures if f.code == "refused"}


@pytest.fixture(scope="module")
def target(catalogue) -> Iterator[MiniSite]:
    """A server on 127.0.0.1 that would answer every request the crawl must not make."""
    with serve(catalogue=catalogue) as site:
        yield site


@pytest.fixture(scope="module")
def public_crawl(catalogue, target, tmp_path_factory):
    """The public stand-in's index links to loopback and private addresses, and one work page redirects to loopback."""
    slug = catalogue[0].slug
    port = target.base_url.rsplit(":", 1)[1]
    links = {
        "loopback": f"http://127.0.0.1:{port}/chamber-music/{slug}/",
        "localhost": f"http://localhost:{port}/chamber-music/{slug}/",
        "ipv6": f"http://[::1]:{port}/chamber-music/{slug}/",
        "private": "http://10.0.0.1/chamber-music/X/",
        "metadata": "http://169.254.169.254/latest/",
    }
    moved = f"http://127.0.0.1:{port}/chamber-music/{catalogue[1].slug}/"
    routes = {"/chamber-music/Moved-Work/": (302, {"Location": moved}, b"")}
    with MiniSite(catalogue, host=PUBLIC_STAND_IN, extra_routes=routes,
                  extra_index_links=[*links.values(), "/chamber-music/Moved-Work/"]) as site, \
            MiniSite(catalogue, host=PUBLIC_STAND_IN) as peer:
        # a page on the same public host, another port: allowed, and it is requested
        site.extra_index_links.append(f"{peer.base_url}/blog/")
        result = crawl_site(site.start_url, tmp_path_factory.mktemp("public"), local=True,
                            egress=public_site_policy(site))
    return result, links, moved, site, peer


def test_links_to_loopback_from_a_public_site_are_refused_and_never_requested(public_crawl, target, catalogue):
    """Defect: a link from a public site to another loopback service vanished without a trace (or, with
    a host the spider follows, would be requested); now it is a `refused` Failure and nothing reaches it."""
    result, links, _moved, site, peer = public_crawl
    failures = refused(result)
    for kind in ("loopback", "localhost", "ipv6"):
        assert links[kind] in failures, (kind, sorted(failures))
    assert "127.0.0.1 is not public" in failures[links["loopback"]].reason
    assert "localhost resolves to 127.0.0.1" in failures[links["localhost"]].reason
    assert "::1 is not public" in failures[links["ipv6"]].reason
    assert target.requests == []
    # the public site itself was crawled fully, and the same host on another port is allowed
    assert {w.slug for w in catalogue} <= {w.id for w in result.of(Work)}
    assert peer.count("/blog/") >= 1
    assert not any(f.code == "refused" and PUBLIC_STAND_IN in (f.url or "") for f in result.failures)


def test_redirect_to_loopback_is_refused_and_never_followed(public_crawl, target):
    """Defect: a redirect off the public site was dropped silently by the offsite filter; now it is a
    `refused` Failure naming the target, for the page that redirected, and the target sees no request."""
    result, _links, moved, site, _peer = public_crawl
    failure = refused(result)[moved]
    assert failure.item_id == f"{site.base_url}/chamber-music/Moved-Work/"
    assert f"refused {moved}: address 127.0.0.1 is not public" in failure.reason
    assert "redirected from" in failure.reason
    assert site.count("/chamber-music/Moved-Work/") == 1
    assert target.requests == []


def test_links_to_private_and_metadata_addresses_are_refused_as_not_public(public_crawl):
    """Defect: links to private (10/8) and link-local (cloud metadata) addresses left no trace; now each is
    a `refused` Failure saying the address is not public, decided from the URL without any connection."""
    result, links, *_ = public_crawl
    failures = refused(result)
    assert "address 10.0.0.1 is not public" in failures[links["private"]].reason
    assert "address 169.254.169.254 is not public" in failures[links["metadata"]].reason


def test_a_refused_start_url_stops_the_crawl_naming_it(catalogue, target, tmp_path):
    """Defect: the start URL itself was requested whatever its address; a start URL the policy refuses
    (loopback under a public-only policy) must end the crawl with a CrawlError naming it, unrequested."""
    public_only = EgressPolicy.for_site(f"http://{PUBLIC_STAND_IN}/", treat_as_public=[PUBLIC_STAND_IN])
    before = len(target.requests)
    with pytest.raises(CrawlError, match=re.escape(f"refused {target.start_url}: address 127.0.0.1 is not public")):
        crawl_site(target.start_url, tmp_path, local=True, egress=public_only)
    assert target.requests[before:] == []  # not the page, not robots.txt, not the sitemap
    assert not (tmp_path / "crawl").exists()


def test_a_start_url_redirecting_to_loopback_stops_the_crawl(catalogue, target, tmp_path):
    """Defect: the start request is exempt from the offsite filter (dont_filter), so its redirect to a
    loopback service WAS requested; now the crawl stops with a CrawlError naming the target."""
    before = len(target.requests)
    with MiniSite(catalogue, host=PUBLIC_STAND_IN,
                  extra_routes={"/chamber-music/": (301, {"Location": target.start_url}, b"")}) as site:
        expected = f"refused {target.start_url}: address 127.0.0.1 is not public (redirected from {site.start_url})"
        with pytest.raises(CrawlError, match=re.escape(expected)):
            crawl_site(site.start_url, tmp_path, local=True, egress=public_site_policy(site))
    assert target.requests[before:] == []


def test_a_local_site_reaches_only_its_own_origin_on_loopback(catalogue, tmp_path):
    """Defect (issue 23, item 10): a site on 127.0.0.1 let the crawl reach all of loopback, so its link to
    another loopback port was followed; now only the site's own origin is reachable (the README's rule), the
    link is a `refused` Failure and the other port sees no request, while the mini site itself crawls fully."""
    with serve(catalogue=catalogue) as other, \
            serve(catalogue=catalogue, extra_index_links=[f"{other.base_url}/blog/"]) as site:
        result = crawl_site(site.start_url, tmp_path, local=True)
        assert other.count("/blog/") == 0
    failure = refused(result)[f"{other.base_url}/blog/"]
    assert "not the site's own origin" in failure.reason
    assert {w.slug for w in catalogue} <= {w.id for w in result.of(Work)}


# ---- the middleware in Scrapy's chain (in this process) ---------------------------------------------------



def test_the_check_runs_first_in_process_request_and_wraps_redirects():
    """Before the offsite filter, robots.txt, the cache and the download; redirects built by subclasses that check."""
    settings = Settings()
    settings.setmodule(project_settings)
    chain = build_component_list(settings.getwithbase("DOWNLOADER_MIDDLEWARES"))
    names = [c if isinstance(c, str) else f"{c.__module__}.{c.__qualname__}" for c in chain]
    assert names[0] == "earsense_m2t.crawlers.middlewares.EgressMiddleware"
    assert "scrapy.downloadermiddlewares.redirect.RedirectMiddleware" not in names
    assert "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware" not in names
    assert "earsense_m2t.crawlers.middlewares.EgressRedirectMiddleware" in names
    assert "earsense_m2t.crawlers.middlewares.EgressMetaRefreshMiddleware" in names


@pytest.mark.parametrize("url", ["http://10.0.0.1/chamber-music/X/", "http://169.254.169.254/latest/",
                                 "http://127.0.0.1:9/robots.txt", "http://user:s3cret@127.0.0.5/"])
def test_process_request_refuses_before_any_socket(no_sockets, url):
    policy = EgressPolicy.for_site(f"http://{PUBLIC_STAND_IN}:8000/", treat_as_public=[PUBLIC_STAND_IN])
    crawler = get_crawler(settings_dict={EGRESS_SETTING: policy.to_json()})
    middleware = EgressMiddleware.from_crawler(crawler)
    with pytest.raises(RefusedRequest, match="is not public|credentials") as err:
        middleware.process_request(Request(url))
    assert "s3cret" not in str(err.value)
    assert middleware.process_request(Request(f"http://{PUBLIC_STAND_IN}:8000/chamber-music/")) is None


def test_a_redirect_response_to_metadata_is_refused_where_it_is_built(no_sockets):
    policy = EgressPolicy.for_site(f"http://{PUBLIC_STAND_IN}:8000/", treat_as_public=[PUBLIC_STAND_IN])
    crawler = get_crawler(settings_dict={EGRESS_SETTING: policy.to_json()})
    middleware = EgressRedirectMiddleware.from_crawler(crawler)
    request = Request(f"http://{PUBLIC_STAND_IN}:8000/chamber-music/A/")
    response = Response(request.url, status=302, headers={"Location": "http://169.254.169.254/latest/"}, request=request)
    with pytest.raises(RefusedRequest, match="refused http://169.254.169.254/latest/: address 169.254.169.254"):
        middleware.process_response(request, response)
    ok = Response(request.url, status=301, headers={"Location": "/chamber-music/B/"}, request=request)
    assert middleware.process_response(request, ok).url == f"http://{PUBLIC_STAND_IN}:8000/chamber-music/B/"

