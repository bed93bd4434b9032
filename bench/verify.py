"""How long `run_verify` takes against the sandbox: a good setup, then each way of breaking it.

    .venv/bin/python bench/verify.py [--runs N] [--timeout S]

Prints the median and worst duration per scenario. "Everything answers" scenarios should stay well under 5 s;
scenarios that time out take about one network timeout more.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=3.0)
    args = parser.parse_args()

    from steps.verify import run_verify
    from wizard.core.azure import ClientFactory
    from wizard.core.config import SetupConfig
    from wizard.core.settings import AzureSettings
    from wizard.engine import ApprovalPolling, Engine
    from wizard.sandbox.server import Sandbox

    with Sandbox(world="demo", approve_after=0.0) as sb:
        sb.knobs.lro_seconds = {k: 0.1 for k in sb.knobs.lro_seconds}
        config = SetupConfig(alias=sb.demo_alias, api_url=sb.demo_api_url, subscription_id=sb.subscription_id,
                             resource_group="rg-aks-prod", vnet="vnet-aks-prod", subnet="snet-private-endpoints")
        settings = AzureSettings(arm_endpoint=sb.arm_endpoint, access_token=sb.token, ca_file=sb.ca_file,
                                 polling_interval=0.05)
        engine = Engine(config, ClientFactory(settings), None, approval=ApprovalPolling(first=0.05, longest=0.2))
        assert engine.apply().exit_code == 0
        ctx = engine.ctx
        dns_vnet = sb.knobs.dns_vnet_id

        def scenario(name: str, setup, undo) -> None:
            setup()
            times, ok = [], None
            for _ in range(args.runs):
                t0 = time.perf_counter()
                report = run_verify(ctx, nameserver=sb.dns_address, timeout=args.timeout, ca_file=sb.ca_file)
                times.append(time.perf_counter() - t0)
                ok = report.ok
            undo()
            time.sleep(0.15)
            print(f"{name:28s} ok={ok!s:5s} median {statistics.median(times) * 1000:7.1f} ms   "
                  f"worst {max(times) * 1000:7.1f} ms")

        nothing = lambda: None  # noqa: E731
        knobs = sb.knobs
        scenario("all pass", nothing, nothing)
        scenario("resolver outside the VNet", lambda: setattr(knobs, "dns_vnet_id", None),
                 lambda: setattr(knobs, "dns_vnet_id", dns_vnet))
        scenario("wrong certificate", lambda: setattr(knobs, "astro_wrong_certificate", True),
                 lambda: setattr(knobs, "astro_wrong_certificate", False))
        scenario("astro not listening", lambda: (setattr(knobs, "astro_listening", False), time.sleep(0.15)),
                 lambda: setattr(knobs, "astro_listening", True))
        scenario("connection pending (timeout)", lambda: sb.set_connection_state(None, "Pending"),
                 lambda: sb.approve())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
