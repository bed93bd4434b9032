"""The diagnoses: turn what was read from Azure and seen on the network into a `CheckResult` per check, each
failure with its cause, the next action and the setup step that fixes it, the way the reference doc's
troubleshooting section reads. Pure: every input is passed in.
"""

from __future__ import annotations

from collections.abc import Sequence

from steps.context import EndpointInfo, ZoneInfo
from steps.network_facts import EXTERNAL, FORWARDER, RESOLVER, DnsPath, forwarder_rule
from steps.verify.addresses import classify_addresses, in_prefixes, is_private
from steps.verify.models import AZURE_DNS, CONNECTION, DNS, EXPECTED_BODY, HTTPS, LINKS, PEERING, RECORD, CheckResult
from steps.verify.nsg import NsgFinding
from steps.verify.probes import DnsOutcome, HttpsOutcome
from wizard.core.constants import ASTRO_DNS_ZONE, ENV_CA_FILE
from wizard.core.ids import same_id, vnet_name_of


# -- the Azure side ----------------------------------------------------------------------------------------------
def check_connection(pe: EndpointInfo | None, endpoint_name: str) -> CheckResult:
    """The endpoint exists, finished provisioning, and its Private Link connection is Approved."""
    if pe is None:
        return CheckResult(CONNECTION, False, f"There is no private endpoint '{endpoint_name}'.",
                           "Create the private endpoint (step 2), then wait for Astronomer to approve it.",
                           "private_endpoint")
    status = pe.connection_status or "unknown"
    prov = pe.provisioning_state or "unknown"
    detail = f"Endpoint '{pe.name}' ({pe.private_ip or 'no IP yet'}): connection {status}, provisioning {prov}."
    low = status.lower()
    if prov.lower() not in ("succeeded", "unknown"):
        return CheckResult(CONNECTION, False, detail,
                           f"The endpoint's provisioning is '{prov}', not Succeeded: wait for Azure to finish, or "
                           "look at it in the portal (Private Link Center > Private endpoints) and recreate it if it "
                           "Failed.",
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
    """The chosen zone is linked to every agents' VNet, each link Succeeded/Completed."""
    if zone is None:
        return CheckResult(LINKS, False, f"No private DNS zone '{ASTRO_DNS_ZONE}' exists in the subscription.",
                           f"Create the private DNS zone {ASTRO_DNS_ZONE} (step 3), link it to the agents' VNets "
                           "(step 4) and add the A record (step 5).", "dns_zone")
    problems, fine = [], []
    for vid in agent_vnets:
        name = vnet_name_of(vid)
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
        state = link.provisioning_state
        lstate = link.link_state or ""
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
    """The A record `name` in the zone holds exactly the endpoint NIC's IP."""
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
                       "The record is stale (the endpoint was probably recreated and got a new IP): point it at "
                       f"{want} with `astro-privatelink apply --update a_record`.", "a_record")


def check_peering(findings: list[str], notes: list[str], endpoint_vnet: str, others: list[str]) -> CheckResult:
    """Every agents' VNet besides the endpoint's is peered with it, both sides Connected (`peering_findings`)."""
    if not findings:
        detail = (f"{', '.join(others)} peered with {endpoint_vnet} (Connected both ways)"
                  if len(notes) < len(others) else f"{', '.join(others)} reach {endpoint_vnet} through a hub")
        return CheckResult(PEERING, True, detail + (". " + " ".join(notes) if notes else "."))
    shown = "; ".join(f.split(":")[0] for f in findings)
    return CheckResult(PEERING, False, f"Not peered as needed: {shown}.",
                       " ".join(findings) + " The endpoint is reachable only from VNets peered with "
                       f"{endpoint_vnet}; this tool makes no peering: ask whoever runs the network.", None)


