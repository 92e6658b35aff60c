"""The acquire stage's inputs per work, and its options as the flow passes them to every work's task.

The flow maps one task over :func:`acquire_inputs` and calls :func:`earsense_m2t.acquire.acquire_media`
with :class:`AcquireOptions`; what the options turn into (download options, the search template, a Spotify
client) is decided here, so the flow needs none of this stage's modules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from earsense_m2t.acquire.discovery import search_template_for
from earsense_m2t.acquire.download import DownloadOptions
from earsense_m2t.acquire.limits import Limits
from earsense_m2t.acquire.spotify import spotify_client
from earsense_m2t.schemas import Recording, StageResult, Work, by_work

if TYPE_CHECKING:
    import spotipy


@dataclass(frozen=True)
class AcquireWork:
    """One work and the recordings its page lists (in the crawl's order)."""

    work: Work
    recordings: list[Recording] = field(default_factory=list)

    @property
    def work_id(self) -> str:
        return self.work.id

    def failed_ids(self) -> list[str]:
        return [self.work.id]

    def memo_inputs(self) -> dict[str, Any]:
        return {"work": self.work, "recordings": self.recordings}


def acquire_inputs(crawl: StageResult) -> list[AcquireWork]:
    """Each crawled work with its listed recordings, in work-id order (the order ``acquire_media`` walks)."""
    recordings = by_work(crawl.of(Recording))
    return [AcquireWork(w, recordings.get(w.id, [])) for w in sorted(crawl.of(Work), key=lambda w: w.id)]


@dataclass(frozen=True)
class AcquireOptions:
    """The build's acquire options: the download limits and the ``--search`` option on this site."""

    limits: Limits = Limits()
    search: str = "auto"
    local: bool = False  # the site is on loopback (the mini site): 'auto' does not search YouTube

    @property
    def search_template(self) -> str | None:
        return search_template_for(self.search, self.local)

    def download(self) -> DownloadOptions:
        return DownloadOptions(limits=self.limits)

    @staticmethod
    def spotify() -> spotipy.Spotify | None:
        """A Spotify client when credentials are found (the environment), else None: never an option."""
        return spotify_client()

    def task_timeout_s(self, items: list[AcquireWork]) -> float:
        """A per-work task's timeout: the most recordings of one work (and a search) at the download deadline
        and probe limit, plus a minute. A backstop for a hang the download guard cannot see, not the usual limit."""
        most = max((len(i.recordings) for i in items), default=0)
        return (most + 1) * (self.limits.deadline_s + self.limits.probe_timeout_s) + 60.0

    def memo_inputs(self) -> dict[str, Any]:
        """What else decides a work's downloads; Spotify or not too: a work done without it is done again with it."""
        return {"search_template": self.search_template, "limits": self.limits,
                "spotify": self.spotify() is not None}


__all__ = ["AcquireOptions", "AcquireWork", "acquire_inputs"]
