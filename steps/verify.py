"""Step 7 — verify the setup and say what is wrong, the way the reference doc's troubleshooting section does.

Azure side (read through ARM, works from anywhere):
  connection_state  the endpoint's connection is Approved (Pending: Astronomer must approve; Rejected/Disconnected:
                    recreate it)
  zone_links        the `external.astronomer.run` zone is linked to every agents' VNet, each link Succeeded
  a_record          `<cluster-id>` in that zone holds exactly the endpoint NIC's IP
From the network (what an agent would see):
  dns               the API host resolved with dnspython (the system resolver, or `nameserver`), classified:
                    the endpoint's IP / NXDOMAIN / a public address / another private address
  https             GET https://<host>:<port>/ sent to the resolved IP (only ever a private one), SNI and Host set to
                    the API host, TLS verified; Astro answers `404 page not found`. A timeout triggers a read of the
                    NSGs on the agents' VNets' subnets and the endpoint's subnet, naming any rule that denies 443.

Time bounds (the `timeout` argument, default `DEFAULT_TIMEOUT` = 3 s): the DNS lookup gives up after `timeout`
seconds in all (dnspython `lifetime`), the HTTPS request after `timeout` seconds in all (httpx per-phase
timeouts of `timeout`, plus a watchdog on the whole request). The Azure reads and the DNS lookup run at once, so a
run where everything answers takes the ARM round trips plus one DNS query and one TLS request.

No UI import here: the CLI (`wizard/verify_report.py`) and the TUI's Verify screen present `VerifyReport`.
"""

from __future__ import annotations

import ipaddress
import os
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from steps.context import EndpointInfo, SetupContext, ZoneInfo
from wizard.core.constants import ASTRO_DNS_ZONE
from wizard.core.ids import parse_id, same_id
from wizard.core.validate import check_api_url

DEFAULT_TIMEOUT = 3.0          # seconds, per network check (DNS lookup; HTTPS request)
ENV_DNS_SERVER = "ASTRO_PL_DNS_SERVER"
ENV_CA_FILE = "ASTRO_PL_CA_FILE"
EXPECTED_BODY = "404 page not found"
AZURE_DNS = "168.63.129.16"

# Names of the checks, in report order (the JSON `name` field).
CONNECTION, LINKS, RECORD, DNS, HTTPS = "connection_state", "zone_links", "a_record", "dns", "https"
TITLES = {CONNECTION: "Endpoint connection approved", LINKS: "Zone linked to the agents' VNets",
          RECORD: "A record points to the endpoint", DNS: "Name resolves to the endpoint",
          HTTPS: "HTTPS answers through the endpoint"}

# "Private" as this tool means it. Python's `is_private` also says True for documentation and benchmark ranges
# (203.0.113.0/24, 198.18.0.0/15...), which public DNS can answer; those count as public here.
PRIVATE_NETWORKS = tuple(ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "fc00::/7"))


def _text(value: object) -> str:
    """An SDK enum or string as its plain value ('Succeeded', never 'ProvisioningState.SUCCEEDED')."""
    if value is None:
        return ""
    value = getattr(value, "value", value)
    s = str(value)
    if "." in s and s.split(".", 1)[0].endswith(("State", "Status", "Access", "Direction", "Protocol")):
        s = s.split(".", 1)[1].title()  # 'ProvisioningState.SUCCEEDED' from a str() of an enum
    return s


# -- results -------------------------------------------------------------------------------------------------
@dataclass
class CheckResult:
    name: str
    ok: bool
    detail: str                      # what was seen, one line
    diagnosis: str | None = None     # cause and next action (None when ok)
    fix_step: str | None = None      # the setup step that fixes it: private_endpoint|dns_zone|vnet_links|a_record|approval
    seconds: float | None = None     # how long the check took
    skipped: bool = False            # not run because an earlier check makes it meaningless or unsafe

    @property
    def title(self) -> str:
        return TITLES.get(self.name, self.name)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "ok": self.ok, "detail": self.detail, "diagnosis": self.diagnosis,
                               "fix_step": self.fix_step}
        if self.skipped:
            out["skipped"] = True
        if self.seconds is not None:
            out["seconds"] = round(self.seconds, 3)
        return out


@dataclass
class VerifyReport:
    checks: list[CheckResult]
    host: str = ""
    nameserver: str = "system resolver"
    timeout: float = DEFAULT_TIMEOUT
    duration: float = 0.0
    outside_vnet: bool = False                 # the network checks probably ran outside the agents' VNet
    inside_commands: list[str] = field(default_factory=list)  # run these from inside the cluster instead

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def check(self, name: str) -> CheckResult | None:
        return next((c for c in self.checks if c.name == name), None)

    @property
    def failed(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.ok]

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "host": self.host, "nameserver": self.nameserver, "timeout_seconds": self.timeout,
                "duration_seconds": round(self.duration, 3), "outside_vnet": self.outside_vnet,
                "inside_commands": list(self.inside_commands), "checks": [c.to_json() for c in self.checks]}


