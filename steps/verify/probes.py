"""The network probes verify runs, each bounded in time and never raising for network errors: the DNS lookup
(dnspython, the system resolver or a given nameserver), the HTTPS request to a given IP with SNI and Host set to
the API host (`https_get_via`: `curl --resolve host:port:ip https://host:port/` without touching DNS, TLS
verified), and reading the names in the certificate a server presents.

dnspython, httpx and cryptography are imported when a probe runs, not when this module is imported.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
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


def https_get_via(ip: str, port: int, host: str, path: str = "/", *, ca_file: str | None,
                  timeout: float) -> httpx.Response:
    """GET `https://<host>:<port><path>` over a connection to `ip`; the certificate must be valid for `host`.

    The TCP connection goes to `ip`, while the TLS server name (SNI), the certificate hostname check and the HTTP
    Host header all use `host`. `ca_file` is a PEM bundle to trust (None: the default trust store). Proxy
    settings from the environment are ignored on purpose: the point is to reach this IP directly. Raises httpx
    errors as usual: `httpx.TimeoutException` (no answer), `httpx.ConnectError` (refused, reset, or TLS
    verification failed).
    """
    import ssl

    import httpx

    context = ssl.create_default_context(cafile=ca_file) if ca_file else ssl.create_default_context()
    url = httpx.URL(scheme="https", host=ip, port=port, path=path)
    host_header = host if port == 443 else f"{host}:{port}"
    with httpx.Client(verify=context, timeout=timeout, trust_env=False) as client:
        return client.get(url, headers={"Host": host_header}, extensions={"sni_hostname": host})


def probe_https(ip: str, port: int, host: str, ca_file: str | None, timeout: float) -> HttpsOutcome:
    """GET https://host:port/ via `ip`, bounded by `timeout` seconds in all (a watchdog backs httpx's timeouts)."""
    import ssl

    import httpx

    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["response"] = https_get_via(ip, port, host, "/", ca_file=ca_file, timeout=timeout)
        except BaseException as exc:
            box["error"] = exc

    worker = threading.Thread(target=run, name="verify-https", daemon=True)
    worker.start()
    worker.join(timeout + 0.25)
    if worker.is_alive():
        return HttpsOutcome("timeout", message=f"no answer within {timeout:g} s")
    if "response" in box:
        resp = box["response"]
        body = resp.text.strip()[:80]
        kind = "ok" if resp.status_code == 404 else "status"
        return HttpsOutcome(kind, resp.status_code, f"HTTP {resp.status_code} {body!r}")
    exc = box.get("error")
    if isinstance(exc, httpx.TimeoutException):
        return HttpsOutcome("timeout", message=f"no answer within {timeout:g} s ({type(exc).__name__})")
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
