"""Per-work tasks: results merged in the works' order whatever order they finish in; a task that raises is a
``task_failed`` failure of its items and the other works go on."""

from __future__ import annotations

import time

import pytest
from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from earsense_m2t.flows.build import run_per_work
from earsense_m2t.flows.progress import BuildProgress
from earsense_m2t.schemas import StageResult

pytestmark = pytest.mark.slow  # a Prefect flow run, on a temporary server


@pytest.fixture(scope="module", autouse=True)
def prefect_server():
    """A temporary Prefect server (and database) for this module, stopped at its end, not at the session's."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness():
        yield


@task(cache_policy=NO_CACHE, persist_result=False)
def one_work(work_id: str, broken: str, slow: str) -> StageResult:
    if work_id == broken:
        raise RuntimeError("disk full\nsecond line")
    if work_id == slow:
        time.sleep(0.5)  # finishes last
    result = StageResult(stage="segment")
    result.counts["computed"] += 1
    result.note("done", work_id)
    return result


@flow(persist_result=False)
def per_work(ids: list[str]) -> StageResult:
    with ThreadPoolTaskRunner(max_workers=2) as runner:
        return run_per_work("segment", runner, one_work, [{"work_id": i} for i in ids], lambda i: [f"{i['work_id']}#1"],
                            {"broken": "b", "slow": "a"}, BuildProgress([], enabled=False))


def test_results_in_work_order_and_a_failed_task_is_a_failure_of_its_items():
    result = per_work(["a", "b", "c", "d"])
    assert result.notes["done"] == ["a", "c", "d"]
    assert result.counts["computed"] == 3 and result.counts["dropped"] == 1
    (failure,) = result.failures
    assert (failure.stage, failure.item_id, failure.code) == ("segment", "b#1", "task_failed")
    assert failure.reason == "the segment task of this work failed: RuntimeError: disk full"