def custom_dns_diagnosis(paths: Sequence[DnsPath], zone: ZoneInfo | None, endpoint_vnet: str) -> CheckResult | None:
    """A public answer where agents' VNets use custom DNS servers: which servers, and what to change there. None
    when every custom server resolves from a linked VNet through a DNS Private Resolver (nothing to blame there)."""
    custom = [p for p in paths if p.custom]
    unlinked = [p for p in custom if p.kind in (RESOLVER, FORWARDER) and p.via_vnet_id
                and (zone is None or zone.link_to(p.via_vnet_id) is None)]
    if unlinked:
        p = unlinked[0]
        via = vnet_name_of(p.via_vnet_id or "")
        return CheckResult(DNS, False, "", f"A public address: {p.vnet_name} uses custom DNS servers "
                                           f"({', '.join(p.servers)}), {p.via}, which asks Azure DNS in {via}, and "
                                           f"the zone is not linked to {via}: link the zone to {via} (step 4).",
                           "vnet_links")
    external = [p for p in custom if p.kind == EXTERNAL]
    forwarders = [p for p in custom if p.kind == FORWARDER]
    if external or forwarders:
        lead = external[0] if external else forwarders[0]
        return CheckResult(DNS, False, "", f"A public address from custom DNS servers, not a missing zone link: "
                                           f"{forwarder_rule(lead, endpoint_vnet)}", None)
    return None


# -- the network side ----------------------------------------------------------------------------------------
def check_dns(host: str, outcome: DnsOutcome, pe: EndpointInfo | None, where: str,
              vnet_prefixes: Sequence[str], azure_ok: bool, links_ok: bool, record_ok: bool,
              dns_paths: Sequence[DnsPath] = (), zone: ZoneInfo | None = None) -> CheckResult:
    """What the resolver's answer means, given what Azure says about the zone's links, the A record, and the agents'
    VNets' DNS servers (`dns_paths`)."""
    want = pe.private_ip if pe else None
    if outcome.kind == "resolved":
        kind = classify_addresses(outcome.addresses, want)
        detail = f"{host} -> {', '.join(outcome.addresses)} ({where})."
        if kind == "endpoint":
            return CheckResult(DNS, True, detail)
        custom = custom_dns_diagnosis(dns_paths, zone, vnet_name_of(dns_paths[0].vnet_id)) \
            if kind == "public" and dns_paths else None
        if custom is not None:
            custom.detail = detail
            return custom
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
                    f"public address, the VNet's DNS servers do not forward to Azure DNS ({AZURE_DNS}).")
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
                    "forwarder, or another linked zone) answers for this name; make it forward "
                    f"{ASTRO_DNS_ZONE} to Azure DNS ({AZURE_DNS}) from a linked VNet."))
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


def check_https(host: str, port: int, ip: str, outcome: HttpsOutcome, pe: EndpointInfo | None, connection_ok: bool,
                nsg: NsgFinding | None, names: list[str] | None, ca_file: str | None) -> CheckResult:
    """What the HTTPS request to `ip` says about the path: Astro's 404 passes; a timeout is blamed on the
    connection state, an NSG rule, or something else on the path; TLS failures name the certificate's names."""
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
                               "Timed out: an NSG blocks it. " + "; ".join(nsg.blocking) + ". Add a rule with a "
                               f"lower priority number that allows outbound TCP {port} to {ip} (or the endpoint's "
                               "subnet), or change that rule.", None)
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
                     f"or firewall sits on the path (exempt *.{ASTRO_DNS_ZONE}), or set {ENV_CA_FILE} / "
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


# -- inside-the-cluster commands ---------------------------------------------------------------------------------
def inside_commands(host: str, port: int) -> list[str]:
    """The commands that run the DNS and HTTPS checks from a pod inside the cluster."""
    url = f"https://{host}" if port == 443 else f"https://{host}:{port}"
    return [
        f"kubectl run astro-pl-dns --rm -it --restart=Never --image=busybox:1.36 -- nslookup {host}",
        f"kubectl run astro-pl-check --rm -it --restart=Never --image=curlimages/curl -- curl -sv --max-time 10 {url}",
    ]

