"""Where the per-work tasks run: threads in the flow's process, or a Dask cluster (``prefect-dask``).

The flow itself always runs in one process (the crawl, the movements stage and publish are single tasks
there). The per-work tasks of two kinds are mapped onto task runners chosen by the flow's parameters:

- **downloads** (acquire, network-bound) on a thread pool of ``download_concurrency`` threads in the
  flow's process: the pool's size *is* the limit on downloads running at once, whatever runs the rest,
  and nothing outlives a killed build (a lease on a Prefect server would hold its slot until it expired);
- **audio work** (segment, features, CPU-bound): ``workers`` of these tasks run at once, on threads, or on
  Dask: ``dask="local:N"`` starts a cluster of N worker processes on this machine (``"local"``: ``workers``
  of them) for the run, and ``dask="tcp://host:8786"`` sends the tasks to the workers of a running
  scheduler (which decides how many run at once).

The options are checked, and their defaults held, in :mod:`earsense_m2t.build_options`.

Dask workers on other machines need the package installed (same version), ffmpeg, and the output root
at the same absolute path on a filesystem they all share, whose ``flock`` locks work there (NFSv4, CephFS;
not some SMB mounts or NFSv3 without a lock manager): they read the media cache and write spectrograms
into the derived cache, whose files are renamed into place, so two workers never see half a file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from earsense_m2t.build_options import local_dask_processes

if TYPE_CHECKING:
    from prefect.task_runners import TaskRunner

#: where a local cluster listens (see audio_runner)
LOCAL_CLUSTER_ADDRESSES = {"host": "127.0.0.1", "dashboard_address": "127.0.0.1:0"}


def audio_runner(dask: str | None, workers: int) -> TaskRunner:
    """A task runner (not started) for the segment and features tasks."""
    from prefect.task_runners import ThreadPoolTaskRunner

    if not dask:
        return ThreadPoolTaskRunner(max_workers=workers)
    from prefect_dask import DaskTaskRunner

    processes = local_dask_processes(dask, workers)
    if processes is None:
        return DaskTaskRunner(address=dask)
    # one thread per process: the audio work is CPU-bound, and a process per worker is what scales. The
    # scheduler and its dashboard listen on loopback only, the dashboard on a free port: a local cluster's
    # defaults (0.0.0.0, dashboard on :8787) would open a scheduler that runs code to the whole network
    return DaskTaskRunner(cluster_class="distributed.LocalCluster", cluster_kwargs={
        "n_workers": processes, "threads_per_worker": 1, "processes": True,
        **LOCAL_CLUSTER_ADDRESSES})


def download_runner(download_concurrency: int) -> TaskRunner:
    """A task runner (not started) for the acquire tasks: at most ``download_concurrency`` at once."""
    from prefect.task_runners import ThreadPoolTaskRunner

    return ThreadPoolTaskRunner(max_workers=download_concurrency)


__all__ = ["audio_runner", "download_runner"]