# -- small pure helpers (unit-tested) -----------------------------------------------------------------------
def parse_nameserver(text: str) -> tuple[str, int]:
    """'HOST[:PORT]' -> (host, port); IPv6 as '[::1]:5353' or a bare '::1'. Raises ValueError with a sentence."""
    raw = (text or "").strip()
    if not raw:
        raise ValueError("The nameserver is empty: give HOST or HOST:PORT, e.g. 10.0.0.10 or 127.0.0.1:5353.")
    host, port_text = raw, ""
    if raw.startswith("["):
        end = raw.find("]")
        if end < 0:
            raise ValueError(f"The nameserver '{raw}' has '[' without ']': write IPv6 as [ADDRESS]:PORT.")
        host, rest = raw[1:end], raw[end + 1:]
        if rest and not rest.startswith(":"):
            raise ValueError(f"The nameserver '{raw}' is not HOST[:PORT].")
        port_text = rest[1:]
    elif raw.count(":") == 1:
        host, port_text = raw.split(":")
    port = 53
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ValueError(f"The nameserver port '{port_text}' must be a number from 1 to 65535.")
        port = int(port_text)
    if not host:
        raise ValueError(f"The nameserver '{raw}' has no host.")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"The nameserver '{host}' must be an IP address (dnspython sends queries to an address, "
                         "not a name).") from None
    return host, port


