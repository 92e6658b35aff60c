"""Silence-based movement boundaries on synthetic signals whose gaps are known to the frame."""

from __future__ import annotations

import time

import numpy as np
import pytest

from earsense_m2t.segment.silence import FLOOR_DB, energy_envelope_db, find_movement_boundaries

SR = 16_000

# A signal is a list of parts: ("music", seconds, dB RMS), ("gap", seconds, dB RMS of its noise).
Part = tuple[str, float, float]


def _music(seconds: float, db: float, rng: np.random.Generator) -> np.ndarray:
    """Harmonic tone with note-rate and phrase-rate swells and a little noise, so the level moves
    by several dB like real playing but never drops to silence."""
    t = np.arange(int(round(seconds * SR))) / SR
    f0 = rng.uniform(150, 400)
    tone = sum(np.sin(2 * np.pi * f0 * h * t + rng.uniform(0, 6)) / h for h in (1, 2, 3))
    swell = (1 + 0.4 * np.sin(2 * np.pi * 3.0 * t)) * (1 + 0.3 * np.sin(2 * np.pi * 0.2 * t))
    x = tone * swell + 0.05 * rng.standard_normal(t.size)
    x /= np.sqrt(np.mean(x * x))
    return (x * 10 ** (db / 20)).astype(np.float32)


def _gap(seconds: float, db: float, rng: np.random.Generator) -> np.ndarray:
    n = int(round(seconds * SR))
    if db <= FLOOR_DB:
        return np.zeros(n, dtype=np.float32)
    return (rng.standard_normal(n) * 10 ** (db / 20)).astype(np.float32)


