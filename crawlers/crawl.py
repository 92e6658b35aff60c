"""The crawl stage: fetch (run the spider) and prepare (read back validated records).

The spider writes into a temporary folder; only a crawl that reached the site and found works is
moved into the build folder, so a failed crawl never replaces the manifests of a good one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TypeVar

from earsense_m2t.crawlers.settings import FEED_FILES
from earsense_m2t.crawlers.site_profile import EARSENSE, SiteProfile
from earsense_m2t.egress import EgressPolicy
from earsense_m2t.schemas import Deadline, Failure, Record, Recording, StageResult, Work
from earsense_m2t.schemas.io import read_records
from earsense_m2t.schemas.layout import CRAWL_TMP_PREFIX, BuildFolder
from earsense_m2t.schemas.manifests import (
    CRAWL_FAILURES,
    CRAWL_FEEDS,
    CRAWL_STATS,
    CRAWLED_WORKS,
    LISTED_RECORDINGS,
    Manifest,
)
from earsense_m2t.schemas.stages import Stage


class CrawlError(RuntimeError):
    """The crawl as a whole cannot be trusted (site unreachable, selectors no longer match)."""


#: ``StageResult.notes`` keys: the work ids in each state since the previous crawl ("gone": its page
#: answered 404/410; "unreached": its page could not be had this time, so it is kept, not dropped)
CHANGE_KINDS = ("new", "changed", "unchanged", "gone", "unreached")

#: the share of the build's time left (``--deadline``) the crawl may take: it is the first of the stages, and the
#: works it finds must still be downloaded, cut and measured before the deadline for any of them to publish
CRAWL_DEADLINE_SHARE = 0.5
#: the crawl's time budget without a deadline (the crawl subprocess's timeout before issue 23): then Scrapy
#: stops the spider (CLOSESPIDER_TIMEOUT), keeping what it finished
CRAWL_TIME_CAP_S = 3600.0
#: the least time budget a crawl is given, even when the deadline has (nearly) passed: a build past its deadline
#: still publishes the texts of the works a short crawl finds (on the mini site all of them: about 3 s)
MIN_CRAWL_BUDGET_S = 10.0
#: how long past its budget the crawl subprocess may take to stop (requests in flight finish, each within
#: DOWNLOAD_TIMEOUT, and the feeds are closed) before it is killed
STOP_GRACE_S = 120.0


def crawl_budget(deadline: Deadline | None) -> float:
    """Seconds the crawl may take: CRAWL_DEADLINE_SHARE of what the build's deadline leaves, else CRAWL_TIME_CAP_S."""
    if deadline is None or deadline.seconds is None:
        return CRAWL_TIME_CAP_S
    left = deadline.seconds - (time.monotonic() - deadline.started)
    return min(CRAWL_TIME_CAP_S, max(MIN_CRAWL_BUDGET_S, CRAWL_DEADLINE_SHARE * left))


def crawl_result(works: list[Work], recordings: list[Recording], failures: list[Failure],
                 stats: dict[str, object]) -> StageResult:
    """Works and recordings; computed = new or changed pages, reused = unchanged ones (304 or same content).

    Works in id order, recordings in their works' order (a work's ``?ri=N`` pages in N's order, each page's in the
    page's order), whatever order the spider's concurrent requests finished in: the works and the movements made
    from them are lists in the annotate stage's memo key, so a crawl that found the same pages in another order
    would miss that memo and run the stage again."""
    changes = stats.get("earsense/changes")
    changes = changes if isinstance(changes, dict) else {}  # a spider that stopped early wrote none
    result = StageResult(stage=Stage.CRAWL, notes={kind: list(changes.get(kind, [])) for kind in CHANGE_KINDS})
    unchanged = set(result.notes["unchanged"])
    for work in sorted(works, key=lambda w: w.id):
        result.add(work, reused=work.id in unchanged)
    ordered: list[Recording] = sorted(recordings, key=lambda r: (r.work_id, r.recording_index))  # stable: page order
    result.records.extend(ordered)
    for failure in failures:
        result.drop(failure)
    result.counts["gone"] = len(result.notes["gone"])
    requests = stats.get("downloader/request_count")
    result.counts["requests"] = requests if isinstance(requests, int) else 0
    # a crawl stopped by a cap or the deadline keeps what it finished; the works it had asked for and not
    # reached are failures (the summary counts them), and the ones the last crawl had keep their published rows
    unreached = stats.get("earsense/unreached_works")
    unreached = unreached if isinstance(unreached, dict) else {}  # work id -> its page
    reason = str(stats.get("earsense/unreached_reason") or "not crawled")
    for slug, url in sorted(unreached.items()):
        result.drop(Failure(stage=Stage.CRAWL, item_id=str(slug), url=str(url), code="unreached", reason=reason))
    result.counts["unreached"] = len(unreached)
    redecoded = stats.get("earsense/charset_redecoded")  # pages not in the charset they declare (html_text.py)
    result.counts["charset_redecoded"] = redecoded if isinstance(redecoded, int) else 0
    return result


