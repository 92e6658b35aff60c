"""Features stage: decode each movement, normalize its loudness (EBU R128) and compute its spectrogram.

Entrypoint: :func:`prepare_clips`. Derived files are cached under a hash of input, parameters and code version.
For the flow's wiring, :func:`features_inputs` splits the segments per work (:class:`FeaturesWork`), and
:class:`AudioParams` are the parameters every work's call is given.
"""

from earsense_m2t.features.features import prepare_clips
from earsense_m2t.features.params import AudioParams
from earsense_m2t.features.per_work import FeaturesWork, features_inputs

__all__ = ["AudioParams", "FeaturesWork", "features_inputs", "prepare_clips"]
