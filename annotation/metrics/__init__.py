"""Measures of the relative annotations that other stages use: shared, so it imports no stage.

The publish stage computes the card's agreement and evaluation figures with them and the model scores
its texts with the emotion lexicon, without importing the annotate stage (its excerpts, its pool) or
the annotation tool. Everything here is pure: the answer vocabulary (:mod:`.answers`), Krippendorff's
alpha (:mod:`.agreement`), MusAV's evaluation of predictions (:mod:`.evaluate`), text to emotion
(:mod:`.emotion`) and the reading of the JSON Lines files people bring (:mod:`.jsonlines`).
"""
