"""The limits every download is held to: the defaults, and the reason for each, in this one place.

A recording that breaks a limit is a ``Failure`` of the acquire stage whose reason names its URL and
the limit (code ``too_large``, ``too_long`` or ``timed_out``); the rest of the build goes on. Each
limit is enforced where it can be, not where it is convenient:

- ``max_bytes`` while the bytes stream in (a response without Content-Length is counted too), and up
  front when a Content-Length or the host's metadata already says more;
- ``max_duration_s`` on the host's metadata before any media byte, and on the downloaded file's audio
  stream (the probe, :mod:`earsense_m2t.media.probe`) before the file is accepted: direct media carry no
  metadata, so only the probe can refuse a 10-hour file, and nothing later ever decodes one;
- ``read_timeout_s`` on every connect and every read (yt-dlp's ``socket_timeout``);
- ``deadline_s`` on the wall clock of the whole download, retries included: a server that sends a
  byte just inside the read timeout never trips that one.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Limits:
    #: bytes one download may read (pages and media together). Four hours of audio at 320 kbit/s are
    #: 0.58 GB; 1 GiB leaves room for a muxed video stream when a host offers no audio-only format.
    max_bytes: int = 1 << 30
    #: seconds of audio. Chamber works rarely pass an hour and a half; four hours keep a whole concert
    #: and refuse what is not one recording of one work (compilations, loops, 10-hour streams).
    max_duration_s: float = 4 * 3600
    #: seconds a connect or a read may wait for the next byte. A working server answers well within a
    #: second; 30 s ride out a slow CDN start or a congested link.
    read_timeout_s: float = 30.0
    #: wall-clock seconds for one download, retries included: ``max_bytes`` at 0.6 MB/s (1 GiB in 30 min).
    #: Nothing we want arrives slower than that.
    deadline_s: float = 30 * 60
    #: seconds the probe may take to read a downloaded file's streams and duration (a local file: it needs
    #: a few milliseconds; the bound is for a file built to make it hang).
    probe_timeout_s: float = 60.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not value > 0:
                raise ValueError(f"Limits.{f.name} must be positive, not {value!r}")


__all__ = ["Limits"]
