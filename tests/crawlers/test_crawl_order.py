"""A crawl's result does not depend on the order its pages were fetched in (issue 24 item 2).

The spider fetches pages concurrently and writes its feeds in the order pages finish, which changes from one
crawl to the next. The works (and the movements made from them, in their order) are lists in the annotate
stage's memo key: in that order, a rebuild with nothing changed missed the annotate memo and ran the stage
again, at random, after a CLI build as after a deployment's.
"""

from __future__ import annotations

from earsense_m2t.crawlers.crawl import crawl_result
from earsense_m2t.memo import StageMemo
from earsense_m2t.schemas import Recording, Work


def work(slug: str) -> Work:
    return Work(id=slug, url=f"http://127.0.0.1:8000/chamber-music/{slug}/", title=f"Work {slug}", composer="C",
                fetched_at="2026-01-01T00:00:00+00:00", page_sha256="0" * 64)


def recording(slug: str, source: str, ri: int = 0) -> Recording:
    return Recording(id=f"{slug}@{source}", work_id=slug, source_url=f"http://127.0.0.1:8000/embed/{source}",
                     source_id=source, recording_index=ri)


def test_a_crawl_s_result_does_not_depend_on_the_order_its_pages_were_fetched_in(tmp_path):
    # one work's page lists two recordings (page order: y before x), and its ?ri=1 view one more
    first = crawl_result([work("b"), work("a"), work("c")],
                         [recording("b", "y"), recording("a", "p"), recording("b", "x"), recording("b", "z", ri=1)],
                         [], {"earsense/changes": {"unchanged": ["a", "b", "c"]}})
    second = crawl_result([work("c"), work("a"), work("b")],
                          [recording("b", "z", ri=1), recording("a", "p"), recording("b", "y"), recording("b", "x")],
                          [], {"earsense/changes": {"unchanged": ["c", "b", "a"]}})
    assert first.records == second.records
    assert [w.id for w in first.of(Work)] == ["a", "b", "c"]
    # a work's recordings keep the page's order (the ?ri=0 page's before the ?ri=1 page's)
    assert [r.id for r in first.of(Recording)] == ["a@p", "b@y", "b@x", "b@z"]
    memo = StageMemo.of(tmp_path / "build", "annotate", "earsense_m2t.annotation.stage")
    assert memo.key({"works": first.of(Work)}) == memo.key({"works": second.of(Work)})
