"""The Astro orchestration plane's endpoint as seen through a private endpoint, on loopback addresses.

One TLS server listens on one port number shared by every address it is given: 127.0.0.1 from the start and
one listener per private endpoint IP (`add_address("127.20.16.4")`; all of 127.0.0.0/8 is local on Linux).
It presents a certificate for `*.external.astronomer.run` from the sandbox CA and answers every request as
the real Go service does: `404 page not found`.

Per connection it consults `reachable(local_ip)`: when False (the private endpoint connection is not
Approved) the TCP connection is accepted and then nothing is said, so clients time out as they do in Azure.
Knobs are read with `getattr` from `knobs_getter()`: `astro_listening` False makes every address refuse
connections; `astro_wrong_certificate` True presents a certificate for `other.example.invalid` instead.

`astro_body` plays a server that will not stop talking (what a client must survive: the verify probe once kept a
whole endless body in memory, 622 MB and growing, issue 11): "normal" (the default) is Go's 404 above;
"endless" sends the 404's head (no Content-Length, Connection: close), then "404 page not found" and filler as fast
as the client takes it, until it goes away; "drip" announces a 1 GiB body and sends a small piece of it every
`astro_drip_seconds` (default 0.1); "drip_head" sends even the status line and headers one byte at a time, at that
pace. `body_bytes_sent` counts what was sent that way, `open_connections` the connections being served.
"""

from __future__ import annotations

import contextlib
import email.utils
import selectors
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from wizard.sandbox.certs import SandboxCA

ASTRO_DOMAIN = "external.astronomer.run"
WRONG_NAME = "other.example.invalid"
NOT_FOUND_BODY = b"404 page not found\n"
POLL_SECONDS = 0.05
HANDSHAKE_TIMEOUT = 5.0
MAX_HEADER_BYTES = 64 * 1024


def _listening(knobs: object) -> bool:
    return bool(getattr(knobs, "astro_listening", True))


def _wrong_certificate(knobs: object) -> bool:
    return bool(getattr(knobs, "astro_wrong_certificate", False))


def _body_mode(knobs: object) -> str:
    mode = getattr(knobs, "astro_body", "normal") or "normal"
    return mode if mode in ("normal", "endless", "drip", "drip_head") else "normal"


def _drip_seconds(knobs: object) -> float:
    return max(0.001, float(getattr(knobs, "astro_drip_seconds", 0.1) or 0.1))


FILLER = b"." * 65536
HUGE_BODY = 1 << 30


def not_found_response(content_length: int | None = len(NOT_FOUND_BODY), *, with_body: bool = True) -> bytes:
    """The bytes Go's `http.NotFound` sends, with the connection closed after it (`content_length` None: no
    Content-Length header, the body ends when the connection does; `with_body` False: the head only)."""
    length = f"Content-Length: {content_length}\r\n" if content_length is not None else ""
    head = (
        "HTTP/1.1 404 Not Found\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        f"Date: {email.utils.formatdate(usegmt=True)}\r\n"
        f"{length}"
        "Connection: close\r\n"
        "\r\n"
    )
    return head.encode("ascii") + (NOT_FOUND_BODY if with_body else b"")


@dataclass
class _Listener:
    """One address: its thread and, while listening, its socket."""

    ip: str
    stop: threading.Event = field(default_factory=threading.Event)
    sock: socket.socket | None = None
    listening: bool = False
    thread: threading.Thread | None = None


