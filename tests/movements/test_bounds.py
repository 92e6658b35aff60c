"""Plausibility bounds (issue 23 item 2): the table row by row, and a hostile mini site end to end.

The hostile site serves one catalogue work as it is plus two pages written for this test: one whose recording
lists 10,000 movements, one that states "Duration: 99999 minutes". The real crawler reads them, the real
movements stage and publish run on what it read: the two works are failures (``implausible``), the catalogue
work publishes.
"""

from __future__ import annotations

import dataclasses

import datasets
import pytest

from earsense_m2t.crawlers.crawl import crawl_site
from earsense_m2t.movements import prepare_movements
from earsense_m2t.movements.bounds import BOUNDS, IMPLAUSIBLE, Bound, record_problems, work_problems
from earsense_m2t.offline.minisite import serve
from earsense_m2t.schemas import Failure, Movement, Work
from earsense_m2t.schemas.io import write_records
from earsense_m2t.schemas.manifests import FAILURES, MOVEMENTS, WORK_TEXTS, WORKS
from tests.crawlers._pages import BASE, FACTS, SLUG, work_page
from tests.publish._bundle import CARD_CONTEXT, NOW

WORK = Work(id="Some-Composer-Trio-No-1", url="https://example.org/chamber-music/Some-Composer-Trio-No-1/",
            title="Trio No. 1", composer="Some Composer", fetched_at="2026-01-01T00:00:00+00:00", page_sha256="0" * 64)
MOVEMENT = Movement(id=f"{WORK.id}#1", work_id=WORK.id, number=1, title="Allegro", title_source="page")


def _at(bound: Bound, value: float) -> tuple[Work | Movement, dict[str, int]]:
    """A record whose measured ``bound.field`` is ``value`` (and the counts to pass with it)."""
    record: Work | Movement = WORK if bound.record == "work" else MOVEMENT
    if bound.unit == "movements":
        return record, {bound.field: int(value)}
    if bound.unit == "characters":
        return dataclasses.replace(record, **{bound.field: "x" * int(value)}), {}  # type: ignore[arg-type]
    return dataclasses.replace(record, **{bound.field: value}), {}  # type: ignore[arg-type]


@pytest.mark.parametrize("bound", BOUNDS, ids=lambda b: f"{b.record}.{b.field}")
def test_each_bound_admits_its_limit_and_refuses_past_it(bound: Bound):
    assert bound.reason and bound.unit and (bound.low is not None or bound.high is not None)
    step = 1 if bound.unit in ("characters", "movements") else 0.5
    for limit, past in ((bound.high, +step), (bound.low, -step)):
        if limit is None:
            continue
        assert record_problems(*_at(bound, limit)) == []
        [problem] = record_problems(*_at(bound, limit + past))
        assert problem.startswith(f"{bound.field} = ") and bound.reason in problem
    assert record_problems(*_at(bound, 0 if bound.low is None else bound.low)) == []


def test_the_two_cases_of_the_issue_are_out_of_bounds():
    assert work_problems(WORK, n_movements=10_000)[0].startswith("movements = 10000 movements is above 60")
    [problem] = work_problems(dataclasses.replace(WORK, approx_duration_s=5_999_940.0))
    assert problem.startswith("approx_duration_s = 5.99994e+06 s is above 21600 s")
    passage = dataclasses.replace(MOVEMENT, text="word " * 5000)
    assert work_problems(WORK, [passage])[0].startswith("movement 1: text = 25000 characters is above 20000")


# ------------------------------------------------------------------------------------------ hostile site

KEPT = "Joseph-Haydn-String-Quartet-in-D-major-Op-76-No-5"
MANY = "Hostile-Many-Movements-Quartet"
LONG = "Hostile-Endless-Quartet"
HTML = {"Content-Type": "text/html; charset=utf-8"}


def _hostile(slug: str, **kwargs) -> bytes:
    page = work_page(**kwargs)
    return page.replace(f"{BASE}/chamber-music/{SLUG}/", f"/chamber-music/{slug}/").replace(SLUG, slug).encode()


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory, catalogue):
    listing = tuple((f"{1 + n % 9}:00", f"{n}. Allegro") for n in range(1, 10_001))
    routes = {
        f"/chamber-music/{MANY}/": (200, HTML, _hostile(MANY, recordings=(("Many Players", listing, "none"),))),
        f"/chamber-music/{LONG}/": (200, HTML, _hostile(LONG, facts=tuple(
            (k, "99999 minutes (approximately)" if k == "Duration" else v) for k, v in FACTS),
            recordings=(("Four Players", (("7:00", "I. Allegro"), ("6:00", "II. Adagio")), "none"),))),
    }
    root = tmp_path_factory.mktemp("hostile-bounds")
    build = root / "build"
    with serve(catalogue=catalogue, only=(KEPT,), extra_routes=routes,
               extra_index_links=[f"/chamber-music/{MANY}/", f"/chamber-music/{LONG}/"]) as site:
        crawled = crawl_site(site.start_url, build, local=True)
    works = crawled.of(Work)
    movements = prepare_movements(works, [], [])
    write_records(WORKS.path(build), works)
    write_records(MOVEMENTS.path(build), movements.of(Movement))
    write_records(WORK_TEXTS.path(build), [r for r in movements.records if r.kind == "work_text"])
    write_records(FAILURES.path(build), [*crawled.failures, *movements.failures])
    return root, works, movements


def test_the_movements_stage_fails_the_implausible_works_and_keeps_the_rest(hostile_build):
    _root, works, movements = hostile_build
    assert {w.id for w in works} == {KEPT, MANY, LONG}  # the crawler read all three pages
    assert {w.id: len(w.page_movement_titles) for w in works}[MANY] == 10_000
    assert {w.id: w.approx_duration_s for w in works}[LONG] == 99999 * 60
    failed = {f.item_id: f for f in movements.failures}
    assert set(failed) == {MANY, LONG} and {f.code for f in failed.values()} == {IMPLAUSIBLE}
    assert "movements = 10000 movements is above 60" in failed[MANY].reason
    assert "approx_duration_s = 5.99994e+06 s is above 21600 s" in failed[LONG].reason
    assert {m.work_id for m in movements.of(Movement)} == {KEPT}


def test_publish_leaves_the_implausible_works_out_and_publishes_the_rest(hostile_build, monkeypatch):
    from earsense_m2t.publish import publish_dataset

    root, _works, movements = hostile_build
    cache = root / "hf-cache"
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", cache)
    monkeypatch.setenv("HF_DATASETS_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    dataset_dir = root / "local" / "earsense-m2t"
    published = publish_dataset(root / "build", dataset_dir, card_context=CARD_CONTEXT, now=NOW)
    assert published.created
    rows = datasets.load_dataset(str(dataset_dir), split="train")
    assert set(rows["work_id"]) == {KEPT} and len(rows) == len(movements.of(Movement))
    works = datasets.load_dataset(str(dataset_dir), "works", split="train")
    assert set(works["id"]) == {KEPT}  # not the 99999-minute work, not the 10,000 titles
    card = (dataset_dir / "README.md").read_text(encoding="utf-8")
    assert f"`{IMPLAUSIBLE}`" in card
    assert not any(isinstance(f, Failure) and f.item_id in (MANY, LONG) for f in published.dropped)  # listed once