def run_spider(start_url: str, out_dir: Path, *, local: bool = False, httpcache_dir: Path | None = None,
               previous: Path | None = None, time_budget_s: float = CRAWL_TIME_CAP_S,
               egress: EgressPolicy | None = None) -> None:
    """Run the spider in a subprocess; it stops itself after ``time_budget_s`` (keeping what it finished), and is
    killed only when it has not stopped STOP_GRACE_S later."""
    # -P: the spider imports the installed package, never a folder that happens to be in the working directory
    cmd = [sys.executable, "-P", "-m", "earsense_m2t.crawlers.run", "--start-url", start_url, "--out-dir", str(out_dir)]
    # the policy travels as JSON; the subprocess resolves with the system's resolver
    policy = EgressPolicy.for_site(start_url) if egress is None else egress
    cmd += ["--egress", policy.to_json()]
    if previous is not None:
        cmd += ["--previous", str(previous)]
    if local:
        cmd.append("--local")
    if httpcache_dir is not None:
        cmd += ["--httpcache-dir", str(httpcache_dir)]
    cmd += ["--time-budget", f"{time_budget_s:g}"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=time_budget_s + STOP_GRACE_S)
    except subprocess.TimeoutExpired as exc:
        raise CrawlError(f"the crawl of {start_url} did not stop within {STOP_GRACE_S:g} s of its time budget "
                         f"({time_budget_s:g} s) and was killed") from exc
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        raise CrawlError(f"crawler process failed for {start_url} (exit {proc.returncode}):\n{tail}")

#: a record type read from a feed
R = TypeVar("R", bound=Record)


def _feed(folder: Path, manifest: Manifest, cls: type[R]) -> list[R]:
    """One feed of a crawl folder as records; an absent feed (the spider yielded no such item) is empty."""
    path = manifest.find(folder)
    return read_records(path, cls) if path is not None else []


def check_required_fields(works: list[Work], profile: SiteProfile = EARSENSE) -> None:
    """Fail loudly when a required field is missing on too many pages: the markup and the text have moved.

    A field counts as present when either path found it: the profile's selectors or the page-text fallback
    (the spider fills each ``Work`` field from whichever found it).
    """
    if not works:
        return
    for name in profile.required_fields:
        missing = [w.url for w in works if not getattr(w, name)]
        if len(missing) > profile.max_missing_fraction * len(works):
            shown = "\n  ".join(missing[:20])
            raise CrawlError(
                f"required field {name!r} missing on {len(missing)} of {len(works)} work pages "
                f"(more than {profile.max_missing_fraction:.0%}) by both the selectors and the page-text fallback; "
                f"update crawlers/site_profile.py (selectors) or crawlers/page_text.py (text rules). "
                f"Pages:\n  {shown}")


def crawl_site(start_url: str, build_dir: Path, *, local: bool = False,
               httpcache_dir: Path | None = None, profile: SiteProfile = EARSENSE,
               refresh: bool = True, egress: EgressPolicy | None = None,
               deadline: Deadline | None = None) -> StageResult:
    """Crawl the site and write its feeds into ``build_dir/crawl`` (the works, every listed recording and the
    failures: :data:`earsense_m2t.schemas.manifests.CRAWL_FEEDS`, with Scrapy's stats).

    With ``refresh`` (the default) the last crawl in ``build_dir/crawl`` is the baseline: unchanged
    pages are answered by conditional requests or their hash and keep their records.

    Every request is checked against ``egress`` (default: ``EgressPolicy.for_site(start_url)``: public
    addresses only, loopback too when the site is on loopback) before it is sent and on every redirect;
    a refused page is a ``refused`` Failure, a refused start URL a ``CrawlError`` naming it.

    The crawl takes at most :func:`crawl_budget` seconds (a share of what ``deadline`` leaves), and stops at the
    caps in ``crawlers/settings.py`` (DEPTH_LIMIT, CLOSESPIDER_PAGECOUNT); stopped so, it keeps the works it
    finished and lists the ones it had found and not reached as ``unreached`` failures.
    """
    build_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=CRAWL_TMP_PREFIX, dir=build_dir))
    try:
        final = BuildFolder(build_dir).crawl
        run_spider(start_url, tmp, local=local, httpcache_dir=httpcache_dir,
                   previous=final if refresh and CRAWLED_WORKS.find(final) is not None else None,
                   egress=egress, time_budget_s=crawl_budget(deadline))
        stats = json.loads((tmp / CRAWL_STATS).read_text(encoding="utf-8"))
        works = _feed(tmp, CRAWLED_WORKS, Work)
        recordings = _feed(tmp, LISTED_RECORDINGS, Recording)
        failures = _feed(tmp, CRAWL_FAILURES, Failure)
        if stats.get("earsense/start_refused"):
            raise CrawlError(f"start URL not allowed by the egress policy: {stats['earsense/start_refused']}")
        if stats.get("earsense/start_failed"):
            raise CrawlError(f"site unreachable: {stats['earsense/start_failed']}")
        if not works:
            reasons = "; ".join(f"{f.url}: {f.reason}" for f in failures[:5]) or "no work pages found"
            raise CrawlError(f"crawl of {start_url} found no works ({reasons})")
        check_required_fields(works, profile)
        final.mkdir(parents=True, exist_ok=True)
        for name in [*FEED_FILES, CRAWL_STATS]:
            src = tmp / name
            if not src.exists():
                src.write_text("", encoding="utf-8")
            os.replace(src, final / name)
        for feed in CRAWL_FEEDS:  # a file under its former name would be read as the current one's stale twin
            for legacy in feed.legacy_names:
                (final / legacy).unlink(missing_ok=True)
        return crawl_result(works, recordings, failures, stats)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
