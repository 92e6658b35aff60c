"""Listening excerpts for the annotation page, rendered with pydub and kept in a content-addressed cache.

For one pool candidate: load only the excerpt from the downloaded file (:func:`load_excerpt`: ffmpeg seeks
in the input, so an excerpt late in an hour-long video costs what one at its start does, and writes a WAV
that pydub reads as an ``AudioSegment``; ``AudioSegment.from_file(path, start_second=...)`` would decode
everything before the excerpt and probe the file first), measure it (integrated loudness as the
features stage measures it, on the mono mean of the channels; RMS level and onset rate for the silver
arousal labels), apply one gain that brings it to ``target_lufs`` (lowered if the sample peak would
pass ``peak_ceiling_dbfs``; that gain is the excerpt's ``playback_gain_db``), fade in and out briefly
so no excerpt starts or stops with a click, and export it to a format every browser plays: Ogg/Opus,
or MP3 when the ffmpeg at hand has no Opus encoder.

Cache: the file is ``excerpts/<key>.<ext>`` where the key hashes the media's sha256, the excerpt's span
in it, the render parameters and :data:`RENDER_VERSION`; a sidecar ``<key>.json`` written last (the
completion marker) records the file's sha256 and the measurements. A rerun reuses a file only when its
sidecar is there and the file still hashes to the recorded sha256; anything else is rendered again
(with a warning), never reused silently. ffmpeg is asked for bit-exact output, so rendering the same
excerpt again gives the same bytes.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydub import AudioSegment
from pydub.exceptions import CouldntDecodeError, CouldntEncodeError

from earsense_m2t.annotation.pool import Candidate
from earsense_m2t.annotation.silver import onset_rate_hz, rms_dbfs
from earsense_m2t.features.loudness import integrated_loudness
from earsense_m2t.media.decode import ffmpeg_binary
from earsense_m2t.schemas.io import atomic_path, atomic_write_text, content_key, sha256_file

log = logging.getLogger(__name__)

#: bump when the same inputs and parameters would give another file (it is part of the cache key)
RENDER_VERSION = 2  # 2: loaded by input seek at the render rate (was: pydub's output seek)
#: decoding starts this much before an excerpt, for the decoder to settle (see load_excerpt)
PREROLL_S = 0.5
#: the measurements and the gain are taken on the mono mean at this rate (as cheap as it is accurate enough)
MEASURE_RATE_HZ = 22050
#: what loading or exporting one excerpt may raise besides pydub's own errors (ffprobe's output parsed, files)
_AUDIO_ERRORS: tuple[type[Exception], ...] = (OSError, ValueError, IndexError, KeyError, subprocess.SubprocessError)


@dataclass(frozen=True, kw_only=True)
class RenderParams:
    """How an excerpt is rendered for playback; every field is part of the cache key."""

    #: the loudness every excerpt is played at (EBU R128's -23 LUFS, measured on the mono mean as the
    #: features stage measures clips: a stereo excerpt sounds about 3 dB louder than that figure)
    target_lufs: float = -23.0
    #: the gain stops where the excerpt's sample peak would reach this (no limiter touches the signal)
    peak_ceiling_dbfs: float = -1.0
    fade_s: float = 0.5  # fade in and out; at most a quarter of a short excerpt
    sample_rate_hz: int = 48000  # Opus runs at 48 kHz
    #: None: as the source, at most 2 (a mono recording stays mono: the browser plays it on both sides as it
    #: would play a copied stereo file, and Opus encodes it in two thirds of the time)
    channels: int | None = None
    opus_bitrate: str = "96k"  # transparent enough for judging energy and mood, ~360 kB per 30 s
    mp3_bitrate: str = "128k"
    #: "auto": Ogg/Opus when ffmpeg has libopus, else MP3; or force "ogg" / "mp3"
    format: str = "auto"

    def cache_fields(self, fmt: str) -> dict[str, Any]:
        return {**asdict(self), "format": fmt}


@dataclass(frozen=True)
class Rendered:
    """One excerpt file and what was measured on it before the playback gain."""

    file: str  # name under excerpts/
    sha256: str
    playback_gain_db: float
    loudness_lufs: float | None  # the excerpt's own integrated loudness before the gain (None: silent)
    rms_dbfs: float | None
    onset_rate_hz: float | None
    duration_s: float  # as decoded
    reused: bool = False


class RenderError(RuntimeError):
    """An excerpt could not be rendered (unreadable media, ffmpeg failure); names the movement and the file."""


@functools.lru_cache(maxsize=1)
def has_opus_encoder() -> bool:
    """Whether this ffmpeg can encode Opus (Debian's can; a minimal static build may not)."""
    try:
        out = subprocess.run([ffmpeg_binary(), "-hide_banner", "-encoders"], capture_output=True, text=True,
                             timeout=30, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return any(line.split()[1:2] == ["libopus"] for line in out.splitlines() if line.strip())


def output_format(params: RenderParams) -> str:
    if params.format in ("ogg", "mp3"):
        return params.format
    if params.format != "auto":
        raise ValueError(f"RenderParams.format must be 'auto', 'ogg' or 'mp3', got {params.format!r}")
    return "ogg" if has_opus_encoder() else "mp3"


def excerpt_key(candidate: Candidate, params: RenderParams, fmt: str) -> str:
    return content_key(candidate.media.sha256, round(candidate.media_start_s, 3), round(candidate.duration_s, 3),
                       params.cache_fields(fmt), RENDER_VERSION)


def render_excerpt(candidate: Candidate, excerpts_dir: Path, params: RenderParams = RenderParams()) -> Rendered:
    """The candidate's excerpt file under ``excerpts_dir``: the cached one if verified, else rendered now.

    Raises :class:`RenderError` naming the movement and the media file when it cannot be rendered.
    """
    fmt = output_format(params)
    key = excerpt_key(candidate, params, fmt)
    target = Path(excerpts_dir) / f"{key}.{fmt}"
    sidecar = target.with_suffix(".json")
    cached = _cached(target, sidecar)
    if cached is not None:
        return cached
    try:
        segment = load_excerpt(candidate.media.path, candidate.media_start_s, candidate.duration_s,
                               params.sample_rate_hz, Path(excerpts_dir))
    except (*_AUDIO_ERRORS, CouldntDecodeError) as exc:
        raise RenderError(f"{candidate.movement.id}: cannot load {candidate.duration_s:g} s at "
                          f"{candidate.media_start_s:g} s of {candidate.media.path}: {_first_line(exc)}") from exc
    if len(segment) == 0:
        raise RenderError(f"{candidate.movement.id}: {candidate.media.path} gave no audio at {candidate.media_start_s:g} s")
    mono = _mono_samples(segment)
    loudness = integrated_loudness(mono, MEASURE_RATE_HZ)
    loudness_lufs = round(float(loudness), 3) if math.isfinite(loudness) else None
    gain_db = playback_gain(loudness_lufs, segment.max_dBFS, params)
    fade_ms = int(min(params.fade_s * 1000, len(segment) / 4))
    out = (segment.set_frame_rate(params.sample_rate_hz).set_channels(params.channels or min(segment.channels, 2))
           .apply_gain(gain_db).fade_in(fade_ms).fade_out(fade_ms))
    codec, bitrate = ("libopus", params.opus_bitrate) if fmt == "ogg" else ("libmp3lame", params.mp3_bitrate)
    try:
        with atomic_path(target) as tmp:
            out.export(str(tmp), format=fmt, codec=codec, bitrate=bitrate,
                       parameters=["-fflags", "+bitexact", "-flags:a", "+bitexact", "-map_metadata", "-1"]).close()
    except (*_AUDIO_ERRORS, CouldntEncodeError) as exc:
        raise RenderError(f"{candidate.movement.id}: ffmpeg could not export {target.name}: {_first_line(exc)}") from exc
    rendered = Rendered(file=target.name, sha256=sha256_file(target), playback_gain_db=gain_db,
                        loudness_lufs=loudness_lufs, rms_dbfs=rms_dbfs(mono),
                        onset_rate_hz=onset_rate_hz(mono, MEASURE_RATE_HZ), duration_s=round(len(segment) / 1000, 3))
    record = {k: v for k, v in asdict(rendered).items() if k != "reused"}
    atomic_write_text(sidecar, json.dumps({"key": key, **record}, indent=1, sort_keys=True))  # last: completion marker
    return rendered


def load_excerpt(path: str | Path, start_s: float, duration_s: float, sample_rate_hz: int,
                 scratch_dir: Path) -> AudioSegment:
    """``duration_s`` of ``path`` from ``start_s`` as a 16-bit ``AudioSegment`` at ``sample_rate_hz``, mono or
    stereo as the source is (more channels are mixed down to stereo). The WAV in between is written in
    ``scratch_dir`` (under the output root) and removed."""
    scratch_dir.mkdir(parents=True, exist_ok=True)
    # a decoder started at a seek point needs a moment to settle (Opus: ~200 ms of differing samples), so
    # decoding starts up to half a second early and pydub cuts the excerpt out of that
    preroll_s = min(PREROLL_S, start_s)
    with tempfile.NamedTemporaryFile(dir=scratch_dir, prefix=".load-", suffix=".wav") as tmp:
        cmd = [ffmpeg_binary(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
               "-ss", f"{start_s - preroll_s:.6f}", "-t", f"{duration_s + preroll_s:.6f}",
               "-i", f"file:{Path(path).resolve()}",
               "-map", "0:a:0", "-vn", "-af", "aformat=sample_fmts=s16:channel_layouts=mono|stereo",
               "-ar", str(int(sample_rate_hz)), "-f", "wav", tmp.name]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=max(60.0, 4 * duration_s), check=False)
        if proc.returncode != 0:
            raise CouldntDecodeError((proc.stderr.strip().splitlines() or [f"ffmpeg exit {proc.returncode}"])[-1])
        loaded = AudioSegment.from_wav(tmp.name)
    start_ms = round(preroll_s * 1000)
    return loaded[start_ms:start_ms + round(duration_s * 1000)]


def playback_gain(loudness_lufs: float | None, peak_dbfs: float, params: RenderParams) -> float:
    """The one gain (dB) that brings the excerpt to the target, kept below the peak ceiling; 0 for silence."""
    if loudness_lufs is None or not math.isfinite(peak_dbfs):
        return 0.0
    gain = params.target_lufs - loudness_lufs
    return round(min(gain, params.peak_ceiling_dbfs - peak_dbfs), 3)


def _mono_samples(segment: AudioSegment) -> np.ndarray:
    """The mean of the channels at :data:`MEASURE_RATE_HZ`, float32 in [-1, 1] (as the features stage measures)."""
    seg = segment.set_frame_rate(MEASURE_RATE_HZ)
    data = np.asarray(seg.get_array_of_samples(), dtype=np.float32)
    scale = float(1 << (8 * seg.sample_width - 1))
    return (data.reshape(-1, seg.channels).mean(axis=1) / scale).astype(np.float32)


def _cached(target: Path, sidecar: Path) -> Rendered | None:
    if not sidecar.is_file():
        return None
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
        if data.get("key") != target.stem or data.get("file") != target.name:
            raise ValueError("the sidecar is another excerpt's")
        rendered = Rendered(**{k: v for k, v in data.items() if k != "key"}, reused=True)
    except (OSError, ValueError, TypeError) as exc:
        log.warning("annotation: unreadable excerpt sidecar %s (%s); rendering again", sidecar, exc)
        return None
    if not target.is_file():
        log.warning("annotation: cached excerpt %s is missing; rendering again", target)
        return None
    if sha256_file(target) != rendered.sha256:
        log.warning("annotation: cached excerpt %s does not match its recorded sha256; rendering again", target)
        return None
    return rendered


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[-1][:300] if text else type(exc).__name__


__all__ = ["MEASURE_RATE_HZ", "RENDER_VERSION", "RenderError", "RenderParams", "Rendered", "excerpt_key",
           "has_opus_encoder", "output_format", "playback_gain", "render_excerpt"]
