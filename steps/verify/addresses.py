"""Address maths for verify: which addresses count as private, whether an address falls in a set of prefixes,
and how a DNS answer compares with the endpoint's IP. Pure functions on strings.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from typing import TypeAlias

Network: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network

# "Private" as this tool means it. Python's `is_private` also says True for documentation and benchmark ranges
# (203.0.113.0/24, 198.18.0.0/15...), which public DNS can answer; those count as public here.
PRIVATE_NETWORKS = tuple(ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "fc00::/7"))


def as_network(text: str) -> Network | None:
    """An IP or a CIDR as a network (host bits allowed), or None when it is neither (a service tag, '*'...)."""
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def is_private(ip: str) -> bool:
    """RFC 1918, shared address space (100.64/10), loopback and IPv6 unique-local: an address only inside networks."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(addr.version == n.version and addr in n for n in PRIVATE_NETWORKS)


def in_prefixes(ip: str, prefixes: Iterable[str]) -> bool:
    """Whether `ip` lies in any of `prefixes` (CIDRs; entries that are not networks are ignored)."""
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


def classify_addresses(addresses: Sequence[str], endpoint_ip: str | None) -> str:
    """endpoint (the endpoint's IP is among them and nothing else), public (any public address), other_private."""
    if endpoint_ip and list(addresses) and all(a == endpoint_ip for a in addresses):
        return "endpoint"
    if any(not is_private(a) for a in addresses):
        return "public"
    return "other_private"
