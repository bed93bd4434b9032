"""What verify makes of the agents' VNets' network facts (`steps.network_facts`): the `peering` check (only when
there are agents' VNets besides the endpoint's), each VNet's DNS path for the DNS diagnosis, and the VNets the zone
must also be linked to because custom DNS servers resolve there. Pure.
"""

from __future__ import annotations

from steps.network_facts import DnsPath, NetworkFacts, dns_paths, extra_link_vnets, peering_findings, transit_notes
from steps.verify.diagnosis import check_peering
from steps.verify.models import CheckResult
from wizard.core.ids import vnet_name_of


def network_checks(net: NetworkFacts | None, agents: list[str]) -> tuple[CheckResult | None, list[DnsPath],
                                                                        list[str]]:
    """(the peering check or None, the DNS paths, the extra VNets to require links to) for `agents` (endpoint's
    VNet first); nothing when the facts could not be read."""
    if net is None or not net.vnets or not agents:
        return None, [], []
    paths = dns_paths(net)
    extra = [p.via_vnet_id for p in extra_link_vnets(paths, agents) if p.via_vnet_id]
    if len(net.vnets) < 2:
        return None, paths, extra
    endpoint = net.vnets[0].id
    others = [v.name for v in net.vnets[1:]]
    check = check_peering(peering_findings(net.vnets, endpoint), transit_notes(net.vnets, endpoint),
                          vnet_name_of(endpoint), others)
    return check, paths, extra
