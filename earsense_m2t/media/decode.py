"""Decoding media to mono float32 PCM with ffmpeg.

ffmpeg does the decoding, the downmix (the mean of the channels) and the resampling (in C, and before
any sample reaches Python); this module only streams its output into one preallocated float32 array, in 1 MiB reads.
So a 60-minute movement costs one 16 kHz mono float32 copy (230 MB) and nothing more: no bytes
object of the whole output, no list of chunks to concatenate.

Two details matter for speed: ``-flush_packets 0`` (ffmpeg otherwise flushes every ~1 KB packet to a
pipe, which costs half as much CPU again as the decoding itself) and a 1 MiB pipe buffer.

A decode fails with :class:`DecodeError` (a ``RuntimeError``, which the segmenter already catches)
when ffmpeg exits non-zero, yields no samples, yields clearly less than the requested span
(truncated file), or, when no span was requested, reports decoding errors (the only sign of a
truncated file we get without probing it). The message names the file and ffmpeg's last stderr line.

**Taps** (:class:`Tap`): the same ffmpeg process can also write other cuts of the same decode to files
(``asplit`` in one filter graph: the media is read and decoded once, and each branch has its own
resampler). The features stage uses one for the 48 kHz listening excerpt (up to stereo, 16-bit WAV) and one
for the exported audio at a rate other than the spectrogram's, so a movement is decoded once however many
files come out of it; the mono stream on stdout is byte for byte what it is without taps.

**Spilling** (``spill``): ffmpeg writes the mono samples to a raw float32 file instead of the pipe, and the caller
gets a :class:`SampleFile`. It can be mapped whole (:meth:`SampleFile.mapped`: an array with no copy at all, where
reading the pipe costs a copy and a fresh buffer's page faults, ~0.06-0.09 CPU-s per 10 minutes), or read a slice
at a time (``[start:stop]``), so that the samples sit in the page cache (which the kernel may write out or drop)
and not in the process: every consumer of a movement's samples works chunk by chunk through slices, so the same
code runs on either and gives the same numbers, holding a few MB at a time instead of 230 MB for 60 minutes.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import math
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, overload

import ffmpeg
import numpy as np

from earsense_m2t.schemas.io import DiskFull, free_bytes

log = logging.getLogger(__name__)

READ_CHUNK_BYTES = 1 << 20
PIPE_BUFFER_BYTES = 1 << 20
_F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)  # Linux; elsewhere the call just fails harmlessly
_GLOBAL_ARGS = ("-nostdin", "-hide_banner", "-nostats", "-loglevel", "error")
_BYTES_PER_SAMPLE = 4  # f32le


class DecodeError(RuntimeError):
    """A media file could not be decoded (missing, not audio, empty, truncated or corrupt)."""

    def __init__(self, path: str | os.PathLike[str], cause: str, ffmpeg_said: str | None = None) -> None:
        self.path = str(path)
        self.cause = cause
        self.ffmpeg_said = ffmpeg_said
        message = f"{self.path}: {cause}"
        if ffmpeg_said:
            message += f" (ffmpeg: {ffmpeg_said})"
        super().__init__(message)


def ffmpeg_binary() -> str:
    """The ffmpeg to run; a missing one is a setup problem, reported before any file is blamed."""
    found = shutil.which("ffmpeg")
    if found is None:
        raise DecodeError("ffmpeg", "ffmpeg is not installed or not on PATH")
    return found


@dataclass(frozen=True)
class Tap:
    """A cut of the decoded span written to a WAV file by the same ffmpeg process.

    ``start_s``/``duration_s`` are relative to the decoded span (None: to its end); ``channels`` "source"
    keeps mono or stereo as the source has it (more channels are mixed down to stereo), 1 is the mean of
    the channels, as the mono stream; ``sample_format`` "s16" (16-bit) or "flt" (32-bit float).
    """

    path: Path
    sample_rate_hz: int
    start_s: float = 0.0
    duration_s: float | None = None
    channels: Literal["source", 1, 2] = "source"
    sample_format: Literal["s16", "flt"] = "s16"


class SampleFile:
    """Mono float32 samples in a raw little-endian file, read by slices (what a spilled decode returns).

    Quacks like the 1-D float32 array it stands for as far as the features stage uses one: ``shape``, ``size``,
    ``ndim``, ``dtype`` and ``[start:stop]``, which returns a new array read from the file. Closing it removes
    the file.
    """

    dtype = np.dtype(np.float32)
    ndim = 1

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._fd = os.open(self.path, os.O_RDONLY)
        self.size = os.fstat(self._fd).st_size // _BYTES_PER_SAMPLE
        self.shape = (self.size,)

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, key: slice) -> np.ndarray:
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise TypeError(f"{self.path}: a SampleFile is read by contiguous slices, not {key!r}")
        start, stop, _ = key.indices(self.size)
        out = np.empty(max(stop - start, 0), dtype=self.dtype)
        view, done = out.data.cast("B"), 0
        try:
            while done < out.nbytes:
                n = os.preadv(self._fd, [view[done:]], start * _BYTES_PER_SAMPLE + done)
                if n == 0:
                    raise DecodeError(self.path, f"the spilled samples ended early (read {done} of {out.nbytes} bytes)")
                done += n
        finally:
            view.release()
        return out

    def mapped(self) -> np.ndarray:
        """The whole file as a read-only array mapped onto it: no copy (ffmpeg's writes are already in the page
        cache), but every page read stays resident while the array lives. Drop the array before :meth:`close`."""
        return np.memmap(self.path, dtype=self.dtype, mode="r", shape=self.shape)

    def close(self) -> None:
        """Close and remove the file (idempotent)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> SampleFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def spill_path(folder: Path, stem: str, span_s: float, sample_rate_hz: int) -> Path:
    """A new, empty file in ``folder`` for the mono float32 samples of ``span_s`` seconds (``decode_mono``'s
    ``spill``); a disk without room for them is a :class:`DiskFull` before ffmpeg starts. The name is its own
    (mkstemp): two builds decoding the same clip at once must not share one."""
    needed = int(span_s * sample_rate_hz + sample_rate_hz) * 4
    folder.mkdir(parents=True, exist_ok=True)
    free = free_bytes(folder)
    if free is not None and free < needed:
        raise DiskFull(folder / f".{stem}.samples.f32", needed)
    fd, name = tempfile.mkstemp(prefix=f".{stem}.", suffix=".samples.f32", dir=folder)
    os.close(fd)
    return Path(name)


