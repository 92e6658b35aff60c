"""The download probe on real files: what it reads, how a bad file fails, and what a hang or a crash costs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import psutil
import pytest
import soundfile

from earsense_m2t.acquire.download import DownloadError, probe_audio
from earsense_m2t.media import probe as probe_module
from earsense_m2t.media.probe import MediaProbe, ProbeError, probe_media

FORMATS = [  # (suffix, ffmpeg arguments, codec FFmpeg names)
    ("wav", (), "pcm_s16le"),
    ("flac", (), "flac"),
    ("ogg", ("-c:a", "libopus"), "opus"),
    ("webm", ("-c:a", "libopus"), "opus"),
    ("m4a", ("-c:a", "aac"), "aac"),
    ("mka", ("-c:a", "libvorbis"), "vorbis"),
]


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args], check=True)


def _ffprobe_duration(path: Path) -> float:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return float(json.loads(out)["format"]["duration"])


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("probe")
    t = np.arange(int(3.25 * 48000)) / 48000
    tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    source = folder / "tone.wav"
    soundfile.write(source, np.stack([tone, tone], axis=1), 48000, subtype="PCM_16")
    files = {"wav": source}
    for suffix, args, _ in FORMATS[1:]:
        files[suffix] = folder / f"tone.{suffix}"
        _ffmpeg("-i", str(source), *args, str(files[suffix]))
    return files


@pytest.mark.parametrize(("suffix", "args", "codec"), FORMATS, ids=[f[0] for f in FORMATS])
def test_reads_the_audio_stream_and_the_duration_ffprobe_reads(media, suffix, args, codec):
    found = probe_media(media[suffix], 10)
    assert isinstance(found, MediaProbe)
    assert found.codec == codec and found.channels == 2 and found.sample_rate_hz == 48000
    assert found.duration_s == pytest.approx(_ffprobe_duration(media[suffix]), abs=0.01)
    assert found.duration_s == pytest.approx(3.25, abs=0.03)


def test_a_file_that_is_not_media_is_unreadable_and_named(tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<html><body>" + "not audio " * 500 + "</body></html>")
    empty = tmp_path / "empty.webm"
    empty.write_bytes(b"")
    for path in (page, empty, tmp_path / "missing.ogg"):
        with pytest.raises(ProbeError) as err:
            probe_media(path, 10)
        assert err.value.code == "unreadable" and path.name in str(err.value) and "not readable media" in str(err.value)


def test_video_without_audio_and_audio_without_samples(tmp_path):
    video = tmp_path / "video.mkv"
    _ffmpeg("-f", "lavfi", "-i", "color=c=red:s=32x32:d=1", "-c:v", "mpeg4", str(video))
    with pytest.raises(ProbeError) as err:
        probe_media(video, 10)
    assert err.value.code == "no_audio" and "video.mkv: no audio stream" in str(err.value)
    silent = tmp_path / "nothing.wav"
    soundfile.write(silent, np.zeros((0, 2), dtype=np.float32), 48000)
    with pytest.raises(ProbeError) as err:
        probe_media(silent, 10)
    assert err.value.code == "zero_length" and "nothing.wav: zero-length audio" in str(err.value)


def test_a_file_that_hangs_the_demuxer_meets_the_timeout_and_the_next_probe_works(tmp_path, media):
    fifo = tmp_path / "stream.webm"
    os.mkfifo(fifo)  # nobody writes: opening it for reading blocks, as a file built to stall the demuxer would
    started = time.monotonic()
    with pytest.raises(ProbeError) as err:
        probe_media(fifo, 1.0)
    assert err.value.code == "timed_out" and "stream.webm: the probe took over 1 s (probe limit)" in str(err.value)
    assert time.monotonic() - started < 1.0 + probe_module.HELPER_GRACE_S
    assert probe_media(media["ogg"], 10).codec == "opus"


def _helper_process() -> psutil.Process:
    proc = probe_module._helper()._proc
    if proc is None:
        raise AssertionError("no helper is running")
    return psutil.Process(proc.pid)


def _wait_for_child(helper: psutil.Process) -> psutil.Process:
    for _ in range(500):
        children = helper.children()
        if children:
            return children[0]
        time.sleep(0.01)
    raise AssertionError("the helper never forked a probe")


def _probe_a_fifo_in_a_thread(fifo: Path) -> tuple[threading.Thread, dict[str, BaseException]]:
    """A probe (30-s timeout) of a FIFO nobody writes, blocked in the helper's child until the test acts."""
    os.mkfifo(fifo)
    outcome: dict[str, BaseException] = {}

    def probe() -> None:
        try:
            probe_media(fifo, 30)
        except ProbeError as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=probe)
    thread.start()
    return thread, outcome