class AstroServer:
    """A threaded TLS server answering 404 on one port across several loopback addresses."""

    def __init__(self, ca: SandboxCA, reachable: Callable[[str], bool], knobs_getter: Callable[[], object],
                 port: int = 0) -> None:
        self.ca = ca
        self.reachable = reachable
        self.knobs_getter = knobs_getter
        self._port = port
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._listeners: dict[str, _Listener] = {}
        self._conns: dict[socket.socket, str] = {}
        self._conn_threads: set[threading.Thread] = set()
        self._good_ctx: ssl.SSLContext | None = None
        self._wrong_ctx: ssl.SSLContext | None = None
        self._reserve: socket.socket | None = None
        self.body_bytes_sent = 0  # by the endless and drip bodies (astro_body)

    # --- lifecycle -----------------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if not self._port:
            raise RuntimeError("AstroServer is not started")
        return self._port

    @property
    def addresses(self) -> list[str]:
        with self._lock:
            return list(self._listeners)

    @property
    def open_connections(self) -> int:
        """Connections being served now (a client that closed its end is gone within a send or a poll)."""
        with self._lock:
            return len(self._conns)

    def start(self) -> AstroServer:
        if self._good_ctx is not None:
            return self
        self._stopping.clear()
        self._good_ctx = self.ca.server_context([f"*.{ASTRO_DOMAIN}", ASTRO_DOMAIN])
        self._wrong_ctx = self.ca.server_context([WRONG_NAME])
        # Pick the port on 127.0.0.1; the socket stays bound (not listening) until its listener takes over.
        self._reserve = self._bound_socket("127.0.0.1", self._port)
        self._port = self._reserve.getsockname()[1]
        self.add_address("127.0.0.1")
        return self

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            listeners = list(self._listeners.values())
            self._listeners.clear()
        for listener in listeners:
            listener.stop.set()
        self._close_conns(None)
        for listener in listeners:
            if listener.thread is not None:
                listener.thread.join(timeout=2)
        with self._lock:
            threads = list(self._conn_threads)
        for thread in threads:
            thread.join(timeout=2)
        if self._reserve is not None:
            self._reserve.close()
            self._reserve = None
        self._good_ctx = self._wrong_ctx = None

    def __enter__(self) -> AstroServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def add_address(self, ip: str) -> None:
        """Serve on `ip` (a loopback address) at `.port`. Adding an address twice does nothing."""
        if self._good_ctx is None:
            raise RuntimeError("AstroServer is not started")
        with self._lock:
            if ip in self._listeners:
                return
            listener = _Listener(ip)
            self._listeners[ip] = listener
        try:
            self._sync_listener(listener)  # bind now, so a taken address fails here and not in a thread
        except OSError:
            with self._lock:
                self._listeners.pop(ip, None)
            raise
        listener.thread = threading.Thread(target=self._run_listener, args=(listener,), daemon=True,
                                           name=f"sandbox-astro-{ip}")
        listener.thread.start()

    def remove_address(self, ip: str) -> None:
        """Stop serving on `ip` and drop its open connections."""
        with self._lock:
            listener = self._listeners.pop(ip, None)
        if listener is None:
            return
        listener.stop.set()
        if listener.thread is not None:
            listener.thread.join(timeout=2)
        self._close_conns(ip)

    # --- listening -----------------------------------------------------------------------------------------

    @staticmethod
    def _bound_socket(ip: str, port: int) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((ip, port))
        except OSError:
            sock.close()
            raise
        return sock

    def _knobs(self) -> object:
        return self.knobs_getter()

    def _sync_listener(self, listener: _Listener) -> None:
        """Listen or not, following the `astro_listening` knob; the address stays bound (reserved) either way."""
        want = _listening(self._knobs())
        if listener.sock is None:
            if listener.ip == "127.0.0.1" and self._reserve is not None:
                listener.sock, self._reserve = self._reserve, None
            else:
                listener.sock = self._bound_socket(listener.ip, self._port)
            listener.listening = False
        if want and not listener.listening:
            listener.sock.listen(64)
            listener.sock.setblocking(False)
            listener.listening = True
        elif not want and listener.listening:
            # Closing resets connections in the backlog; a bound socket that does not listen refuses new ones.
            listener.sock.close()
            listener.sock, listener.listening = None, False
            listener.sock = self._bound_socket(listener.ip, self._port)

    def _run_listener(self, listener: _Listener) -> None:
        try:
            while not listener.stop.is_set():
                with contextlib.suppress(OSError):  # the address could not be bound again: retry on the next poll
                    self._sync_listener(listener)
                sock = listener.sock
                if sock is None or not listener.listening:
                    listener.stop.wait(POLL_SECONDS)
                    continue
                with selectors.DefaultSelector() as sel:
                    sel.register(sock, selectors.EVENT_READ)
                    ready = sel.select(timeout=POLL_SECONDS)
                if not ready or listener.stop.is_set():
                    continue
                try:
                    conn, _ = sock.accept()
                except OSError:
                    continue
                self._spawn(conn, listener.ip)
        finally:
            if listener.sock is not None:
                listener.sock.close()
                listener.sock = None
            listener.listening = False

    def _spawn(self, conn: socket.socket, ip: str) -> None:
        conn.setblocking(True)
        thread = threading.Thread(target=self._serve_conn, args=(conn, ip), daemon=True,
                                  name=f"sandbox-astro-conn-{ip}")
        with self._lock:
            if self._stopping.is_set():
                conn.close()
                return
            self._conns[conn] = ip
            self._conn_threads = {t for t in self._conn_threads if t.is_alive()}
            self._conn_threads.add(thread)
        thread.start()

    def _close_conns(self, ip: str | None) -> None:
        with self._lock:
            victims = [c for c, c_ip in self._conns.items() if ip is None or c_ip == ip]
        for conn in victims:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked in recv or the TLS handshake

    # --- one connection ------------------------------------------------------------------------------------

    def _serve_conn(self, conn: socket.socket, ip: str) -> None:
        try:
            knobs = self._knobs()
            local_ip = conn.getsockname()[0]
            if not _listening(knobs):
                # Accepted in the instant before the listener closed: reset, as a closed port would.
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                return
            if getattr(knobs, "astro_blackhole", False) or not self.reachable(local_ip):
                self._hold(conn)
                return
            ctx = self._wrong_ctx if _wrong_certificate(knobs) else self._good_ctx
            if ctx is None:
                return
            conn.settimeout(HANDSHAKE_TIMEOUT)
            try:
                tls = ctx.wrap_socket(conn, server_side=True)
            except (OSError, ssl.SSLError):
                return
            with tls:
                if self._read_request_head(tls) is None:
                    return
                try:
                    mode = _body_mode(knobs)
                    if mode == "normal":
                        tls.sendall(not_found_response())
                    else:
                        self._talk_on(tls, mode, _drip_seconds(knobs))
                except (OSError, ssl.SSLError):
                    return
        finally:
            with self._lock:
                self._conns.pop(conn, None)
            conn.close()

    def _talk_on(self, tls: ssl.SSLSocket, mode: str, every: float) -> None:
        """The astro_body knob's answers: send until the client goes away (a send fails) or the server stops."""
        if mode == "drip_head":
            for byte in not_found_response():
                if self._stopping.wait(every):
                    return
                tls.sendall(bytes([byte]))
            return
        if mode == "endless":
            tls.sendall(not_found_response(None))
            piece = FILLER
        else:  # drip
            tls.sendall(not_found_response(HUGE_BODY))
            piece = FILLER[:64]
        while not self._stopping.is_set():
            if mode == "drip" and self._stopping.wait(every):
                return
            tls.sendall(piece)
            with self._lock:
                self.body_bytes_sent += len(piece)

    def _hold(self, conn: socket.socket) -> None:
        """Say nothing: swallow what the client sends until it gives up or the server stops."""
        conn.settimeout(POLL_SECONDS * 2)
        while not self._stopping.is_set():
            try:
                if not conn.recv(4096):
                    return
            except TimeoutError:
                continue
            except OSError:
                return

    def _read_request_head(self, tls: ssl.SSLSocket) -> bytes | None:
        data = b""
        while b"\r\n\r\n" not in data:
            if len(data) > MAX_HEADER_BYTES or self._stopping.is_set():
                return None
            try:
                chunk = tls.recv(4096)
            except (OSError, ssl.SSLError):
                return None
            if not chunk:
                return None
            data += chunk
        return data
