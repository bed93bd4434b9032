"""Tests for the sandbox DNS server: Azure private DNS semantics, served over UDP and TCP with dnspython."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.resolver
import pytest

from wizard.sandbox.dns import DnsAnswer, DnsServer, answer_from_world

SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"
RG = f"{SUB}/resourceGroups/rg-agents"
ZONE = "external.astronomer.run"
ZONE_ID = f"{RG}/providers/Microsoft.Network/privateDnsZones/{ZONE}"
VNET_A = f"{RG}/providers/Microsoft.Network/virtualNetworks/vnet-agents"
VNET_B = f"{RG}/providers/Microsoft.Network/virtualNetworks/vnet-other"
CLUSTER = "clmh597sg000208lb2kjhcn8q"
PUBLIC = "20.1.2.3"
PRIVATE = "10.20.16.4"


def zone(name: str = ZONE) -> dict[str, Any]:
    return {
        "id": f"{RG}/providers/Microsoft.Network/privateDnsZones/{name}",
        "name": name, "type": "Microsoft.Network/privateDnsZones", "location": "global",
        "etag": "00000000-0000-0000-0000-000000000000",
        "properties": {"maxNumberOfRecordSets": 25000, "numberOfRecordSets": 2,
                       "numberOfVirtualNetworkLinks": 1, "provisioningState": "Succeeded"},
    }


def link(vnet_id: str, name: str = "link-agents", zone_name: str = ZONE, provisioning: str = "Succeeded",
         state: str = "Completed") -> dict[str, Any]:
    return {
        "id": f"{RG}/providers/Microsoft.Network/privateDnsZones/{zone_name}/virtualNetworkLinks/{name}",
        "name": name, "type": "Microsoft.Network/privateDnsZones/virtualNetworkLinks", "location": "global",
        "etag": "\"00000000-0000-0000-0000-000000000000\"",
        "properties": {"virtualNetwork": {"id": vnet_id}, "registrationEnabled": False,
                       "resolutionPolicy": "Default", "virtualNetworkLinkState": state,
                       "provisioningState": provisioning},
    }


def a_record(label: str, *ips: str, zone_name: str = ZONE, ttl: int = 300) -> dict[str, Any]:
    return {
        "id": f"{RG}/providers/Microsoft.Network/privateDnsZones/{zone_name}/A/{label}",
        "name": label, "type": "Microsoft.Network/privateDnsZones/A",
        "etag": "00000000-0000-0000-0000-000000000000",
        "properties": {"fqdn": f"{label}.{zone_name}.", "ttl": ttl, "isAutoRegistered": False,
                       "aRecords": [{"ipv4Address": ip} for ip in ips]},
    }


WORLD = [zone(), link(VNET_A), a_record(CLUSTER, PRIVATE)]


def ask(resources: list[dict[str, Any]], vnet: str | None, name: str) -> DnsAnswer:
    return answer_from_world(resources, vnet, name, PUBLIC)


# --- the pure function ---------------------------------------------------------------------------------------

def test_linked_zone_with_record_gives_private_ip() -> None:
    answer = ask(WORLD, VNET_A, f"{CLUSTER}.{ZONE}")
    assert (answer.kind, answer.addresses, answer.ttl) == ("records", [PRIVATE], 300)


def test_linked_zone_without_record_is_nxdomain_not_public() -> None:
    assert ask(WORLD, VNET_A, f"someothercluster.{ZONE}").kind == "nxdomain"


def test_not_linked_or_outside_azure_gets_public() -> None:
    for vnet in (VNET_B, None):
        answer = ask(WORLD, vnet, f"{CLUSTER}.{ZONE}")
        assert (answer.kind, answer.addresses) == ("public", [PUBLIC])
    assert ask(WORLD, None, "example.invalid").kind == "nxdomain"


@pytest.mark.parametrize("provisioning,state", [("Succeeded", "InProgress"), ("Updating", "InProgress"),
                                                ("Failed", "Completed"), ("Canceled", "Completed")])
def test_unsettled_or_failed_link_counts_as_not_linked(provisioning: str, state: str) -> None:
    world = [zone(), link(VNET_A, provisioning=provisioning, state=state), a_record(CLUSTER, PRIVATE)]
    assert ask(world, VNET_A, f"{CLUSTER}.{ZONE}").kind == "public"


def test_case_insensitive_and_trailing_dot() -> None:
    world = [zone(), link(VNET_A.upper()), a_record(CLUSTER.upper(), PRIVATE)]
    answer = ask(world, VNET_A.lower(), f"{CLUSTER}.External.Astronomer.RUN.")
    assert answer.addresses == [PRIVATE]


def test_longest_linked_zone_wins_and_records_belong_to_their_zone() -> None:
    inner = f"eastus.{ZONE}"
    world = [zone(), zone(inner), link(VNET_A), link(VNET_A, zone_name=inner),
             a_record(f"{CLUSTER}.eastus", "10.0.0.1"), a_record(CLUSTER, "10.0.0.2", zone_name=inner)]
    assert ask(world, VNET_A, f"{CLUSTER}.eastus.{ZONE}").addresses == ["10.0.0.2"]
    # Only the outer zone linked: the record with a dotted relative name answers.
    world_outer = [r for r in world if "virtualNetworkLinks" not in r["id"] or inner not in r["id"]]
    assert ask(world_outer, VNET_A, f"{CLUSTER}.eastus.{ZONE}").addresses == ["10.0.0.1"]


def test_record_in_another_zone_or_vnet_link_to_other_zone_does_not_answer() -> None:
    blob = "privatelink.blob.core.windows.net"
    world = [zone(), zone(blob), link(VNET_A, zone_name=blob), a_record(CLUSTER, PRIVATE)]
    assert ask(world, VNET_A, f"{CLUSTER}.{ZONE}").kind == "public"


# --- the server ----------------------------------------------------------------------------------------------

@pytest.fixture()
def server() -> Iterator[DnsServer]:
    srv = DnsServer(lambda name: answer_from_world(WORLD, VNET_A, name, PUBLIC)).start()
    try:
        yield srv
    finally:
        srv.stop()


def resolver_for(srv: DnsServer) -> dns.resolver.Resolver:
    res = dns.resolver.Resolver(configure=False)
    host, port = srv.address
    res.nameservers = [host]
    res.port = port
    res.timeout = res.lifetime = 2.0
    return res


@pytest.mark.parametrize("tcp", [False, True])
def test_resolver_gets_private_ip(server: DnsServer, tcp: bool) -> None:
    answer = resolver_for(server).resolve(f"{CLUSTER}.{ZONE}", "A", tcp=tcp)
    assert [r.address for r in answer] == [PRIVATE]
    assert answer.rrset is not None and answer.rrset.ttl == 300
    assert answer.response.flags & dns.flags.AA


@pytest.mark.parametrize("tcp", [False, True])
def test_resolver_nxdomain_in_linked_zone(server: DnsServer, tcp: bool) -> None:
    with pytest.raises(dns.resolver.NXDOMAIN):
        resolver_for(server).resolve(f"nothere.{ZONE}", "A", tcp=tcp)


def test_nxdomain_carries_soa_and_aaaa_is_nodata(server: DnsServer) -> None:
    host, port = server.address
    reply = dns.query.udp(dns.message.make_query(f"nothere.{ZONE}", "A"), host, port=port, timeout=2)
    assert reply.rcode() == dns.rcode.NXDOMAIN
    assert [r.rdtype for r in reply.authority] == [dns.rdatatype.SOA]
    reply = dns.query.tcp(dns.message.make_query(f"{CLUSTER}.{ZONE}", "AAAA"), host, port=port, timeout=2)
    assert reply.rcode() == dns.rcode.NOERROR and reply.answer == []


def test_public_answer_when_not_linked_udp_and_tcp() -> None:
    with DnsServer(lambda name: answer_from_world(WORLD, VNET_B, name, PUBLIC)) as srv:
        host, port = srv.address
        for send in (dns.query.udp, dns.query.tcp):
            reply = send(dns.message.make_query(f"{CLUSTER.upper()}.{ZONE}", "A"), host, port=port, timeout=2)
            assert reply.rcode() == dns.rcode.NOERROR
            assert [r.address for r in reply.answer[0]] == [PUBLIC]
            assert not reply.flags & dns.flags.AA
            # the question's case is echoed, as real servers do
            assert reply.answer[0].name.to_text().startswith(CLUSTER.upper())


def test_malformed_packets_are_ignored(server: DnsServer) -> None:
    host, port = server.address
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(b"\x00garbage", (host, port))
        sock.sendto(b"", (host, port))
    with socket.create_connection((host, port), timeout=2) as conn:
        conn.sendall(b"\x00\x05hello")
    # still serving
    answer = resolver_for(server).resolve(f"{CLUSTER}.{ZONE}", "A")
    assert [r.address for r in answer] == [PRIVATE]


def test_lookup_that_raises_gives_servfail() -> None:
    def broken(name: str) -> DnsAnswer:
        raise RuntimeError("boom")

    with DnsServer(broken) as srv:
        host, port = srv.address
        reply = dns.query.udp(dns.message.make_query(f"x.{ZONE}", "A"), host, port=port, timeout=2)
        assert reply.rcode() == dns.rcode.SERVFAIL


def test_stop_is_clean_and_port_is_freed() -> None:
    srv = DnsServer(lambda name: DnsAnswer("nxdomain", [])).start()
    host, port = srv.address
    idle = socket.create_connection((host, port), timeout=2)  # an open TCP client must not block stop()
    t0 = time.monotonic()
    srv.stop()
    assert time.monotonic() - t0 < 1.0
    idle.close()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind((host, port))