def test_a_probe_that_crashes_is_an_unreadable_file_and_the_helper_lives_on(tmp_path, media):
    probe_media(media["wav"], 10)  # the helper is up
    helper = _helper_process()
    thread, outcome = _probe_a_fifo_in_a_thread(tmp_path / "crash.ogg")
    os.kill(_wait_for_child(helper).pid, signal.SIGSEGV)  # what a demuxer bug on a crafted file does
    thread.join(10)
    error = outcome["error"]
    assert isinstance(error, ProbeError) and error.code == "unreadable"
    assert "crash.ogg: not readable media (the demuxer stopped with signal 11)" in str(error)
    assert _helper_process().pid == helper.pid and probe_media(media["flac"], 10).codec == "flac"


def test_a_helper_that_dies_fails_the_probe_in_flight_and_is_started_again(tmp_path, media):
    probe_media(media["wav"], 10)
    first = _helper_process()
    thread, outcome = _probe_a_fifo_in_a_thread(tmp_path / "in-flight.webm")
    orphan = _wait_for_child(first)
    first.kill()
    thread.join(10)
    assert "in-flight.webm: the probe helper stopped answering" in str(outcome["error"])
    orphan.wait(5)  # killed with the helper's process group, not left blocked on the FIFO
    assert probe_media(media["m4a"], 10).codec == "aac"
    assert _helper_process().pid != first.pid
    first.wait(5)
    assert probe_media(media["mka"], 10).codec == "vorbis"


def test_probes_from_many_threads_each_get_their_own_answer(media):
    order = list(media) * 4
    with ThreadPoolExecutor(8) as pool:
        found = list(pool.map(lambda suffix: probe_media(media[suffix], 10).codec, order))
    codecs = {suffix: codec for suffix, _, codec in FORMATS}
    assert found == [codecs[s] for s in order]


def test_the_acquire_stage_reports_a_probe_failure_as_a_download_error(tmp_path, media):
    page = tmp_path / "media.webm"
    page.write_text("<html>an error page served as media</html>")
    with pytest.raises(DownloadError) as err:
        probe_audio(page, 10)
    assert err.value.code == "download_failed" and "media.webm: not readable media" in str(err.value)
    fifo = tmp_path / "media.m4a"
    os.mkfifo(fifo)
    with pytest.raises(DownloadError) as err:
        probe_audio(fifo, 0.5)
    assert err.value.code == "timed_out" and "probe limit" in str(err.value)
    assert probe_audio(media["webm"], 10) == pytest.approx(3.25, abs=0.03)


@pytest.mark.parametrize(("answer", "code", "words"), [
    ({"duration_s": 3.0, "codec": None, "sample_rate_hz": 48000, "channels": 2}, "unreadable", "names no codec"),
    ({"duration_s": 3.0, "codec": "opus", "sample_rate_hz": 0, "channels": 2}, "unreadable", "sample rate is 0"),
    ({"duration_s": 3.0, "codec": "opus", "sample_rate_hz": 48000}, "unreadable", "channel count is None"),
    ({"duration_s": "3", "codec": "opus", "sample_rate_hz": 48000, "channels": 2}, "unreadable", "duration of '3'"),
    ({"duration_s": float("nan"), "codec": "opus", "sample_rate_hz": 48000, "channels": 2}, "zero_length", "zero-length"),
    ({"codec": "opus", "sample_rate_hz": 48000, "channels": 2}, "zero_length", "zero-length"),
])
def test_an_answer_without_a_usable_stream_is_a_probe_error_naming_the_file(answer, code, words):
    with pytest.raises(ProbeError, match=words) as info:
        probe_module._result("/srv/media/x.webm", answer, 10.0)
    assert info.value.code == code and info.value.path == "/srv/media/x.webm" and str(info.value).startswith("x.webm: ")
    whole = {**answer, "duration_s": 3.0, "codec": "opus", "sample_rate_hz": 48000, "channels": 2}
    assert probe_module._result("/srv/media/x.webm", whole, 10.0) == MediaProbe(3.0, "opus", 48000, 2)
