"""Thread counts of a training process, chosen on purpose and set in one place.

Left alone, every library that computes sizes its own pool to the machine: torch's intra-op pool (OpenMP)
and its inter-op pool, the BLAS under numpy and scipy (OpenBLAS or MKL), pyarrow's CPU and I/O pools (the
``datasets`` reads), and each Java process of the metrics (METEOR and the PTB tokenizer: JIT and garbage
collector threads per core). On 2 cores that is several threads per core. OpenMP is the one that hurts:
its threads wait for each other at the end of every operation, so when any one of them is descheduled
(another process, another pool of the same process) the whole operation waits a time slice. The tiny
config's operations are small (widths of 4 to 32, one movement per micro-batch), so a second torch thread
gains little even on an idle machine and, beside any other busy process, makes a step several times slower
(``benchmarks/train_throughput.py --threads-compare`` measures both side by side).

What :func:`thread_plan` chooses, and why:

- **torch intra-op**: 1 for ``tiny`` (too small to share); the usable cores for ``paper`` (its convolutions
  are wide enough to split, and on a GPU the host threads only feed it).
- **torch inter-op**: 1. The models run one operation after another; a second pool only adds threads.
- **BLAS** (OpenBLAS/MKL/OpenMP through threadpoolctl when it is installed; the ``*_NUM_THREADS``
  variables in every case, which child processes and libraries loaded later read): the same count as
  torch's intra-op pool. numpy's work here (standardization, BLEU's counts) is small.
- **pyarrow** (``datasets``' reads of the memory-mapped release): 1 CPU thread; the reads are row slices.
- **metric workers**: each Java process of the metrics (started later by :mod:`.metrics`, which passes
  its environment on) sees ``-XX:ActiveProcessorCount`` processors through ``JAVA_TOOL_OPTIONS``, so its
  JIT and GC pools are sized to it (Java then prints "Picked up JAVA_TOOL_OPTIONS" on stderr, which the
  metrics do not read). They run between units, not beside training.
- **data-loading workers**: 0 (batches are read in the training process: a worker process would be one
  more busy process beside the OpenMP pool, for reads of a few MB from a memory-mapped file).

Call :func:`configure_threads` once at the start of a training process (``earsense-m2t train``, the
``train-gtp`` flow, the learnability command), before any torch work. torch's inter-op count can only be
set before the first inter-op work; later calls keep what is there and say so in the returned record.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

#: configs whose operations are too small for more than one intra-op thread
SMALL_CONFIGS = frozenset({"tiny"})
#: environment variables the BLAS and OpenMP libraries read when they load (and child processes inherit)
THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
              "NUMEXPR_NUM_THREADS")
JAVA_ENV = "JAVA_TOOL_OPTIONS"
_JAVA_CPUS = re.compile(r"-XX:ActiveProcessorCount=\d+")


def usable_cores() -> int:
    """The cores this process may run on (its affinity mask, so a container's or taskset's limit counts)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class ThreadPlan:
    """How many threads each pool of a training process gets."""

    torch_intra: int
    torch_interop: int
    blas: int
    arrow: int
    java_cpus: int
    data_workers: int

    def describe(self) -> str:
        return (f"threads: torch {self.torch_intra} intra-op / {self.torch_interop} inter-op, BLAS {self.blas}, "
                f"pyarrow {self.arrow}, Java metrics {self.java_cpus} CPU(s), {self.data_workers} data-loading workers")


@dataclass(frozen=True)
class Applied:
    """What :func:`configure_threads` set, and what the libraries report afterwards."""

    plan: ThreadPlan
    torch_intra: int
    torch_interop: int
    blas: dict[str, int] = field(default_factory=dict)  # threadpoolctl's user_api -> threads (empty: not installed)
    notes: tuple[str, ...] = ()

    def describe(self) -> str:
        pools = ", ".join(f"{k} {v}" for k, v in sorted(self.blas.items())) or "no threadpoolctl (environment only)"
        text = (f"threads: torch {self.torch_intra} intra-op / {self.torch_interop} inter-op; {pools}; "
                f"pyarrow {self.plan.arrow}; Java metrics {self.plan.java_cpus} CPU(s); "
                f"{self.plan.data_workers} data-loading workers")
        return text + "".join(f"; {n}" for n in self.notes)


def thread_plan(config: str, cores: int | None = None) -> ThreadPlan:
    """The thread counts for a training process of ``config`` on ``cores`` cores (default: the usable ones)."""
    cores = usable_cores() if cores is None else cores
    if cores < 1:
        raise ValueError(f"cores {cores}: at least 1")
    intra = 1 if config in SMALL_CONFIGS else cores
    return ThreadPlan(torch_intra=intra, torch_interop=1, blas=intra, arrow=1, java_cpus=1, data_workers=0)


def thread_environment(plan: ThreadPlan, environ: dict[str, str] | None = None) -> dict[str, str]:
    """The environment variables of ``plan``: the BLAS/OpenMP counts and the Java processor count.

    An existing ``JAVA_TOOL_OPTIONS`` keeps its other options (a processor count in it is replaced).
    """
    environ = dict(os.environ) if environ is None else environ
    out = {name: str(plan.blas) for name in THREAD_ENV}
    java = _JAVA_CPUS.sub("", environ.get(JAVA_ENV, "")).split()
    out[JAVA_ENV] = " ".join([*java, f"-XX:ActiveProcessorCount={plan.java_cpus}"])
    return out


def configure_threads(config: str | ThreadPlan = "tiny", *, cores: int | None = None) -> Applied:
    """Set every pool of this process to :func:`thread_plan` (or the plan given); returns what took effect."""
    plan = config if isinstance(config, ThreadPlan) else thread_plan(config, cores)
    os.environ.update(thread_environment(plan))
    notes: list[str] = []
    import torch

    torch.set_num_threads(plan.torch_intra)
    if torch.get_num_interop_threads() != plan.torch_interop:
        try:
            torch.set_num_interop_threads(plan.torch_interop)
        except RuntimeError:  # inter-op work has started (or it was set before): torch allows it once
            notes.append(f"torch inter-op threads were already fixed at {torch.get_num_interop_threads()}")
    blas: dict[str, int] = {}
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        notes.append("threadpoolctl is not installed: BLAS pools loaded before this call keep their size")
    else:
        threadpool_limits(limits=plan.blas)  # not used as a context manager: the limit stays for the process
        # torch's own OpenMP pool was set above (threadpoolctl's openmp limit would reset it to plan.blas)
        torch.set_num_threads(plan.torch_intra)
        for pool in threadpool_info():
            api = str(pool.get("user_api"))
            blas[api] = max(blas.get(api, 0), int(pool.get("num_threads", 0)))
    try:
        import pyarrow
    except ImportError:
        pass
    else:
        pyarrow.set_cpu_count(plan.arrow)
    return Applied(plan, torch.get_num_threads(), torch.get_num_interop_threads(), blas, tuple(notes))


__all__ = ["Applied", "JAVA_ENV", "SMALL_CONFIGS", "THREAD_ENV", "ThreadPlan", "configure_threads", "thread_environment",
           "thread_plan", "usable_cores"]