#: what the features stage's measurements and spectrogram accept: the samples in memory or a spilled file
Samples = np.ndarray | SampleFile


def decode_command(path: str | os.PathLike[str], sample_rate_hz: int, *, start_s: float = 0.0,
                   duration_s: float | None = None, taps: Sequence[Tap] = (), spill: Path | None = None) -> list[str]:
    """The ffmpeg argument list (never a shell string: file names may hold anything); ``spill``: the raw mono
    samples go to that file instead of stdout."""
    input_kwargs: dict[str, str] = {}
    if start_s > 0:
        input_kwargs["ss"] = f"{start_s:.6f}"  # input option: fast seek, then sample-accurate trim
    if duration_s is not None:
        input_kwargs["t"] = f"{duration_s:.6f}"
    # "file:" keeps a name with a colon from being read as a protocol
    source = ffmpeg.input(f"file:{Path(path).resolve()}", **input_kwargs)["a:0"]
    branches = source.filter_multi_output("asplit", len(taps) + 1) if taps else None
    main = branches[0] if branches is not None else source
    # rematrix_maxval=1: the mono downmix is the mean of the channels (ffmpeg's default, -3 dB per
    # channel, lifts identical channels by 3 dB over full scale and would fake clipping)
    # the mono stream is converted by an explicit resampler, with or without taps, so its samples do not
    # depend on the taps (in a filter graph an output's resampler options would not reach the conversion
    # ffmpeg inserts: rematrix_maxval would be lost)
    target = "pipe:" if spill is None else f"file:{Path(spill).resolve()}"
    out = _mono(main, sample_rate_hz).output(target, format="f32le", flush_packets=0)
    if branches is None:
        return out.compile(cmd=[ffmpeg_binary(), *_GLOBAL_ARGS, *(() if spill is None else ("-y",))])
    outputs = [out]
    for i, tap in enumerate(taps, 1):
        stream = branches[i]
        trim: dict[str, float] = {}
        if tap.start_s > 0:
            trim["start"] = round(tap.start_s, 6)
        if tap.duration_s is not None:
            trim["duration"] = round(tap.duration_s, 6)
        if trim:
            stream = stream.filter("atrim", **trim).filter("asetpts", "PTS-STARTPTS")
        if tap.channels == 1:
            stream = _mono(stream, tap.sample_rate_hz, tap.sample_format)
        else:
            # the conversion is the tap's own resampler's: an aformat straight after asplit would constrain the split
            # itself (its outputs share its input's format), so the mono stream too would be cut to 16 bits, its overs
            # clipped, and a 5.1 source folded to stereo before its mean was taken
            layouts = "mono|stereo" if tap.channels == "source" else "stereo"
            stream = (stream.filter("aresample", out_sample_fmt=tap.sample_format)
                      .filter("aformat", sample_fmts=tap.sample_format, channel_layouts=layouts))
        kwargs: dict[str, object] = {"format": "wav", "ar": int(tap.sample_rate_hz), "fflags": "+bitexact",
                                     "flags:a": "+bitexact", "map_metadata": "-1"}
        outputs.append(stream.output(f"file:{Path(tap.path).resolve()}", **kwargs))
    return ffmpeg.merge_outputs(*outputs).compile(cmd=[ffmpeg_binary(), *_GLOBAL_ARGS, "-y"])


