"""Tiny annotation folders for the page's tests: a pool of generated excerpts, triplets, a running server.

The excerpts are real Ogg Vorbis files (a sine per movement, written with soundfile), named by their
content hash as the build names them, so the browser really decodes what the server sends.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import select
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import soundfile

from earsense_m2t.annotation.paths import AnnotationPaths
from earsense_m2t.annotation.tool.webapp import create_app, serving
from earsense_m2t.schemas.annotation import PoolExcerpt, Triplet
from earsense_m2t.schemas.io import content_key, write_records

SAMPLE_RATE_HZ = 22_050


def excerpt_bytes(frequency_hz: float, seconds: float) -> bytes:
    t = np.arange(int(SAMPLE_RATE_HZ * seconds)) / SAMPLE_RATE_HZ
    signal = (0.3 * np.sin(2 * np.pi * frequency_hz * t)).astype(np.float32)
    buffer = io.BytesIO()
    soundfile.write(buffer, signal, SAMPLE_RATE_HZ, format="OGG", subtype="VORBIS")
    return buffer.getvalue()


def movement(k: int) -> str:
    """Movement ids with the characters real ones have ('-' in the work slug, '#'), so pair ids are ambiguous."""
    return f"quartet-no-{k // 3 + 1}#{k % 3 + 1}"


def build_folder(annotation_dir: Path, n_triplets: int = 2, seconds: float = 1.0,
                 rounds: list[int] | None = None) -> tuple[list[PoolExcerpt], list[Triplet]]:
    """Write pool.jsonl, triplets.jsonl and excerpts/ for ``n_triplets`` triplets of fresh movements.

    ``rounds`` gives each triplet's round in file order (default: all round 1).
    """
    paths = AnnotationPaths.at(annotation_dir)
    paths.excerpts.mkdir(parents=True, exist_ok=True)
    pool: list[PoolExcerpt] = []
    for k in range(3 * n_triplets):
        data = excerpt_bytes(220.0 * (1 + k % 7) + 3 * k, seconds)
        sha = hashlib.sha256(data).hexdigest()
        (paths.excerpts / f"{sha}.ogg").write_bytes(data)
        mid = movement(k)
        pool.append(PoolExcerpt(id=mid, movement_id=mid, work_id=mid.split("#")[0], source_id=f"src{k}",
                                start_s=30.0, duration_s=seconds, loudness_before_lufs=-24.0, playback_gain_db=1.5,
                                excerpt_sha256=sha, excerpt_file=f"{sha}.ogg"))
    rounds = rounds or [1] * n_triplets
    triplets = []
    for i in range(n_triplets):
        ids = (movement(3 * i), movement(3 * i + 1), movement(3 * i + 2))
        triplets.append(Triplet(id="t" + content_key(sorted(ids), 0)[:12], round=rounds[i], triplet_type="global",
                                movement_ids=ids))
    write_records(paths.pool, pool)
    write_records(paths.triplets, triplets)
    return pool, triplets


@contextlib.contextmanager
def running_page(annotation_dir: Path, require_listening: bool = False) -> Iterator[str]:
    """The page over ``annotation_dir``, served by uvicorn on a free 127.0.0.1 port; yields its base URL."""
    with serving(create_app(annotation_dir, require_listening=require_listening), "127.0.0.1", 0) as url:
        yield url


@contextlib.contextmanager
def page_process(out: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """``earsense-m2t annotate --out OUT --port 0 [ARGS]`` in its own process (as a person runs it); yields its base
    URL.

    A process of its own also keeps the server off the test's GIL, where many client threads would slow it.
    """
    proc = subprocess.Popen([str(Path(sys.executable).parent / "earsense-m2t"), "annotate", "--out", str(out),
                             "--port", "0", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        line = proc.stdout.readline() if ready else ""
        if not line.startswith("Annotation page at "):
            proc.kill()
            raise RuntimeError(f"earsense-m2t annotate did not start: {line!r} {proc.communicate()[1][-2000:]}")
        yield line.split()[3].rstrip("/")
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
