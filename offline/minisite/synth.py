"""Deterministic "performances" for the mini site: music-like audio whose ground truth is known.

Each movement is a melody over a bass line in the work's key and mode, at a tempo drawn from its
tempo class, with articulation to match (legato long notes when slow, short detached notes when fast)
and a timbre per ensemble (bowed-string saw with vibrato, decaying piano partials, odd-harmonic
winds). Every random choice comes from a generator seeded by (work slug, recording, movement), so the
same spec always gives the same samples. Loudness is set per movement with pyloudnorm so recordings
differ in level (the features stage has normalisation work to do) without clipping.

Synthesis runs at 24 kHz with wavetable oscillators (one numpy expression per note, no per-sample
Python loops); ffmpeg resamples to 48 kHz when encoding.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache

import numpy as np
import pyloudnorm

from earsense_m2t.offline.minisite.catalogue import MovementSpec, VideoSpec

# Bump when the output of any function below changes: media caches are keyed on it.
SYNTH_VERSION = "2"
SR = 24_000
BPM_RANGES: dict[str, tuple[int, int]] = {
    "slow": (48, 66),
    "medium": (76, 100),
    "fast": (120, 150),
    "super_fast": (160, 200),
}
DEFAULT_CLASS = "medium"  # a movement without a tempo word is played at a moderate pace
# Note lengths in beats and how much of each note sounds (1.0 = legato).
NOTE_BEATS: dict[str, tuple[float, ...]] = {
    "slow": (1.0, 1.0, 1.5, 2.0, 2.0, 3.0),
    "medium": (0.5, 1.0, 1.0, 1.0, 2.0),
    "fast": (0.5, 0.5, 0.5, 1.0, 0.25),
    "super_fast": (0.25, 0.25, 0.5, 0.5, 1.0),
}
ARTICULATION: dict[str, float] = {"slow": 1.03, "medium": 0.85, "fast": 0.55, "super_fast": 0.45}
# Quieter slow movements and louder fast ones, as in real recordings.
CLASS_LEVEL_OFFSET_DB: dict[str, float] = {"slow": -2.0, "medium": 0.0, "fast": 0.5, "super_fast": 1.0}
PEAK_LIMIT = 10 ** (-1.0 / 20)  # never above -1 dBFS
NOISE_FLOOR = 10 ** (-80 / 20)  # hiss under everything, including the gaps between movements
TAIL_S = 0.4  # near-silence at the end of each movement (inside its duration)

_PITCH_CLASSES = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_MAJOR = (0, 2, 4, 5, 7, 9, 11)
_MINOR = (0, 2, 3, 5, 7, 8, 11)  # harmonic minor: the leading tone makes cadences sound right
_PROGRESSIONS = ((0, 3, 4, 0), (0, 5, 3, 4), (0, 4, 5, 3), (0, 1, 4, 0), (0, 3, 0, 4))
_TABLE_N = 4096


def pitch_class(key: str) -> int:
    """'E-flat' → 3, 'F-sharp' → 6."""
    base, _, accidental = key.partition("-")
    pc = _PITCH_CLASSES[base[0].upper()]
    if accidental == "flat":
        pc -= 1
    elif accidental == "sharp":
        pc += 1
    return pc % 12


def seed_for(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256("|".join(map(str, parts)).encode()).digest()[:8], "little")


def render_params(video: VideoSpec) -> dict[str, object]:
    """Exactly the inputs the audio depends on (titles and descriptions are left out on purpose)."""
    return {
        "synth_version": SYNTH_VERSION,
        "sr": SR,
        "work_slug": video.work_slug,
        "recording_index": video.recording_index,
        "movements": [
            {"number": m.number, "tempo_class": m.tempo_class, "duration_s": m.duration_s} for m in video.movements
        ],
        "key": video.key,
        "mode": video.mode,
        "timbre": list(video.timbre),
        "level_lufs": video.level_lufs,
        "gap_s": video.gap_s,
    }


def params_hash(video: VideoSpec) -> str:
    return hashlib.sha256(json.dumps(render_params(video), sort_keys=True).encode()).hexdigest()


@cache
def _table(kind: str) -> np.ndarray:
    """One band-limited period of each timbre (melody stays below 900 Hz, so 12 partials never alias)."""
    phase = np.arange(_TABLE_N) / _TABLE_N
    k = np.arange(1, 13)[:, None]
    amps: np.ndarray
    if kind == "strings":
        amps = 1.0 / k
    elif kind == "winds":
        amps = np.where(k % 2 == 1, 1.0 / k, 0.08 / k)
    elif kind == "piano_bright":
        amps = 1.0 / k**1.3
    elif kind == "piano_dull":
        amps = np.where(k <= 3, 1.0 / k**2, 0.0)
    else:
        raise ValueError(f"unknown timbre {kind!r}")
    wave = (amps * np.sin(2 * np.pi * k * phase[None, :])).sum(axis=0)
    return (wave / np.abs(wave).max()).astype(np.float32)


def _note(kind: str, freq: float, length_s: float, rng: np.random.Generator, tempo_class: str) -> np.ndarray:
    """One note (with its release tail) in the given timbre."""
    release = 0.06 if kind == "piano" else (0.15 if tempo_class == "slow" else 0.05)
    n = int((length_s + release) * SR)
    t = np.arange(n, dtype=np.float64) / SR
    start_phase = rng.random()
    if kind == "piano":
        ph = freq * t + start_phase
        idx = ((ph % 1.0) * _TABLE_N).astype(np.int32)
        bright = np.exp(-t / 0.25)
        wave = bright * _table("piano_bright")[idx] + (1 - bright) * _table("piano_dull")[idx]
        tau = float(np.clip(1.6 - freq / 600.0, 0.4, 1.6))
        env = np.exp(-t / tau) * np.minimum(1.0, t / 0.004)
    else:
        vib_rate = 5.5 if kind == "strings" else 4.6
        vib_depth = 0.005 if kind == "strings" else 0.002
        # vibrato fades in after the attack, as players do
        depth = vib_depth * np.minimum(1.0, t / 0.25)
        ph = freq * t + start_phase + depth * freq / (2 * np.pi * vib_rate) * (1 - np.cos(2 * np.pi * vib_rate * t))
        idx = ((ph % 1.0) * _TABLE_N).astype(np.int32)
        wave = _table(kind)[idx].astype(np.float64)
        attack = {"slow": 0.12, "medium": 0.06, "fast": 0.02, "super_fast": 0.012}[tempo_class]
        env = np.minimum(1.0, t / attack)
    # note-off: a short linear release after the sounding length
    off = int(length_s * SR)
    if off < n:
        env[off:] *= np.linspace(1.0, 0.0, n - off)
    return (wave * env).astype(np.float32)


def _midi_to_hz(m: float) -> float:
    return 440.0 * 2 ** ((m - 69) / 12)


def _plan(seed_text: str, movement: MovementSpec) -> tuple[np.random.Generator, float, int]:
    rng = np.random.default_rng(seed_for(seed_text, movement.number))
    lo, hi = BPM_RANGES[movement.tempo_class or DEFAULT_CLASS]
    bpm = float(rng.uniform(lo, hi))
    beats_per_bar = 3 if rng.random() < 0.35 else 4
    return rng, bpm, beats_per_bar


def planned_tempo(seed_text: str, movement: MovementSpec) -> tuple[float, int]:
    """(beats per minute, beats per bar) that :func:`render_movement` plays ``movement`` at with this seed text."""
    _, bpm, beats_per_bar = _plan(seed_text, movement)
    return bpm, beats_per_bar


def movement_bpm(video: VideoSpec, number: int) -> float:
    """The tempo the synth plays movement ``number`` of this video at (ground truth for tempo tests)."""
    movement = next(m for m in video.movements if m.number == number)
    return _plan(_seed_text(video), movement)[1]


def _seed_text(video: VideoSpec) -> str:
    return f"{video.work_slug}|{video.recording_index}"


def render_movement(
    seed_text: str, movement: MovementSpec, key: str, mode: str, timbre: tuple[str, str]
) -> np.ndarray:
    """Exactly ``movement.duration_s * SR`` samples, peak-normalised (levels are set by the caller)."""
    rng, bpm, beats_per_bar = _plan(seed_text, movement)
    cls = movement.tempo_class or DEFAULT_CLASS
    beat = 60.0 / bpm
    n = int(movement.duration_s * SR)
    out = np.zeros(n + SR, dtype=np.float32)  # one second of headroom for release tails
    scale = _MAJOR if mode == "major" else _MINOR
    tonic = 60 + pitch_class(key)
    if tonic > 66:
        tonic -= 12
    melody_kind, accomp_kind = timbre
    end_music = movement.duration_s - TAIL_S - 2.5  # leave room for the final held chord

    def degree_to_midi(deg: int, base: int) -> int:
        octave, step = divmod(deg, 7)
        return base + 12 * octave + scale[step]

    def add(kind: str, midi: float, start: float, length: float, gain: float) -> None:
        note = _note(kind, _midi_to_hz(midi), length, rng, cls)
        s = int(start * SR)
        e = min(s + len(note), len(out))
        out[s:e] += gain * note[: e - s]

    # --- bass / accompaniment: one chord per bar, pattern by tempo class
    prog = _PROGRESSIONS[int(rng.integers(len(_PROGRESSIONS)))]
    bar_len = beats_per_bar * beat
    bar_starts = np.arange(0.05, end_music, bar_len)
    chords = [prog[i % len(prog)] for i in range(len(bar_starts))]
    art = ARTICULATION[cls]
    for b0, root in zip(bar_starts, chords, strict=False):
        bass_midi = degree_to_midi(root, tonic - 24)
        if cls == "slow":
            add(accomp_kind, bass_midi, b0, bar_len * 1.02, 0.5)
            add(accomp_kind, degree_to_midi(root + 2, tonic - 12), b0, bar_len * 1.02, 0.22)
        elif cls == "medium":
            for j in range(0, beats_per_bar, 2):
                add(accomp_kind, bass_midi, b0 + j * beat, min(2, beats_per_bar - j) * beat * art, 0.5)
                add(accomp_kind, degree_to_midi(root + 2, tonic - 12), b0 + (j + 1) * beat, beat * art, 0.2)
        else:
            for j in range(beats_per_bar):
                m = bass_midi if j % 2 == 0 else degree_to_midi(root + 4, tonic - 24)
                add(accomp_kind, m, b0 + j * beat, beat * art, 0.5)

    # --- melody: a random walk over the scale that leans on chord tones at bar lines
    palette = NOTE_BEATS[cls]
    deg = int(rng.integers(2, 6))
    tb = 0.0  # position in beats: note lengths are multiples of 1/4 beat, so bar lines are exact
    while 0.05 + tb * beat < end_music:
        t = 0.05 + tb * beat
        length_beats = float(palette[int(rng.integers(len(palette)))])
        bar_index = min(int(tb // beats_per_bar), len(chords) - 1)
        if tb % beats_per_bar == 0:
            chord_tones = [chords[bar_index] + i for i in (0, 2, 4, 7)]
            deg = min(chord_tones, key=lambda c: abs(c - deg))
        else:
            step = int(rng.choice((-2, -1, -1, 1, 1, 2, 3, -3)))
            deg = int(np.clip(deg + step, 0, 11))
        length = min(length_beats * beat, end_music - t)
        add(melody_kind, degree_to_midi(deg, tonic), t, max(length * art, 0.05), 0.8)
        tb += length_beats

    # --- final tonic chord, held, then the tail
    # (the melody was cut at end_music, so the chord starts there: no hole before the last chord)
    t_final = end_music
    final_len = movement.duration_s - TAIL_S - end_music - 0.1
    add(melody_kind, degree_to_midi(7, tonic), t_final, final_len, 0.7)
    add(accomp_kind, degree_to_midi(0, tonic - 24), t_final, final_len, 0.5)
    add(accomp_kind, degree_to_midi(2, tonic - 12), t_final, final_len, 0.25)

    audio = out[:n]
    # gentle phrase-level dynamics (four-bar swells) and fades at both ends
    tt = np.arange(n, dtype=np.float64) / SR
    phrase = 4 * bar_len
    audio = audio * (0.78 + 0.22 * np.sin(2 * np.pi * tt / phrase + rng.uniform(0, 2 * np.pi))).astype(np.float32)
    fade_in = min(n, int(0.05 * SR))
    audio[:fade_in] *= np.linspace(0.0, 1.0, fade_in, dtype=np.float32)
    tail = int(TAIL_S * SR)
    fade = int(1.0 * SR)
    audio[n - tail - fade : n - tail] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
    audio[n - tail :] = 0.0
    peak = float(np.abs(audio).max())
    return audio / peak * 0.5 if peak > 0 else audio


_METER = pyloudnorm.Meter(SR)


def set_loudness(audio: np.ndarray, target_lufs: float) -> np.ndarray:
    """Scale to the target integrated loudness, backing off if that would peak above -1 dBFS."""
    current = _METER.integrated_loudness(audio.astype(np.float64))
    gain = 10 ** ((target_lufs - current) / 20)
    peak = float(np.abs(audio).max()) * gain
    if peak > PEAK_LIMIT:
        gain *= PEAK_LIMIT / peak
    return (audio * gain).astype(np.float32)


def render_video(video: VideoSpec) -> np.ndarray:
    """The whole video's samples at ``SR``: movements at their levels, ``gap_s`` of near-silence between."""
    seed_text = _seed_text(video)
    parts: list[np.ndarray] = []
    gap = np.zeros(int(video.gap_s * SR), dtype=np.float32)
    for i, m in enumerate(video.movements):
        raw = render_movement(seed_text, m, video.key, video.mode, video.timbre)
        level = video.level_lufs + CLASS_LEVEL_OFFSET_DB[m.tempo_class or DEFAULT_CLASS]
        parts.append(set_loudness(raw, level))
        if i < len(video.movements) - 1:
            parts.append(gap)
    audio = np.concatenate(parts)
    rng = np.random.default_rng(seed_for(seed_text, "noise", video.index))
    audio = audio + (NOISE_FLOOR * rng.standard_normal(len(audio))).astype(np.float32)
    expected = video.duration_s * SR
    if len(audio) != expected:
        raise RuntimeError(f"{video.video_id}: rendered {len(audio)} samples, expected {expected}")
    return audio


__all__ = [
    "SR",
    "SYNTH_VERSION",
    "BPM_RANGES",
    "movement_bpm",
    "planned_tempo",
    "render_movement",
    "render_video",
    "render_params",
    "params_hash",
    "set_loudness",
    "pitch_class",
]
