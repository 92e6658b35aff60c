"""Real audio for the download tests: short sine tones encoded by ffmpeg, made once per session."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

import pytest


@pytest.fixture(scope="session")
def tone(tmp_path_factory) -> Callable[[float, float], bytes]:
    """``tone(hz, seconds)``: the bytes of an Ogg/Vorbis file of that sine (distinct files, distinct bytes)."""
    folder = tmp_path_factory.mktemp("tones")
    made: dict[tuple[float, float], bytes] = {}

    def make(hz: float, seconds: float) -> bytes:
        if (hz, seconds) not in made:
            out = folder / f"sine-{hz:g}-{seconds:g}.ogg"
            subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-f", "lavfi",
                            "-i", f"sine=frequency={hz:g}:sample_rate=22050:duration={seconds:g}",
                            "-c:a", "libvorbis", "-q:a", "0", str(out)], check=True)
            made[hz, seconds] = out.read_bytes()
        return made[hz, seconds]

    return make
