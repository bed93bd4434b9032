"""What a pod in an AKS cluster sees when the run command starts it: a tiny shell over the sandbox's real state.

AKS's run command (`az aks command invoke`) starts a pod that has `kubectl` and `helm` and runs the given command
in it (MicrosoftDocs/azure-docs, articles/aks/access-private-cluster.md: "The pod created by the run command
provides ... kubectl ... helm"); a probe that needs `nslookup` and `curl` therefore starts a second pod with
`kubectl run NAME --rm -i --restart=Never --image=<an image with curl> --command -- sh -c '<script>'`, which is
the one shape `PodShell.run` accepts. The script is a `;`-separated list of `echo`, `nslookup NAME` and
`curl [-sS] [-m S|--max-time S] [-w FMT] [-o FILE] URL`, with `$?` expanded.

Nothing is canned: `nslookup` asks the per-VNet DNS view (`dns.answer_from_world` for the cluster's VNet, passed
in as `lookup`), and `curl` opens a real TCP connection and TLS handshake (trusting the sandbox CA, as a pod
trusts the public CAs) to the address it resolved, on the URL's port, so the Astro endpoint's own rules decide:
an unapproved connection or the `astro_blackhole` knob hold the connection (curl's exit 28), a wrong certificate
fails verification (exit 60), an address nobody listens on refuses (exit 7). Public addresses are not reachable
from this machine; a connection to one times out, as traffic to an address that drops it would.

Output shapes: busybox 1.36 `nslookup` (the "Server:/Address:" header, "Name:/Address:" pairs, "** server can't find
NAME: NXDOMAIN" with exit 1); curl 8's `curl: (N) ...` error lines and exit codes 6 (could not resolve host), 7
(failed to connect), 28 (timeout), 35 (TLS handshake), 60 (certificate) (curl's libcurl-errors.3 man page).
"""

from __future__ import annotations

import ipaddress
import shlex
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from wizard.sandbox.dns import DnsAnswer

MAX_READ = 64 * 1024


@dataclass
class ShellResult:
    exit_code: int
    logs: str


def _split_statements(script: str) -> list[list[str]]:
    lexer = shlex.shlex(script, posix=True, punctuation_chars=";")
    lexer.whitespace_split = True
    statements: list[list[str]] = [[]]
    for token in lexer:
        if token and set(token) == {";"}:
            statements.append([])
        else:
            statements[-1].append(token)
    return [s for s in statements if s]


def _is_loopback(ip: str) -> bool:
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


