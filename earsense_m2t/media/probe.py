"""What a downloaded file holds (its first audio stream, its duration), read by FFmpeg's demuxer in a few ms.

Every download is probed before it is accepted: the probe is the check that the file is audio FFmpeg can
read and that it lasts less than the duration limit, and a file made to hang or crash a demuxer must meet a
timeout, not the build. A probe therefore never runs in the build's process. It used to be one ``ffprobe``
process per download, ~70 ms of CPU of which ~55 ms was the binary starting (Debian's ffmpeg links 215
shared libraries); on a ×10 mini-site build that was half of the acquire stage's CPU.

Now one **helper process** per build process loads PyAV (FFmpeg's libraries, once) and, for each file,
``fork``\\ s a child that opens it (``avformat_open_input`` and ``avformat_find_stream_info``, what ffprobe
does) and writes one JSON line to a pipe: ~4 ms of CPU. The helper kills a child that outlives the probe
timeout and reports a child that died without an answer; the build process kills and restarts a helper that
stops answering. The helper is single-threaded, so forking it is safe (the build process, with its thread
pools, never forks). Requests from several threads share the helper one at a time (a lock).

The probe reads with PyAV's FFmpeg, the decode (:mod:`.decode`) with the system's ``ffmpeg``: a file one can
read and the other cannot fails at the decode, as any undecodable file does, as a failure of its movements.

Run as ``python -m earsense_m2t.media.probe``, this module is the helper (requests and answers are JSON lines
on its stdin and stdout).
"""

from __future__ import annotations

import atexit
import json
import math
import os
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal

#: seconds the helper may take to start (a Python process importing PyAV: ~0.1 s) or to answer beyond the
#: probe's own timeout (it kills the child at that timeout and answers at once)
HELPER_GRACE_S = 30.0
#: bytes of one answer line at most (a few hundred in practice): a longer one is a helper that went wrong
MAX_ANSWER_BYTES = 1 << 16

ProbeCode = Literal["unreadable", "no_audio", "zero_length", "timed_out"]


@dataclass(frozen=True)
class MediaProbe:
    """A file's first audio stream and the container's duration, as FFmpeg's demuxer reads them."""

    duration_s: float
    codec: str
    sample_rate_hz: int
    channels: int


class ProbeError(RuntimeError):
    """A file is not readable audio (``code`` says how), or could not be probed in time."""

    def __init__(self, path: str | os.PathLike[str], cause: str, code: ProbeCode = "unreadable") -> None:
        self.path = str(path)
        self.code = code
        super().__init__(f"{Path(path).name}: {cause}")


def probe_media(path: str | os.PathLike[str], timeout_s: float) -> MediaProbe:
    """Probe ``path`` in a child of the helper process; raises :class:`ProbeError` naming the file."""
    if not timeout_s > 0:
        raise ValueError(f"probe timeout must be positive, not {timeout_s!r}")
    answer = _helper().ask({"path": str(Path(path).resolve()), "timeout_s": float(timeout_s)}, timeout_s)
    return _result(path, answer, timeout_s)


def _result(path: str | os.PathLike[str], answer: dict[str, Any], timeout_s: float) -> MediaProbe:
    if "error" in answer:
        code = answer.get("code", "unreadable")
        if code == "timed_out":
            raise ProbeError(path, f"the probe took over {timeout_s:g} s (probe limit)", "timed_out")
        raise ProbeError(path, str(answer["error"]), code)
    duration = answer.get("duration_s")
    if duration is not None and not _is_number(duration):
        raise ProbeError(path, f"the probe read a duration of {duration!r}", "unreadable")
    if not duration or not 0 < duration < math.inf:
        raise ProbeError(path, "zero-length audio", "zero_length")
    codec, rate, channels = answer.get("codec"), answer.get("sample_rate_hz"), answer.get("channels")
    # the helper's answer comes from a file's headers: a stream that names no codec, rate or channel count is a
    # file the decode could not use either (and a malformed answer must not become a traceback)
    if not isinstance(codec, str) or not codec:
        raise ProbeError(path, "the audio stream names no codec", "unreadable")
    return MediaProbe(duration_s=float(duration), codec=codec, sample_rate_hz=_count(path, "sample rate", rate),
                      channels=_count(path, "channel count", channels))


def _count(path: str | os.PathLike[str], name: str, value: object) -> int:
    """``value`` if it is a positive integer, else the :class:`ProbeError` that names it."""
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ProbeError(path, f"the audio stream's {name} is {value!r}", "unreadable")
    return value


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# ---- the build process's side ---------------------------------------------------------------------------