def is_private(ip: str) -> bool:
    """RFC 1918, shared address space (100.64/10), loopback and IPv6 unique-local: an address only inside networks."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(addr.version == n.version and addr in n for n in PRIVATE_NETWORKS)


def in_prefixes(ip: str, prefixes: Iterable[str]) -> bool:
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    for p in prefixes:
        try:
            net = ipaddress.ip_network(p, strict=False)
        except ValueError:
            continue
        if net.version == addr.version and addr in net:
            return True
    return False


@dataclass
class DnsOutcome:
    """What the resolver said: `kind` is endpoint | nxdomain | noanswer | public | other_private | timeout | error."""

    kind: str
    addresses: list[str] = field(default_factory=list)
    message: str = ""


def classify_addresses(addresses: Sequence[str], endpoint_ip: str | None) -> str:
    """endpoint (the endpoint's IP is among them and nothing else), public (any public address), other_private."""
    if endpoint_ip and list(addresses) and all(a == endpoint_ip for a in addresses):
        return "endpoint"
    if any(not is_private(a) for a in addresses):
        return "public"
    return "other_private"


# -- NSG rule evaluation (pure) -----------------------------------------------------------------------------
@dataclass
class Rule:
    """One NSG security rule, flattened (SDK enums turned into plain strings)."""

    name: str
    priority: int
    direction: str          # Inbound | Outbound
    access: str             # Allow | Deny
    protocol: str = "*"     # * | Tcp | Udp | Icmp | Esp | Ah
    sources: list[str] = field(default_factory=lambda: ["*"])
    destinations: list[str] = field(default_factory=lambda: ["*"])
    ports: list[str] = field(default_factory=lambda: ["*"])   # destination port ranges
    nsg: str = ""
    default: bool = False
    uses_asg: bool = False  # refers to application security groups: cannot be evaluated from addresses

    @classmethod
    def from_sdk(cls, r: Any, nsg: str = "", default: bool = False) -> Rule:
        def many(single: Any, multiple: Any) -> list[str]:
            vals = [str(v) for v in (multiple or []) if v]
            if single:
                vals.insert(0, str(single))
            return vals

        src = many(r.source_address_prefix, r.source_address_prefixes)
        dst = many(r.destination_address_prefix, r.destination_address_prefixes)
        asg = bool(r.source_application_security_groups or r.destination_application_security_groups)
        return cls(name=r.name or "", priority=int(r.priority or 0), direction=_text(r.direction),
                   access=_text(r.access), protocol=_text(r.protocol) or "*", sources=src or (["?"] if asg else ["*"]),
                   destinations=dst or (["?"] if asg else ["*"]),
                   ports=many(r.destination_port_range, r.destination_port_ranges) or ["*"], nsg=nsg, default=default,
                   uses_asg=asg)

    def describe(self) -> str:
        kind = "default rule" if self.default else "rule"
        return (f"{kind} '{self.name}' (priority {self.priority}, {self.access} {self.direction.lower()} "
                f"{self.protocol} to {', '.join(self.destinations)} port {', '.join(self.ports)}"
                f"{' from ' + ', '.join(self.sources) if self.sources != ['*'] else ''})"
                + (f" in NSG '{self.nsg}'" if self.nsg else ""))


def port_matches(ranges: Iterable[str], port: int) -> bool:
    for r in ranges:
        r = r.strip()
        if r in ("*", "Any", ""):
            return True
        lo, _, hi = r.partition("-")
        try:
            if int(lo) <= port <= int(hi or lo):
                return True
        except ValueError:
            continue
    return False


def _net(text: str) -> ipaddress._BaseNetwork | None:  # type: ignore[name-defined]
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def prefix_matches(prefix: str, target: str, vnet_prefixes: Sequence[str]) -> bool:
    """Does an NSG address prefix (CIDR, IP, '*', or a service tag) cover `target` (an IP or a CIDR)?

    A network target matches when it overlaps: a rule that covers part of the agents' subnet blocks those agents.
    Tags: VirtualNetwork = the VNets' address spaces (and peered spaces given in `vnet_prefixes`); Internet = public
    addresses outside them; other tags (AzureLoadBalancer, Storage...) never cover a private endpoint's IP.
    """
    p = prefix.strip()
    low = p.lower()
    tnet = _net(target)
    if tnet is None:
        return False
    if low in ("*", "any", "0.0.0.0/0", "::/0"):
        return True
    if low == "virtualnetwork":
        return any((n := _net(v)) is not None and n.version == tnet.version and n.overlaps(tnet) for v in vnet_prefixes)
    if low == "internet":
        inside = any((n := _net(v)) is not None and n.version == tnet.version and n.overlaps(tnet)
                     for v in vnet_prefixes)
        return not inside and not is_private(str(tnet.network_address))
    pnet = _net(p)
    return pnet is not None and pnet.version == tnet.version and pnet.overlaps(tnet)


def rule_matches(rule: Rule, direction: str, source: str, destination: str, port: int,
                 vnet_prefixes: Sequence[str]) -> bool:
    if rule.direction.lower() != direction.lower() or rule.uses_asg:
        return False
    if rule.protocol.lower() not in ("*", "tcp", "any"):
        return False
    if not port_matches(rule.ports, port):
        return False
    return (any(prefix_matches(s, source, vnet_prefixes) for s in rule.sources)
            and any(prefix_matches(d, destination, vnet_prefixes) for d in rule.destinations))


def deciding_rule(rules: Iterable[Rule], direction: str, source: str, destination: str, port: int,
                  vnet_prefixes: Sequence[str]) -> Rule | None:
    """The rule that decides the traffic (the lowest priority number that matches), as Azure evaluates an NSG."""
    for rule in sorted(rules, key=lambda r: r.priority):
        if rule_matches(rule, direction, source, destination, port, vnet_prefixes):
            return rule
    return None


# -- inside-the-cluster commands ------------------------------------------------------------------------------
def inside_commands(host: str, port: int) -> list[str]:
    url = f"https://{host}" if port == 443 else f"https://{host}:{port}"
    return [
        f"kubectl run astro-pl-dns --rm -it --restart=Never --image=busybox:1.36 -- nslookup {host}",
        f"kubectl run astro-pl-check --rm -it --restart=Never --image=curlimages/curl -- curl -sv --max-time 10 {url}",
    ]


# -- the Azure side ---------------------------------------------------------------------------------------------
@dataclass
class SubnetInfo:
    id: str
    name: str
    prefixes: list[str]
    nsg_id: str | None
    route_table_id: str | None
    pe_policies: str


@dataclass
class VNetSpace:
    id: str
    name: str
    prefixes: list[str]          # its own address space
    peered_prefixes: list[str]   # address spaces of peered VNets (part of the VirtualNetwork tag)
    dns_servers: list[str]       # custom DNS servers (empty: Azure-provided DNS)
    subnets: list[SubnetInfo]


def _read_vnet_space(ctx: SetupContext, vid: str) -> VNetSpace | None:
    from azure.core.exceptions import ResourceNotFoundError

    parts = parse_id(vid)
    try:
        v = ctx.network(parts.get("subscription")).virtual_networks.get(parts.get("resource_group"),
                                                                        parts.get("virtualnetworks"))
    except ResourceNotFoundError:
        return None
    peered: list[str] = []
    for peering in v.virtual_network_peerings or []:
        space = getattr(peering, "remote_address_space", None)
        peered += list(getattr(space, "address_prefixes", None) or [])
    subnets = []
    for s in v.subnets or []:
        prefixes = [s.address_prefix] if s.address_prefix else list(s.address_prefixes or [])
        subnets.append(SubnetInfo(id=s.id, name=s.name, prefixes=prefixes,
                                  nsg_id=s.network_security_group.id if s.network_security_group else None,
                                  route_table_id=s.route_table.id if s.route_table else None,
                                  pe_policies=_text(s.private_endpoint_network_policies) or "Disabled"))
    dhcp = getattr(v, "dhcp_options", None)
    return VNetSpace(id=v.id, name=v.name, prefixes=list((v.address_space.address_prefixes if v.address_space else None)
                                                         or []),
                     peered_prefixes=peered, dns_servers=list(getattr(dhcp, "dns_servers", None) or []),
                     subnets=subnets)


def _vnet_name(vid: str) -> str:
    return parse_id(vid).get("virtualnetworks", vid)


def check_connection(pe: EndpointInfo | None, endpoint_name: str) -> CheckResult:
    if pe is None:
        return CheckResult(CONNECTION, False, f"There is no private endpoint '{endpoint_name}'.",
                           "Create the private endpoint (step 2), then wait for Astronomer to approve it.",
                           "private_endpoint")
    status = _text(pe.connection_status) or "unknown"
    prov = _text(pe.provisioning_state) or "unknown"
    detail = f"Endpoint '{pe.name}' ({pe.private_ip or 'no IP yet'}): connection {status}, provisioning {prov}."
    low = status.lower()
    if prov.lower() not in ("succeeded", "unknown"):
        return CheckResult(CONNECTION, False, detail,
                           f"The endpoint's provisioning is '{prov}', not Succeeded: wait for Azure to finish, or look "
                           "at it in the portal (Private Link Center > Private endpoints) and recreate it if it Failed.",
                           "private_endpoint")
    if low == "approved":
        return CheckResult(CONNECTION, True, detail)
    if low == "pending":
        return CheckResult(CONNECTION, False, detail,
                           "The connection is Pending: the Private Link Service needs manual approval. Contact "
                           "Astronomer support with the endpoint's resource id and ask them to approve it; traffic "
                           "times out until then.", "approval")
    if low in ("rejected", "disconnected"):
        why = f" ({pe.connection_description})" if pe.connection_description else ""
        return CheckResult(CONNECTION, False, detail,
                           f"The connection was {status}{why}: it will never pass traffic. Delete this private "
                           "endpoint, create it again (step 2), and ask Astronomer support to approve the new request "
                           "(check the alias with them first).", "private_endpoint")
    return CheckResult(CONNECTION, False, detail,
                       f"The connection state is '{status}': only Approved passes traffic. Ask Astronomer support.",
                       "approval")


def check_links(zone: ZoneInfo | None, zones: list[ZoneInfo], agent_vnets: list[str]) -> CheckResult:
    if zone is None:
        return CheckResult(LINKS, False, f"No private DNS zone '{ASTRO_DNS_ZONE}' exists in the subscription.",
                           f"Create the private DNS zone {ASTRO_DNS_ZONE} (step 3), link it to the agents' VNets "
                           "(step 4) and add the A record (step 5).", "dns_zone")
    problems, fine = [], []
    for vid in agent_vnets:
        name = _vnet_name(vid)
        link = zone.link_to(vid)
        if link is None:
            other = next((z for z in zones if not same_id(z.id, zone.id) and z.link_to(vid)), None)
            if other is not None:
                problems.append(f"{name} is linked to another {ASTRO_DNS_ZONE} zone (resource group "
                                f"'{other.resource_group}'), so it resolves from that zone: add the A record there, "
                                f"or move the link")
            else:
                problems.append(f"{name} is not linked: link the zone to {name} (step 4); until then hosts in "
                                "that VNet get the public address")
            continue
        state = _text(link.provisioning_state)
        lstate = _text(link.link_state)
        if state.lower() != "succeeded" or (lstate and lstate.lower() not in ("completed",)):
            problems.append(f"the link '{link.name}' to {name} is {state or 'unknown'}"
                            f"{' / ' + lstate if lstate else ''}: wait until it is Succeeded/Completed "
                            "(links can take a few minutes), then verify again")
        else:
            fine.append(name)
    where = f"zone in resource group '{zone.resource_group}'"
    if not problems:
        return CheckResult(LINKS, True, f"The {where} is linked to {', '.join(fine)} (Succeeded).")
    return CheckResult(LINKS, False, f"The {where}: " + "; ".join(p.split(':')[0] for p in problems) + ".",
                       "; ".join(problems) + ".", "vnet_links")


def check_record(zone: ZoneInfo | None, record: list[str] | None, name: str, pe: EndpointInfo | None) -> CheckResult:
    fqdn = f"{name}.{ASTRO_DNS_ZONE}"
    if zone is None:
        return CheckResult(RECORD, False, f"No zone, so no A record for {fqdn}.",
                           "Create the zone (step 3), then the A record (step 5).", "dns_zone")
    want = pe.private_ip if pe else None
    if record is None:
        return CheckResult(RECORD, False, f"There is no A record '{name}' in the zone (resource group "
                                          f"'{zone.resource_group}').",
                           f"Create the A record {name} -> {want or 'the endpoint IP'} (step 5). Inside a linked VNet "
                           f"{fqdn} gets NXDOMAIN until then.", "a_record")
    have = ", ".join(record) or "no addresses"
    if want is None:
        return CheckResult(RECORD, False, f"{fqdn} -> {have}, but the endpoint has no IP to compare with.",
                           "Create the private endpoint (step 2); then point the record at its IP (step 5).",
                           "private_endpoint")
    if record == [want]:
        return CheckResult(RECORD, True, f"{fqdn} -> {want}, the endpoint NIC's IP.")
    if want in record:
        return CheckResult(RECORD, False, f"{fqdn} -> {have}: the endpoint's {want} and others.",
                           f"Remove the other addresses from the A record so that every lookup gets {want} "
                           "(`astro-privatelink apply --update a_record`).", "a_record")
    return CheckResult(RECORD, False, f"{fqdn} -> {have}, but the endpoint NIC's IP is {want}.",
                       f"The record is stale (the endpoint was probably recreated and got a new IP): point it at {want} "
                       "with `astro-privatelink apply --update a_record`.", "a_record")


# -- the network side -------------------------------------------------------------------------------------------
def resolve(host: str, nameserver: tuple[str, int] | None, timeout: float) -> DnsOutcome:
    """Ask for A records of `host` (absolute name), giving up after `timeout` seconds in all."""
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


def check_dns(host: str, outcome: DnsOutcome, pe: EndpointInfo | None, where: str,
              vnet_prefixes: Sequence[str], azure_ok: bool, links_ok: bool, record_ok: bool) -> CheckResult:
    want = pe.private_ip if pe else None
    if outcome.kind == "resolved":
        kind = classify_addresses(outcome.addresses, want)
        detail = f"{host} -> {', '.join(outcome.addresses)} ({where})."
        if kind == "endpoint":
            return CheckResult(DNS, True, detail)
        if kind == "public":
            if not links_ok:
                diag = ("A public address: the zone is not linked to the VNet this lookup ran in, so the name "
                        "falls through to public DNS. Link the zone to the agents' VNets (step 4).")
                return CheckResult(DNS, False, detail, diag, "vnet_links")
            if not record_ok:
                diag = ("A public address, and the A record is not right: fix the record (step 5), then make sure "
                        "the lookup runs in a linked VNet.")
                return CheckResult(DNS, False, detail, diag, "a_record")
            diag = ("A public address, while the zone, its links and the record are right in Azure: this check is "
                    "probably running outside the agents' VNet (from a laptop or another network), where public DNS "
                    "answers. Run the same checks from inside the cluster (commands below). If that also gives a "
                    "public address, the VNet's DNS servers do not forward to Azure DNS (168.63.129.16).")
            return CheckResult(DNS, False, detail, diag, None)
        # another private address
        others = [a for a in outcome.addresses if a != want]
        if want and want in outcome.addresses:
            diag = (f"The answer mixes the endpoint's {want} with {', '.join(others)}: remove the extra addresses from "
                    "the A record (`astro-privatelink apply --update a_record`).")
            return CheckResult(DNS, False, detail, diag, "a_record")
        inside = in_prefixes(others[0], vnet_prefixes) if others else False
        if not record_ok:
            diag = (f"{', '.join(others)} is not the endpoint's IP ({want or 'unknown'}): the A record is stale (the "
                    "endpoint was probably recreated). Point it at the endpoint's IP "
                    "(`astro-privatelink apply --update a_record`).")
            return CheckResult(DNS, False, detail, diag, "a_record")
        diag = (f"{', '.join(others)} is a private address but not the endpoint's ({want or 'unknown'}), while the A "
                "record in Azure is right: " + (
                    "the answer is stale — another zone or a cached answer (wait for the record's TTL), or a custom "
                    "DNS server with its own copy of the zone." if inside else
                    "it is outside the agents' VNets, so another DNS server (a custom DNS server, a conditional "
                    "forwarder, or another linked zone) answers for this name; make it forward external.astronomer.run "
                    "to Azure DNS (168.63.129.16) from a linked VNet."))
        return CheckResult(DNS, False, detail, diag, None)
    detail = f"{host}: {outcome.message} ({where})."
    if outcome.kind in ("nxdomain", "noanswer"):
        if not record_ok:
            diag = ("NXDOMAIN: the zone is linked to this VNet but has no A record for the cluster, so Azure DNS "
                    "answers 'no such name' (it does not fall back to public DNS for this zone). Create the A record "
                    "(step 5).")
            return CheckResult(DNS, False, detail, diag, "a_record")
        diag = ("NXDOMAIN although the A record exists in the zone: this VNet may be linked to another "
                f"{ASTRO_DNS_ZONE} zone without the record, or the resolver cached an earlier negative answer "
                "(wait a minute and verify again).")
        return CheckResult(DNS, False, detail, diag, "vnet_links" if not links_ok else None)
    if outcome.kind == "timeout":
        return CheckResult(DNS, False, detail, "The resolver did not answer: check the nameserver address and that "
                                               "UDP/TCP 53 to it is allowed.", None)
    return CheckResult(DNS, False, detail, "The lookup failed: check the resolver (or pass --nameserver).", None)


def check_dns_alone(host: str, outcome: DnsOutcome, where: str) -> CheckResult:
    """The DNS check when Azure could not be read: a private answer passes, with that caveat."""
    if outcome.kind == "resolved":
        detail = f"{host} -> {', '.join(outcome.addresses)} ({where})."
        if all(is_private(a) for a in outcome.addresses):
            return CheckResult(DNS, True, detail[:-1] + "; not compared with the endpoint's IP, which Azure did not "
                                                        "give.")
        return CheckResult(DNS, False, detail, "A public address: the zone is not linked to the VNet this lookup "
                                               "ran in, the record is missing, or this runs outside the VNet.", None)
    return CheckResult(DNS, False, f"{host}: {outcome.message} ({where}).",
                       "The name did not resolve to a private address; fix the Azure access first, then verify "
                       "again to see which step is missing.", None)


@dataclass
class HttpsOutcome:
    kind: str        # ok | status | timeout | refused | tls | error
    status: int | None = None
    message: str = ""


def probe_https(ip: str, port: int, host: str, ca_file: str | None, timeout: float) -> HttpsOutcome:
    """GET https://host:port/ via `ip`, bounded by `timeout` seconds in all (a watchdog backs httpx's timeouts)."""
    import httpx

    from wizard.https_probe import https_get_via

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
    import ssl

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
        with socket.create_connection((ip, port), timeout=timeout) as raw:
            with ctx.wrap_socket(raw, server_hostname=host) as tls:
                der = tls.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError):
        return []
    if not der:
        return []
    try:
        cert = x509.load_der_x509_certificate(der)
        try:
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            names = san.get_values_for_type(x509.DNSName)
        except x509.ExtensionNotFound:
            names = []
        if not names:
            names = [a.value for a in cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)]
        return [str(n) for n in names]
    except ValueError:
        return []


