"""Five cross-validation folds grouped by work.

A work's movements share a composer, an article and usually a recording, so a model that saw one of
them in training would be tested on something it half knows: folds are therefore drawn per work,
never per movement. The assignment is a greedy balance by size (largest works first, each into the
currently smallest fold) with a hash of the work id as tie-breaker, so it does not depend on the
order of the manifests.

Folds are *sticky*: a work that was already published keeps its fold, and only new works are placed
greedily. Without that, one added work could move dozens of others between folds, every version
would report them as changed, and results on "fold 0" of two versions would not be comparable.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

N_FOLDS = 5


def _id_hash(work_id: str) -> str:
    return hashlib.sha256(work_id.encode("utf-8")).hexdigest()


def assign_folds(
    sizes: Mapping[str, int],
    previous: Mapping[str, int] | None = None,
    n_folds: int = N_FOLDS,
) -> dict[str, int]:
    """Map each work id to a fold in ``0..n_folds-1``.

    ``sizes`` is the number of rows (movements) per work; ``previous`` is the fold each work had in
    the last published version (works no longer present are ignored, out-of-range folds re-placed).
    """
    if n_folds < 1:
        raise ValueError(f"n_folds must be >= 1, got {n_folds}")
    previous = previous or {}
    for work_id, size in sizes.items():
        if size < 0:
            raise ValueError(f"work {work_id!r}: size {size} < 0")
    out: dict[str, int] = {}
    load = [0] * n_folds
    for work_id, size in sizes.items():
        fold = previous.get(work_id)
        if fold is not None and 0 <= fold < n_folds:
            out[work_id] = fold
            load[fold] += size
    new = sorted((w for w in sizes if w not in out), key=lambda w: (-sizes[w], _id_hash(w)))
    for work_id in new:
        fold = min(range(n_folds), key=lambda f: (load[f], f))
        out[work_id] = fold
        load[fold] += sizes[work_id]
    return out
