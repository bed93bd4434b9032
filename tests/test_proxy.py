"""Corporate networks: ARM calls go through HTTPS_PROXY (azure-core's requests transport reads it) unless NO_PROXY
names the host; the verify probe never uses a proxy (it must reach the private IP itself); a certificate the machine
does not trust (a TLS-inspecting proxy's) is named as such, with ASTRO_PL_CA_FILE / REQUESTS_CA_BUNDLE as the fix.
The proxy is a real local CONNECT proxy, and the calls are the real SDK's."""

from __future__ import annotations

import select
import socket
import socketserver
import threading
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest
from engine_helpers import sandbox_settings

from wizard.core.azure import ClientFactory
from wizard.core.errors import explain


class ConnectProxy(socketserver.ThreadingTCPServer):
    """A minimal HTTP CONNECT proxy on loopback that notes each tunnel's target (host:port)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Tunnel)
        self.targets: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Tunnel(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            head += chunk
        method, target, _ = head.split(b"\r\n", 1)[0].decode().split(" ", 2)
        if method != "CONNECT":
            self.request.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        self.server.targets.append(target)  # type: ignore[attr-defined]
        host, port = target.rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=10) as upstream:
            self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            pair = {self.request: upstream, upstream: self.request}
            while True:
                ready, _, _ = select.select(list(pair), [], [], 10)
                if not ready:
                    return
                for src in ready:
                    data = src.recv(65536)
                    if not data:
                        return
                    pair[src].sendall(data)


@pytest.fixture
def proxy(monkeypatch) -> Iterator[ConnectProxy]:
    server = ConnectProxy()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    for key in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", server.url)
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _arm_target(sandbox) -> str:
    url = urlparse(sandbox.arm_endpoint)
    return f"{url.hostname}:{url.port}"


def test_arm_calls_go_through_https_proxy(sandbox, proxy):
    factory = ClientFactory(sandbox_settings(sandbox))
    assert [g.name for g in factory.resources(sandbox.subscription_id).resource_groups.list()]
    assert _arm_target(sandbox) in proxy.targets


def test_no_proxy_skips_the_proxy(sandbox, proxy, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    factory = ClientFactory(sandbox_settings(sandbox))
    assert [g.name for g in factory.resources(sandbox.subscription_id).resource_groups.list()]
    assert proxy.targets == []


def test_the_verify_probe_never_uses_a_proxy(sandbox, proxy):
    from steps.verify.probes import https_get_via

    port = urlparse(sandbox.arm_endpoint).port
    assert port is not None
    answer = https_get_via("127.0.0.1", port, "localhost", "/", ca_file=sandbox.ca_file, timeout=5)
    assert answer.status_code in (401, 404)           # reached the server itself
    assert proxy.targets == []


def test_an_untrusted_certificate_names_the_ca_setting(sandbox, proxy, monkeypatch):
    """Through the proxy, without the CA that signed the certificate (as behind a TLS-inspecting proxy)."""
    from azure.core.exceptions import ServiceRequestError

    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    factory = ClientFactory(sandbox_settings(sandbox).with_overrides(ca_file=None, retry_backoff_factor=0.0))
    with pytest.raises(ServiceRequestError) as raised:
        list(factory.resources(sandbox.subscription_id).resource_groups.list())
    explained = explain(raised.value)
    assert explained.code == "CertificateNotTrusted"
    assert "certificate this machine does not trust" in explained.sentence
    assert "ASTRO_PL_CA_FILE (or REQUESTS_CA_BUNDLE)" in explained.sentence
    # REQUESTS_CA_BUNDLE alone (requests reads it when no CA file is given) fixes it
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", sandbox.ca_file)
    fresh = ClientFactory(sandbox_settings(sandbox).with_overrides(ca_file=None))
    assert [g.name for g in fresh.resources(sandbox.subscription_id).resource_groups.list()]
    assert _arm_target(sandbox) in proxy.targets