class PodShell:
    """Runs one run-command `command` as a pod on `vnet_id` would: `lookup(vnet_id, name)` answers its DNS."""

    def __init__(self, lookup: Callable[[str | None, str], DnsAnswer], ca_pem: bytes, dns_service_ip: str) -> None:
        self.lookup = lookup
        self.ca_pem = ca_pem
        self.dns_service_ip = dns_service_ip

    def run(self, command: str, vnet_id: str | None) -> ShellResult:
        try:
            argv = shlex.split(command)
        except ValueError as exc:
            return ShellResult(2, f"sh: syntax error: {exc}\n")
        if argv[:2] != ["kubectl", "run"] or "--" not in argv:
            # The run command's pod has kubectl and helm only (see the module docstring).
            return ShellResult(127, f"sh: {argv[0] if argv else ''}: not found\n")
        rest = argv[argv.index("--") + 1:]
        if rest[:2] != ["sh", "-c"] or len(rest) < 3 or "--command" not in argv:
            return ShellResult(1, "error: the sandbox's pods run only `--command -- sh -c '<script>'`\n")
        out: list[str] = []
        code = 0
        try:
            statements = _split_statements(rest[2])
        except ValueError as exc:
            return ShellResult(2, f"sh: syntax error: {exc}\n")
        for words in statements:
            words = [w.replace("$?", str(code)) for w in words]
            if words[0] == "echo":
                out.append(" ".join(words[1:]) + "\n")
                code = 0
            elif words[0] == "nslookup" and len(words) >= 2:
                code = self._nslookup(words[1], vnet_id, out)
            elif words[0] == "curl":
                code = self._curl(words[1:], vnet_id, out)
            else:
                out.append(f"sh: {words[0]}: not found\n")
                code = 127
        return ShellResult(code, "".join(out))

    # ---- nslookup (busybox) ----
    def _nslookup(self, name: str, vnet_id: str | None, out: list[str]) -> int:
        answer = self.lookup(vnet_id, name)
        out.append(f"Server:\t\t{self.dns_service_ip}\nAddress:\t{self.dns_service_ip}:53\n\n")
        if answer.kind == "nxdomain":
            out.append(f"** server can't find {name}: NXDOMAIN\n\n")
            return 1
        out.append("Non-authoritative answer:\n")
        for addr in answer.addresses:
            out.append(f"Name:\t{name}\nAddress: {addr}\n")
        out.append("\n")
        return 0

    # ---- curl ----
    def _curl(self, args: list[str], vnet_id: str | None, out: list[str]) -> int:
        max_time, write_out, url = 0.0, "", ""
        i = 0
        while i < len(args):
            arg = args[i]
            if arg in ("-m", "--max-time", "--connect-timeout") and i + 1 < len(args):
                if arg != "--connect-timeout":
                    max_time = float(args[i + 1])
                i += 2
                continue
            if arg in ("-w", "--write-out") and i + 1 < len(args):
                write_out = args[i + 1]
                i += 2
                continue
            if arg in ("-o", "--output") and i + 1 < len(args):
                i += 2
                continue
            if arg.startswith("-"):   # -s, -S, -v...: what they change does not matter to the reader of the logs
                i += 1
                continue
            url = arg
            i += 1
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or 443
        limit = max_time if max_time > 0 else 300.0
        started = time.monotonic()

        def ms() -> int:
            return int((time.monotonic() - started) * 1000)

        answer = self.lookup(vnet_id, host)
        if answer.kind == "nxdomain" or not answer.addresses:
            out.append(f"curl: (6) Could not resolve host: {host}\n")
            return 6
        ip = answer.addresses[0]
        if not _is_loopback(ip):   # not reachable from this machine: the packets go nowhere
            time.sleep(limit)
            out.append(f"curl: (28) Connection timed out after {ms()} milliseconds\n")
            return 28
        try:
            sock = socket.create_connection((ip, port), timeout=limit)
        except ConnectionRefusedError:
            out.append(f"curl: (7) Failed to connect to {host} port {port} after {ms()} ms: Couldn't connect to "
                       "server\n")
            return 7
        except TimeoutError:
            out.append(f"curl: (28) Connection timed out after {ms()} milliseconds\n")
            return 28
        except OSError as exc:
            out.append(f"curl: (7) Failed to connect to {host} port {port} after {ms()} ms: {exc.strerror}\n")
            return 7
        ctx = ssl.create_default_context(cadata=self.ca_pem.decode())
        received = b""
        try:
            with sock:
                sock.settimeout(max(0.01, limit - (time.monotonic() - started)))
                try:
                    tls = ctx.wrap_socket(sock, server_hostname=host)
                except ssl.SSLCertVerificationError as exc:
                    if "match" in str(exc).lower() or "hostname" in str(exc).lower():
                        out.append(f"curl: (60) SSL: no alternative certificate subject name matches target host "
                                   f"name '{host}'\n")
                    else:
                        out.append(f"curl: (60) SSL certificate problem: {exc.verify_message}\n")
                    return 60
                except ssl.SSLError as exc:
                    out.append(f"curl: (35) {exc.reason or exc}\n")
                    return 35
                with tls:
                    tls.sendall(f"GET / HTTP/1.1\r\nHost: {parts.netloc}\r\nUser-Agent: curl/8.11.1\r\n"
                                "Accept: */*\r\nConnection: close\r\n\r\n".encode())
                    while len(received) < MAX_READ:
                        tls.settimeout(max(0.01, limit - (time.monotonic() - started)))
                        chunk = tls.recv(4096)
                        if not chunk:
                            break
                        received += chunk
        except TimeoutError:
            out.append(f"curl: (28) Operation timed out after {ms()} milliseconds with {len(received)} bytes "
                       "received\n")
            return 28
        except OSError as exc:
            out.append(f"curl: (56) Recv failure: {exc.strerror or exc}\n")
            return 56
        head, _, body = received.partition(b"\r\n\r\n")
        status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        status = status_line.split(" ")[1] if len(status_line.split(" ")) > 1 else "000"
        out.append(body.decode("utf-8", "replace"))
        if write_out:
            out.append(write_out.replace("%{http_code}", status).replace("\\n", "\n"))
        return 0
