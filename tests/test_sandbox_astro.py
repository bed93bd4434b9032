"""Tests for the sandbox Astro endpoint, driven through `steps.verify.https_get_via` (httpx, TLS verified)."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from steps.verify import https_get_via
from wizard.sandbox.astro import AstroServer
from wizard.sandbox.certs import SandboxCA

HOST = "clmh597sg000208lb2kjhcn8q.external.astronomer.run"
PE_IP = "127.20.16.4"
OTHER_IP = "127.20.16.5"


@dataclass
class Knobs:
    astro_listening: bool = True
    astro_wrong_certificate: bool = False


@dataclass
class World:
    """What the server reads: which IPs pass traffic, and the knobs."""

    approved: set[str] = field(default_factory=lambda: {"127.0.0.1", PE_IP, OTHER_IP})
    knobs: Knobs = field(default_factory=Knobs)
    asked: list[str] = field(default_factory=list)

    def reachable(self, ip: str) -> bool:
        self.asked.append(ip)
        return ip in self.approved


@pytest.fixture(scope="module")
def ca() -> SandboxCA:
    return SandboxCA.create()


@pytest.fixture(scope="module")
def ca_file(ca: SandboxCA, tmp_path_factory: pytest.TempPathFactory) -> str:
    return ca.write_cert(tmp_path_factory.mktemp("ca") / "ca.pem")


@pytest.fixture()
def world() -> World:
    return World()


@pytest.fixture()
def server(ca: SandboxCA, world: World) -> Iterator[AstroServer]:
    srv = AstroServer(ca, world.reachable, lambda: world.knobs).start()
    srv.add_address(PE_IP)
    try:
        yield srv
    finally:
        srv.stop()


def get(ip: str, port: int, ca_file: str, timeout: float = 2.0, host: str = HOST) -> httpx.Response:
    return https_get_via(ip, port, host, ca_file=ca_file, timeout=timeout)


def test_reachable_endpoint_answers_404_page_not_found(server: AstroServer, world: World, ca_file: str) -> None:
    resp = get(PE_IP, server.port, ca_file)
    assert resp.status_code == 404
    assert resp.text == "404 page not found\n"
    assert resp.headers["content-type"] == "text/plain; charset=utf-8"
    assert resp.http_version == "HTTP/1.1"
    assert world.asked == [PE_IP]  # consulted with the address the client connected to


def test_base_address_serves_too(server: AstroServer, ca_file: str) -> None:
    assert get("127.0.0.1", server.port, ca_file).status_code == 404


def test_sni_and_host_are_what_the_client_asked_for(server: AstroServer, ca_file: str) -> None:
    # The certificate is for *.external.astronomer.run: asking for another name fails the hostname check.
    with pytest.raises(httpx.ConnectError, match=r"CERTIFICATE_VERIFY_FAILED|match"):
        get(PE_IP, server.port, ca_file, host="astro.example.com")
    # Apex name is covered as well.
    assert get(PE_IP, server.port, ca_file, host="external.astronomer.run").status_code == 404


def test_unapproved_connection_times_out(server: AstroServer, world: World, ca_file: str) -> None:
    world.approved.discard(PE_IP)
    t0 = time.monotonic()
    with pytest.raises(httpx.TimeoutException):
        get(PE_IP, server.port, ca_file, timeout=0.5)
    assert time.monotonic() - t0 < 2.0
    # the other address is still fine: the decision is per local address
    assert get("127.0.0.1", server.port, ca_file).status_code == 404


def test_not_listening_refuses(ca: SandboxCA, world: World, ca_file: str) -> None:
    world.knobs.astro_listening = False
    with AstroServer(ca, world.reachable, lambda: world.knobs) as srv:
        srv.add_address(PE_IP)
        for ip in ("127.0.0.1", PE_IP):
            with pytest.raises(httpx.ConnectError):
                get(ip, srv.port, ca_file)
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection((ip, srv.port), timeout=1).close()
        # turning it back on takes effect within a poll
        world.knobs.astro_listening = True
        assert wait_for(lambda: probe_ok(PE_IP, srv.port, ca_file))


def test_listening_knob_toggles_at_runtime(server: AstroServer, world: World, ca_file: str) -> None:
    world.knobs.astro_listening = False
    # The listener notices within a poll; a loaded machine may take longer to schedule it, so allow a few seconds.
    assert wait_for(lambda: refused(PE_IP, server.port), timeout=5.0)
    with pytest.raises(httpx.ConnectError):
        get(PE_IP, server.port, ca_file)


def test_wrong_certificate_fails_verification(server: AstroServer, world: World, ca_file: str) -> None:
    world.knobs.astro_wrong_certificate = True
    with pytest.raises(httpx.ConnectError) as info:
        get(PE_IP, server.port, ca_file)
    assert "CERTIFICATE_VERIFY_FAILED" in str(info.value) or "match" in str(info.value)
    world.knobs.astro_wrong_certificate = False
    assert get(PE_IP, server.port, ca_file).status_code == 404


def test_untrusted_ca_fails_verification(server: AstroServer, tmp_path: Path) -> None:
    stranger = SandboxCA.create("someone else").write_cert(tmp_path / "other.pem")
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        get(PE_IP, server.port, stranger)


def test_address_added_later_works_and_removed_address_refuses(server: AstroServer, ca_file: str) -> None:
    with pytest.raises(httpx.ConnectError):
        get(OTHER_IP, server.port, ca_file)
    server.add_address(OTHER_IP)
    assert get(OTHER_IP, server.port, ca_file).status_code == 404
    assert set(server.addresses) == {"127.0.0.1", PE_IP, OTHER_IP}
    server.remove_address(OTHER_IP)
    assert refused(OTHER_IP, server.port)
    assert get(PE_IP, server.port, ca_file).status_code == 404


def test_stop_is_prompt_with_a_held_connection(ca: SandboxCA, world: World, ca_file: str) -> None:
    world.approved.clear()
    srv = AstroServer(ca, world.reachable, lambda: world.knobs).start()
    srv.add_address(PE_IP)
    port = srv.port
    errors: list[BaseException] = []

    def client() -> None:
        try:
            get(PE_IP, port, ca_file, timeout=5.0)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=client, daemon=True)
    thread.start()
    assert wait_for(lambda: PE_IP in world.asked)  # the connection is accepted and being held
    t0 = time.monotonic()
    srv.stop()
    assert time.monotonic() - t0 < 1.0
    thread.join(timeout=2)
    assert errors and isinstance(errors[0], httpx.ConnectError)  # the client sees the connection end
    assert refused("127.0.0.1", port) and refused(PE_IP, port)


# --- helpers -------------------------------------------------------------------------------------------------

def wait_for(cond: object, timeout: float = 1.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False


def refused(ip: str, port: int, attempts: int = 5) -> bool:
    """True only when a connect is refused (RST to the SYN: nothing listens), False when one connects.

    A connect that ends in ECONNRESET or a timeout says neither: the listener was closing while the handshake was
    under way (closing a listening socket resets the connections in its backlog), which a loaded machine makes likely.
    Such a connect is tried again rather than counted either way.
    """
    for _ in range(attempts):
        try:
            socket.create_connection((ip, port), timeout=0.5).close()
        except ConnectionRefusedError:
            return True
        except (ConnectionResetError, TimeoutError):
            time.sleep(0.05)
            continue
        return False
    return False


def probe_ok(ip: str, port: int, ca_file: str) -> bool:
    try:
        return get(ip, port, ca_file, timeout=0.5).status_code == 404
    except (httpx.HTTPError, ssl.SSLError):
        return False


def test_refused_helper_retries_a_connect_reset_mid_close(monkeypatch: pytest.MonkeyPatch) -> None:
    """A connect reset while the listener closes is neither a refusal nor a connection: ask again."""
    answers: list[type[OSError]] = [ConnectionResetError, ConnectionRefusedError]

    def connect(address: tuple[str, int], timeout: float) -> socket.socket:
        raise answers.pop(0)()

    monkeypatch.setattr(socket, "create_connection", connect)
    assert refused(PE_IP, 1) is True
    assert answers == []
    # a connect that keeps being reset never counts as refused
    answers[:] = [ConnectionResetError] * 5
    assert refused(PE_IP, 1) is False
