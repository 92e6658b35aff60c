"""The publish stage's entrypoint: build manifests in, a ``Release`` record out.

The card context (what the card says about the source and the processing) is assembled here from
the parameters the build ran with, so the flow only passes what it knows: the site and the options.
What the card says about the data itself (segmentation methods, works without audio) comes from the
manifests, inside :func:`earsense_m2t.publish.publish.publish_dataset`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from earsense_m2t.config import REAL_SITE_URL
from earsense_m2t.features.params import AudioParams
from earsense_m2t.features.spectrogram import spectrogram_parameters
from earsense_m2t.publish.publish import publish_dataset
from earsense_m2t.schemas import Failure, Release, StageResult
from earsense_m2t.schemas.published import DEFAULT_CONFIG
from earsense_m2t.schemas.stages import Stage
from earsense_m2t.tagging.card_text import tempo_rules_markdown


def card_context(*, site_url: str, embedded: bool, params: AudioParams) -> dict[str, Any]:
    """What the card states about where the texts came from and how the audio was processed."""
    return {
        # an embedded mini site stands in for the real one: the card names the site it imitates
        "site_url": REAL_SITE_URL if embedded else site_url,
        "embedded_site": embedded,
        "tempo_rules": tempo_rules_markdown(),
        "spectrogram": spectrogram_parameters(params),
        "audio": {"sample_rate_hz": params.sample_rate_hz, "target_lufs": params.target_lufs,
                  "true_peak_ceiling_dbtp": params.true_peak_ceiling_dbtp},
    }


def publish_release(build_dir: Path, dataset_dir: Path, *, site_url: str, embedded: bool,
                    params: AudioParams = AudioParams(), push_to_hub: str | None = None,
                    now: datetime | None = None, gone: Collection[str] | None = None,
                    on_progress: Callable[[int, int], None] | None = None, push_audio: bool = False) -> StageResult:
    """Publish the build as the next version if anything changed; the one record is that ``Release``.

    ``gone``: the work ids the crawl confirmed gone (404/410). A live work missing from the build leaves
    only when listed there; without it (None) every such work is kept (its rows carried forward), since
    a page that timed out or answered 5xx says nothing about the work. Notes ``carried`` and ``gone``
    of the result name those works. ``on_progress(done, total)``: called as each step of the publish ends
    (:data:`earsense_m2t.publish.publish.PUBLISH_STEPS`). ``push_audio``: the version's local ``audio``
    config may be pushed when every row's licence allows it (else the push is refused: a ``push_refused`` failure).
    """
    now = now or datetime.now(UTC)
    published = publish_dataset(build_dir, dataset_dir, push_to_hub=push_to_hub, now=now, gone=gone,
                                card_context=card_context(site_url=site_url, embedded=embedded, params=params),
                                on_progress=on_progress, push_audio=push_audio)
    release = Release(id=f"v{published.version}", version=published.version, created=published.created,
                      dataset_dir=str(dataset_dir), published_at=now.astimezone(UTC).isoformat(timespec="seconds"),
                      previous=published.previous, bump=published.bump, reason=published.reason,
                      rows=published.counts.get(DEFAULT_CONFIG, 0), pushed_to=published.pushed_to)
    result = StageResult(stage=Stage.PUBLISH, notes={"carried": published.carried, "gone": published.gone})
    result.add(release, reused=not published.created)
    for failure in published.dropped:  # records left out of the release (invalid, implausible)
        result.drop(failure)
    if published.push_refused:
        result.drop(Failure(stage=Stage.PUBLISH, item_id=release.id, code="push_refused", url=None,
                            reason=published.push_refused))
    if published.push_error:
        result.drop(Failure(stage=Stage.PUBLISH, item_id=release.id, code="push_failed", url=None,
                            reason=published.push_error))
    return result
