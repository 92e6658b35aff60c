"""The Work and Recording records the acquire tests hand to the stage (as the crawler would)."""

from __future__ import annotations

from earsense_m2t.acquire.download import source_identity
from earsense_m2t.schemas import Recording, Work, recording_id


def work(slug: str, host: str = "127.0.0.1") -> Work:
    return Work(id=slug, url=f"http://{host}/chamber-music/{slug}/", title="A work", composer="Anon",
                fetched_at="2026-01-01T00:00:00+00:00", page_sha256="c" * 64)


def recording(work_id: str, url: str) -> Recording:
    """A recording known by its source identity, as the crawler forms it."""
    identity = source_identity(url)
    return Recording(id=recording_id(work_id, identity), work_id=work_id, source_url=url, source_id=identity)