def _signal(parts: list[Part], seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.concatenate([_music(s, db, rng) if kind == "music" else _gap(s, db, rng) for kind, s, db in parts])


def _expected_boundaries(parts: list[Part], min_movement_s: float = 20.0) -> list[float]:
    """Middles of the gaps between movements: not the leading or trailing silence, not a gap closer
    than min_movement_s to the ends of the music, not a rest shorter than 1.5 s."""
    t, spans = 0.0, []
    for kind, s, _ in parts:
        spans.append((kind, t, s))
        t += s
    music = [(t0, t0 + s) for kind, t0, s in spans if kind == "music"]
    first, last = music[0][0], music[-1][1]
    return [t0 + s / 2 for kind, t0, s in spans
            if kind == "gap" and s >= 1.5 and first + min_movement_s <= t0 + s / 2 <= last - min_movement_s]


M, G = "music", "gap"
SILENT = -200.0  # digital silence
# (id, parts, n_movements, expected minimum confidence)
CASES: list[tuple[str, list[Part], int, float]] = [
    ("digital_silence_gaps",
     [(M, 40, -12), (G, 3, SILENT), (M, 50, -12), (G, 3, SILENT), (M, 35, -12)], 3, 0.5),
    ("room_tone_gaps",
     [(M, 40, -12), (G, 2.5, -70), (M, 50, -15), (G, 2.5, -70), (M, 35, -12)], 3, 0.5),
    ("short_rests_inside_movements_lose",
     [(M, 20, -12), (G, 0.6, SILENT), (M, 20, -12), (G, 2.5, -75), (M, 25, -12), (G, 0.9, SILENT),
      (M, 25, -12), (G, 2.5, -75), (M, 40, -12)], 3, 0.2),
    ("quiet_passage_is_not_silence",
     [(M, 30, -12), (M, 15, -45), (M, 20, -12), (G, 2, -80), (M, 40, -12)], 2, 0.5),
    ("pp_ending_then_gap",
     [(M, 30, -10), (M, 10, -40), (G, 2, -80), (M, 40, -10), (G, 2, -80), (M, 30, -10)], 3, 0.5),
    ("quiet_slow_movement_between_loud_ones",
     [(M, 40, -10), (G, 2, -80), (M, 60, -28), (G, 2, -80), (M, 40, -10)], 3, 0.5),
    ("hissy_transfer_floor_at_minus_40",
     [(M, 40, -10), (G, 3, -40), (M, 45, -10), (G, 3, -40), (M, 40, -10), (G, 3, -40), (M, 30, -10)], 4, 0.3),
    ("leading_and_trailing_silence_ignored",
     [(G, 8, SILENT), (M, 40, -12), (G, 2, -80), (M, 40, -12), (G, 10, SILENT)], 2, 0.5),
    ("general_pause_loses_to_longer_gaps",
     [(M, 30, -12), (G, 1.2, SILENT), (M, 30, -12), (G, 4, -80), (M, 40, -12), (G, 4, -80), (M, 35, -12)], 3, 0.2),
    ("gap_too_close_to_start_skipped",
     [(M, 8, -12), (G, 3, SILENT), (M, 40, -12), (G, 2, -80), (M, 40, -12)], 2, 0.0),
    ("dip_inside_quiet_passage_is_not_a_gap",
     [(M, 30, -12), (M, 10, -42), (G, 1.0, -55), (M, 10, -42), (M, 20, -12), (G, 1.5, -80), (M, 40, -12)], 2, 0.5),
    ("four_movements_varied_levels",
     [(M, 60, -14), (G, 2, -80), (M, 45, -24), (G, 3, -80), (M, 30, -8), (G, 2, -80), (M, 50, -12)], 4, 0.5),
]


@pytest.mark.parametrize("parts, n, min_conf", [(p, n, c) for _, p, n, c in CASES], ids=[i for i, *_ in CASES])
def test_find_movement_boundaries(parts: list[Part], n: int, min_conf: float) -> None:
    bounds, conf = find_movement_boundaries(_signal(parts), SR, n)
    assert len(bounds) == n - 1
    assert bounds == pytest.approx(_expected_boundaries(parts), abs=0.15)
    assert min_conf <= conf <= 1.0


def test_boundaries_keep_min_movement_apart() -> None:
    # two strong gaps 10 s apart cannot both be boundaries; the 3 s gap loses to the 5 s one
    parts: list[Part] = [(M, 40, -12), (G, 5, SILENT), (M, 10, -12), (G, 3, SILENT), (M, 40, -12), (G, 2, -80),
                         (M, 40, -12)]
    bounds, _ = find_movement_boundaries(_signal(parts), SR, 3, min_movement_s=20)
    assert bounds == pytest.approx([42.5, 99.0], abs=0.15)


def test_short_rests_lower_confidence_below_clear_case() -> None:
    clear = find_movement_boundaries(_signal(CASES[0][1]), SR, 3)[1]
    rests = find_movement_boundaries(_signal(CASES[2][1]), SR, 3)[1]
    assert rests < clear


def test_ambiguous_gaps_give_low_confidence() -> None:
    # five equal gaps, two to choose: any choice is a guess
    parts: list[Part] = [(M, 30, -12)]
    for _ in range(5):
        parts += [(G, 2, -80), (M, 30, -12)]
    bounds, conf = find_movement_boundaries(_signal(parts), SR, 3)
    assert len(bounds) == 2 and conf < 0.1


def test_int16_samples() -> None:
    parts = CASES[0][1]
    pcm = (np.clip(_signal(parts), -1, 1) * 32767).astype(np.int16)
    bounds, _ = find_movement_boundaries(pcm, SR, 3)
    assert bounds == pytest.approx(_expected_boundaries(parts), abs=0.15)


def test_one_movement_needs_no_boundary() -> None:
    assert find_movement_boundaries(_signal([(M, 30, -12)]), SR, 1) == ([], 1.0)


@pytest.mark.parametrize("parts, n, min_s, message", [
    ([(M, 60, -12)], 5, 20.0, "shorter than"),
    ([(M, 40, -12), (G, 2, -80), (M, 40, -12)], 4, 20.0, "only 1 candidate"),
    ([(M, 40, -12), (G, 2, -80), (M, 5, -12), (G, 2, -80), (M, 40, -12)], 3, 20.0, "apart|candidate"),
    ([(G, 90, SILENT)], 2, 20.0, "silent"),
])
def test_impossible_raises(parts: list[Part], n: int, min_s: float, message: str) -> None:
    samples = _signal(parts)
    with pytest.raises(ValueError, match=message) as err:
        find_movement_boundaries(samples, SR, n, min_movement_s=min_s)
    assert f"n_movements={n}" in str(err.value)
    assert f"{samples.size / SR:.1f} s" in str(err.value)


@pytest.mark.parametrize("n", [0, -1, 2.5])
def test_bad_movement_count(n: object) -> None:
    with pytest.raises(ValueError, match="n_movements"):
        find_movement_boundaries(np.zeros(SR * 60, dtype=np.float32), SR, n)  # type: ignore[arg-type]


# ---- envelope ----------------------------------------------------------------------------------


@pytest.mark.parametrize("samples, expected_db", [
    (np.sin(2 * np.pi * 1000 * np.arange(SR) / SR).astype(np.float32), -3.01),  # full-scale sine
    (0.1 * np.sin(2 * np.pi * 1000 * np.arange(SR) / SR), -23.01),
    (np.zeros(SR, dtype=np.float32), FLOOR_DB),
    ((16384 * np.sign(np.sin(2 * np.pi * 100 * np.arange(SR) / SR))).astype(np.int16), -6.02),  # half-scale square
])
def test_energy_envelope_levels(samples: np.ndarray, expected_db: float) -> None:
    env = energy_envelope_db(samples, SR)
    assert env.shape == (20,)
    assert env == pytest.approx(np.full(20, expected_db), abs=0.05)


def test_energy_envelope_keeps_partial_last_frame() -> None:
    env = energy_envelope_db(np.ones(SR + 100, dtype=np.float32), SR)
    assert env.shape == (21,) and env[-1] == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("samples, sr, message", [
    (np.zeros((2, 100)), SR, "mono"),
    (np.zeros(100), 0, "sample_rate_hz"),
    (np.array([0.0, np.nan] * 1000), SR, "NaN"),
])
def test_energy_envelope_rejects(samples: np.ndarray, sr: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        energy_envelope_db(samples, sr)


def test_an_hour_at_16khz_is_fast() -> None:
    rng = np.random.default_rng(1)
    movement = _music(60, -12, rng)
    gap = np.zeros(2 * SR, dtype=np.float32)
    samples = np.concatenate([movement, gap] * 58 + [movement])  # 59 movements, ~61 min
    started = time.perf_counter()
    bounds, _ = find_movement_boundaries(samples, SR, 6, min_movement_s=300)
    elapsed = time.perf_counter() - started
    assert len(bounds) == 5
    assert all(abs((b - 61.0) / 62.0 - round((b - 61.0) / 62.0)) < 0.01 for b in bounds)  # each on a real gap
    assert elapsed < 5.0, f"{elapsed:.2f} s for {samples.size / SR / 60:.0f} min of audio"