@dataclass
class NsgFinding:
    """One NSG rule that blocks, or notes about what could not be evaluated."""

    blocking: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    route_tables: list[str] = field(default_factory=list)


def inspect_nsgs(ctx: SetupContext, spaces: list[VNetSpace], pe: EndpointInfo | None, target_ip: str,
                 port: int) -> NsgFinding:
    """Read the NSGs on the agents' VNets' subnets (outbound) and the endpoint's subnet (inbound, when the subnet
    applies network policies to private endpoints), and name the rules that deny TCP `port` to `target_ip`."""
    from azure.core.exceptions import ResourceNotFoundError

    found = NsgFinding()
    vnet_prefixes = [p for s in spaces for p in s.prefixes + s.peered_prefixes]
    cache: dict[str, list[Rule] | None] = {}

    def rules_of(nsg_id: str) -> list[Rule] | None:
        key = nsg_id.lower()
        if key not in cache:
            parts = parse_id(nsg_id)
            name = parts.get("networksecuritygroups", nsg_id)
            try:
                nsg = ctx.network(parts.get("subscription")).network_security_groups.get(parts.get("resource_group"),
                                                                                         name)
                cache[key] = ([Rule.from_sdk(r, name) for r in nsg.security_rules or []]
                              + [Rule.from_sdk(r, name, default=True) for r in nsg.default_security_rules or []])
            except ResourceNotFoundError:
                cache[key] = None
        return cache[key]

    pe_subnet = None
    for space in spaces:
        for sn in space.subnets:
            if pe is not None and same_id(sn.id, pe.subnet_id):
                pe_subnet = (space, sn)
            if sn.route_table_id:
                found.route_tables.append(f"subnet {space.name}/{sn.name} uses route table "
                                          f"'{parse_id(sn.route_table_id).get('routetables', sn.route_table_id)}'")
            if not sn.nsg_id:
                continue
            rules = rules_of(sn.nsg_id)
            if rules is None:
                continue
            for src in sn.prefixes:
                rule = deciding_rule(rules, "Outbound", src, target_ip, port, vnet_prefixes)
                if rule is not None and rule.access.lower() == "deny":
                    found.blocking.append(f"{rule.describe()} on subnet {space.name}/{sn.name} ({src}) denies "
                                          f"outbound TCP {port} to {target_ip}")
                    break
            if any(r.uses_asg and r.direction.lower() == "outbound" for r in rules):
                found.notes.append(f"NSG '{parse_id(sn.nsg_id).get('networksecuritygroups')}' has rules using "
                                   "application security groups, which this check cannot evaluate")
    if pe_subnet is not None:
        space, sn = pe_subnet
        policies = sn.pe_policies.lower()
        if sn.nsg_id and policies in ("enabled", "networksecuritygroupenabled"):
            rules = rules_of(sn.nsg_id) or []
            for other in spaces:
                for agent in other.subnets:
                    if same_id(agent.id, sn.id):
                        continue
                    for src in agent.prefixes:
                        rule = deciding_rule(rules, "Inbound", src, target_ip, port, vnet_prefixes)
                        if rule is not None and rule.access.lower() == "deny":
                            found.blocking.append(f"{rule.describe()} on the endpoint's subnet {space.name}/{sn.name} "
                                                  f"denies inbound TCP {port} from {other.name}/{agent.name} ({src})")
                            break
    return found


