"""Features stage: decode each movement, normalize its loudness (EBU R128) and compute its spectrogram.

Entrypoint: :func:`prepare_clips`. Derived files are cached under a hash of input, parameters and code version.
For the flow's wiring, :func:`features_inputs` splits the segments per work (:class:`FeaturesWork`), and
:class:`AudioParams` are the parameters every work's call is given (with the listening excerpts'
:class:`RenderParams` and, for ``build --audio``, :class:`AudioExport`). The listening excerpts are cut here,
from the same decode (:mod:`.excerpt`).
"""

from earsense_m2t.features.excerpt import RenderParams
from earsense_m2t.features.features import prepare_clips
from earsense_m2t.features.params import AudioExport, AudioParams
from earsense_m2t.features.per_work import FeaturesWork, features_inputs

__all__ = ["AudioExport", "AudioParams", "FeaturesWork", "RenderParams", "features_inputs", "prepare_clips"]
