"""The ARM over HTTPS (`wizard.sandbox.https`: TLS, HTTP/1.1 keep-alive, TCP_NODELAY), whose handler turns
each HTTP request into a `Request` for `ArmService.handle` and applies the fault knobs around it (latency,
429 throttling, 500 errors, dropped connections) and logs it. Control calls under `/_sandbox/` go to the
`control` callable and skip the faults and the request log. `serve_arm` starts it in a daemon thread.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from urllib.parse import parse_qs, unquote

from wizard.sandbox.arm.lro import retry_headers
from wizard.sandbox.arm.model import LoggedRequest, Request, Response
from wizard.sandbox.arm.routing import ArmService
from wizard.sandbox.https import TlsHandler, TlsHttpServer, serving_thread


def _parse_query(qs: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(qs, keep_blank_values=True).items()}


class ArmHandler(TlsHandler):
    """Turns HTTP requests into `Request`s for the service, with the fault knobs around it."""

    server_version = "Microsoft-HTTPAPI/2.0"
    timeout = 120
    service: ArmService
    control: Callable[[Request], Response]

    def do_GET(self) -> None:
        self.serve()

    do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = do_GET

    def read_request(self) -> Request:
        raw_path, qs, headers, body = self.read_parts()
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


def serve_arm(service: ArmService, context: ssl.SSLContext, control: Callable[[Request], Response],
              host: str = "127.0.0.1", port: int = 0) -> tuple[TlsHttpServer, threading.Thread]:
    """Start the ARM server in a daemon thread; returns the server and its thread."""
    handler = type("BoundArmHandler", (ArmHandler,), {"service": service, "control": staticmethod(control)})
    server = TlsHttpServer((host, port), handler, context)
    service.base_url = f"https://{host}:{server.server_address[1]}"
    thread = serving_thread(server, "sandbox-arm")
    thread.start()
    return server, thread
