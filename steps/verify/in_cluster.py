"""Step 7 from inside the AKS cluster: the documented DNS and HTTPS checks, run in a pod through AKS's run command.

How the reference clients drive the API: the REST spec (Azure/azure-rest-api-specs, containerservice aks/stable/
2025-10-01, RunCommandRequest.json / RunCommandResultSucceed.json; Microsoft Learn "Managed Clusters - Run Command":
`clusterToken` is an "AuthToken issued for AKS AAD Server App"); the clusterToken Azure PowerShell sends
(Azure/azure-powershell#17454: a JWT whose `aud` is 6dae42f8-4368-4678-94ff-3960e28e3630, the AKS AAD server app,
kubelogin's `--server-id`); `az aks command invoke` (azure-cli acs module, `aks_command_invoke`; its current source
could not be fetched here, the repository snapshot being too large, so this follows its documented behaviour) sends
that token when the cluster's `aadProfile.managed` is set, so the command runs as the caller (what makes clusters
with local accounts disabled work), then waits on `managed_clusters.begin_run_command` (POST -> 202 + Location ->
GET commandResults/{id} until 200) and prints `exitCode` and `logs`. We do the same, with our own bound on the wait
(`command_timeout`).

The pod AKS starts has kubectl and helm only (MicrosoftDocs/azure-docs, articles/aks/access-private-cluster.md), so
the command starts one short-lived pod with curl (whose image brings busybox's nslookup) in the agents' namespace
when given (their network policies then apply), runs `nslookup` and `curl` there with markers around their exit
codes, and removes the pod (`--rm`). `parse_logs` reads the markers back; the judgement is the local checks' own
(`diagnosis.check_dns` / `check_https`), from the cluster's point of view.

Refusals are one sentence with the next action, and the kubectl commands stay printed as the fallback: run command
disabled (`apiServerAccessProfile.disableRunCommand`), the cluster stopped (`powerState.code`), 403 on
`Microsoft.ContainerService/managedClusters/runCommand/action` (or `commandResults/read`), and the command not done
within `command_timeout`. The cluster token is sent to ARM only: never logged, stored or shown.
"""

from __future__ import annotations

import re
import secrets
import shlex
from dataclasses import dataclass, field
from typing import Any

from steps.aks import ClusterInfo, cluster_ref, read_cluster
from steps.verify.addresses import is_private
from steps.verify.diagnosis import check_dns, check_https
from steps.verify.models import EXPECTED_BODY, HTTPS, CheckResult, VNetSpace
from steps.verify.nsg import NsgFinding
from steps.verify.probes import DnsOutcome, HttpsOutcome
from wizard.core.constants import ASTRO_DNS_ZONE

AKS_AAD_SERVER_APP = "6dae42f8-4368-4678-94ff-3960e28e3630"
RUN_ACTION = "Microsoft.ContainerService/managedClusters/runCommand/action"
RESULT_READ = "Microsoft.ContainerService/managedClusters/commandResults/read"
RUN_ROLES = "Contributor, or Azure Kubernetes Service Cluster Admin Role plus commandResults/read"
PROBE_IMAGE = "curlimages/curl:8.11.1"
IN_CLUSTER = "in_cluster"
DEFAULT_COMMAND_TIMEOUT = 300.0   # what `az aks command invoke` waits (poller.result(300))
MARK = "astro-pl"


@dataclass
class InClusterRequest:
    """`verify --from-aks`: the cluster (a name in the config's resource group, or an id) and how long to wait."""

    cluster: str
    namespace: str | None = None
    command_timeout: float = DEFAULT_COMMAND_TIMEOUT


@dataclass
class InClusterResult:
    where: str                                   # "AKS cluster aks-prod"
    checks: list[CheckResult] = field(default_factory=list)
    refused: bool = False                        # the checks could not run there (the kubectl fallback applies)


class InClusterRefused(Exception):
    """The run command could not run; str() is one sentence with the next action."""


