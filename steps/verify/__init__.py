"""Step 7 — verify the setup from Azure and from the network, and diagnose each failure.

One job per module:
  models       CheckResult, VerifyReport, the check names and titles, the constants checks compare against
  addresses    which addresses are private, prefix membership, how a DNS answer compares with the endpoint's IP
  nsg          NSG rules flattened and evaluated as Azure does (the deciding rule, the rules that deny)
  azure_reads  the agents' VNets and subnets, the A record, the NSGs, read through ARM
  probes       the DNS lookup, the HTTPS request to a given IP (`https_get_via`), the certificate's names
  diagnosis    what each check's result means and what to do about it
  run          `run_verify`, which runs them all within the time bounds and builds the report
  render       the report as text for people and JSON for programs

The steps layer reads no environment variable and imports no UI: the front ends parse `--nameserver` /
ASTRO_PL_DNS_SERVER (`wizard.core.settings.dns_server_from_env`) and present the `VerifyReport`.
"""

from __future__ import annotations

from steps.verify.addresses import PRIVATE_NETWORKS, classify_addresses, in_prefixes, is_private
from steps.verify.azure_reads import (
    inspect_nsgs,
    read_record,
    read_vnet_space,
    read_vnet_spaces,
)
from steps.verify.diagnosis import (
    check_connection,
    check_dns,
    check_dns_alone,
    check_https,
    check_links,
    check_record,
    inside_commands,
)
from steps.verify.models import (
    AZURE_DNS,
    CONNECTION,
    DEFAULT_TIMEOUT,
    DNS,
    EXPECTED_BODY,
    HTTPS,
    LINKS,
    RECORD,
    TITLES,
    CheckResult,
    SubnetInfo,
    VerifyReport,
    VNetSpace,
)
from steps.verify.nsg import (
    NsgFinding,
    Rule,
    deciding_rule,
    evaluate_nsgs,
    port_matches,
    prefix_matches,
    rule_matches,
)
from steps.verify.probes import DnsOutcome, HttpsOutcome, https_get_via, peer_names, probe_https, resolve
from steps.verify.render import fix_hint, render_json, render_text
from steps.verify.run import run_verify
from wizard.core.validate import parse_nameserver

__all__ = [
    "AZURE_DNS",
    "CONNECTION",
    "DEFAULT_TIMEOUT",
    "DNS",
    "EXPECTED_BODY",
    "HTTPS",
    "LINKS",
    "PRIVATE_NETWORKS",
    "RECORD",
    "TITLES",
    "CheckResult",
    "DnsOutcome",
    "HttpsOutcome",
    "NsgFinding",
    "Rule",
    "SubnetInfo",
    "VNetSpace",
    "VerifyReport",
    "check_connection",
    "check_dns",
    "check_dns_alone",
    "check_https",
    "check_links",
    "check_record",
    "classify_addresses",
    "deciding_rule",
    "evaluate_nsgs",
    "fix_hint",
    "https_get_via",
    "in_prefixes",
    "inside_commands",
    "inspect_nsgs",
    "is_private",
    "parse_nameserver",
    "peer_names",
    "port_matches",
    "prefix_matches",
    "probe_https",
    "read_record",
    "read_vnet_space",
    "read_vnet_spaces",
    "render_json",
    "render_text",
    "resolve",
    "rule_matches",
    "run_verify",
]
