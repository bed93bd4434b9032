"""A DNS server on loopback that answers the way Azure DNS (168.63.129.16) answers inside a chosen VNet.

`answer_from_world` is a pure function over ARM JSON bodies (as ARM's GET returns them): private DNS zones,
their virtual network links and A record sets. A name is answered from the longest private zone linked to the
VNet (link provisioned `Succeeded` and, when reported, link state `Completed`); a linked zone without the name
gives NXDOMAIN, because Azure falls back to public DNS only for `privatelink.*` zones. Names not covered by a
linked zone get the public answer: `public_address` under `external.astronomer.run`, NXDOMAIN for the rest.

`DnsServer` serves any `lookup(name) -> DnsAnswer` over UDP and TCP on one loopback port with dnspython.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import struct
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

PUBLIC_SUFFIX = "external.astronomer.run"

ZONE_TYPE = "microsoft.network/privatednszones"
LINK_TYPE = "microsoft.network/privatednszones/virtualnetworklinks"
A_TYPE = "microsoft.network/privatednszones/a"

# What Azure private DNS zones carry as their SOA record (negative-caching TTL of 10 s).
SOA_TEXT = "azureprivatedns.net. azureprivatedns-host.microsoft.com. 1 3600 300 2419200 10"
SOA_TTL = 10


@dataclass
class DnsAnswer:
    """The answer to an A query: addresses (`records`), no such name (`nxdomain`), or the public answer.

    `zone` names the private zone that answered, if any (used for the SOA in negative answers).
    """

    kind: Literal["records", "nxdomain", "public"]
    addresses: list[str] = field(default_factory=list)
    ttl: int = 10
    zone: str | None = None


def _norm(name: str) -> str:
    return name.strip().rstrip(".").lower()


def _zone_of(resource_id: str) -> str | None:
    """The zone name in an id `.../privateDnsZones/<zone>/...`, lower-cased."""
    parts = resource_id.split("/")
    for i, part in enumerate(parts[:-1]):
        if part.lower() == "privatednszones":
            return _norm(parts[i + 1])
    return None


def _props(resource: dict[str, Any]) -> dict[str, Any]:
    props = resource.get("properties")
    return props if isinstance(props, dict) else {}


def _under(name: str, zone: str) -> bool:
    return name == zone or name.endswith("." + zone)


def answer_from_world(resources: Iterable[dict[str, Any]], vnet_id: str | None, name: str,
                      public_address: str) -> DnsAnswer:
    """Answer an A query for `name` as a host in VNet `vnet_id` would get it (None: a host outside Azure)."""
    qname = _norm(name)
    want_vnet = vnet_id.strip().rstrip("/").lower() if vnet_id else None
    linked: set[str] = set()
    records: list[dict[str, Any]] = []
    for res in resources:
        rtype = str(res.get("type", "")).lower()
        if rtype == LINK_TYPE and want_vnet:
            props = _props(res)
            link_vnet = str((props.get("virtualNetwork") or {}).get("id", "")).rstrip("/").lower()
            state = props.get("virtualNetworkLinkState")
            zone = _zone_of(str(res.get("id", "")))
            if (zone and link_vnet == want_vnet and props.get("provisioningState") == "Succeeded"
                    and (state is None or state == "Completed")):
                linked.add(zone)
        elif rtype == A_TYPE:
            records.append(res)

    matching = [z for z in linked if _under(qname, z)]
    if matching:
        zone = max(matching, key=len)
        label = "@" if qname == zone else qname[: -len(zone) - 1]
        exists_below = False
        for rec in records:
            if _zone_of(str(rec.get("id", ""))) != zone:
                continue
            rname = _norm(str(rec.get("name", "")))
            if rname == label:
                props = _props(rec)
                addrs = [str(a["ipv4Address"]) for a in props.get("aRecords") or [] if a.get("ipv4Address")]
                return DnsAnswer("records", addrs, int(props.get("ttl", 10)), zone=zone)
            if label != "@" and rname.endswith("." + label):
                exists_below = True
        if exists_below or label == "@":  # the apex or an empty non-terminal: the name exists, no A record
            return DnsAnswer("records", [], SOA_TTL, zone=zone)
        return DnsAnswer("nxdomain", [], SOA_TTL, zone=zone)

    if qname.endswith("." + PUBLIC_SUFFIX):
        return DnsAnswer("public", [public_address], 60)
    return DnsAnswer("nxdomain", [], SOA_TTL)


def build_response(wire: bytes, lookup: Callable[[str], DnsAnswer], max_size: int = 65535) -> bytes | None:
    """The wire response to a wire query, or None for a packet that should be ignored."""
    try:
        query = dns.message.from_wire(wire)
    except dns.exception.DNSException:  # malformed: ignore, as a real server would
        return None
    if query.flags & dns.flags.QR:
        return None
    response = dns.message.make_response(query)
    if query.opcode() != dns.opcode.QUERY or len(query.question) != 1:
        response.set_rcode(dns.rcode.NOTIMP if query.opcode() != dns.opcode.QUERY else dns.rcode.FORMERR)
        return response.to_wire()
    question = query.question[0]
    if question.rdclass != dns.rdataclass.IN:
        response.set_rcode(dns.rcode.REFUSED)
        return response.to_wire()
    qname = question.name.to_text()
    try:
        answer = lookup(qname)
    except Exception:
        response.set_rcode(dns.rcode.SERVFAIL)
        return response.to_wire()

    if answer.kind != "public":
        response.flags |= dns.flags.AA
    if answer.kind == "nxdomain":
        response.set_rcode(dns.rcode.NXDOMAIN)
    elif question.rdtype == dns.rdatatype.A and answer.addresses:
        response.answer.append(dns.rrset.from_text_list(question.name, answer.ttl, "IN", "A",
                                                        answer.addresses))
    if not response.answer and answer.zone:  # NXDOMAIN or NODATA from a private zone: SOA in authority
        response.authority.append(dns.rrset.from_text(dns.name.from_text(answer.zone), SOA_TTL, "IN", "SOA",
                                                      SOA_TEXT))
    try:
        return response.to_wire(max_size=max_size)
    except dns.exception.TooBig:
        truncated = dns.message.make_response(query)
        truncated.flags |= dns.flags.TC
        return truncated.to_wire()


def _udp_limit(wire: bytes) -> int:
    try:
        query = dns.message.from_wire(wire)
    except dns.exception.DNSException:
        return 512
    return max(512, query.payload) if query.edns >= 0 else 512


class DnsServer:
    """Serves `lookup` over UDP and TCP on one port of a loopback address, in daemon threads."""

    def __init__(self, lookup: Callable[[str], DnsAnswer], host: str = "127.0.0.1", port: int = 0) -> None:
        self.lookup = lookup
        self.host = host
        self._port = port
        self._udp: socket.socket | None = None
        self._tcp: socket.socket | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    @property
    def address(self) -> tuple[str, int]:
        if self._udp is None:
            raise RuntimeError("DnsServer is not started")
        return self.host, self._port

    def _bind(self) -> tuple[socket.socket, socket.socket]:
        last: OSError | None = None
        for _ in range(20 if self._port == 0 else 1):
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                udp.bind((self.host, self._port))
                port = udp.getsockname()[1]
                tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                try:
                    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    tcp.bind((self.host, port))
                    tcp.listen(16)
                except OSError:
                    tcp.close()
                    raise
            except OSError as exc:  # the port is free for UDP but taken for TCP: try another one
                udp.close()
                last = exc
                continue
            self._port = port
            return udp, tcp
        raise last or OSError("no free port for both UDP and TCP")

    def start(self) -> DnsServer:
        if self._udp is not None:
            return self
        self._stop.clear()
        self._udp, self._tcp = self._bind()
        for target, name in ((self._serve_udp, "udp"), (self._serve_tcp, "tcp")):
            thread = threading.Thread(target=target, name=f"sandbox-dns-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            threads, self._threads = self._threads, []
        for thread in threads:
            thread.join(timeout=2)
        for sock in (self._udp, self._tcp):
            if sock is not None:
                sock.close()
        self._udp = self._tcp = None

    def __enter__(self) -> DnsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serve_udp(self) -> None:
        sock = self._udp
        assert sock is not None
        with selectors.DefaultSelector() as sel:
            sel.register(sock, selectors.EVENT_READ)
            while not self._stop.is_set():
                if not sel.select(timeout=0.05):
                    continue
                try:
                    wire, peer = sock.recvfrom(65535)
                except OSError:
                    continue
                reply = build_response(wire, self.lookup, _udp_limit(wire))
                if reply is not None:
                    with contextlib.suppress(OSError):
                        sock.sendto(reply, peer)

    def _serve_tcp(self) -> None:
        sock = self._tcp
        assert sock is not None
        with selectors.DefaultSelector() as sel:
            sel.register(sock, selectors.EVENT_READ)
            while not self._stop.is_set():
                if not sel.select(timeout=0.05):
                    continue
                try:
                    conn, _ = sock.accept()
                except OSError:
                    continue
                thread = threading.Thread(target=self._serve_tcp_conn, args=(conn,), daemon=True,
                                          name="sandbox-dns-tcp-conn")
                with self._lock:
                    self._threads = [t for t in self._threads if t.is_alive()]
                    self._threads.append(thread)
                thread.start()

    def _serve_tcp_conn(self, conn: socket.socket) -> None:
        conn.settimeout(0.1)
        buf = b""
        idle = 0.0
        with conn:
            while not self._stop.is_set() and idle < 5.0:
                try:
                    chunk = conn.recv(65535)
                except TimeoutError:
                    idle += 0.1
                    continue
                except OSError:
                    return
                if not chunk:
                    return
                idle = 0.0
                buf += chunk
                while len(buf) >= 2:
                    (size,) = struct.unpack("!H", buf[:2])
                    if len(buf) < 2 + size:
                        break
                    wire, buf = buf[2:2 + size], buf[2 + size:]
                    reply = build_response(wire, self.lookup)
                    if reply is None:
                        continue
                    try:
                        conn.sendall(struct.pack("!H", len(reply)) + reply)
                    except OSError:
                        return