# ---- the command ------------------------------------------------------------------------------------------------
def probe_script(host: str, port: int, timeout: float) -> str:
    url = f"https://{host}/" if port == 443 else f"https://{host}:{port}/"
    seconds = f"{max(1.0, timeout):g}"
    return (f'nslookup {host}; echo "{MARK}-nslookup-exit=$?"; '
            f"curl -sS --max-time {seconds} -w '\\n{MARK}-http-code=%{{http_code}}\\n' {url}; "
            f'echo "{MARK}-curl-exit=$?"')


def probe_command(host: str, port: int, timeout: float, namespace: str | None = None) -> str:
    """The run command's command: a short-lived curl pod that runs `probe_script` and is removed afterwards."""
    ns = f" -n {shlex.quote(namespace)}" if namespace else ""
    return (f"kubectl run astro-pl-probe-{secrets.token_hex(3)}{ns} --rm -i --quiet --restart=Never "
            f"--image={PROBE_IMAGE} --command -- sh -c {shlex.quote(probe_script(host, port, timeout))}")


# ---- reading the logs back --------------------------------------------------------------------------------------
@dataclass
class ProbeLogs:
    dns: DnsOutcome
    https: HttpsOutcome | None     # None: curl did not run or its result is unreadable
    ran: bool                      # the script's markers are there


_ADDRESS = re.compile(r"^Address:\s*([0-9a-fA-F.:]+)\s*$")


def parse_logs(logs: str) -> ProbeLogs:
    """The nslookup answer and the curl result, from the markers `probe_script` prints. Pure."""
    marks = dict(re.findall(rf"^{MARK}-([a-z-]+)=(\S*)\s*$", logs, re.MULTILINE))
    if "nslookup-exit" not in marks:
        return ProbeLogs(DnsOutcome("error", message="the probe did not run"), None, False)
    ns_text = logs.split(f"{MARK}-nslookup-exit=", 1)[0]
    addresses: list[str] = []
    after_name = False
    for line in ns_text.splitlines():
        if line.startswith("Name:"):
            after_name = True
        elif after_name and (m := _ADDRESS.match(line)):
            addresses.append(m.group(1))
    if "NXDOMAIN" in ns_text:
        dns = DnsOutcome("nxdomain", message="NXDOMAIN (no such name)")
    elif addresses:
        dns = DnsOutcome("resolved", addresses)
    elif "timed out" in ns_text or "no servers could be reached" in ns_text:
        dns = DnsOutcome("timeout", message="the cluster's DNS did not answer")
    else:
        dns = DnsOutcome("noanswer" if marks["nslookup-exit"] == "0" else "error",
                         message=(ns_text.strip().splitlines() or ["no answer"])[-1][:200])
    curl_exit = marks.get("curl-exit")
    if curl_exit is None:
        return ProbeLogs(dns, None, True)
    curl_text = logs.split(f"{MARK}-nslookup-exit=", 1)[1]
    curl_err = next((ln.strip() for ln in curl_text.splitlines() if ln.startswith("curl: (")), "")
    code = marks.get("http-code", "")
    if curl_exit == "0":
        body = curl_text.split(f"{MARK}-http-code=", 1)[0]
        body = body.split("\n", 1)[1] if "\n" in body else body
        status = int(code) if code.isdigit() else None
        kind = "ok" if status == 404 and EXPECTED_BODY in body else "status"
        return ProbeLogs(dns, HttpsOutcome(kind, status, f"HTTP {status} {body.strip()[:80]!r}"), True)
    kinds = {"28": "timeout", "7": "refused", "60": "tls", "35": "tls", "51": "tls", "6": "error", "56": "refused"}
    message = curl_err or f"curl exited with {curl_exit}"
    if curl_exit == "60" and "subject name" in message:
        message += " (hostname mismatch)"
    return ProbeLogs(dns, HttpsOutcome(kinds.get(curl_exit, "error"), None, message), True)