def _mono(stream: ffmpeg.nodes.FilterableStream, sample_rate_hz: int, sample_format: str = "flt"
          ) -> ffmpeg.nodes.FilterableStream:
    """The mean of the channels at ``sample_rate_hz``: one resampler doing downmix, rate and format."""
    return stream.filter("aresample", out_sample_rate=int(sample_rate_hz), out_chlayout="mono",
                         out_sample_fmt=sample_format, rematrix_maxval=1.0)


@overload
def decode_mono(path: str | os.PathLike[str], sample_rate_hz: int, *, start_s: float = 0.0,
                duration_s: float | None = None, shortfall_tolerance_s: float = 2.0,
                taps: Sequence[Tap] = (), spill: None = None) -> np.ndarray: ...


@overload
def decode_mono(path: str | os.PathLike[str], sample_rate_hz: int, *, start_s: float = 0.0,
                duration_s: float | None = None, shortfall_tolerance_s: float = 2.0,
                taps: Sequence[Tap] = (), spill: Path) -> SampleFile: ...


def decode_mono(path: str | os.PathLike[str], sample_rate_hz: int, *, start_s: float = 0.0,
                duration_s: float | None = None, shortfall_tolerance_s: float = 2.0,
                taps: Sequence[Tap] = (), spill: Path | None = None) -> Samples:
    """Decode ``[start_s, start_s + duration_s)`` of ``path`` to mono float32 at ``sample_rate_hz``.

    Returns a 1-D float32 array (a view of the one buffer the samples were read into), or with ``spill`` a
    :class:`SampleFile` of that path (the caller closes it; a failed decode removes it). Samples are not
    clipped: ffmpeg's float output keeps overs above 1.0, which the clipping check needs to see.
    ``taps``: other cuts of the same decode, written to their files by the same ffmpeg process
    (:class:`Tap`); a caller removes them when the decode fails.
    """
    path = Path(path)
    if not path.is_file():
        raise DecodeError(path, "no such file")
    if start_s < 0 or (duration_s is not None and duration_s <= 0):
        raise DecodeError(path, f"empty or negative span: start {start_s} s, duration {duration_s} s")
    if path.stat().st_size == 0:
        raise DecodeError(path, "file is empty (0 bytes)")
    cmd = decode_command(path, sample_rate_hz, start_s=start_s, duration_s=duration_s, taps=taps, spill=spill)
    expected = None if duration_s is None else math.ceil(duration_s * sample_rate_hz)
    try:
        samples, returncode, stderr_lines = _run(cmd, path, spill, initial=(expected + sample_rate_hz) if expected
                                                 else 60 * sample_rate_hz)
    except BaseException:
        if spill is not None:
            Path(spill).unlink(missing_ok=True)
        raise
    try:
        _verdict(path, samples, sample_rate_hz, returncode, stderr_lines, start_s, duration_s, shortfall_tolerance_s)
    except DecodeError:
        if isinstance(samples, SampleFile):
            samples.close()
        raise
    return samples