class _Helper:
    """One helper process, started on the first probe and again after it stopped answering."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._owner = os.getpid()

    def ask(self, request: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        with self._lock:
            proc = self._started()
            try:
                if proc.stdin is None or proc.stdout is None:
                    raise OSError("it has no pipes")
                proc.stdin.write(json.dumps(request).encode("utf-8") + b"\n")
                proc.stdin.flush()
                line = _read_line(proc.stdout, time.monotonic() + timeout_s + HELPER_GRACE_S)
            except (OSError, TimeoutError) as exc:
                self._stop()
                raise ProbeError(request["path"], f"the probe helper stopped answering ({exc})") from exc
            try:
                answer: dict[str, Any] = json.loads(line)
            except ValueError as exc:
                self._stop()
                raise ProbeError(request["path"], "the probe helper answered nonsense") from exc
            return answer

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _started(self) -> subprocess.Popen[bytes]:
        if self._proc is not None and self._proc.poll() is None and self._owner == os.getpid():
            return self._proc
        if self._owner == os.getpid():
            self._stop()
        self._owner = os.getpid()  # a forked copy of this object starts its own helper, never shares the pipes
        # -P: a folder named earsense_m2t in the working directory is not imported instead of the package;
        # its own process group: stopping it also kills a probe child it left behind (see _stop)
        self._proc = subprocess.Popen([sys.executable, "-P", "-m", __name__], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.DEVNULL, close_fds=True, start_new_session=True)
        return self._proc

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        try:
            proc.wait(timeout=2)  # a helper whose stdin closed finishes its probe and exits
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        try:  # a child of a helper that was killed (or is wedged) has nobody to kill it at its timeout
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _read_line(stream: BinaryIO, deadline: float) -> bytes:
    """One ``\\n``-terminated line from a pipe by ``deadline`` (monotonic), or TimeoutError / EOFError."""
    fd, data = stream.fileno(), b""
    while not data.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise TimeoutError("no answer in time")
        chunk = os.read(fd, 4096)
        if not chunk:
            raise OSError("it exited")
        data += chunk
        if len(data) > MAX_ANSWER_BYTES:
            raise OSError("its answer is too long")
    return data


_HELPER = _Helper()
atexit.register(_HELPER.close)


def _helper() -> _Helper:
    return _HELPER


# ---- the helper's side ------------------------------------------------------------------------------------

def _open_and_read(path: str) -> dict[str, Any]:
    """In the forked child: what ffprobe's ``format=duration`` and first audio stream say."""
    import av

    try:
        with av.open(path, mode="r") as container:
            audio = next((s for s in container.streams if s.type == "audio"), None)
            if audio is None:
                return {"error": "no audio stream", "code": "no_audio"}
            duration = container.duration / 1_000_000 if container.duration is not None else 0.0
            return {"duration_s": duration, "codec": audio.codec_context.name, "sample_rate_hz": audio.sample_rate,
                    "channels": audio.channels}
    except (av.FFmpegError, OSError, ValueError, UnicodeDecodeError) as exc:
        return {"error": f"not readable media ({getattr(exc, 'strerror', None) or type(exc).__name__})",
                "code": "unreadable"}


def _probe_in_child(path: str, timeout_s: float) -> dict[str, Any]:
    """Fork; the child answers through a pipe; a child past ``timeout_s`` is killed."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: answer and leave without running any of the helper's exit handlers
        code = 0
        try:
            os.close(read_fd)
            # the helper's stdin and stdout are the build process's pipes: a child holding them would keep the
            # build process from seeing the helper's death (no EOF) while the child lives on
            devnull = os.open(os.devnull, os.O_RDWR)
            os.dup2(devnull, 0)
            os.dup2(devnull, 1)
            os.write(write_fd, json.dumps(_open_and_read(path)).encode("utf-8"))
        except BaseException:  # noqa: BLE001 - whatever it was, the parent reports a child without an answer
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    data, deadline, timed_out = b"", time.monotonic() + timeout_s, False
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([read_fd], [], [], left)[0]:
                timed_out = True
                os.kill(pid, signal.SIGKILL)
                break
            chunk = os.read(read_fd, 65536)
            if not chunk:
                break
            data += chunk
    finally:
        os.close(read_fd)
        _, status = os.waitpid(pid, 0)
    if timed_out:
        return {"error": "timed out", "code": "timed_out"}
    try:
        return dict(json.loads(data))
    except ValueError:
        how = (f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else f"exit status {os.waitstatus_to_exitcode(status)}")
        return {"error": f"not readable media (the demuxer stopped with {how})", "code": "unreadable"}


def serve(requests: BinaryIO, answers: BinaryIO) -> None:
    """The helper's loop: one JSON request line in, one JSON answer line out, until its stdin closes."""
    import av
    import av.logging

    av.logging.set_level(None)  # FFmpeg's own log lines would go to a stderr nobody reads
    for line in requests:
        try:
            request = json.loads(line)
            answer = _probe_in_child(str(request["path"]), float(request["timeout_s"]))
        except (ValueError, KeyError, TypeError) as exc:
            answer = {"error": f"bad request ({exc})", "code": "unreadable"}
        answers.write(json.dumps(answer).encode("utf-8") + b"\n")
        answers.flush()


__all__ = ["HELPER_GRACE_S", "MediaProbe", "ProbeError", "probe_media"]

if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
