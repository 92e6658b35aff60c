"""A 404 for a work the last crawl never had is a dead link (a Failure), not a work that is gone."""

from __future__ import annotations

from earsense_m2t.crawlers.crawl import crawl_site
from earsense_m2t.offline.minisite import serve


def test_a_dead_link_to_an_unknown_work_is_not_gone(catalogue, tmp_path):
    with serve(catalogue=catalogue, extra_index_links=["/chamber-music/Never-Published-Work/"]) as site:
        result = crawl_site(site.start_url, tmp_path, local=True)
    assert result.notes["gone"] == [] and result.counts["gone"] == 0
    dead = [f for f in result.failures if "Never-Published-Work" in f.item_id]
    assert [(f.code, f.reason) for f in dead] == [("http_error", "HTTP 404")]
