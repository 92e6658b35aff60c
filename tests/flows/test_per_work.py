"""Per-work tasks: results merged in the works' order whatever order they finish in; a task that raises is a
``task_failed`` failure of its items and the other works go on; a work whose memo holds is not run again."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from earsense_m2t.flows.build import PerWork, run_per_work
from earsense_m2t.flows.progress import BuildProgress
from earsense_m2t.memo import StageMemo
from earsense_m2t.schemas import StageResult
from earsense_m2t.schemas.stages import Stage

CALLS: list[str] = []  # the works whose task ran (the tasks run in threads of this process)

pytestmark = pytest.mark.slow  # a Prefect flow run, on a temporary server


@pytest.fixture(scope="module", autouse=True)
def prefect_server():
    """A temporary Prefect server (and database) for this module, stopped at its end, not at the session's."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness():
        yield


@dataclass(frozen=True)
class Item:
    """A stage's per-work inputs (schemas.work_inputs.WorkInputs): a work id and nothing else."""

    work_id: str

    def failed_ids(self) -> list[str]:
        return [f"{self.work_id}#1"]

    def memo_inputs(self) -> dict[str, str]:
        return {"work_id": self.work_id}


@task(cache_policy=NO_CACHE, persist_result=False)
def one_work(item: Item, memo_key: str, broken: str, slow: str, memo: StageMemo) -> StageResult:
    work_id = item.work_id
    CALLS.append(work_id)
    if work_id == broken:
        raise RuntimeError("disk full\nsecond line")
    if work_id == slow:
        time.sleep(0.5)  # finishes last
    result = StageResult(stage="segment")
    result.counts["computed"] += 1
    result.note("done", work_id)
    memo.save(work_id, memo_key, result)
    return result


@flow(persist_result=False)
def per_work(ids: list[str], memo_dir: str, version: int = 1) -> StageResult:
    memo = StageMemo(Path(memo_dir), "segment", "earsense_m2t.segment.segment")
    spec = PerWork(Stage.SEGMENT, memo, {"version": version})
    with ThreadPoolTaskRunner(max_workers=2) as runner:
        return run_per_work(spec, runner, one_work, [Item(i) for i in ids], {"broken": "b", "slow": "a"},
                            BuildProgress([], enabled=False))


def test_results_in_work_order_and_a_failed_task_is_a_failure_of_its_items(tmp_path):
    result = per_work(["a", "b", "c", "d"], str(tmp_path))
    assert result.notes["done"] == ["a", "c", "d"]
    assert result.counts["computed"] == 3 and result.counts["dropped"] == 1
    (failure,) = result.failures
    assert (failure.stage, failure.item_id, failure.code) == ("segment", "b#1", "task_failed")
    assert failure.reason == "the segment task of this work failed: RuntimeError: disk full"


def test_a_work_done_with_the_same_inputs_is_taken_from_its_memo_and_a_failed_one_runs_again(tmp_path):
    CALLS.clear()
    first = per_work(["a", "b", "c", "d"], str(tmp_path))
    assert sorted(CALLS) == ["a", "b", "c", "d"] and first.counts["computed"] == 3
    CALLS.clear()
    again = per_work(["a", "b", "c", "d"], str(tmp_path))
    assert CALLS == ["b"]  # only the work that failed (a failure may be transient: it is never memoized)
    assert again.notes["done"] == ["a", "c", "d"]  # in the works' order, memo or not
    assert (again.counts["computed"], again.counts["reused"], again.counts["dropped"]) == (0, 3, 1)
    assert again.counts["memo_works"] == 3
    CALLS.clear()
    per_work(["a", "b", "c", "d"], str(tmp_path), version=2)  # other inputs: every work runs
    assert sorted(CALLS) == ["a", "b", "c", "d"]
