"""Audio parameters of the features stage, in one place.

Everything a reader of the dataset card asks first ("what sample rate, what loudness target, what
spectrogram?") is a field of :class:`AudioParams`, with the reason for its default beside it. The
fields that change the arrays or the measurements form the cache key of every derived file
(:meth:`AudioParams.cache_fields`), together with :data:`PROCESSING_VERSION`; the quality thresholds
do not, because flags are re-evaluated from the stored measurements on every run (changing a
threshold must not cost a re-decode of the whole corpus).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

#: Bump when the code's output changes for the same inputs and parameters (it is part of the cache
#: key, so a bump recomputes every clip). History:
#:   1: first version (16 kHz mono, BS.1770-4 gating via pyloudnorm's filters, 4x true peak, 510/256 STFT).
#: Not bumped when sidecars began to record each file's size, shape and sha256: the arrays did not change,
#: and a sidecar without a checksum is recomputed in place on its next use (same key, same bytes).
#: Nor when sidecars began to record the loudness's ``gated_fraction`` (the ``sparse`` flag): a sidecar
#: without it is recomputed in place the same way.
#:   2: one ffmpeg filter graph decodes a movement for the spectrogram and its taps (the excerpt, the exported
#:      audio): the mono stream is converted by an explicit resampler (for a lossy source up to ~1e-5 apart from
#:      version 1's samples)
#:   3: a tap's 16-bit, mono-or-stereo conversion is its own resampler's: in version 2 it reached back through the
#:      split, so every movement cut with an excerpt tap was measured and analysed from 16-bit samples (about 1.5e-5
#:      apart, overs clipped at full scale, a 5.1 source folded to stereo before the mean)
PROCESSING_VERSION = 3
#: what publish's changelog says when a version's spectrograms changed because of this version (publish.RULES)
SPECTROGRAM_RULE = (str(PROCESSING_VERSION), "spectrograms and loudness figures are computed from the full-precision "
                                             "float decode of each movement: with an annotation excerpt cut from the "
                                             "same decode they had been computed from 16-bit samples (overs clipped), "
                                             "so their files, checksums and loudness values moved slightly")

SpectrogramKind = Literal["linear", "mel"]
SPECTROGRAM_KINDS: tuple[str, ...] = ("linear", "mel")


@dataclass(frozen=True, kw_only=True)
class AudioParams:
    """How a movement becomes a published clip. Defaults are the dataset's published settings."""

    # --- decoding -----------------------------------------------------------------------------
    #: 16 kHz mono is what the model reads; 256 bins over 0-8 kHz keep the detail where music is.
    sample_rate_hz: int = 16000
    #: a decode that yields this much less than the segment asks for is a truncated/corrupt file
    decode_shortfall_tolerance_s: float = 2.0

    # --- loudness (EBU R128 / ITU-R BS.1770-4), measured on the 16 kHz mono signal we publish ----
    target_lufs: float = -23.0
    true_peak_ceiling_dbtp: float = -1.0
    #: BS.1770-4 Annex 2 asks for 4x oversampling with a 12-taps-per-phase interpolator (48 taps)
    true_peak_oversampling: int = 4
    true_peak_taps_per_phase: int = 12

    # --- spectrogram ------------------------------------------------------------------------------
    #: "linear": 256 STFT bins, as in the Music-to-Text Synaesthesia paper; "mel": log-mel bands
    spectrogram_kind: SpectrogramKind = "linear"
    #: n_fft = 2 * (n_bins - 1): 510 gives exactly 256 rfft bins, 31.4 Hz apart at 16 kHz
    n_fft: int = 510
    n_bins: int = 256
    #: 256 samples = 16 ms = 62.5 frames/s: about 50 % Hann overlap and ~115 MB of float16 per hour
    hop_length: int = 256
    window: str = "hann"  # periodic Hann, scaled so a full-scale sine on a bin centre reads 0 dB
    #: dB floor (re full-scale sine): keeps digital silence finite and well inside float16's range
    log_floor_db: float = -100.0
    n_mels: int = 128
    mel_fmin_hz: float = 0.0
    mel_fmax_hz: float | None = None  # None: sample_rate_hz / 2

    # --- quality flags (not in the cache key) -------------------------------------------------
    silent_below_lufs: float = -50.0
    too_short_below_s: float = 30.0
    too_long_above_s: float = 40 * 60.0
    #: a sample counts as clipped at or above this magnitude on the decoded 16 kHz mono signal
    #: (before gain); resampling smears flat clipped runs a little, hence not exactly 1.0
    clip_level: float = 0.99
    clipped_fraction_above: float = 1e-3
    #: "sparse" when fewer than this share of the 400 ms blocks pass both loudness gates: the integrated
    #: loudness then describes a sliver of the clip (a full-scale click in a minute of digital silence
    #: passes ~1 % and measures about -45 LUFS). Music, pauses and pianissimo included, passes far more
    #: than 5 %: a quiet passage is gated out only when it lies 10 LU below the clip's mean power.
    sparse_below_fraction: float = 0.05
    #: duration_mismatch when |measured - expected| exceeds max(absolute, ratio * expected)
    duration_tolerance_s: float = 10.0
    duration_tolerance_ratio: float = 0.10

    def __post_init__(self) -> None:
        if self.sample_rate_hz <= 0:
            raise ValueError(f"AudioParams.sample_rate_hz must be positive, got {self.sample_rate_hz}")
        if self.spectrogram_kind not in SPECTROGRAM_KINDS:
            raise ValueError(f"AudioParams.spectrogram_kind must be one of {SPECTROGRAM_KINDS}, "
                             f"got {self.spectrogram_kind!r}")
        if self.n_fft // 2 + 1 != self.n_bins:
            raise ValueError(f"AudioParams: n_fft={self.n_fft} gives {self.n_fft // 2 + 1} rfft bins, "
                             f"not n_bins={self.n_bins}; use n_fft = 2 * (n_bins - 1)")
        if not 0 < self.hop_length <= self.n_fft:
            raise ValueError(f"AudioParams.hop_length must be in 1..n_fft={self.n_fft}, got {self.hop_length}")
        if self.window != "hann":
            raise ValueError(f"AudioParams.window: only 'hann' is implemented, got {self.window!r}")
        if self.true_peak_oversampling < 1 or self.true_peak_taps_per_phase < 2:
            raise ValueError("AudioParams: true_peak_oversampling must be >= 1 and taps_per_phase >= 2, got "
                             f"{self.true_peak_oversampling} and {self.true_peak_taps_per_phase}")
        fmax = self.sample_rate_hz / 2 if self.mel_fmax_hz is None else self.mel_fmax_hz
        if self.spectrogram_kind == "mel" and not 0 <= self.mel_fmin_hz < fmax <= self.sample_rate_hz / 2:
            raise ValueError(f"AudioParams: mel range {self.mel_fmin_hz}..{fmax} Hz is not inside "
                             f"0..{self.sample_rate_hz / 2} Hz")

    @property
    def frame_rate_hz(self) -> float:
        return self.sample_rate_hz / self.hop_length

    @property
    def output_bins(self) -> int:
        """Width of the published spectrogram: STFT bins or mel bands."""
        return self.n_mels if self.spectrogram_kind == "mel" else self.n_bins

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def cache_fields(self) -> dict[str, Any]:
        """The fields that change arrays or measurements: what a derived file's key is made of."""
        # clip_level stays in: the stored clipped fraction is counted at that level
        thresholds = {"silent_below_lufs", "too_short_below_s", "too_long_above_s", "clipped_fraction_above",
                      "duration_tolerance_s", "duration_tolerance_ratio", "decode_shortfall_tolerance_s",
                      "sparse_below_fraction"}
        return {k: v for k, v in self.to_dict().items() if k not in thresholds}


