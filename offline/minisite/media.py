"""Encoded audio for the mini site's videos, cached on disk.

A file's name carries a hash of everything its bytes depend on (the synth inputs, ``SYNTH_VERSION``
and the encoder settings), so a rerun reuses files and a change to the music or the encoder makes new
ones instead of serving stale audio. Files appear atomically: ffmpeg writes a temporary name in the
same directory, which is then renamed, so a killed run never leaves a half file under a real name.
Encoding is bit-exact (``+bitexact`` fixes the Ogg serial number and drops the encoder tag), so the
same spec gives the same bytes on every machine with the same ffmpeg/libopus.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import ffmpeg

from earsense_m2t.offline.minisite import synth
from earsense_m2t.offline.minisite.catalogue import VideoSpec
from earsense_m2t.schemas.layout import OutputLayout

DEFAULT_CACHE_DIR = OutputLayout().minisite_media
MEDIA_EXT = "ogg"
MEDIA_CONTENT_TYPE = "audio/ogg"
# Opus in Ogg at 48 kHz mono: what a YouTube "251" audio stream looks like, minus the WebM wrapper.
ENCODER_SETTINGS: dict[str, object] = {
    "format": "ogg",
    "acodec": "libopus",
    "audio_bitrate": "48k",
    "ar": 48000,
    "ac": 1,
    "fflags": "+bitexact",
    "flags:a": "+bitexact",
    "map_metadata": -1,
}


def cache_key(video: VideoSpec) -> str:
    payload = {"synth": synth.render_params(video), "encoder": ENCODER_SETTINGS}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def encode(audio_f32, out_path: Path) -> None:  # noqa: ANN001 - numpy array
    """Encode mono float32 samples at ``synth.SR`` to ``out_path`` atomically."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.stem}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        (
            ffmpeg.input("pipe:", format="f32le", ar=synth.SR, ac=1)
            .output(str(tmp), **ENCODER_SETTINGS)
            .global_args("-hide_banner", "-loglevel", "error")
            .overwrite_output()
            .run(input=audio_f32.astype("<f4").tobytes(), capture_stdout=True, capture_stderr=True)
        )
        os.replace(tmp, out_path)
    except ffmpeg.Error as exc:
        raise RuntimeError(f"ffmpeg failed encoding {out_path.name}: {exc.stderr.decode(errors='replace')}") from exc
    finally:
        tmp.unlink(missing_ok=True)


class MediaStore:
    """Renders each video at most once per cache dir, even when many requests ask at the same time."""

    def __init__(self, cache_dir: Path | None = None) -> None:
        self.cache_dir = Path(cache_dir) if cache_dir is not None else DEFAULT_CACHE_DIR
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def path_for(self, video: VideoSpec) -> Path:
        return self.cache_dir / f"{video.video_id}-{cache_key(video)[:16]}.{MEDIA_EXT}"

    def ensure(self, video: VideoSpec) -> Path:
        path = self.path_for(video)
        if path.exists():
            return path
        with self._guard:
            lock = self._locks.setdefault(path.name, threading.Lock())
        with lock:
            if not path.exists():
                encode(synth.render_video(video), path)
        return path

    def ensure_all(self, videos: Iterable[VideoSpec], workers: int | None = None) -> list[Path]:
        """Render every missing file; ffmpeg and numpy release the GIL, so threads use the cores."""
        videos = list(videos)
        workers = workers or min(4, os.cpu_count() or 1)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(self.ensure, videos))
