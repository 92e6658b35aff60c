"""Features stage: decode each movement, normalize its loudness (EBU R128) and compute its spectrogram.

Entrypoint: :func:`prepare_clips`. Derived files are cached under a hash of input, parameters and code version.
"""

from earsense_m2t.features.features import prepare_clips

__all__ = ["prepare_clips"]
