"""Movements stage: each work's movement titles, the article passage about each movement, and its tempo tag.

Entrypoint: :func:`prepare_movements`. Titles come from the page, the track list, the media host's
chapters or the time stamps in a video description (:mod:`earsense_m2t.movements.chapters`).
"""

from earsense_m2t.movements.movements import prepare_movements

__all__ = ["prepare_movements"]
