"""HTTPS GET to a given IP with SNI and Host set to a hostname, TLS verified.

This is `curl --resolve host:port:ip https://host:port/` without touching DNS: the TCP connection goes to
`ip`, while the TLS server name (SNI), the certificate hostname check and the HTTP Host header all use `host`.
The verify step uses it against the private endpoint's IP, for the sandbox and for real Astro alike.
"""

from __future__ import annotations

import ssl

import httpx


def https_get_via(ip: str, port: int, host: str, path: str = "/", *, ca_file: str | None,
                  timeout: float) -> httpx.Response:
    """GET `https://<host>:<port><path>` over a connection to `ip`; the certificate must be valid for `host`.

    `ca_file` is a PEM bundle to trust (None: the default trust store). Proxy settings from the environment
    are ignored on purpose: the point is to reach this IP directly. Raises httpx errors as usual:
    `httpx.TimeoutException` (no answer), `httpx.ConnectError` (refused, reset, or TLS verification failed).
    """
    context = ssl.create_default_context(cafile=ca_file) if ca_file else ssl.create_default_context()
    url = httpx.URL(scheme="https", host=ip, port=port, path=path)
    host_header = host if port == 443 else f"{host}:{port}"
    with httpx.Client(verify=context, timeout=timeout, trust_env=False) as client:
        return client.get(url, headers={"Host": host_header}, extensions={"sni_hostname": host})
