"""No secret on disk: a build with a Hub token and Spotify credentials, both services failing.

The build must complete (Spotify is optional; a failed upload is reported, the local version is
published) and no file under PREFECT_HOME, --out or the working folder may contain the token, the
client secret, or their Basic-auth base64.
"""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import share_minisite_caches

pytestmark = pytest.mark.slow

HUB_TOKEN = "hf_FakeTokenForTheSecretsTest0123456789"
CLIENT_ID = "fake-spotify-client-id-42"
CLIENT_SECRET = "fake-spotify-client-secret-42"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def secrets() -> list[bytes]:
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode())
    return [HUB_TOKEN.encode(), CLIENT_SECRET.encode(), basic, base64.b64encode(HUB_TOKEN.encode())]


def files_under(root: Path) -> list[Path]:
    found = []
    for folder, dirs, names in os.walk(root, followlinks=False):
        dirs[:] = [d for d in dirs if not (Path(folder) / d).is_symlink()]
        found += [Path(folder) / n for n in names if not (Path(folder) / n).is_symlink()]
    return found


def test_failing_hub_and_spotify_leave_no_secret_and_the_build_completes(tmp_path):
    share_minisite_caches(tmp_path / "local")
    dead = f"http://127.0.0.1:{closed_port()}"
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect-home"), "HF_TOKEN": HUB_TOKEN, "HF_ENDPOINT": dead,
           "SPOTIPY_CLIENT_ID": CLIENT_ID, "SPOTIPY_CLIENT_SECRET": CLIENT_SECRET,
           "EARSENSE_SPOTIFY_TOKEN_URL": f"{dead}/api/token", "EARSENSE_SPOTIFY_API_PREFIX": f"{dead}/v1/",
           "HF_HOME": str(tmp_path / "hf-home"), "PREFECT_LOGGING_LEVEL": "INFO"}
    env.pop("HF_HUB_OFFLINE", None)
    proc = subprocess.run([sys.executable, "-m", "earsense_m2t.cli", "build", "--push-to-hub", "someone/earsense-m2t"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=1200)
    output = proc.stdout + proc.stderr
    assert "published:" in proc.stdout and "v1.0.0 (new version" in proc.stdout, output[-3000:]
    assert "acquire/spotify_failed 1" in proc.stdout and "publish/push_failed 1" in proc.stdout, proc.stdout
    assert proc.returncode == 1 and "the local version is published" in proc.stderr  # the upload was asked for
    for secret in secrets():
        assert secret.decode() not in output
    leaked = [(p, s) for p in files_under(tmp_path) for s in secrets() if s in p.read_bytes()]
    assert leaked == [], leaked
