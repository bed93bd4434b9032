"""What `plan` could cost without importing azure.mgmt.network (the design note of issue 16): the reads a plan of
the demo makes (resource group, VNet, the visibility check, endpoint, NIC, zones, links, A record), sent as raw
requests through an azure.mgmt.core ARMPipelineClient (bearer token, retries, ARM's policies) in a fresh process,
against `python -m wizard plan --json`, alternating. Not a product path: the floor the steps' reads were rewritten
to reach (they now go this way: wizard/core/arm_reads.py); what separates the two is the tool's own work (its
modules, the config, the engine and the steps: about 40 ms on the 2-core development machine).

    .venv/bin/python bench/plan_floor.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

from demo_setup import demo_setup, print_medians, time_interleaved, wall

from wizard.sandbox.server import Sandbox

RAW = r'''
import os, sys
from azure.core.rest import HttpRequest
from azure.mgmt.core import ARMPipelineClient
from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy
from azure.core.pipeline.policies import RetryPolicy, HeadersPolicy
from wizard.core.azure import StaticTokenCredential
env = os.environ
base, sub, cid = env["ASTRO_PL_ARM_ENDPOINT"], env["ASTRO_PL_SUBSCRIPTION_ID"], env["BENCH_CLUSTER"]
cred = StaticTokenCredential(env["ASTRO_PL_ACCESS_TOKEN"])
client = ARMPipelineClient(base_url=base, policies=[HeadersPolicy(), RetryPolicy(),
                           ARMChallengeAuthenticationPolicy(cred, base + "/.default")],
                           connection_verify=env["ASTRO_PL_CA_FILE"])
rg = f"/subscriptions/{sub}/resourceGroups/rg-aks-prod"
net = f"{rg}/providers/Microsoft.Network"
zone = f"{net}/privateDnsZones/external.astronomer.run"
gets = [(rg, "2025-04-01"), (f"{net}/virtualNetworks/vnet-aks-prod", "2026-03-01"),
        (f"{net}/privateEndpoints/astro-privatelink", "2026-03-01"),
        (f"/subscriptions/{sub}/providers/Microsoft.Network/privateDnsZones", "2024-06-01"),
        (f"{zone}/virtualNetworkLinks", "2024-06-01"), (f"{zone}/A/{cid}", "2024-06-01")]
for path, api in gets:
    r = client.send_request(HttpRequest("GET", f"{base}{path}?api-version={api}"))
    assert r.status_code == 200, (path, r.status_code)
    r.json()
pe = client.send_request(HttpRequest("GET", f"{base}{net}/privateEndpoints/astro-privatelink?api-version=2026-03-01"))
nic = pe.json()["properties"]["networkInterfaces"][0]["id"]
assert client.send_request(HttpRequest("GET", f"{base}{nic}?api-version=2026-03-01")).status_code == 200
sys.stdout.flush()
os._exit(0)
'''


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    print(f"load average before: {os.getloadavg()}")
    with Sandbox(world="demo") as sb, tempfile.TemporaryDirectory(prefix="astro-pl-bench-") as tmp:
        config, env = demo_setup(sb, tmp, BENCH_CLUSTER=sb.demo_cluster_id)
        py = sys.executable
        wall([py, "-m", "wizard", "apply", "--config", str(config), "--yes", "--no-wait"], env)
        cases = {"plan (python -m wizard)": [py, "-m", "wizard", "plan", "--config", str(config), "--json"],
                 "the same reads, raw, no azure.mgmt.*": [py, "-c", RAW]}
        times = time_interleaved(cases, env, args.runs)
    print_medians(times)
    print(f"load average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
