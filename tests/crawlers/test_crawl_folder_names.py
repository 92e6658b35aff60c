"""The crawl folder's recordings file has its own name (every listed recording), and an output root crawled
when it was still ``build/crawl/recordings.jsonl`` keeps refreshing: the old name is read, then replaced."""

from __future__ import annotations

from earsense_m2t.crawlers.crawl import crawl_site
from earsense_m2t.crawlers.previous import PreviousCrawl
from earsense_m2t.offline.minisite import serve
from earsense_m2t.schemas import Recording, Work
from earsense_m2t.schemas.io import write_records
from earsense_m2t.schemas.layout import BuildFolder
from earsense_m2t.schemas.manifests import CHOSEN_RECORDINGS, LISTED_RECORDINGS

LEGACY = "recordings.jsonl"


def test_the_two_recordings_files_have_distinct_names():
    assert LISTED_RECORDINGS.file != CHOSEN_RECORDINGS.file
    assert LEGACY in LISTED_RECORDINGS.legacy_names


def test_a_previous_crawl_under_the_old_name_is_read(tmp_path):
    work = Work(id="W", url="http://x/W", title="T", composer="C", fetched_at="2026-01-01T00:00:00Z", page_sha256="0")
    rec = Recording(id="W@a", work_id="W", source_url="http://x/a", source_id="a")
    write_records(tmp_path / "works.jsonl", [work])
    write_records(tmp_path / LEGACY, [rec])
    assert PreviousCrawl.load(tmp_path).recordings == {"W": [rec]}


def test_a_refresh_of_an_output_root_crawled_under_the_old_name_keeps_every_listed_recording(catalogue, tmp_path):
    crawl = BuildFolder(tmp_path).crawl
    with serve(catalogue=catalogue) as site:
        first = crawl_site(site.start_url, tmp_path, local=True)
        assert LISTED_RECORDINGS.path(crawl).exists() and not (crawl / LEGACY).exists()
        LISTED_RECORDINGS.path(crawl).rename(crawl / LEGACY)  # the folder as a crawl before the rename left it
        second = crawl_site(site.start_url, tmp_path, local=True)
    assert sorted(second.notes["unchanged"]) == sorted(w.slug for w in catalogue)
    # unchanged pages (304) keep their earlier records: the recordings come from the file under its old name
    assert sorted(r.id for r in second.of(Recording)) == sorted(r.id for r in first.of(Recording))
    assert first.of(Recording)
    assert LISTED_RECORDINGS.path(crawl).exists() and not (crawl / LEGACY).exists()
