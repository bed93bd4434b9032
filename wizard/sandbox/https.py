"""The sandbox's HTTPS plumbing, shared by its two servers (the ARM in `arm/http.py`, the Astro API in
`astro_api.py`): a threading HTTPS server whose TLS handshakes happen in the request threads, a request handler base
with HTTP/1.1 keep-alive that reads a request's parts, and a daemon thread to serve in.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class TlsHandler(BaseHTTPRequestHandler):
    """A handler for `TlsHttpServer`: finishes the TLS handshake in its thread, logs nothing to stderr."""

    protocol_version = "HTTP/1.1"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        try:
            self.request.do_handshake()
        except (ssl.SSLError, OSError):
            self.close_connection = True
            raise

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def read_parts(self) -> tuple[str, str, dict[str, str], bytes]:
        """(raw path, query string, headers with lower-case names, body) of the request being handled."""
        raw_path, _, qs = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        return raw_path, qs, {k.lower(): v for k, v in self.headers.items()}, body


class TlsHttpServer(ThreadingHTTPServer):
    """A threading HTTPS server: TLS handshakes happen in the request threads; TCP_NODELAY on every socket."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type, context: ssl.SSLContext) -> None:
        super().__init__(address, handler)
        self.context = context
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = self.socket.accept()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        tls = self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        with self._open_lock:
            self._open.add(tls)
        return tls, addr

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Close every open keep-alive connection, so nothing is served after stop."""
        with self._open_lock:
            socks, self._open = list(self._open), set()
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass   # dropped and reset connections are expected here


def serving_thread(server: TlsHttpServer, name: str) -> threading.Thread:
    """A daemon thread (not started) that serves `server` until it is shut down."""
    return threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, name=name, daemon=True)