#: the formats ``build --audio`` can write (both lossless, both decoded by ``datasets``' ``Audio``)
AUDIO_FORMATS: tuple[str, ...] = ("flac", "wav")


@dataclass(frozen=True, kw_only=True)
class AudioExport:
    """``build --audio``: each movement's loudness-normalized audio as a file (the ``audio`` config's rows).

    Mono, 16-bit, at ``sample_rate_hz`` (16 kHz: the rate the spectrograms are computed at, written from the
    decoded samples; any other rate is a tap of the same decode); the gain is applied block by block.
    """

    sample_rate_hz: int = 16000
    format: str = "flac"

    def __post_init__(self) -> None:
        if not 8000 <= self.sample_rate_hz <= 192000:
            raise ValueError(f"AudioExport.sample_rate_hz must be 8000..192000 Hz, got {self.sample_rate_hz}")
        if self.format not in AUDIO_FORMATS:
            raise ValueError(f"AudioExport.format must be one of {AUDIO_FORMATS}, got {self.format!r}")

    @property
    def suffix(self) -> str:
        """The file's name after the clip's key: ``-16000.flac``."""
        return f"-{self.sample_rate_hz}.{self.format}"


__all__ = ["AUDIO_FORMATS", "PROCESSING_VERSION", "SPECTROGRAM_KINDS", "SPECTROGRAM_RULE", "AudioExport", "AudioParams",
           "SpectrogramKind"]
