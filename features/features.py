"""The features stage: a movement's span of a downloaded recording becomes a ``Clip``.

For each ``Segment``: decode ``[start_s, end_s)`` to 16 kHz mono float32 (one copy in memory), measure
integrated loudness and true peak, choose the gain to −23 LUFS under a −1 dBTP ceiling, write the
log spectrogram of the normalized signal to ``<derived_dir>/<key[:2]>/<key>.npy`` (float16,
``(frames, bins)``) and the measurements to ``<key>.json`` beside it, then derive the quality flags.

**One decode serves every file of a movement.** The same ffmpeg process that streams the 16 kHz mono
samples also writes, through taps of its filter graph (:class:`earsense_m2t.media.decode.Tap`), the listening
excerpt's span at 48 kHz (mono or stereo as the source) for :mod:`.excerpt` to render (an ``Excerpt`` record,
given ``excerpts_dir``; it is measured on its span of the 16 kHz samples), and, with ``audio``
(``build --audio``) at a rate other than 16 kHz, the movement at that rate. The exported audio at 16 kHz is
written from the decoded samples, block by block with the gain.

**Where the samples live.** ffmpeg writes the 16 kHz mono samples to a raw float32 file beside the clip's outputs
(``spill``, :class:`earsense_m2t.media.decode.SampleFile`), removed when the clip is done or fails. A movement up to
:data:`MAPPED_MAX_S` is mapped whole, which costs no copy (reading them from a pipe into an array cost a copy and the
array's page faults); a longer one is read a slice at a time by every measurement and the spectrogram, in the same
order and with the same arithmetic, so its files are the same as if it had been mapped while the worker holds a few
MB of it, not 230 MB for 60 minutes. Peak memory is at most :data:`MAPPED_MAX_S` of samples plus the excerpt's 30 s.

The key is ``content_key(media sha256, start, end, parameters, PROCESSING_VERSION)``, so the same input
with the same code and parameters always lands on the same files. The sidecar is written last and is
the completion marker; it also records each derived file's byte size, shape and sha256
(:func:`describe_file`). A clip is read back without decoding (a rerun does no work) only when its
files match that record (:func:`verify_file`); a changed, truncated or missing file, or a sidecar
that records no checksum (one written before checksums were kept), is recomputed with a warning,
never silently reused. Publish checks the same record before it publishes an array
(:func:`verify_spectrogram`). Both files are written under a temporary name and renamed, so a killed
run leaves nothing half-written. Quality flags are not cached: they are re-evaluated from the
sidecar on every call, so new thresholds or expected durations never force a re-decode.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import soundfile

from earsense_m2t.features.excerpt import (
    ExcerptPlan,
    Rendered,
    RenderError,
    RenderParams,
    cached_excerpt,
    excerpt_samples,
    plan_excerpt,
    render_from_wav,
)
from earsense_m2t.features.loudness import Loudness, NonFiniteAudio, check_finite, measure_loudness
from earsense_m2t.features.params import PROCESSING_VERSION, AudioExport, AudioParams
from earsense_m2t.features.quality import ClipMeasurements, clipped_fraction, quality_flags
from earsense_m2t.features.spectrogram import DTYPE, n_frames, output_bins, write_spectrogram
from earsense_m2t.media.decode import DecodeError, SampleFile, Samples, Tap, decode_mono, spill_path
from earsense_m2t.schemas import Clip, Deadline, Excerpt, Failure, Media, Movement, Segment, StageResult
from earsense_m2t.schemas.io import (
    DiskFull,
    atomic_path,
    atomic_write_text,
    content_key,
    describe_file,
    disk_full,
    verify_file,
)
from earsense_m2t.schemas.results import FLAG_NOTE_PREFIX
from earsense_m2t.schemas.stages import Stage

log = logging.getLogger(__name__)

STAGE = Stage.FEATURES
#: problems with one clip's data or files; anything else is a bug and should stop the run
CLIP_ERRORS: tuple[type[Exception], ...] = (DecodeError, RenderError, OSError, ValueError, soundfile.LibsndfileError)
#: samples per block when the gain is applied to an exported file at another rate (bounded memory)
AUDIO_BLOCK = 1 << 18
#: seconds of a movement whose decoded 16 kHz samples are mapped whole (15 minutes: 58 MB resident); a longer
#: movement's are read back a slice at a time, so no movement costs a worker more (a 60-minute one would be 230 MB);
#: mapping saves the slices' copies, which most movements, shorter than this, do not need to pay
MAPPED_MAX_S = 15 * 60.0


@dataclass(frozen=True)
class ClipFiles:
    spectrogram: Path
    sidecar: Path
    audio: Path


def clip_key(media_sha256: str, start_s: float, end_s: float, params: AudioParams = AudioParams()) -> str:
    """Hash of (input, span, parameters that shape the output, code version)."""
    return content_key(media_sha256, round(float(start_s), 3), round(float(end_s), 3), params.cache_fields(),
                       PROCESSING_VERSION)


def clip_files(derived_dir: str | os.PathLike[str], key: str, audio: AudioExport = AudioExport()) -> ClipFiles:
    folder = Path(derived_dir) / key[:2]
    return ClipFiles(spectrogram=folder / f"{key}.npy", sidecar=folder / f"{key}.json",
                     audio=folder / f"{key}{audio.suffix}")


def prepare_clip(segment: Segment, media: Media, *, derived_dir: Path, params: AudioParams = AudioParams(),
                 expected_duration_s: float | None = None, audio: AudioExport | None = None) -> Clip:
    """Return the ``Clip`` of one segment, computing its files only if they are not there yet.

    ``audio`` also keeps the normalized movement as a 16-bit file (``Clip.audio_path``): published only in
    the local ``audio`` config. Data problems raise ``DecodeError`` or ``ValueError`` naming the file and
    the segment.
    """
    return _prepare(segment, media, derived_dir=derived_dir, params=params, expected_duration_s=expected_duration_s,
                    audio=audio).clip


@dataclass(frozen=True)
class _Prepared:
    clip: Clip
    reused: bool
    flag_reasons: tuple[tuple[str, str], ...]  # (flag, why) for each quality flag
    excerpt: Excerpt | None = None


def _prepare(segment: Segment, media: Media, *, derived_dir: Path, params: AudioParams,
             expected_duration_s: float | None, audio: AudioExport | None, excerpts_dir: Path | None = None,
             render: RenderParams = RenderParams()) -> _Prepared:
    if segment.media_sha256 != media.sha256:
        raise ValueError(f"segment {segment.id} was cut from media {segment.media_sha256[:12]}, but {media.path} "
                         f"has sha256 {media.sha256[:12]}: the segments are stale, rerun the segment step")
    if not segment.end_s > segment.start_s >= 0:
        raise ValueError(f"segment {segment.id} of {media.path} has an empty or negative span "
                         f"{segment.start_s}-{segment.end_s} s")
    files = clip_files(derived_dir, clip_key(media.sha256, segment.start_s, segment.end_s, params),
                       audio or AudioExport())
    sidecar = _read_sidecar(files, audio)
    plan = plan_excerpt(segment, excerpts_dir, render) if excerpts_dir is not None else None
    rendered = cached_excerpt(plan) if plan is not None else None
    reused = True
    if sidecar is None or (plan is not None and rendered is None):
        # a missing excerpt decodes the movement again: a tap of that decode is the only way an excerpt is cut
        reused = False
        sidecar, rendered = _compute(segment, media, files, params, audio, plan, render)
    clip, flags = _clip_from_sidecar(segment, sidecar, files, params, expected_duration_s, audio)
    excerpt = plan.record(rendered) if plan is not None and rendered is not None else None
    return _Prepared(clip=clip, reused=reused, flag_reasons=tuple(flags), excerpt=excerpt)


def prepare_clips(segments: Iterable[Segment], media: Iterable[Media], movements: Iterable[Movement] = (), *,
                  derived_dir: Path, params: AudioParams = AudioParams(), audio: AudioExport | None = None,
                  excerpts_dir: Path | None = None, render: RenderParams = RenderParams(),
                  deadline: Deadline = Deadline()) -> StageResult:
    """Clips for all segments; a clip that fails becomes a ``Failure`` and the rest go on.

    A movement's ``expected_duration_s`` (from the page or an album) sets the ``duration_mismatch``
    flag. Every quality flag is kept with its reason in ``notes["flag:<name>"]`` ("<id>: <why>").
    With ``excerpts_dir`` every segment of at least ``render.min_duration_s`` also gets its listening
    excerpt there (an ``Excerpt`` record), cut from the same decode; with ``audio`` every clip keeps its
    normalized audio (``Clip.audio_path``).
    """
    media_by_source = {m.source_id: m for m in media}
    expected = {m.id: m.expected_duration_s for m in movements if m.expected_duration_s}
    result = StageResult(stage=STAGE)
    for segment in segments:
        if deadline.passed():
            result.drop(deadline.failure(STAGE, segment.movement_id))
            continue
        medium = media_by_source.get(segment.source_id)
        if medium is None:
            result.drop(Failure(stage=STAGE, item_id=segment.movement_id, code="no_media",
                                reason=f"no downloaded media for source {segment.source_id!r}"))
            continue
        try:
            prepared = _prepare(segment, medium, derived_dir=derived_dir, params=params,
                                expected_duration_s=expected.get(segment.movement_id), audio=audio,
                                excerpts_dir=excerpts_dir, render=render)
        except DiskFull as exc:  # not this clip's fault, and every later clip would fail the same way: stop
            raise exc.in_stage(STAGE) from None
        except CLIP_ERRORS as exc:
            full = disk_full(exc, derived_dir, stage=STAGE)
            if full is not None:
                raise full from exc
            text = str(exc)
            reason = text if medium.path in text else f"{medium.path}: {text}"
            log.warning("features: %s failed: %s", segment.movement_id, reason)
            code = ("decode_failed" if isinstance(exc, DecodeError) else
                    NonFiniteAudio.code if isinstance(exc, NonFiniteAudio) else "clip_failed")
            result.drop(Failure(stage=STAGE, item_id=segment.movement_id, reason=reason, url=medium.source_url,
                                code=code))
            continue
        result.add(prepared.clip, reused=prepared.reused)
        if prepared.excerpt is not None:
            result.records.append(prepared.excerpt)
        for flag, why in prepared.flag_reasons:
            result.note(FLAG_NOTE_PREFIX + flag, f"{segment.movement_id}: {why}")
    return result


def load_spectrogram(clip: Clip, *, mmap: bool = False) -> np.ndarray:
    """The clip's float16 ``(frames, bins)`` array; ``mmap=True`` maps it instead of reading it."""
    path = Path(clip.spectrogram_path)
    try:
        array = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"clip {clip.id}: spectrogram {path} is missing") from exc
    if array.ndim != 2 or array.dtype != np.float16 or array.shape[0] != clip.spectrogram_frames:
        raise ValueError(f"clip {clip.id}: {path} holds {array.dtype} {array.shape}, expected float16 "
                         f"({clip.spectrogram_frames}, bins)")
    return array


