"""Download recordings with yt-dlp's Python API into a content-addressed media cache.

Media live under a hash of their source id: ``<cache>/<h[:2]>/<h>/`` holds the file, yt-dlp's info
JSON (kept for provenance) and ``media.json``, our completion marker. A folder is only ever
renamed into place once complete, so a killed download leaves no half entry, and a rerun finds the
marker and downloads nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yt_dlp
from yt_dlp.utils import match_filter_func

from earsense_m2t.schemas import Media
from earsense_m2t.schemas.io import atomic_write_text, sha256_file

MARKER = "media.json"
ARCHIVE = "download-archive.txt"  # yt-dlp's own record of what was downloaded, beside the cache


@dataclass(frozen=True)
class DownloadOptions:
    """Limits that keep one odd recording from eating the disk or the day."""

    max_duration_s: float = 4 * 3600  # a 6-hour video is not a chamber work
    max_filesize_bytes: int = 1 << 30
    rate_limit_bytes_s: int | None = None
    retries: int = 3
    socket_timeout_s: float = 30.0
    format: str = "bestaudio/best"


class DownloadError(RuntimeError):
    """One recording could not be fetched; the message names the URL and the reason."""


def media_dir(cache_dir: Path, source_id: str) -> Path:
    h = hashlib.sha256(source_id.encode("utf-8")).hexdigest()
    return cache_dir / h[:2] / h


def cached_media(cache_dir: Path, source_id: str) -> Media | None:
    """The cached record, if its file is still there (a rerun does no download)."""
    marker = media_dir(cache_dir, source_id) / MARKER
    if not marker.exists():
        return None
    media = Media.from_dict(json.loads(marker.read_text(encoding="utf-8")))
    return media if Path(media.path).exists() else None


def _ydl_options(workdir: Path, opts: DownloadOptions, archive: Path) -> dict[str, Any]:
    return {
        "download_archive": str(archive),
        "format": opts.format,
        "outtmpl": {"default": str(workdir / "media.%(ext)s")},
        "writeinfojson": True,
        "noplaylist": True,
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "retries": opts.retries,
        "fragment_retries": opts.retries,
        "extractor_retries": opts.retries,
        "retry_sleep_functions": {"http": lambda n: min(2.0 ** n, 30.0), "extractor": lambda n: min(2.0 ** n, 30.0)},
        "socket_timeout": opts.socket_timeout_s,
        "max_filesize": opts.max_filesize_bytes,
        "ratelimit": opts.rate_limit_bytes_s,
        "match_filter": match_filter_func(f"duration <=? {int(opts.max_duration_s)}"),
        "cachedir": False,
    }


def probe_audio(path: Path) -> float:
    """Duration of the first audio stream; raises naming the file when there is none."""
    proc = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries", "stream=codec_type:format=duration",
         "-of", "json", str(path)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise DownloadError(f"{path.name}: not readable media ({proc.stderr.strip().splitlines()[-1:] or 'ffprobe failed'})")
    data = json.loads(proc.stdout or "{}")
    if not data.get("streams"):
        raise DownloadError(f"{path.name}: no audio stream")
    duration = float(data.get("format", {}).get("duration") or 0.0)
    if duration <= 0:
        raise DownloadError(f"{path.name}: zero-length audio")
    return duration


def _media_record(source_id: str, url: str, final_dir: Path, media_file: Path, info: dict[str, Any],
                  duration_s: float) -> Media:
    chapters = tuple((float(c.get("start_time") or 0.0), str(c.get("title") or ""))
                     for c in info.get("chapters") or [])
    return Media(
        source_id=source_id, source_url=url, path=str(final_dir / media_file.name), sha256=sha256_file(media_file),
        downloaded_at=datetime.now(UTC).isoformat(timespec="seconds"), extractor=info.get("extractor_key"),
        title=info.get("title"), uploader=info.get("uploader"), duration_s=duration_s,
        description=info.get("description") or None, license=info.get("license"), chapters=chapters,
        info_json_path=str(final_dir / "media.info.json"),
    )


def _extract(url: str, workdir: Path, opts: DownloadOptions, archive: Path) -> dict[str, Any] | None:
    try:
        with yt_dlp.YoutubeDL(_ydl_options(workdir, opts, archive)) as ydl:
            return ydl.extract_info(url, download=True)
    except yt_dlp.utils.DownloadError as exc:
        raise DownloadError(f"{url}: {str(exc).removeprefix('ERROR: ')}") from exc


def _media_files(workdir: Path) -> list[Path]:
    return [p for p in workdir.iterdir() if p.name.startswith("media.") and not p.name.endswith((".json", ".part"))]


def _forget_in_archive(archive: Path, info: dict[str, Any]) -> bool:
    """Drop this media's line from yt-dlp's archive; True when there was one."""
    key = f"{str(info.get('extractor_key') or info.get('extractor') or '').lower()} {info.get('id')}"
    if not archive.exists():
        return False
    lines = archive.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if line.strip() != key]
    if len(kept) == len(lines):
        return False
    atomic_write_text(archive, "".join(f"{line}\n" for line in kept))
    return True


def download_media(url: str, source_id: str, cache_dir: Path, opts: DownloadOptions = DownloadOptions()) -> Media:
    """Fetch one recording (or return the cached one). Raises DownloadError naming the URL."""
    cached = cached_media(cache_dir, source_id)
    if cached is not None:
        return cached
    final_dir = media_dir(cache_dir, source_id)
    final_dir.parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=f".{final_dir.name[:12]}-", dir=final_dir.parent))
    try:
        archive = cache_dir / ARCHIVE
        info = _extract(url, workdir, opts, archive)
        files = _media_files(workdir)
        if not files and info is not None and _forget_in_archive(archive, info):
            # the archive says "downloaded" but the cache entry is gone (deleted by hand): fetch it again
            info = _extract(url, workdir, opts, archive)
            files = _media_files(workdir)
        if info is None:
            raise DownloadError(f"{url}: yt-dlp returned nothing")
        if not files:
            reason = "filtered out (duration or size limit)" if info.get("duration") else "no file was written"
            raise DownloadError(f"{url}: {reason}")
        try:
            duration = probe_audio(files[0])
        except DownloadError as exc:
            _forget_in_archive(archive, info)  # what we refuse was never downloaded, for yt-dlp too
            raise DownloadError(f"{url}: {exc}") from exc
        info_path = workdir / "media.info.json"
        if not info_path.exists():
            info_path.write_text(json.dumps(yt_dlp.YoutubeDL.sanitize_info(info)), encoding="utf-8")
        media = _media_record(source_id, url, final_dir, files[0], info, duration)
        atomic_write_text(workdir / MARKER, json.dumps(media.to_dict(), ensure_ascii=False, indent=1))
        if final_dir.exists():
            shutil.rmtree(final_dir)  # an older, incomplete entry without marker
        os.replace(workdir, final_dir)
        return media
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
