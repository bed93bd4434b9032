"""A DNS server on loopback that answers the way Azure DNS (168.63.129.16) answers inside a chosen VNet.

`answer_from_world` is a pure function over ARM JSON bodies (as ARM's GET returns them): private DNS zones,
their virtual network links and A record sets, plus the VNets' custom DNS servers and the Azure DNS Private
Resolver's inbound endpoints, forwarding rules and ruleset links (`DnsView`). A name is answered from the longest
private zone linked to the VNet whose Azure DNS the query reaches (link provisioned `Succeeded` and, when reported,
link state `Completed`); a linked zone without the name gives NXDOMAIN, because Azure falls back to public DNS only
for `privatelink.*` zones. Names not covered by a linked zone get the public answer: `public_address` under
`external.astronomer.run`, NXDOMAIN for the rest. A VNet with custom DNS servers asks the first of them: a
resolver's inbound endpoint or a forwarder into a hub VNet resolves through that VNet's links; an on-premises
server that does not forward gets the public answer.

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
    """The zone's own id in an id `.../privateDnsZones/<zone>/...`, lower-cased: two zones of one name in two
    resource groups are two zones (each VNet link and record set belongs to one of them), so the view keys zones by
    id, not by name."""
    parts = resource_id.split("/")
    for i, part in enumerate(parts[:-1]):
        if part.lower() == "privatednszones":
            return _vid("/".join(parts[: i + 2]).rstrip("."))
    return None


def _zone_name(zone_id: str) -> str:
    return _norm(zone_id.rsplit("/", 1)[-1])


def _props(resource: dict[str, Any]) -> dict[str, Any]:
    props = resource.get("properties")
    return props if isinstance(props, dict) else {}


def _under(name: str, zone: str) -> bool:
    return name == zone or name.endswith("." + zone)


AZURE_DNS = "168.63.129.16"
VNET_TYPE = "microsoft.network/virtualnetworks"
INBOUND_TYPE = "microsoft.network/dnsresolvers/inboundendpoints"
RULE_TYPE = "microsoft.network/dnsforwardingrulesets/forwardingrules"
RULESET_LINK_TYPE = "microsoft.network/dnsforwardingrulesets/virtualnetworklinks"
MAX_HOPS = 4   # forwarders chained further than this: SERVFAIL-like NXDOMAIN (a loop)


def _vid(value: object) -> str:
    return str(value or "").strip().rstrip("/").lower()


def _ruleset_of(resource_id: str) -> str:
    """The lower-case ruleset id of a forwarding rule's or ruleset link's id."""
    return _vid(resource_id.rsplit("/", 2)[0])


@dataclass
class DnsView:
    """What Azure DNS and the DNS servers in the world answer, built from ARM bodies.

    - A VNet's DNS servers are its `dhcpOptions.dnsServers` (network virtualNetwork.json, DhcpOptions). Empty, or
      168.63.129.16, is Azure DNS; otherwise a host asks the first server in the list.
    - Azure DNS in a VNet answers from the private zones linked to that VNet (`linked`), after the forwarding rules of
      DNS forwarding rulesets linked to it (specification/dnsresolver dnsresolver.json 2022-07-01: ForwardingRule
      domainName / targetDnsServers / forwardingRuleState; VirtualNetworkLink virtualNetwork). That a matching rule
      goes before a linked zone is assumed here, not confirmed.
    - A query to a DNS Private Resolver's inbound endpoint IP "is resolved using Azure DNS. Private DNS zones that are
      linked to the virtual network where the inbound endpoint is provisioned are resolved" (learn.microsoft.com
      azure/dns/private-resolver-endpoints-rulesets, "Inbound endpoints"): Azure DNS in the resolver's VNet.
    - A server that is no ARM resource (a forwarder VM, an on-premises server) is `forwarders`: the VNet whose Azure
      DNS it forwards to, or None (it answers from public DNS, as an on-premises server without a conditional
      forwarder for the zone does: the reference doc's "DNS resolution returns public IP addresses").
    """

    linked: dict[str, set[str]] = field(default_factory=dict)        # lower vnet id -> ids of zones linked to it
    records: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)   # (zone id, label) -> record
    names: dict[str, set[str]] = field(default_factory=dict)         # zone id -> record labels
    dns_servers: dict[str, list[str]] = field(default_factory=dict)  # lower vnet id -> custom DNS servers
    inbound: dict[str, str] = field(default_factory=dict)            # inbound endpoint IP -> lower vnet id
    rules: dict[str, list[tuple[str, list[str]]]] = field(default_factory=dict)  # lower vnet id -> (domain, IPs)
    forwarders: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def build(cls, resources: Iterable[dict[str, Any]], forwarders: dict[str, str | None] | None = None) -> DnsView:
        view = cls(forwarders={ip: (_vid(v) if v else None) for ip, v in (forwarders or {}).items()})
        resolver_vnets: dict[str, str] = {}
        inbound_ips: list[tuple[str, str]] = []
        ruleset_rules: dict[str, list[tuple[str, list[str]]]] = {}
        ruleset_links: list[tuple[str, str]] = []
        for res in resources:
            rtype = str(res.get("type", "")).lower()
            props = _props(res)
            rid = str(res.get("id", ""))
            if rtype == LINK_TYPE:
                link_vnet = _vid((props.get("virtualNetwork") or {}).get("id"))
                state = props.get("virtualNetworkLinkState")
                zone = _zone_of(rid)
                if zone and props.get("provisioningState") == "Succeeded" and (state is None or state == "Completed"):
                    view.linked.setdefault(link_vnet, set()).add(zone)
            elif rtype == A_TYPE:
                zone = _zone_of(rid)
                if zone:
                    label = _norm(str(res.get("name", "")))
                    view.records[(zone, label)] = res
                    view.names.setdefault(zone, set()).add(label)
            elif rtype == VNET_TYPE:
                servers = [str(d) for d in (props.get("dhcpOptions") or {}).get("dnsServers") or []]
                if servers:
                    view.dns_servers[_vid(rid)] = servers
            elif rtype == "microsoft.network/dnsresolvers":
                resolver_vnets[_vid(rid)] = _vid((props.get("virtualNetwork") or {}).get("id"))
            elif rtype == INBOUND_TYPE:
                for cfg in props.get("ipConfigurations") or []:
                    if cfg.get("privateIpAddress"):
                        inbound_ips.append((str(cfg["privateIpAddress"]), _vid(rid.rsplit("/", 2)[0])))
            elif rtype == RULE_TYPE and props.get("forwardingRuleState", "Enabled") == "Enabled":
                targets = [str(t.get("ipAddress")) for t in props.get("targetDnsServers") or [] if t.get("ipAddress")]
                ruleset_rules.setdefault(_ruleset_of(rid), []).append((_norm(str(props.get("domainName", ""))),
                                                                       targets))
            elif rtype == RULESET_LINK_TYPE:
                ruleset_links.append((_ruleset_of(rid), _vid((props.get("virtualNetwork") or {}).get("id"))))
        for ip, resolver in inbound_ips:
            if resolver in resolver_vnets:
                view.inbound[ip] = resolver_vnets[resolver]
        for ruleset, vnet in ruleset_links:
            view.rules.setdefault(vnet, []).extend(ruleset_rules.get(ruleset, []))
        return view

    # ---- answering ----
    def answer(self, vnet_id: str | None, name: str, public_address: str) -> DnsAnswer:
        """An A query for `name` from a host in VNet `vnet_id` (None: a host outside Azure, on public DNS)."""
        qname = _norm(name)
        if not vnet_id:
            return self.public(qname, public_address)
        return self.from_vnet(_vid(vnet_id), qname, public_address, 0)

    def from_vnet(self, vnet: str, qname: str, public_address: str, hops: int) -> DnsAnswer:
        servers = self.dns_servers.get(vnet) or []
        if servers and servers[0] != AZURE_DNS:
            return self.via_server(servers[0], qname, public_address, hops)
        return self.azure_dns(vnet, qname, public_address, hops)

    def via_server(self, ip: str, qname: str, public_address: str, hops: int) -> DnsAnswer:
        """What the DNS server at `ip` answers: Azure DNS itself, a resolver's inbound endpoint, or a forwarder."""
        if hops >= MAX_HOPS:
            return DnsAnswer("nxdomain", [], SOA_TTL)
        if ip == AZURE_DNS:   # Azure DNS answers a query sent to it from the VNet the query comes from: none here
            return self.public(qname, public_address)
        if ip in self.inbound:
            return self.azure_dns(self.inbound[ip], qname, public_address, hops + 1)
        target = self.forwarders.get(ip)
        if target:
            return self.azure_dns(target, qname, public_address, hops + 1)
        return self.public(qname, public_address)

    def azure_dns(self, vnet: str, qname: str, public_address: str, hops: int) -> DnsAnswer:
        """Azure DNS (168.63.129.16) inside `vnet`: a forwarding rule linked to the VNet, else its linked zones."""
        rules = [(d, t) for d, t in self.rules.get(vnet, []) if d and _under(qname, d) and t]
        if rules:
            _domain, targets = max(rules, key=lambda r: len(r[0]))
            return self.via_server(targets[0], qname, public_address, hops + 1)
        matching = [z for z in self.linked.get(vnet, set()) if _under(qname, _zone_name(z))]
        if matching:
            return self.from_zone(max(matching, key=lambda z: len(_zone_name(z))), qname)
        return self.public(qname, public_address)

    def from_zone(self, zone_id: str, qname: str) -> DnsAnswer:
        zone = _zone_name(zone_id)
        label = "@" if qname == zone else qname[: -len(zone) - 1]
        rec = self.records.get((zone_id, label))
        if rec is not None:
            props = _props(rec)
            addrs = [str(a["ipv4Address"]) for a in props.get("aRecords") or [] if a.get("ipv4Address")]
            return DnsAnswer("records", addrs, int(props.get("ttl", 10)), zone=zone)
        below = label != "@" and any(n.endswith("." + label) for n in self.names.get(zone_id, set()))
        if below or label == "@":  # the apex or an empty non-terminal: the name exists, no A record
            return DnsAnswer("records", [], SOA_TTL, zone=zone)
        return DnsAnswer("nxdomain", [], SOA_TTL, zone=zone)

    @staticmethod
    def public(qname: str, public_address: str) -> DnsAnswer:
        if qname.endswith("." + PUBLIC_SUFFIX):
            return DnsAnswer("public", [public_address], 60)
        return DnsAnswer("nxdomain", [], SOA_TTL)


def answer_from_world(resources: Iterable[dict[str, Any]], vnet_id: str | None, name: str,
                      public_address: str, forwarders: dict[str, str | None] | None = None) -> DnsAnswer:
    """Answer an A query for `name` as a host in VNet `vnet_id` would get it (None: a host outside Azure)."""
    return DnsView.build(resources, forwarders).answer(vnet_id, name, public_address)


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