def check_https(host: str, port: int, ip: str, outcome: HttpsOutcome, pe: EndpointInfo | None,
                connection_ok: bool, nsg: NsgFinding | None, names: list[str] | None, ca_file: str | None) -> CheckResult:
    where = f"https://{host}{'' if port == 443 else ':' + str(port)}/ via {ip}"
    detail = f"{where}: {outcome.message.rstrip('.')}."
    if outcome.kind == "ok":
        return CheckResult(HTTPS, True, detail)
    if outcome.kind == "timeout":
        if not connection_ok:
            return CheckResult(HTTPS, False, detail,
                               "Timed out because the endpoint connection is not Approved: Astronomer must approve it "
                               "first (see connection_state).", "approval")
        if nsg is not None and nsg.blocking:
            return CheckResult(HTTPS, False, detail,
                               "Timed out: an NSG blocks it. " + "; ".join(nsg.blocking) + ". Add a rule with a lower "
                               f"priority number that allows outbound TCP {port} to {ip} (or the endpoint's subnet), or "
                               "change that rule.", None)
        extra = ""
        if nsg is not None and nsg.route_tables:
            extra = " " + "; ".join(nsg.route_tables) + ": check that it does not send this traffic to a firewall " \
                                                         "(next hop VirtualAppliance) that drops it."
        notes = (" Not evaluated: " + "; ".join(nsg.notes) + ".") if nsg is not None and nsg.notes else ""
        return CheckResult(HTTPS, False, detail,
                           "Timed out, and no NSG rule on the agents' or the endpoint's subnets denies TCP "
                           f"{port} to {ip}. Something else drops it: a firewall or a user-defined route (UDR) on "
                           "the path, an NSG on the agents' NICs, or an approval that has not reached the service "
                           f"yet (verify again in a few minutes).{extra}{notes}", None)
    if outcome.kind == "refused":
        return CheckResult(HTTPS, False, detail,
                           f"{ip} refused the connection on port {port}: nothing listens there. If {ip} is not the "
                           "endpoint's IP the name points elsewhere (see dns); otherwise the Astro side is not "
                           "answering: tell Astronomer support.", None)
    if outcome.kind == "tls":
        shown = f" The server presented a certificate for {', '.join(names)}." if names else ""
        verify = outcome.message.lower()
        if "hostname" in verify or "mismatch" in verify or "not valid for" in verify:
            cause = (f"the certificate is not for {host}: {ip} is not Astro's endpoint (the name points elsewhere), "
                     "or a proxy or firewall intercepts TLS.")
        elif "self" in verify or "unable to get local issuer" in verify or "unknown ca" in verify:
            cause = ("the certificate is signed by an authority this machine does not trust: a TLS-inspecting proxy "
                     "or firewall sits on the path (exempt *.external.astronomer.run), or set ASTRO_PL_CA_FILE / "
                     "--ca-file to the CA it uses" + (f" (now trusting {ca_file})" if ca_file else "") + ".")
        else:
            cause = "the TLS handshake failed: a proxy or firewall may intercept or block TLS on the path."
        return CheckResult(HTTPS, False, detail, f"TLS failure: {cause}{shown}", None)
    if outcome.kind == "status":
        return CheckResult(HTTPS, False, detail,
                           f"Astro answers `{EXPECTED_BODY}` (404) at /, but this answered {outcome.status}: something "
                           f"other than Astro's endpoint answers on {ip} (a proxy, a gateway, or another service).",
                           None)
    return CheckResult(HTTPS, False, detail, "The request failed; run verify again, and check the network path.", None)


