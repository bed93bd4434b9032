"""The network probes verify runs, each bounded in time and never raising for network errors: the DNS lookup
(dnspython, the system resolver or a given nameserver), the HTTPS request to a given IP with SNI and Host set to
the API host (`https_get_via`: `curl --resolve host:port:ip https://host:port/` without touching DNS, TLS
verified), and reading the names in the certificate a server presents.

dnspython, httpx and cryptography are imported when a probe runs, not when this module is imported.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import ssl

    import httpx


# -- DNS -------------------------------------------------------------------------------------------------------
@dataclass
class DnsOutcome:
    """What the resolver said: `kind` is resolved (with `addresses`) | nxdomain | noanswer | timeout | error."""

    kind: str
    addresses: list[str] = field(default_factory=list)
    message: str = ""


def resolve(host: str, nameserver: tuple[str, int] | None, timeout: float) -> DnsOutcome:
    """Ask for A records of `host` (absolute name), giving up after `timeout` seconds in all.

    `nameserver` None: the system resolver (/etc/resolv.conf); else (ip, port)."""
    import dns.exception
    import dns.resolver

    try:
        if nameserver is None:
            resolver = dns.resolver.Resolver()
        else:
            resolver = dns.resolver.Resolver(configure=False)
            resolver.nameservers = [nameserver[0]]
            resolver.port = nameserver[1]
    except dns.resolver.NoResolverConfiguration:
        return DnsOutcome("error", message="no system resolver is configured (/etc/resolv.conf): pass --nameserver")
    resolver.lifetime = timeout
    resolver.timeout = timeout
    resolver.cache = None
    name = host.rstrip(".") + "."
    try:
        answer = resolver.resolve(name, "A", search=False, raise_on_no_answer=True)
    except dns.resolver.NXDOMAIN:
        return DnsOutcome("nxdomain", message="NXDOMAIN (no such name)")
    except dns.resolver.NoAnswer:
        return DnsOutcome("noanswer", message="the name exists but has no A record")
    except dns.exception.Timeout:
        return DnsOutcome("timeout", message=f"no answer within {timeout:g} s")
    except dns.resolver.NoNameservers as exc:
        return DnsOutcome("error", message=f"every nameserver failed ({str(exc).splitlines()[0][:200]})")
    except (dns.exception.DNSException, OSError) as exc:
        return DnsOutcome("error", message=f"{type(exc).__name__}: {str(exc)[:200]}")
    addrs = [r.address for r in answer]
    return DnsOutcome("resolved", addrs, message=", ".join(addrs))


# -- HTTPS -----------------------------------------------------------------------------------------------------
@dataclass
class HttpsOutcome:
    kind: str        # ok | status | timeout | refused | tls | error
    status: int | None = None
    message: str = ""


# A few KB is enough to see Astro's "404 page not found"; a body is never read further (an endless or huge body, from a
# proxy or a hostile service answering on that address, held the whole of it in memory: 622 MB and growing).
MAX_BODY_BYTES = 4096


class _Deadline:
    """Ends a request when its time is up, whatever it is doing (connecting, the TLS handshake, waiting for headers
    or reading a body that trickles in): a timer shuts the connection's socket down, which wakes the blocked read.

    httpx's timeouts bound each network operation, never the whole request: a server that sends a byte every
    second keeps a request going for ever. The socket comes from httpx's documented `trace` request extension
    (https://www.python-httpx.org/advanced/extensions/#trace: `connection.connect_tcp.complete`, whose
    `return_value` is the network stream); a duplicate of it (`socket.dup`) is kept, so that shutting it down can
    never touch another file that reused the descriptor's number after httpx closed it."""

    def __init__(self, seconds: float) -> None:
        self._lock = threading.Lock()
        self._sock: Any = None
        self._done = False
        self.expired = False
        self._timer = threading.Timer(seconds, self.expire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        with self._lock:
            self._done = True
            sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpx's `trace` extension: keep the connection's socket once it is connected."""
        if event != "connection.connect_tcp.complete":
            return
        raw = info["return_value"].get_extra_info("socket")
        if raw is None:
            return
        dup = raw.dup()
        with self._lock:
            if self._done:
                dup.close()
                return
            if self._sock is not None:
                self._sock.close()
            self._sock = dup
            late = self.expired
        if late:
            self._shutdown()

    def expire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.expired = True
        self._shutdown()

    def _shutdown(self) -> None:
        import socket

        with self._lock:
            sock = self._sock
            if sock is None or self._done:
                return
            with contextlib.suppress(OSError):  # the connection is already gone: nothing left to stop
                sock.shutdown(socket.SHUT_RDWR)


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    """Verifying TLS context: the default trust store, or only the CAs in `ca_file` (it replaces the store, as
    `ssl.create_default_context(cafile=...)` loads the default certificates only when given no CA)."""
    import ssl

    return ssl.create_default_context(cafile=ca_file) if ca_file else ssl.create_default_context()


def https_get_via(ip: str, port: int, host: str, path: str = "/", *, ca_file: str | None,
                  timeout: float, max_body: int = MAX_BODY_BYTES) -> httpx.Response:
    """GET `https://<host>:<port><path>` over a connection to `ip`; the certificate must be valid for `host`.

    The TCP connection goes to `ip`, while the TLS server name (SNI), the certificate hostname check and the HTTP
    Host header all use `host`. `ca_file` is a PEM bundle to trust, instead of the default trust store (None: the
    default trust store). Proxy settings from the environment are ignored on purpose: the point is to reach this IP
    directly.

    `timeout` bounds the whole request, not each read: when it runs out the connection is shut down. At most
    `max_body` bytes of the body are read, as they came (no decompression); the response holds those, and the
    connection is closed there. Raises httpx errors as usual: `httpx.TimeoutException` (no answer, or no complete
    headers, in time), `httpx.ConnectError` (refused, reset, or TLS verification failed). When the time runs out
    while the body is being read, the response holds the part that came.
    """
    import httpx

    context = tls_context(ca_file)
    url = httpx.URL(scheme="https", host=ip, port=port, path=path)
    host_header = host if port == 443 else f"{host}:{port}"
    with _Deadline(timeout) as deadline, httpx.Client(verify=context, timeout=timeout, trust_env=False) as client:
        try:
            with client.stream("GET", url, headers={"Host": host_header},
                               extensions={"sni_hostname": host, "trace": deadline.trace}) as resp:
                body = bytearray()
                try:
                    for chunk in resp.iter_raw():
                        body += chunk[:max_body - len(body)]
                        if len(body) >= max_body:
                            break
                except httpx.TransportError:
                    if not deadline.expired:
                        raise
                headers = [(k, v) for k, v in resp.headers.multi_items() if k.lower() != "content-encoding"]
                return httpx.Response(resp.status_code, headers=headers, content=bytes(body), request=resp.request,
                                      extensions={"http_version": resp.extensions.get("http_version", b"HTTP/1.1")})
        except httpx.TransportError as exc:
            if deadline.expired and not isinstance(exc, httpx.TimeoutException):
                raise httpx.ReadTimeout(f"no complete answer within {timeout:g} s", request=exc.request) from exc
            raise


def probe_https(ip: str, port: int, host: str, ca_file: str | None, timeout: float) -> HttpsOutcome:
    """GET https://host:port/ via `ip`, bounded by `timeout` seconds in all; never raises for network errors."""
    import httpx

    try:
        resp = https_get_via(ip, port, host, "/", ca_file=ca_file, timeout=timeout)
    except httpx.TimeoutException as exc:
        return HttpsOutcome("timeout", message=f"no answer within {timeout:g} s ({type(exc).__name__})")
    except Exception as exc:
        return _failed(exc)
    body = resp.content[:200].decode("utf-8", "replace").strip()[:80]
    kind = "ok" if resp.status_code == 404 else "status"
    return HttpsOutcome(kind, resp.status_code, f"HTTP {resp.status_code} {body!r}")


def _failed(exc: BaseException) -> HttpsOutcome:
    """What a failed HTTPS request means: TLS, refused, reset, or another error."""
    import ssl

    chain = _chain(exc)
    tls = next((e for e in chain if isinstance(e, ssl.SSLError)), None)
    if tls is not None or any("CERTIFICATE_VERIFY_FAILED" in str(e) or "SSL" in type(e).__name__ for e in chain):
        reason = getattr(tls, "verify_message", None) or getattr(tls, "reason", None) or str(tls or exc)
        return HttpsOutcome("tls", message=f"TLS failed: {reason}")
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "refused" in str(exc).lower():
        return HttpsOutcome("refused", message="connection refused")
    if any(isinstance(e, ConnectionResetError) for e in chain):
        return HttpsOutcome("refused", message="connection reset")
    return HttpsOutcome("error", message=f"{type(exc).__name__}: {str(exc)[:200]}")


def _chain(exc: BaseException | None) -> list[BaseException]:
    """`exc` and its causes (or contexts), outermost first."""
    out: list[BaseException] = []
    while exc is not None and exc not in out:
        out.append(exc)
        exc = exc.__cause__ or exc.__context__
    return out


def peer_names(ip: str, port: int, host: str, timeout: float) -> list[str]:
    """The DNS names in the certificate the server at ip:port presents (read without verifying it), or []."""
    import socket
    import ssl

    try:
        from cryptography import x509
    except ImportError:  # pragma: no cover
        return []
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with (socket.create_connection((ip, port), timeout=timeout) as raw,
              ctx.wrap_socket(raw, server_hostname=host) as tls):
            der = tls.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError):
        return []
    if not der:
        return []
    try:
        cert = x509.load_der_x509_certificate(der)
        names: list[str]
        try:
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            names = list(san.get_values_for_type(x509.DNSName))
        except x509.ExtensionNotFound:
            names = []
        if not names:  # a common name is text; only a few OIDs (not CN) carry bytes
            names = [a.value for a in cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
                     if isinstance(a.value, str)]
        return names
    except ValueError:
        return []
