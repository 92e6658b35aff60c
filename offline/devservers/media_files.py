"""A file host that misbehaves on demand, for the acquire stage's download tests.

Each path is a :class:`Route`: a file (with Content-Length), a redirect, a body that never ends (no
Content-Length: zeros until the client goes away), or a body dripped one byte every few seconds. The
server records every request (:attr:`LocalServer.requests`, with headers) and the body bytes it
managed to send per path (:attr:`MediaFiles.sent`), so a test can tell what the client asked for and
how far it read. A route may be replaced while the server runs (a file whose bytes changed).

    with MediaFiles({"/x/track1.ogg": Route(body=ogg_bytes)}) as host:
        download(f"{host.base_url}/x/track1.ogg")

Bind it to another loopback address (``host="127.0.0.5"``) to stand in for a public host next to
this machine's 127.0.0.1 (Linux routes all of 127/8 to the loopback interface).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from earsense_m2t.offline.devservers import LocalServer, QuietHandler, SeenRequest

_CHUNK = 1 << 16
#: however long a test forgets a server, an endless or dripping body stops after this
_SAFETY_BYTES = 256 << 20
_SAFETY_S = 600.0


@dataclass(frozen=True)
class Route:
    body: bytes = b""
    content_type: str = "audio/ogg"
    status: int = 200
    #: answer ``status`` (302 unless given) with this Location
    location: str | None = None
    #: no Content-Length; zeros, forever (until the client leaves)
    endless: bool = False
    #: no Content-Length; one byte of ``body`` (or a zero) every ``drip_s`` seconds
    drip_s: float | None = None


class MediaFiles(LocalServer):
    def __init__(self, routes: dict[str, Route] | None = None, *, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self.routes: dict[str, Route] = dict(routes or {})
        self.sent: dict[str, int] = {}
        self.handler = _Handler
        self._closing = threading.Event()

    def count(self, path: str, method: str = "GET") -> int:
        """Requests so far for ``path`` (query ignored)."""
        with self._lock:
            return sum(1 for r in self.requests if urlsplit(r.path).path == path and r.method == method)

    def add_sent(self, path: str, n: int) -> None:
        with self._lock:
            self.sent[path] = self.sent.get(path, 0) + n

    def stop(self) -> None:
        self._closing.set()
        super().stop()


class _Handler(QuietHandler):
    app: MediaFiles

    def do_HEAD(self) -> None:  # noqa: N802 - stdlib name
        self.do_GET()

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        path = urlsplit(self.path).path
        route = self.app.routes.get(path)
        if route is None:
            self.send_body(404, b"not found\n", "text/plain; charset=utf-8")
            return
        if route.location is not None:
            self.send_body(route.status if 300 <= route.status < 400 else 302, b"", "text/plain",
                           {"Location": route.location})
            return
        if not (route.endless or route.drip_s):
            self.send_body(route.status, route.body, route.content_type)
            if self.command == "GET":
                self.app.add_sent(path, len(route.body))
            return
        self.app.record(SeenRequest(self.command, self.path, {k.lower(): v for k, v in self.headers.items()},
                                    route.status))
        self.close_connection = True
        self.send_response(route.status)
        self.send_header("Content-Type", route.content_type)
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command == "HEAD":
            return
        self._stream(path, route)

    def _stream(self, path: str, route: Route) -> None:
        started, sent = time.monotonic(), 0
        try:
            while not self.app._closing.is_set() and sent < _SAFETY_BYTES and time.monotonic() - started < _SAFETY_S:
                if route.endless:
                    block = b"\0" * _CHUNK
                else:
                    block = route.body[sent:sent + 1] or b"\0"
                    if self.app._closing.wait(route.drip_s or 0):
                        break
                self.wfile.write(block)
                self.wfile.flush()
                sent += len(block)
                self.app.add_sent(path, len(block))
        except OSError:
            pass  # the client went away: what we wanted


__all__ = ["MediaFiles", "Route"]
