"""Small builds for the annotation stage's tests: real FLAC recordings and the records a build hands on.

Each work's recording is one stereo FLAC holding its movements one after the other; each movement is
a tone at its own frequency and level, with note attacks at its own rate, so the excerpt's place, its
loudness and its onset rate can all be checked on the rendered file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile

from earsense_m2t.features.excerpt import RenderParams, excerpt_window, prepare_excerpt
from earsense_m2t.schemas import Clip, Excerpt, Media, Movement, Segment, Work

RATE = 44100
SHA = "0" * 64


@dataclass(frozen=True)
class MovementAudio:
    duration_s: float
    freq_hz: float = 440.0
    level_db: float = -20.0  # peak level of the tone, dB re full scale
    attacks_hz: float = 2.0  # note attacks per second (0: a steady tone)
    tempo_tag: str | None = "medium"
    text: str | None = None
    loudness_lufs: float = -24.0  # what the Clip says (the pool's admission test)
    flags: tuple[str, ...] = ()


@dataclass
class Build:
    works: list[Work] = field(default_factory=list)
    movements: list[Movement] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    clips: list[Clip] = field(default_factory=list)
    media: list[Media] = field(default_factory=list)
    #: the features stage's excerpts: records only (no files) until :func:`render_excerpts`
    excerpts: list[Excerpt] = field(default_factory=list)


def tone(spec: MovementAudio, rate: int = RATE) -> np.ndarray:
    t = np.arange(int(spec.duration_s * rate)) / rate
    signal = np.sin(2 * np.pi * spec.freq_hz * t)
    if spec.attacks_hz > 0:
        phase = (t * spec.attacks_hz) % 1.0
        signal *= np.exp(-6.0 * phase)  # a struck note every 1/attacks_hz seconds
    return (10 ** (spec.level_db / 20) * signal).astype(np.float32)


def make_build(folder: Path, works: dict[str, list[MovementAudio]], *, ensemble: dict[str, str] | None = None,
               gap_s: float = 1.0) -> Build:
    build = Build()
    folder.mkdir(parents=True, exist_ok=True)
    for work_id, specs in works.items():
        build.works.append(Work(id=work_id, url=f"http://127.0.0.1/{work_id}/", title=work_id, composer=f"C-{work_id}",
                                fetched_at="2026-01-01T00:00:00+00:00", page_sha256=SHA,
                                ensemble=(ensemble or {}).get(work_id, "quartet")))
        parts, t = [], 0.0
        source = f"src-{work_id}"
        sha = (work_id.encode().hex() * 64)[:64]
        for number, spec in enumerate(specs, 1):
            mid = f"{work_id}#{number}"
            build.movements.append(Movement(id=mid, work_id=work_id, number=number, title=f"Movement {number}",
                                            title_source="page", text=spec.text, tempo_tag=spec.tempo_tag,
                                            tempo_source="marking" if spec.tempo_tag else "none"))
            build.segments.append(Segment(id=mid, movement_id=mid, source_id=source, media_sha256=sha, start_s=t,
                                          end_s=t + spec.duration_s, method="chapters", confidence=1.0))
            build.clips.append(Clip(id=mid, movement_id=mid, sample_rate_hz=16000, duration_s=spec.duration_s,
                                    loudness_before_lufs=spec.loudness_lufs, loudness_after_lufs=-23.0,
                                    gain_db=-23.0 - spec.loudness_lufs, true_peak_dbtp=-3.0,
                                    spectrogram_path="unused.npy", spectrogram_frames=1, flags=spec.flags))
            start, length = excerpt_window(spec.duration_s)
            build.excerpts.append(Excerpt(id=mid, movement_id=mid, media_sha256=sha, start_s=start, duration_s=length,
                                          file=f"{mid}.ogg", path=str(folder / f"{mid}.ogg"), sha256=SHA,
                                          playback_gain_db=0.0))
            parts += [tone(spec), np.zeros(int(gap_s * RATE), np.float32)]
            t += spec.duration_s + gap_s
        mono = np.concatenate(parts)
        path = folder / f"{work_id}.flac"
        soundfile.write(path, np.stack([mono, mono], axis=1), RATE, format="FLAC")
        build.media.append(Media(source_id=source, source_url=f"http://127.0.0.1/embed/{source}", path=str(path),
                                 sha256=sha, downloaded_at="2026-01-01T00:00:00+00:00"))
    return build


def render_excerpts(build: Build, excerpts_dir: Path, params: RenderParams) -> Build:
    """The build with real excerpts, rendered as the features stage renders them."""
    media = {m.source_id: m for m in build.media}
    build.excerpts = [e for s in build.segments
                      if (e := prepare_excerpt(s, media[s.source_id], excerpts_dir, params)) is not None]
    return build