# --- internals ------------------------------------------------------------------------------------

def _compute(segment: Segment, media: Media, files: ClipFiles, params: AudioParams, audio: AudioExport | None,
             plan: ExcerptPlan | None, render: RenderParams) -> tuple[dict[str, Any], Rendered | None]:
    """Decode once; write the spectrogram, the excerpt (``plan``) and the exported audio; the sidecar last."""
    rate = params.sample_rate_hz
    taps: list[Tap] = []
    excerpt_tap = plan.tap() if plan is not None else None
    if excerpt_tap is not None:
        excerpt_tap.path.parent.mkdir(parents=True, exist_ok=True)
        taps.append(excerpt_tap)
    audio_tap = None
    if audio is not None and audio.sample_rate_hz != rate:
        audio_tap = Tap(files.audio.with_name(f".tap-{files.audio.stem}.wav"), audio.sample_rate_hz, channels=1,
                        sample_format="flt")
        audio_tap.path.parent.mkdir(parents=True, exist_ok=True)
        taps.append(audio_tap)
    spill = spill_path(files.spectrogram.parent, files.spectrogram.stem, segment.end_s - segment.start_s, rate)
    decoded: SampleFile | None = None
    try:
        decoded = decode_mono(media.path, rate, start_s=segment.start_s, duration_s=segment.end_s - segment.start_s,
                              shortfall_tolerance_s=params.decode_shortfall_tolerance_s, taps=taps, spill=spill)
        samples: Samples = decoded.mapped() if decoded.size <= MAPPED_MAX_S * rate else decoded
        check_finite(samples, f"{media.path} ({segment.start_s:g}-{segment.end_s:g} s)")
        # the excerpt is measured on its span of these samples (before any gain), not on a resampled copy of the tap
        measure = excerpt_samples(plan, samples, rate) if plan is not None else None
        loudness = measure_loudness(samples, params)
        clipped = clipped_fraction(samples, params.clip_level)
        needed = n_frames(samples.shape[0], params.n_fft, params.hop_length) * output_bins(params) * DTYPE.itemsize + 128
        with atomic_path(files.spectrogram, needed=needed) as tmp, tmp.open("wb") as fh:
            frames, bins = write_spectrogram(samples, fh, params, gain=loudness.gain)
        spectrogram = describe_file(files.spectrogram, (frames, bins))
        n_samples = int(samples.shape[0])
        described = None
        if audio is not None and audio_tap is None:
            described = _write_gained(_blocks(samples), samples.shape[0], rate, files.audio, audio, loudness.gain_db)
        # the movement's samples go before the excerpt and the exported audio are rendered, so the peak is the
        # larger of the two phases, not their sum
        del samples
        decoded.close()
        rendered = (render_from_wav(plan, excerpt_tap.path, measure, rate, render)
                    if plan is not None and excerpt_tap is not None and measure is not None else None)
        if audio is not None and audio_tap is not None:
            described = _write_tap_gained(audio_tap.path, files.audio, audio, loudness.gain_db)
    finally:
        if decoded is not None:
            decoded.close()
        spill.unlink(missing_ok=True)
        for tap in taps:
            tap.path.unlink(missing_ok=True)
    sidecar = {
        "processing_version": PROCESSING_VERSION,
        "key": files.sidecar.stem,
        "media_sha256": media.sha256,
        "source_id": media.source_id,
        "start_s": segment.start_s,
        "end_s": segment.end_s,
        "sample_rate_hz": rate,
        "samples": n_samples,
        "duration_s": round(n_samples / rate, 3),
        "loudness": asdict(loudness),
        "clipped_fraction": clipped,
        "spectrogram": {**spectrogram, "frames": frames, "bins": bins, "kind": params.spectrogram_kind},
        "audio_file": files.audio.name if audio is not None else None,
        "audio": described,
        "params": params.cache_fields(),
        "computed_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    atomic_write_text(files.sidecar, json.dumps(sidecar, indent=1, sort_keys=True))  # last: completion marker
    return sidecar, rendered


def _write_gained(blocks: Iterable[np.ndarray], frames: int, rate: int, target: Path, audio: AudioExport,
                  gain_db: float) -> dict[str, Any]:
    """``frames`` mono samples, given block by block, times the gain, as a 16-bit ``audio.format`` file (a block at a
    time bounds what a long movement costs, and the mapped samples are read-only)."""
    gain = np.float32(10.0 ** (gain_db / 20.0))
    with atomic_path(target, needed=frames * 2) as tmp, soundfile.SoundFile(
            tmp, "w", samplerate=rate, channels=1, format=audio.format.upper(), subtype="PCM_16") as dst:
        for block in blocks:
            dst.write(block * gain if gain_db != 0.0 else block)
    return describe_file(target, (frames,))


def _blocks(samples: Samples) -> Iterator[np.ndarray]:
    for b0 in range(0, samples.shape[0], AUDIO_BLOCK):
        yield samples[b0:b0 + AUDIO_BLOCK]


def _write_tap_gained(source: Path, target: Path, audio: AudioExport, gain_db: float) -> dict[str, Any]:
    """``source`` (a float WAV tap at the export's rate) times the gain, as :func:`_write_gained` writes it."""
    with soundfile.SoundFile(source) as src:
        return _write_gained(src.blocks(blocksize=AUDIO_BLOCK, dtype="float32"), src.frames, src.samplerate, target,
                             audio, gain_db)


def _read_sidecar(files: ClipFiles, audio: AudioExport | None) -> dict[str, Any] | None:
    """The stored measurements if the clip is complete and its files are the ones the sidecar records,
    else None (it is then recomputed)."""
    if not files.sidecar.is_file():
        return None
    try:
        data = json.loads(files.sidecar.read_text(encoding="utf-8"))
        Loudness(**data["loudness"])
        _ = (data["spectrogram"]["frames"], data["duration_s"], data["clipped_fraction"], data["sample_rate_hz"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("%s: unreadable sidecar (%s); recomputing", files.sidecar, exc)
        return None
    if data.get("processing_version") != PROCESSING_VERSION or data.get("key") != files.sidecar.stem:
        log.warning("%s: sidecar from another version or key; recomputing", files.sidecar)
        return None
    if "gated_fraction" not in data["loudness"]:  # written before the sparse flag's measurement was kept
        log.info("%s: sidecar without the gated fraction; recomputing in place", files.sidecar)
        return None
    problem = verify_file(files.spectrogram, data["spectrogram"])
    if problem is None and audio is not None:
        problem = verify_file(files.audio, data.get("audio"))
    if problem is not None:
        log.warning("features: cached %s; recomputing", problem)
        return None
    if [data["spectrogram"]["frames"], data["spectrogram"].get("bins")] != data["spectrogram"]["shape"]:
        log.warning("%s: the sidecar's frames and bins disagree with its shape; recomputing", files.sidecar)
        return None
    return data


def _clip_from_sidecar(segment: Segment, sidecar: dict[str, Any], files: ClipFiles, params: AudioParams,
                       expected_duration_s: float | None, audio: AudioExport | None) -> tuple[Clip, list[tuple[str, str]]]:
    loudness = Loudness(**sidecar["loudness"])
    measurements = ClipMeasurements(duration_s=sidecar["duration_s"], loudness_lufs=loudness.before_lufs,
                                    clipped_fraction=sidecar["clipped_fraction"], loudness_note=loudness.unmeasured,
                                    expected_duration_s=expected_duration_s, gated_fraction=loudness.gated_fraction)
    flags = quality_flags(measurements, params)
    for flag, reason in flags:
        log.info("features: %s flagged %s: %s", segment.movement_id, flag, reason)
    clip = Clip(id=segment.id, movement_id=segment.movement_id, sample_rate_hz=sidecar["sample_rate_hz"],
                duration_s=sidecar["duration_s"], loudness_before_lufs=loudness.before_lufs,
                loudness_after_lufs=loudness.after_lufs, gain_db=loudness.gain_db,
                true_peak_dbtp=loudness.true_peak_dbtp, spectrogram_path=str(files.spectrogram),
                spectrogram_frames=int(sidecar["spectrogram"]["frames"]), flags=tuple(flag for flag, _ in flags),
                audio_path=str(files.audio) if audio is not None else None,
                audio_sha256=sidecar["audio"]["sha256"] if audio is not None else None)
    return clip, list(flags)


__all__ = ["CLIP_ERRORS", "ClipFiles", "clip_files", "clip_key", "load_spectrogram", "prepare_clip", "prepare_clips"]