# ---- refusals -------------------------------------------------------------------------------------------------
def precheck(cluster: ClusterInfo) -> str | None:
    """Why the run command cannot run on this cluster, from its ARM body (None: it can). Pure."""
    if cluster.power_state.lower() != "running":
        return (f"AKS cluster {cluster.name} is {cluster.power_state.lower()}, so nothing runs in it: start it "
                f"(`az aks start -g {cluster.resource_group} -n {cluster.name}`) and verify again.")
    if cluster.run_command_disabled:
        return (f"Run command is disabled on AKS cluster {cluster.name} (apiServerAccessProfile.disableRunCommand): "
                f"enable it (`az aks update -g {cluster.resource_group} -n {cluster.name} --enable-run-command`) or "
                "run the kubectl commands below from a host that reaches the cluster.")
    return None


def explain_run_error(exc: Exception, cluster: ClusterInfo) -> str:
    """One sentence for an error of the run command's POST or poll."""
    status = getattr(exc, "status_code", None)
    message = str(getattr(getattr(exc, "error", None), "message", "") or exc)
    if status == 403:
        action = RESULT_READ if "commandresults" in message.lower() else RUN_ACTION
        return (f"You may not run commands in AKS cluster {cluster.name}: Azure refused '{action}' on "
                f"{cluster.id}; ask for a role that grants it ({RUN_ROLES}) on the cluster, or run the kubectl "
                "commands below.")
    if status == 404:
        return (f"AKS cluster {cluster.name} was not found in resource group {cluster.resource_group}: check "
                "[aks] cluster.")
    first = message.strip().splitlines()[0][:300] if message.strip() else type(exc).__name__
    return f"AKS refused the run command on {cluster.name} ({first}); run the kubectl commands below instead."


def run_command(ctx: Any, cluster: ClusterInfo, command: str, command_timeout: float) -> tuple[int, str]:
    """POST the run command and wait at most `command_timeout` seconds; (exit code, logs). Raises
    `InClusterRefused` with one sentence when it cannot run or does not finish."""
    from azure.core.exceptions import HttpResponseError

    factory = ctx.factory
    client = factory.containerservice(cluster.subscription_id)
    payload: dict[str, Any] = {"command": command, "context": ""}
    if cluster.aad_managed:   # as az aks command invoke does: the command runs as the caller
        payload["clusterToken"] = factory.credential().get_token(f"{AKS_AAD_SERVER_APP}/.default").token
    try:
        poller = client.managed_clusters.begin_run_command(
            cluster.resource_group, cluster.name, payload,
            polling_interval=min(5.0, float(factory.settings.polling_interval)))
        poller.wait(command_timeout)
        if not poller.done():
            raise InClusterRefused(
                f"The command in AKS cluster {cluster.name} did not finish within {command_timeout:g} s (a pod that "
                "cannot pull its image or be scheduled waits): run the kubectl commands below, or verify again.")
        result = poller.result()
    except HttpResponseError as exc:
        raise InClusterRefused(explain_run_error(exc, cluster)) from exc
    finally:
        payload.pop("clusterToken", None)
    props = getattr(result, "properties", None) or result
    exit_code = props.get("exitCode") if hasattr(props, "get") else getattr(props, "exit_code", None)
    logs = props.get("logs") if hasattr(props, "get") else getattr(props, "logs", "")
    return int(exit_code if exit_code is not None else -1), str(logs or "")


# ---- the checks -----------------------------------------------------------------------------------------------
def _refused(where: str, sentence: str) -> InClusterResult:
    return InClusterResult(where, [CheckResult(IN_CLUSTER, False, f"Not run {where_phrase(where)}.", sentence, None,
                                               where=where)], refused=True)


def where_phrase(where: str) -> str:
    return f"from {where}"


