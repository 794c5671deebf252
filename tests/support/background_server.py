"""What the tests' local AWS endpoints share: an HTTP server on 127.0.0.1 served from a
daemon thread, with its URL, and start/stop as a context manager."""

from __future__ import annotations

import threading
from http.server import HTTPServer
from typing import TypeVar

_Server = TypeVar("_Server", bound="BackgroundServer")


class BackgroundServer:
    """Subclasses build their HTTP server and hand it to `_serve` in __init__."""

    _http: HTTPServer
    _thread: threading.Thread

    def _serve(self, http: HTTPServer, name: str) -> None:
        self._http = http
        self._thread = threading.Thread(
            target=http.serve_forever, args=(0.05,), name=name, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._http.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self: _Server) -> _Server:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._thread.join(timeout=5)

    def __enter__(self: _Server) -> _Server:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
