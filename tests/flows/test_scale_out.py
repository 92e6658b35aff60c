"""The scale-out options: checked before any work (naming the option or parameter), and the runners they choose."""

from __future__ import annotations

import pytest
from prefect.task_runners import ThreadPoolTaskRunner
from prefect_dask import DaskTaskRunner

from earsense_m2t.build_options import CLI_OPTIONS, BadOption, check_build_options
from earsense_m2t.flows.build import BuildDeadline
from earsense_m2t.flows.runners import audio_runner, download_runner
from tests.test_cli_errors import cli, short_error


def check_scale_out(dask, workers, downloads, out, render_workers=None):
    """The build's one check, with every other option at a good value."""
    check_build_options(site_url="embedded", output_root=out, search="auto", workers=workers, dask=dask,
                        download_concurrency=downloads, render_workers=render_workers)


@pytest.mark.parametrize("dask", [None, "", "local", "local:1", "local:16", "tcp://10.0.0.5:8786", "tls://sched:8786"])
def test_accepted_dask_values(dask, tmp_path):
    check_scale_out(dask, 2, 2, tmp_path)


@pytest.mark.parametrize("dask, workers, downloads, bad", [
    ("local:0", 2, 2, "--dask"), ("remote", 2, 2, "--dask"), ("tcp://host", 2, 2, "--dask"),
    (None, 0, 2, "--workers"), (None, True, 2, "--workers"), (None, 2, -1, "--download-concurrency"),
])
def test_refused_values_name_the_option(dask, workers, downloads, bad, tmp_path):
    with pytest.raises(BadOption) as err:
        check_scale_out(dask, workers, downloads, tmp_path)
    assert err.value.option == bad and str(err.value).startswith(f"{bad}: ")


@pytest.mark.parametrize("value", [0, 1.5, True])
def test_render_workers_is_its_own_option(value, tmp_path):
    with pytest.raises(BadOption) as err:
        check_scale_out(None, 2, 2, tmp_path, render_workers=value)
    assert err.value.option == CLI_OPTIONS["render_workers"] == "--render-workers"
    check_scale_out(None, 2, 2, tmp_path, render_workers=None)  # None: the annotate stage's default


def test_the_runners_each_value_chooses():
    threads = audio_runner(None, 3)
    assert isinstance(threads, ThreadPoolTaskRunner) and threads._max_workers == 3
    local = audio_runner("local:4", 2)
    assert isinstance(local, DaskTaskRunner) and local.cluster_kwargs["n_workers"] == 4
    assert audio_runner("local", 3).cluster_kwargs["n_workers"] == 3
    remote = audio_runner("tcp://10.0.0.5:8786", 2)
    assert isinstance(remote, DaskTaskRunner) and remote.address == "tcp://10.0.0.5:8786"
    assert download_runner(5)._max_workers == 5


def test_the_deadline_is_the_build_s_in_any_process():
    deadline = BuildDeadline(60.0, started_at=0.0)  # started long ago (epoch 0): passed wherever it is read
    assert deadline.here().passed() and deadline.here().seconds == 60.0
    assert not BuildDeadline(60.0).here().passed() and not BuildDeadline(None).here().passed()


@pytest.mark.parametrize("args, needles", [
    (["build", "--dask", "local:0"], ["--dask", "'local:0'"]),
    (["build", "--workers", "0"], ["--workers"]),
    (["build", "--download-concurrency", "0"], ["--download-concurrency"]),
])
def test_bad_scale_out_options_are_one_line_errors_before_any_work(tmp_path, args, needles):
    short_error(cli(*args, cwd=tmp_path), *needles)
    assert not (tmp_path / "local").exists()


def test_a_local_cluster_listens_on_loopback_only():
    """A Dask scheduler runs whatever it is sent: the local one must not listen beyond this machine."""
    import os
    import shutil
    import subprocess

    from distributed import LocalCluster

    from earsense_m2t.flows.runners import LOCAL_CLUSTER_ADDRESSES

    if shutil.which("ss") is None:
        pytest.skip("ss (iproute2) is not installed")
    kwargs = audio_runner("local:1", 1).cluster_kwargs
    assert {k: kwargs[k] for k in LOCAL_CLUSTER_ADDRESSES} == LOCAL_CLUSTER_ADDRESSES
    with LocalCluster(**kwargs) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        listening = [line.split()[3] for line in subprocess.run(["ss", "-ltnp"], capture_output=True, text=True).stdout
                     .splitlines() if f"pid={os.getpid()}," in line]
    assert listening and all(address.startswith("127.0.0.1:") for address in listening), listening
