"""The annotate stage: pool, excerpts, triplets, silver labels and the human judgments, aggregated.

Entrypoint :func:`prepare_annotations`, called by the build after the features stage and before publish.
It reads and extends the annotation folder (``<out>/annotation``, :class:`AnnotationPaths`), which outlives
builds: the triplets file is append-only, the judgments are people's work, the excerpts a cache.

1. **Pool** (:mod:`.pool`): movements with a clip whose loudness before normalization is in range; one
   excerpt each (30 s from the middle).
2. **Excerpts**: cut and rendered by the features stage from its one decode of each movement
   (:mod:`earsense_m2t.features.excerpt`, ``Excerpt`` records); a movement without one (too short, or its
   clip failed) is counted ``excluded:no_excerpt``. Nothing is decoded or rendered here.
3. **Triplets** (:mod:`.triplets`): the triplets file is read; pooled movements in no triplet are drawn
   into new rounds and appended. A triplets file that cannot be read is a ``Failure`` (the file is left
   as it is, no triplet is drawn and no pair is published this time).
4. **Human judgments**: read from ``judgments.sqlite`` when it exists (:class:`JudgmentStore`) and
   aggregated per question (:func:`earsense_m2t.annotation.aggregate.aggregate`).
5. **Silver labels** (:mod:`.silver`) for every pair of every triplet; a complete human aggregation
   replaces the silver row of its pair and question.

``on_progress(done, total)``, when given, is called as each pooled excerpt's record is made (``total``: the
pool's candidates): the build's bar.

Records handed on: ``PoolExcerpt`` (the pool), ``Triplet`` (all of them), ``RelativeAnnotation`` (every
pair and question: human where complete, else silver) and the human ``Judgment`` records (pseudonymized;
publish computes Krippendorff's alpha from them, they are not published). ``counts``: ``computed`` is
the pool's records made, ``dropped`` the failures; ``pool``,
``excluded:<reason>``, ``triplets``, ``triplets_new``, ``rounds``, ``pairs``, ``rows_human``,
``rows_silver``, ``judgments``, ``judgments_ignored``, ``not_in_dataset``.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from earsense_m2t.annotation.aggregate import aggregate
from earsense_m2t.annotation.metrics.emotion import EmotionModel, emotion_model, text_emotion
from earsense_m2t.annotation.paths import AnnotationPaths
from earsense_m2t.annotation.pool import Candidate, PoolParams, choose_pool
from earsense_m2t.annotation.silver import SilverParams, arousal_score, merge_with_human, silver_annotations
from earsense_m2t.annotation.tool.store import JudgmentStore, StoreError
from earsense_m2t.annotation.triplets import TripletParams, append_triplets, draw_triplets, read_triplets
from earsense_m2t.schemas import (
    Clip,
    Deadline,
    Excerpt,
    Failure,
    Judgment,
    Media,
    Movement,
    PoolExcerpt,
    RecordError,
    RelativeAnnotation,
    Segment,
    StageResult,
    Triplet,
    Work,
)
from earsense_m2t.schemas.annotation import QUESTIONS
from earsense_m2t.schemas.io import write_records
from earsense_m2t.schemas.stages import Stage

log = logging.getLogger(__name__)

STAGE = Stage.ANNOTATE
#: annotators per pair and question, as in MusAV (the aggregation's rules are MusAV's for three)
DEFAULT_ANNOTATORS = 3


@dataclass(frozen=True, kw_only=True)
class AnnotationConfig:
    """Every choice of the stage, with its default; the card states the ones a reader asks about."""

    pool: PoolParams = PoolParams()
    triplets: TripletParams = TripletParams()
    silver: SilverParams = SilverParams()
    annotators: int = DEFAULT_ANNOTATORS  # answers a pair needs before its aggregation is complete
    #: a local transformers emotion classifier (used only when its weights are in this folder); None: the NRC lexicon
    emotion_model_dir: Path | None = None


def prepare_annotations(movements: Iterable[Movement], clips: Iterable[Clip], media: Iterable[Media],
                        annotation_dir: Path, *, segments: Iterable[Segment], excerpts: Iterable[Excerpt] = (),
                        works: Iterable[Work] = (),
                        seed: int = 0, version: str | None = None, config: AnnotationConfig = AnnotationConfig(),
                        deadline: Deadline = Deadline(),
                        on_progress: Callable[[int, int], None] | None = None) -> StageResult:
    """Pool, excerpts, triplets and relative annotations for the movements of one build (module docstring).

    ``version``: the dataset version being built (recorded in new triplets' ``created_version``).
    """
    movements, clips, media = list(movements), list(clips), list(media)
    paths = AnnotationPaths.at(annotation_dir)
    paths.excerpts.mkdir(parents=True, exist_ok=True)
    result = StageResult(stage=STAGE)
    model = emotion_model(config.emotion_model_dir)

    choice = choose_pool(movements, clips, segments, media, works, config.pool, excerpts)
    for code, n in sorted(choice.excluded_counts().items()):
        result.counts[f"excluded:{code}"] += n
    pool = _pool_records(choice.admitted, model, deadline, result, on_progress)
    write_records(paths.pool, pool)
    result.counts["pool"] = len(pool)

    triplets = _extend_triplets(pool, paths, seed, version, config, result)
    present = {m.id for m in movements}
    judgments = _human_judgments(paths, triplets, result)
    human: list[RelativeAnnotation] = []
    for question in QUESTIONS:
        human += aggregate(judgments, triplets, question, config.annotators)
    scores = _scores(pool, movements, model)
    in_dataset = {m: m in present for t in triplets for m in t.movement_ids}
    silver = silver_annotations(triplets, scores, in_dataset, config.silver)
    human = [dataclasses.replace(r, in_dataset=in_dataset.get(r.a, False) and in_dataset.get(r.b, False))
             for r in human]
    rows = merge_with_human(silver, human)

    result.records.extend(triplets)
    result.records.extend(rows)
    result.records.extend(judgments)
    result.counts["triplets"] = len(triplets)
    result.counts["rounds"] = len({t.round for t in triplets})
    result.counts["pairs"] = len(triplets) * 3
    result.counts["rows_human"] = sum(r.source == "human" for r in rows)
    result.counts["rows_silver"] = sum(r.source == "silver" for r in rows)
    result.counts["pairs_in_progress"] = sum(r.agreement == "incomplete" for r in human)
    result.counts["judgments"] = len(judgments)
    result.counts["not_in_dataset"] = len({m for m, here in in_dataset.items() if not here})
    return result


def _pool_records(candidates: Sequence[Candidate], model: EmotionModel, deadline: Deadline, result: StageResult,
                  on_progress: Callable[[int, int], None] | None = None) -> list[PoolExcerpt]:
    """The pool's records, from the excerpts the features stage cut (nothing is decoded or rendered here)."""
    pool: list[PoolExcerpt] = []
    for done, candidate in enumerate(candidates, 1):
        movement, excerpt = candidate.movement, candidate.excerpt
        if deadline.passed():
            result.drop(deadline.failure(STAGE, movement.id))
            continue
        work = candidate.work
        loudness = candidate.clip.loudness_before_lufs
        record = PoolExcerpt(
            id=movement.id, movement_id=movement.id, work_id=movement.work_id, source_id=candidate.segment.source_id,
            start_s=excerpt.start_s, duration_s=excerpt.duration_s,
            loudness_before_lufs=float(loudness) if loudness is not None else float("nan"),
            playback_gain_db=excerpt.playback_gain_db, excerpt_sha256=excerpt.sha256, excerpt_file=excerpt.file,
            ensemble=work.ensemble if work else None, tempo_tag=movement.tempo_tag,
            composer=work.composer if work else None, rms_dbfs=excerpt.rms_dbfs, onset_rate_hz=excerpt.onset_rate_hz,
            silver_arousal=arousal_score(excerpt.rms_dbfs, excerpt.onset_rate_hz, movement.tempo_tag),
            silver_valence=text_emotion(movement.text, model).valence)
        result.add(record)
        pool.append(record)
        if on_progress is not None:
            on_progress(done, len(candidates))
    return pool


def _extend_triplets(pool: Sequence[PoolExcerpt], paths: AnnotationPaths, seed: int, version: str | None,
                     config: AnnotationConfig, result: StageResult) -> list[Triplet]:
    """All triplets: those of the file, then the new ones (appended to it). [] when the file is unreadable."""
    try:
        existing = read_triplets(paths.triplets)
    except (ValueError, OSError) as exc:  # RecordError is a ValueError
        result.drop(Failure(stage=STAGE, item_id=str(paths.triplets), code="triplets_unreadable",
                            reason=f"{paths.triplets}: cannot be read, left as it is; no pair is published this time "
                                   f"({str(exc).splitlines()[0]})"))
        return []
    stratum = config.triplets.stratum
    strata = {e.movement_id: getattr(e, stratum) for e in pool}
    new = draw_triplets(existing, [e.movement_id for e in pool], strata, seed=seed, version=version,
                        params=config.triplets)
    try:
        append_triplets(paths.triplets, new)
    except (RecordError, OSError) as exc:
        result.drop(Failure(stage=STAGE, item_id=str(paths.triplets), code="triplets_unwritable",
                            reason=f"{paths.triplets}: the new triplets could not be appended ({exc})"))
        return existing
    result.counts["triplets_new"] = len(new)
    return [*existing, *new]


def _human_judgments(paths: AnnotationPaths, triplets: Sequence[Triplet], result: StageResult) -> list[Judgment]:
    """The stored human judgments of known pairs; others are counted (``judgments_ignored``) and reported once."""
    if not paths.judgments.exists():
        return []
    try:
        stored = JudgmentStore(paths.judgments).all()
    except StoreError as exc:
        result.drop(Failure(stage=STAGE, item_id=str(paths.judgments), code="judgments_unreadable",
                            reason=f"{exc}; the release carries silver labels only"))
        return []
    pairs = {t.id: {frozenset(p) for p in t.pairs()} for t in triplets}
    kept = [j for j in stored if j.source == "human" and frozenset((j.a, j.b)) in pairs.get(j.triplet_id, ())]
    ignored = len(stored) - len(kept)
    if ignored:
        result.counts["judgments_ignored"] = ignored
        log.warning("annotate: %d judgment(s) in %s name no pair of the triplets; ignored", ignored, paths.judgments)
    return kept


def _scores(pool: Sequence[PoolExcerpt], movements: Sequence[Movement],
            model: EmotionModel) -> Mapping[str, tuple[float | None, float | None]]:
    """movement id -> (silver arousal, silver valence): the pool's, else (a triplet's movement that left the
    pool) the valence of its text when it is still in the build."""
    scores: dict[str, tuple[float | None, float | None]] = {
        m.id: (None, text_emotion(m.text, model).valence) for m in movements if m.text}
    scores.update({e.movement_id: (e.silver_arousal, e.silver_valence) for e in pool})
    return scores


__all__ = ["STAGE", "AnnotationConfig", "prepare_annotations"]
