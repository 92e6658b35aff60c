"""Annotate stage: MusAV-style relative arousal/valence annotations of the movements.

Entrypoint: :func:`prepare_annotations` (:mod:`earsense_m2t.annotation.stage`): the pool of excerpts, the
triplets (append-only rounds), silver labels, and the human judgments collected on the annotation page,
aggregated as MusAV does. Published by the publish stage as the ``annotation_pool`` and
``relative_annotations`` configs.

Three rooms: this package is the stage (pool, excerpts, triplets, silver labels, aggregation);
:mod:`.tool` is the annotation tool people use (the page, its judgment store, its command line, MusAV and
Label Studio files); :mod:`.metrics` is shared (answers, agreement, evaluation, emotion), imported by
publish and model without the stage.

For the flow's wiring: :func:`annotate_inputs` takes the stage's inputs from the earlier results
(:class:`AnnotateInputs`), and :class:`AnnotationConfig` holds every choice of the stage.

The entrypoint is imported on first use, so that the page, the store, the command line and the metrics
(which import submodules of this package) do not pull in the whole stage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from earsense_m2t.annotation.inputs import AnnotateInputs, annotate_inputs
    from earsense_m2t.annotation.stage import AnnotationConfig, prepare_annotations

__all__ = ["AnnotateInputs", "AnnotationConfig", "annotate_inputs", "prepare_annotations"]
#: the names above, each with the module it is imported from on first use
_LAZY = {"AnnotateInputs": "inputs", "annotate_inputs": "inputs", "AnnotationConfig": "stage",
         "prepare_annotations": "stage"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
