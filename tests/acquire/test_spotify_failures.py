"""Spotify is optional: any failure is a Failure in the acquire result, never a crash or a leaked secret."""

from __future__ import annotations

import base64
import socket

from earsense_m2t.acquire.spotify import lookup_works, spotify_client
from earsense_m2t.offline.devservers.spotify_api import serve_spotify
from earsense_m2t.schemas import Work

SECRET = "s3cr3t-client-secret"
CLIENT = "client-id-1234"


def work(slug: str) -> Work:
    return Work(id=slug, url=f"https://www.earsense.org/chamber-music/{slug}/", title="String Quartet in A, Op. 44",
                composer="Bernhard Molique", fetched_at="2025-01-01T00:00:00Z", page_sha256="0" * 64)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def leaks(text: str) -> bool:
    basic = base64.b64encode(f"{CLIENT}:{SECRET}".encode()).decode()
    return SECRET in text or basic in text


def test_unreachable_spotify_is_one_failure_and_the_rest_is_not_asked():
    port = closed_port()
    sp = spotify_client(client_id=CLIENT, client_secret=SECRET, api_prefix=f"http://127.0.0.1:{port}/v1/",
                        token_url=f"http://127.0.0.1:{port}/api/token")
    found, failures = lookup_works(sp, [work("A-Work"), work("B-Work"), work("C-Work")])
    assert found == {}
    [failure] = failures
    assert (failure.item_id, failure.code) == ("A-Work", "spotify_failed")
    assert "unreachable" in failure.reason and "other 2 work(s)" in failure.reason and not leaks(failure.reason)


def test_rejected_credentials_are_one_failure_without_the_secret():
    with serve_spotify() as api:
        sp = spotify_client(client_id=api.client_id, client_secret=SECRET, api_prefix=api.api_prefix,
                            token_url=api.token_url)
        found, failures = lookup_works(sp, [work("A-Work"), work("B-Work")])
    assert found == {} and len(failures) == 1
    assert "no access token" in failures[0].reason and not leaks(failures[0].reason)