def judge(where: str, host: str, port: int, logs: ProbeLogs, pe: Any, conn_ok: bool, links_ok: bool,
          rec_ok: bool, vnet_prefixes: list[str], cluster_vnets_linked: bool,
          nsg: NsgFinding | None = None) -> list[CheckResult]:
    """The DNS and HTTPS checks as seen from the cluster (`logs`), judged as the local ones are. Pure."""
    phrase = where_phrase(where)
    dns_check = check_dns(host, logs.dns, pe, phrase, vnet_prefixes, conn_ok, links_ok, rec_ok)
    public = logs.dns.kind == "resolved" and not all(is_private(a) for a in logs.dns.addresses)
    if public and not cluster_vnets_linked:
        dns_check.diagnosis = (f"A public address {phrase}: the zone is not linked to this cluster's VNet, so the "
                               "name falls through to public DNS. Link it (the VNets derived from [aks] cluster, or "
                               "[dns] linked_vnets), then verify again.")
        dns_check.fix_step = "vnet_links"
    elif public and links_ok and rec_ok:
        dns_check.diagnosis = (f"A public address {phrase}, although the zone is linked to its VNet and the record is "
                               "right: the VNet's custom DNS servers do not forward "
                               f"{ASTRO_DNS_ZONE} to Azure DNS (168.63.129.16).")
    dns_check.where = where
    checks = [dns_check]
    target = None
    if logs.dns.kind == "resolved":
        private = [a for a in logs.dns.addresses if is_private(a)]
        if private and len(private) == len(logs.dns.addresses):
            target = pe.private_ip if pe is not None and pe.private_ip in private else private[0]
    if target is None or logs.https is None:
        why = "the name did not resolve to a private address" if target is None else "curl did not run"
        checks.append(CheckResult(HTTPS, False, f"Not judged {phrase}: {why}.",
                                  "Fix the DNS check first, then verify again.", dns_check.fix_step, skipped=True,
                                  where=where))
        return checks
    https = check_https(host, port, target, logs.https, pe, conn_ok, nsg, None, None)
    https.detail = f"{https.detail.rstrip('.')} ({phrase})."
    https.where = where
    checks.append(https)
    return checks


def verify_in_cluster(ctx: Any, request: InClusterRequest, *, host: str, port: int, timeout: float, pe: Any,
                      conn_ok: bool, links_ok: bool, rec_ok: bool, spaces: list[VNetSpace]) -> InClusterResult:
    """Read the cluster, run the probe in it, judge what it saw. Never raises for Azure errors: a refusal is a
    failed `in_cluster` check whose diagnosis is one sentence."""
    from steps.aks import cluster_vnets
    from steps.verify.azure_reads import inspect_nsgs

    cfg = ctx.config
    sub, rg, name = cluster_ref(request.cluster, cfg.subscription_id, cfg.resource_group)
    where = f"AKS cluster {name}"
    try:
        cluster = read_cluster(ctx.factory, sub, rg, name)
    except Exception as exc:
        from wizard.core.errors import explain
        return _refused(where, explain(exc, subscription_id=sub).sentence)
    problem = precheck(cluster)
    if problem:
        return _refused(where, problem)
    try:
        exit_code, logs = run_command(ctx, cluster, probe_command(host, port, timeout, request.namespace),
                                      request.command_timeout)
    except InClusterRefused as exc:
        return _refused(where, str(exc))
    parsed = parse_logs(logs)
    if not parsed.ran:
        last = (logs.strip().splitlines() or [f"exit code {exit_code}"])[-1][:200]
        hint = (" The command ran without a Kubernetes identity that may create pods: ask for Azure Kubernetes "
                "Service RBAC Writer on the namespace (or a cluster role that creates pods)."
                if "unauthorized" in last.lower() or "forbidden" in last.lower() else "")
        return _refused(where, f"The probe pod did not run in AKS cluster {cluster.name} ({last}).{hint} Run the "
                               "kubectl commands below.")
    try:
        derived = cluster_vnets(ctx.factory, cluster).vnet_ids
        agents = {v.lower() for v in ctx.agent_vnet_ids()}
        linked = all(v.lower() in agents for v in derived) if links_ok else False
    except Exception:
        linked = links_ok   # the cluster's VNets could not be read: judge by the setup's own links
    vnet_prefixes = [p for s in spaces for p in s.prefixes + s.peered_prefixes]
    nsg = None
    if parsed.https is not None and parsed.https.kind == "timeout" and conn_ok and pe is not None:
        try:
            nsg = inspect_nsgs(ctx, spaces, pe, pe.private_ip, port)
        except Exception as exc:
            nsg = NsgFinding(notes=[f"the NSGs could not be read ({type(exc).__name__})"])
    checks = judge(where, host, port, parsed, pe, conn_ok, links_ok, rec_ok, vnet_prefixes, linked, nsg)
    return InClusterResult(where, checks)
