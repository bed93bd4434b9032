"""The ARM over HTTPS: a ThreadingHTTPServer with TLS, HTTP/1.1 keep-alive and TCP_NODELAY, whose handler turns
each HTTP request into a `Request` for `ArmService.handle` and applies the fault knobs around it (latency,
429 throttling, 500 errors, dropped connections) and logs it. Control calls under `/_sandbox/` go to the
`control` callable and skip the faults and the request log. `serve_arm` starts it in a daemon thread.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote

from wizard.sandbox.arm.lro import retry_headers
from wizard.sandbox.arm.model import LoggedRequest, Request, Response
from wizard.sandbox.arm.routing import ArmService


def _parse_query(qs: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(qs, keep_blank_values=True).items()}


class ArmHandler(BaseHTTPRequestHandler):
    """Turns HTTP requests into `Request`s for the service, with the fault knobs around it."""

    protocol_version = "HTTP/1.1"
    server_version = "Microsoft-HTTPAPI/2.0"
    sys_version = ""
    timeout = 120
    service: ArmService
    control: Callable[[Request], Response]

    def setup(self) -> None:
        super().setup()
        try:
            self.request.do_handshake()
        except (ssl.SSLError, OSError):
            self.close_connection = True
            raise

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.serve()

    do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = do_GET

    def read_request(self) -> Request:
        raw_path, _, qs = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        return Request(self.command, unquote(raw_path), raw_path, _parse_query(qs), headers, body)

    def serve(self) -> None:
        req = self.read_request()
        if req.path.lower().startswith("/_sandbox"):
            self.send(req, self.control(req))
            return
        svc = self.service
        number, started = svc.next_number(), time.time()
        knobs = svc.knobs
        drop = number in knobs.drop_at or (knobs.drop_from is not None and number >= knobs.drop_from)
        if drop and knobs.drop_mode == "before":
            self.close_connection = True
            svc.record(LoggedRequest(number, req.method, req.path, 0, started, time.time() - started, True))
            return
        if knobs.latency > 0:
            time.sleep(knobs.latency)
        resp = self.fault(req) or svc.handle(req)
        if drop:
            self.close_connection = True
            svc.record(LoggedRequest(number, req.method, req.path, resp.status, started, time.time() - started,
                                     True))
            return
        # Logged before the answer goes out, so a client that has its answer always finds it in the log.
        svc.record(LoggedRequest(number, req.method, req.path, resp.status, started, time.time() - started))
        self.send(req, resp)

    def fault(self, req: Request) -> Response | None:
        svc, knobs = self.service, self.service.knobs
        if knobs.throttle_rate > 0 and svc.roll() < knobs.throttle_rate:
            ms = max(1, int(knobs.throttle_retry_after_ms))
            return Response(429, {"error": {"code": "TooManyRequests", "message": (
                "The request is being throttled as the limit has been reached for operation type - "
                f"{'Read' if req.method == 'GET' else 'Write'}_ObservationWindow_00:05:00. For more information, "
                "refer to - https://aka.ms/srpthrottlinglimits")}},
                retry_headers(ms))
        if knobs.error_rate > 0 and svc.roll() < knobs.error_rate:
            return Response(500, {"error": {"code": "InternalServerError", "message": (
                f"Encountered internal server error. Diagnostic information: timestamp "
                f"'{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}', subscription id "
                f"'{svc.world.subscription_id}', tracking id '{uuid.uuid4()}', request correlation id "
                f"'{req.headers.get('x-ms-correlation-request-id', uuid.uuid4())}'.")}})
        return None

    def send(self, req: Request, resp: Response) -> None:
        payload = resp.raw if resp.raw is not None else (b"" if resp.body is None else json.dumps(resp.body).encode())
        self.send_response(resp.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-ms-request-id", str(uuid.uuid4()))
        self.send_header("x-ms-correlation-request-id",
                         req.headers.get("x-ms-correlation-request-id") or str(uuid.uuid4()))
        if "x-ms-client-request-id" in req.headers:
            self.send_header("x-ms-client-request-id", req.headers["x-ms-client-request-id"])
        self.send_header("Cache-Control", "no-cache")
        for name, value in resp.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if req.method != "HEAD" and payload:
            self.wfile.write(payload)


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


def serve_arm(service: ArmService, context: ssl.SSLContext, control: Callable[[Request], Response],
              host: str = "127.0.0.1", port: int = 0) -> tuple[TlsHttpServer, threading.Thread]:
    """Start the ARM server in a daemon thread; returns the server and its thread."""
    handler = type("BoundArmHandler", (ArmHandler,), {"service": service, "control": staticmethod(control)})
    server = TlsHttpServer((host, port), handler, context)
    service.base_url = f"https://{host}:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              name="sandbox-arm", daemon=True)
    thread.start()
    return server, thread
