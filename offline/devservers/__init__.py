"""Local stand-ins for the outside services the pipeline talks to, for tests and offline runs.

Each server binds 127.0.0.1 on a free port, runs in a daemon thread, and records the requests it got
so a test can check what the client really sent (or that it sent nothing):

- :mod:`earsense_m2t.offline.devservers.spotify_api` — the Spotify Web API and its client-credentials token endpoint;
- :mod:`earsense_m2t.offline.devservers.search_feed` — a video search answering with an RSS feed yt-dlp reads as a playlist;
- :mod:`earsense_m2t.offline.devservers.media_files` — a file host that misbehaves on demand (endless or dripped
  bodies, redirects), for the download limits and the egress checks.

    with serve_spotify() as api:
        sp = spotify_client(client_id=api.client_id, client_secret=api.client_secret,
                            api_prefix=api.api_prefix, token_url=api.token_url)
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Self

from earsense_m2t.offline.devservers.server_thread import ServerThread


@dataclass(frozen=True)
class SeenRequest:
    """One request as the server saw it (headers lower-cased)."""

    method: str
    path: str  # path and query, as sent
    headers: dict[str, str]
    status: int


class LocalServer:
    """Start/stop plumbing shared by the dev servers; subclasses supply the handler class."""

    handler: type[BaseHTTPRequestHandler]

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host, self._port = host, port
        self._running: ServerThread | None = None
        self._lock = threading.Lock()
        self.requests: list[SeenRequest] = []
        self.base_url = ""

    def start(self) -> Self:
        handler = type(self.handler.__name__, (self.handler,), {"app": self})
        self._running = ServerThread(handler, self._host, self._port, name=type(self).__name__)
        self.base_url = self._running.base_url
        return self

    def stop(self) -> None:
        if self._running is not None:
            self._running.stop()
            self._running = None

    def record(self, request: SeenRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class QuietHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 handler that logs to the owning server's request list instead of stderr."""

    protocol_version = "HTTP/1.1"
    timeout = 30  # idle keep-alive connections are dropped, so shutdown never waits on them
    app: LocalServer

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass

    def send_body(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        # recorded before the answer goes out, so a client that has its answer always finds the request logged
        self.app.record(SeenRequest(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, status))
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


__all__ = ["LocalServer", "QuietHandler", "SeenRequest"]
