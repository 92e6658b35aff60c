"""MusAV-style relative arousal/valence annotations of published clips.

Not built yet: this stage gets its code with the annotation issue. It will read a published version
and write a pool, triplets, pairs, raw judgments, agreement and ground-truth subsets, published as the
``relative_annotations`` and ``annotation_pool`` configs.
"""