# -- the whole run ----------------------------------------------------------------------------------------------
def _default_nameserver() -> tuple[str, int] | None:
    raw = os.environ.get(ENV_DNS_SERVER, "").strip()
    return parse_nameserver(raw) if raw else None


def run_verify(ctx: SetupContext, *, nameserver: tuple[str, int] | None = None, timeout: float = DEFAULT_TIMEOUT,
               ca_file: str | None = None) -> VerifyReport:
    """Run every check (Azure reads and the DNS lookup at once, then HTTPS) and diagnose each failure.

    `nameserver` None: ASTRO_PL_DNS_SERVER when set, else the system resolver. `ca_file` None: the settings'
    CA file (--ca-file / ASTRO_PL_CA_FILE), else the system trust store. Never raises for Azure or network errors:
    an Azure read that fails becomes a failed check.
    """
    started = time.monotonic()
    ctx.refresh()
    url = check_api_url(ctx.config.api_url)
    host = (url.host or "").lower()
    port = url.port or 443
    cluster = url.cluster_id or host.split(".")[0]
    if nameserver is None:
        nameserver = _default_nameserver()
    if ca_file is None:
        ca_file = getattr(ctx.factory.settings, "ca_file", None) or os.environ.get(ENV_CA_FILE) or None
    where = f"nameserver {nameserver[0]}:{nameserver[1]}" if nameserver else "system resolver"
    report = VerifyReport([], host=host, nameserver=where, timeout=timeout)
    if not host or not url.ok:
        report.checks.append(CheckResult("inputs", False, f"The API URL '{ctx.config.api_url}' is not usable.",
                                         " ".join(url.problems) or "Give the API URL as https://<cluster-id>."
                                         f"{ASTRO_DNS_ZONE}.", None))
        report.duration = time.monotonic() - started
        return report

    def timed(fn: Any) -> Any:
        def run() -> tuple[Any, float]:
            t0 = time.monotonic()
            return fn(), time.monotonic() - t0
        return run

    def read_record() -> list[str] | None:
        from azure.core.exceptions import ResourceNotFoundError

        zone, _ = ctx.chosen_zone()
        if zone is None:
            return None
        try:
            rs = ctx.dns().record_sets.get(zone.resource_group, zone.name, "A", cluster)
        except ResourceNotFoundError:
            return None
        props = getattr(rs, "properties", None) or rs
        return [a.ipv4_address for a in (getattr(props, "a_records", None) or [])]

    def read_spaces() -> list[VNetSpace]:
        return [s for s in (_read_vnet_space(ctx, v) for v in ctx.agent_vnet_ids()) if s is not None]

    # Imports happen here, in this thread: the SDK packages have import cycles that break ("cannot import name
    # 'Pipeline'") when several threads import them for the first time at once.
    import dns.resolver  # noqa: F401
    import httpx  # noqa: F401

    import wizard.https_probe  # noqa: F401

    with ThreadPoolExecutor(max_workers=5, thread_name_prefix="verify") as pool:
        f_dns = pool.submit(timed(lambda: resolve(host, nameserver, timeout)))
        # Build the clients (and import the SDK, under the factory's import lock) while the DNS query is out;
        # building touches no network, so it cannot fail the way Azure reads do.
        ctx.network()
        ctx.dns()
        f_pe = pool.submit(timed(ctx.endpoint))
        f_zone = pool.submit(timed(lambda: (ctx.chosen_zone()[0], ctx.zones(), ctx.agent_vnet_ids())))
        f_rec = pool.submit(timed(read_record))
        f_space = pool.submit(timed(read_spaces))

        azure_error: str | None = None
        failed_reads: set[str] = set()

        def get(fut: Any, default: Any, what: str) -> tuple[Any, float]:
            nonlocal azure_error
            try:
                return fut.result()
            except Exception as exc:
                from steps.context import LookupProblem
                from wizard.core.errors import explain

                failed_reads.add(what)
                if azure_error is None:
                    azure_error = str(exc) if isinstance(exc, LookupProblem) else explain(
                        exc, alias=ctx.config.alias, subscription_id=ctx.config.subscription_id).sentence
                return default, 0.0

        pe, t_pe = get(f_pe, None, CONNECTION)
        (zone, zones, agents), t_zone = get(f_zone, (None, [], []), LINKS)
        record, t_rec = get(f_rec, None, RECORD)
        spaces, _ = get(f_space, [], "vnets")
        dns_outcome, t_dns = f_dns.result()

    if azure_error is not None:
        report.checks.append(CheckResult("azure", False, "Could not read the setup from Azure.", azure_error, None))

    def unread(name: str) -> CheckResult:
        return CheckResult(name, False, "Not checked: Azure could not be read (see above).", None, None, skipped=True)

    conn = unread(CONNECTION) if CONNECTION in failed_reads else check_connection(pe, ctx.config.endpoint_name)
    conn.seconds = t_pe
    links = unread(LINKS) if LINKS in failed_reads else check_links(zone, zones, agents)
    links.seconds = t_zone
    rec = unread(RECORD) if failed_reads & {RECORD, LINKS, CONNECTION} else check_record(zone, record, cluster, pe)
    rec.seconds = t_rec
    report.checks += [conn, links, rec]

    vnet_prefixes = [p for s in spaces for p in s.prefixes + s.peered_prefixes]
    if CONNECTION in failed_reads:  # the endpoint's IP is unknown: judge the answer on its own
        dns_check = check_dns_alone(host, dns_outcome, where)
    else:
        dns_check = check_dns(host, dns_outcome, pe, where, vnet_prefixes, conn.ok, links.ok, rec.ok)
    dns_check.seconds = t_dns
    report.checks.append(dns_check)

    # HTTPS: only to a private address the resolver gave (never to a public one).
    target = None
    if dns_outcome.kind == "resolved":
        private = [a for a in dns_outcome.addresses if is_private(a)]
        if pe is not None and pe.private_ip in private:
            target = pe.private_ip
        elif private and len(private) == len(dns_outcome.addresses):
            target = private[0]
    if target is None:
        why = ("the name resolved to a public address; this check only connects to private addresses"
               if dns_outcome.kind == "resolved" else "the name did not resolve")
        report.checks.append(CheckResult(HTTPS, False, f"Not run: {why}.",
                                         "Fix the DNS check first, then verify again.", dns_check.fix_step,
                                         skipped=True))
    else:
        t0 = time.monotonic()
        outcome = probe_https(target, port, host, ca_file, timeout)
        nsg = None
        names = None
        if outcome.kind == "timeout" and conn.ok:
            try:
                nsg = inspect_nsgs(ctx, spaces, pe, target, port)
            except Exception as exc:
                nsg = NsgFinding(notes=[f"the NSGs could not be read ({type(exc).__name__})"])
        elif outcome.kind == "tls":
            names = peer_names(target, port, host, timeout)
        https = check_https(host, port, target, outcome, pe, conn.ok, nsg, names, ca_file)
        https.seconds = time.monotonic() - t0
        report.checks.append(https)

    azure_ok = conn.ok and links.ok and rec.ok
    network_failed = not dns_check.ok or not report.checks[-1].ok
    if network_failed and dns_outcome.kind == "resolved" and \
            classify_addresses(dns_outcome.addresses, pe.private_ip if pe else None) == "public":
        report.inside_commands = inside_commands(host, port)
        report.outside_vnet = azure_ok
        custom = sorted({d for s in spaces for d in s.dns_servers})
        if azure_ok and custom:
            dns_check.diagnosis = (dns_check.diagnosis or "") + (
                f" Note: the agents' VNet uses custom DNS servers ({', '.join(custom)}): they must forward "
                f"{ASTRO_DNS_ZONE} to Azure DNS ({AZURE_DNS}) from a VNet linked to the zone.")
    report.duration = time.monotonic() - started
    return report
