"""A threaded HTTP server on loopback, started and stopped cleanly: the plumbing every local server shares."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ServerThread:
    """Binds ``host:port`` (port 0 = any free port) and serves on a daemon thread until ``stop``."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], host: str = "127.0.0.1", port: int = 0,
                 name: str = "local-server") -> None:
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        bound_host, bound_port = self._server.server_address[:2]
        if isinstance(bound_host, bytes | bytearray):  # typeshed allows bytes; an AF_INET server reports str
            bound_host = bound_host.decode()
        self.base_url = f"http://{bound_host}:{bound_port}"
        server = self._server
        # a short poll interval: shutdown() waits up to one interval, and tests start many servers
        self._thread = threading.Thread(target=lambda: server.serve_forever(poll_interval=0.05),
                                        name=f"{name}:{bound_port}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
