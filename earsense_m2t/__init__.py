"""earsense-m2t: build a music-to-text dataset from EarSense texts and their recordings."""

__version__ = "0.1.0"
