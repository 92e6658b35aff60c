"""What one work's task of a per-work stage is given: the contract between a stage and the flow that maps it.

Acquire, segment and features run as one task per work. Each of those stages splits its own inputs
(``acquire_inputs``, ``segment_inputs``, ``features_inputs``): it knows which records a work needs and
how they link, so the flow only maps a task over the items, keys their memos and retries them. An item
says which work it is, which ids fail when its task fails, and which of its records decide its result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol


class WorkInputs(Protocol):
    """One work's inputs to a per-work stage (a frozen dataclass of records, so it pickles to a Dask worker)."""

    @property
    def work_id(self) -> str: ...

    def failed_ids(self) -> Sequence[str]:
        """The ids a task that raised fails under (the work, or its movements)."""
        ...

    def memo_inputs(self) -> Mapping[str, Any]:
        """The records that decide this work's result (with the stage's options, its memo key)."""
        ...


__all__ = ["WorkInputs"]
