"""Thread counts: one plan per config, applied to every pool of the process (torch, BLAS, pyarrow, Java)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

pytest.importorskip("torch", reason="torch is not installed: install the model extra (bash scripts/setup.sh --model)")

from earsense_m2t.model.threads import JAVA_ENV, THREAD_ENV, ThreadPlan, thread_environment, thread_plan  # noqa: E402


def test_tiny_gets_one_thread_per_pool_and_paper_the_cores():
    assert thread_plan("tiny", cores=8) == ThreadPlan(torch_intra=1, torch_interop=1, blas=1, arrow=1, java_cpus=1,
                                                      data_workers=0)
    paper = thread_plan("paper", cores=8)
    assert (paper.torch_intra, paper.blas, paper.torch_interop, paper.data_workers) == (8, 8, 1, 0)
    assert thread_plan("paper").torch_intra == len(os.sched_getaffinity(0))
    with pytest.raises(ValueError, match="cores 0"):
        thread_plan("tiny", cores=0)


def test_the_environment_sets_blas_and_keeps_other_java_options():
    env = thread_environment(thread_plan("paper", cores=3), {JAVA_ENV: "-Xss4m -XX:ActiveProcessorCount=16"})
    assert all(env[name] == "3" for name in THREAD_ENV)
    assert env[JAVA_ENV] == "-Xss4m -XX:ActiveProcessorCount=1"
    assert thread_environment(thread_plan("tiny"), {})[JAVA_ENV] == "-XX:ActiveProcessorCount=1"


PROBE = r"""
import json, os, sys
import numpy, pyarrow, torch
from earsense_m2t.model.threads import ThreadPlan, configure_threads
applied = configure_threads(sys.argv[1], cores=int(sys.argv[2]))
from threadpoolctl import threadpool_info
seen = {"torch": torch.get_num_threads(), "interop": torch.get_num_interop_threads(),
        "pools": {p["user_api"]: p["num_threads"] for p in threadpool_info()},
        "arrow": pyarrow.cpu_count(), "omp_env": os.environ["OMP_NUM_THREADS"],
        "java_env": os.environ["JAVA_TOOL_OPTIONS"], "describe": applied.describe()}
second = configure_threads(ThreadPlan(1, 2, 1, 1, 1, 0))  # inter-op can be set once per process only
print(json.dumps({**seen, "second_notes": list(second.notes)}))
"""


def probe(config: str, cores: int) -> dict:
    """A fresh process: torch's inter-op count can only be set before its first use, so not in this one."""
    env = {k: v for k, v in os.environ.items() if k not in (*THREAD_ENV, JAVA_ENV)}
    proc = subprocess.run([sys.executable, "-c", PROBE, config, str(cores)], capture_output=True, text=True, env=env,
                          timeout=120, check=True)
    return json.loads(proc.stdout.splitlines()[-1])


def test_configure_threads_sets_every_pool_in_a_fresh_process():
    tiny = probe("tiny", 2)
    assert (tiny["torch"], tiny["interop"], tiny["arrow"], tiny["omp_env"]) == (1, 1, 1, "1")
    assert tiny["pools"] and set(tiny["pools"].values()) == {1}, tiny["pools"]  # BLAS and OpenMP alike
    assert "-XX:ActiveProcessorCount=1" in tiny["java_env"]
    assert tiny["describe"].startswith("threads: torch 1 intra-op / 1 inter-op;")
    assert tiny["second_notes"] == ["torch inter-op threads were already fixed at 1"]
    paper = probe("paper", 2)
    assert (paper["torch"], paper["interop"], paper["pools"].get("blas")) == (2, 1, 2)


@pytest.mark.skipif(shutil.which("java") is None, reason="java is not installed (the metrics' Java processes)")
def test_a_metrics_java_process_sees_the_planned_processor_count():
    env = {**os.environ, **thread_environment(thread_plan("tiny"), {})}
    proc = subprocess.run(["java", "-XX:+PrintFlagsFinal", "-version"], capture_output=True, text=True, env=env,
                          timeout=60)
    flags = {line.split()[1]: line.split()[3] for line in proc.stdout.splitlines() if len(line.split()) >= 4}
    assert flags.get("ActiveProcessorCount") == "1", proc.stdout[-500:]