def _run(cmd: list[str], path: Path, spill: Path | None, *, initial: int) -> tuple[Samples, int, list[str]]:
    """Run ffmpeg; the samples (read from its stdout, or the spill file once it exits), its status, its stderr."""
    with tempfile.TemporaryFile() as err:  # a file, not a pipe: a chatty ffmpeg can never block on it
        try:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE if spill is None else subprocess.DEVNULL, stderr=err,
                                    stdin=subprocess.DEVNULL, bufsize=0)
        except OSError as exc:
            raise DecodeError(path, f"could not start ffmpeg: {exc}") from exc
        try:
            read = _read_all(proc, initial=initial) if spill is None else None
        except BaseException:
            proc.kill()  # interrupted or out of memory: do not leave ffmpeg behind
            raise
        finally:
            if proc.stdout is not None:
                proc.stdout.close()
            proc.wait()  # after EOF ffmpeg may still be finishing: its exit status is the verdict
        err.seek(0)
        stderr_lines = [ln.strip() for ln in err.read().decode("utf-8", "replace").splitlines() if ln.strip()]
    if spill is not None:
        Path(spill).touch(exist_ok=True)  # an ffmpeg that failed before opening its output wrote nothing
        return SampleFile(spill), proc.returncode, stderr_lines
    if read is None:
        raise ValueError("ffmpeg's samples were neither read nor spilled")
    return read, proc.returncode, stderr_lines


def _verdict(path: Path, samples: Samples, sample_rate_hz: int, returncode: int, stderr_lines: list[str],
             start_s: float, duration_s: float | None, shortfall_tolerance_s: float) -> None:
    """Raise :class:`DecodeError` unless the decode gave the span it was asked for."""
    last = stderr_lines[-1] if stderr_lines else None
    where = _span_text(start_s, duration_s)
    if returncode != 0:
        raise DecodeError(path, f"ffmpeg exited with status {returncode} decoding {where}", last)
    if samples.size == 0:
        raise DecodeError(path, f"no audio samples decoded from {where}", last)
    got_s = samples.size / sample_rate_hz
    if duration_s is not None and got_s < duration_s - shortfall_tolerance_s:
        raise DecodeError(path, f"truncated or corrupt: decoded {got_s:.2f} s of the {duration_s:.2f} s "
                                f"requested ({where})", last)
    if duration_s is None and stderr_lines:
        raise DecodeError(path, f"decoding errors after {got_s:.2f} s; the file is probably truncated or corrupt",
                          last)
    if stderr_lines:
        log.warning("%s: ffmpeg reported %d problem(s) but the span decoded in full; last: %s",
                    path, len(stderr_lines), last)


def _read_all(proc: subprocess.Popen[bytes], *, initial: int) -> np.ndarray:
    """Read ffmpeg's stdout straight into one float32 buffer, growing it in place only if needed."""
    if proc.stdout is None:
        raise ValueError("ffmpeg was started without a stdout pipe")
    fd = proc.stdout.fileno()
    with contextlib.suppress(OSError):
        fcntl.fcntl(fd, _F_SETPIPE_SZ, PIPE_BUFFER_BYTES)
    buf = np.empty(max(initial, 1), dtype=np.float32)
    filled = 0  # bytes
    while True:
        if filled == buf.nbytes:  # more than expected: grow in place (realloc), not by concatenation
            buf.resize(2 * buf.size, refcheck=False)
        view = buf.data.cast("B")
        try:
            n = os.readv(fd, [view[filled:min(filled + READ_CHUNK_BYTES, buf.nbytes)]])
        finally:
            view.release()
        if n == 0:
            break
        filled += n
    usable = filled - filled % _BYTES_PER_SAMPLE
    return buf[: usable // _BYTES_PER_SAMPLE]


def _span_text(start_s: float, duration_s: float | None) -> str:
    if duration_s is None:
        return "the whole file" if start_s == 0 else f"{start_s:.3f} s to the end"
    return f"{start_s:.3f}-{start_s + duration_s:.3f} s"


__all__ = ["DecodeError", "SampleFile", "Samples", "Tap", "decode_command", "decode_mono", "ffmpeg_binary", "spill_path"]
