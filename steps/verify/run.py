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

This module only orchestrates: the reads are in `azure_reads`, the probes in `probes`, the judgement in
`diagnosis`. It reads no environment variable: the front ends pass the nameserver (see
`wizard.core.settings.dns_server_from_env`) and the CA file comes from the client factory's settings.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from steps.context import SetupContext
from steps.network_reads import network_facts
from steps.verify.addresses import classify_addresses, is_private
from steps.verify.azure_reads import inspect_nsgs, read_record, read_vnet_spaces
from steps.verify.diagnosis import (
    check_connection,
    check_dns,
    check_dns_alone,
    check_https,
    check_links,
    check_record,
    inside_commands,
)
from steps.verify.in_cluster import InClusterRequest, verify_in_cluster
from steps.verify.models import (
    AZURE_DNS,
    CONNECTION,
    DEFAULT_TIMEOUT,
    HTTPS,
    LINKS,
    RECORD,
    CheckResult,
    VerifyReport,
    nameserver_text,
)
from steps.verify.nsg import NsgFinding
from steps.verify.peering import network_checks
from steps.verify.probes import peer_names, probe_https, resolve
from wizard.core.constants import ASTRO_DNS_ZONE
from wizard.core.validate import check_api_url

T = TypeVar("T")


def _timed(fn: Callable[[], T]) -> Callable[[], tuple[T, float]]:
    """`fn` as a callable that also returns how many seconds it took."""
    def run() -> tuple[T, float]:
        t0 = time.monotonic()
        return fn(), time.monotonic() - t0
    return run


def run_verify(ctx: SetupContext, *, nameserver: tuple[str, int] | None = None, timeout: float = DEFAULT_TIMEOUT,
               ca_file: str | None = None, from_aks: InClusterRequest | None = None) -> VerifyReport:
    """Run every check (Azure reads and the DNS lookup at once, then HTTPS) and diagnose each failure.

    `nameserver` None: the system resolver. `ca_file` None: the settings' CA file (--ca-file / ASTRO_PL_CA_FILE,
    read by `AzureSettings`), else the system trust store. Never raises for Azure or network errors: an Azure read
    that fails becomes a failed check.
    """
    started = time.monotonic()
    ctx.refresh()
    url = check_api_url(ctx.config.api_url)
    host = (url.host or "").lower()
    port = url.port or 443
    cluster = url.cluster_id or host.split(".")[0]
    if ca_file is None:
        ca_file = ctx.factory.settings.ca_file
    where = f"nameserver {nameserver_text(nameserver)}" if nameserver else "system resolver"  # for the diagnoses
    report = VerifyReport([], host=host, nameserver=nameserver_text(nameserver), timeout=timeout)
    if not host or not url.ok:
        report.checks.append(CheckResult("inputs", False, f"The API URL '{ctx.config.api_url}' is not usable.",
                                         " ".join(url.problems) or "Give the API URL as https://<cluster-id>."
                                         f"{ASTRO_DNS_ZONE}.", None))
        report.duration = time.monotonic() - started
        return report

    # Imports happen here, in this thread: the SDK packages have import cycles that break ("cannot import name
    # 'Pipeline'") when several threads import them for the first time at once.
    import dns.resolver  # noqa: F401  (imported for its side effect, see above)
    import httpx  # noqa: F401  (imported for its side effect, see above)

    with ThreadPoolExecutor(max_workers=6, thread_name_prefix="verify") as pool:
        f_dns = pool.submit(_timed(lambda: resolve(host, nameserver, timeout)))
        # Build the clients (and import the SDK, under the factory's import lock) while the DNS query is out;
        # building touches no network, so it cannot fail the way Azure reads do.
        ctx.network()
        ctx.dns()
        f_pe = pool.submit(_timed(ctx.endpoint))
        f_zone = pool.submit(_timed(lambda: (ctx.chosen_zone()[0], ctx.zones(), ctx.agent_vnet_ids())))
        f_rec = pool.submit(_timed(lambda: read_record(ctx, cluster)))
        f_space = pool.submit(_timed(lambda: read_vnet_spaces(ctx)))
        f_net = pool.submit(_timed(lambda: network_facts(ctx)))   # DNS servers, peerings, resolvers

        azure_error: str | None = None
        failed_reads: set[str] = set()

        def get(fut: Future[tuple[Any, float]], default: Any, what: str) -> tuple[Any, float]:
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
        net, _ = get(f_net, None, "network")
        dns_outcome, t_dns = f_dns.result()

    if azure_error is not None:
        report.checks.append(CheckResult("azure", False, "Could not read the setup from Azure.", azure_error, None))

    def unread(name: str) -> CheckResult:
        return CheckResult(name, False, "Not checked: Azure could not be read (see above).", None, None, skipped=True)

    conn = unread(CONNECTION) if CONNECTION in failed_reads else check_connection(pe, ctx.config.endpoint_name)
    conn.seconds = t_pe
    peering, dns_paths, dns_link_vnets = network_checks(net, agents)
    links = unread(LINKS) if LINKS in failed_reads else check_links(zone, zones, agents + dns_link_vnets)
    links.seconds = t_zone
    rec = unread(RECORD) if failed_reads & {RECORD, LINKS, CONNECTION} else check_record(zone, record, cluster, pe)
    rec.seconds = t_rec
    report.checks += [conn, links, rec] + ([peering] if peering is not None else [])

    vnet_prefixes = [p for s in spaces for p in s.prefixes + s.peered_prefixes]
    if CONNECTION in failed_reads:  # the endpoint's IP is unknown: judge the answer on its own
        dns_check = check_dns_alone(host, dns_outcome, where)
    else:
        dns_check = check_dns(host, dns_outcome, pe, where, vnet_prefixes, conn.ok, links.ok, rec.ok,
                              dns_paths=dns_paths, zone=zone)
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
        # A public answer that custom DNS servers explain (check_dns named them) is no sign of running outside.
        report.outside_vnet = azure_ok and not any(p.custom for p in dns_paths)
        custom = sorted({d for s in spaces for d in s.dns_servers})
        if azure_ok and custom and not dns_paths:   # with dns_paths, check_dns has named the servers already
            dns_check.diagnosis = (dns_check.diagnosis or "") + (
                f" Note: the agents' VNet uses custom DNS servers ({', '.join(custom)}): they must forward "
                f"{ASTRO_DNS_ZONE} to Azure DNS ({AZURE_DNS}) from a VNet linked to the zone.")
    if from_aks is not None:   # the same checks from a pod in the agents' AKS cluster (in_cluster.py)
        inside = verify_in_cluster(ctx, from_aks, host=host, port=port, timeout=timeout, pe=pe, conn_ok=conn.ok,
                                   links_ok=links.ok, rec_ok=rec.ok, spaces=spaces)
        report.checks += inside.checks
        report.in_cluster = inside.where
        if inside.refused:
            report.inside_commands = inside_commands(host, port)
    report.duration = time.monotonic() - started
    return report
