"""Every step's plan() as a table: an observation in, the expected Action and summary out.

Modelled on pyinfra's operation tests (one JSON file of cases per operation, one test that runs them all). No
sandbox, no network, no Azure client: the context is built with `factory=None`, so a plan() that reaches for
Azure fails with an AttributeError.

To add a row, append a case to `tests/plan_cases/<step key>.json`:

    {"name": "what Azure shows, in words",           # unique within the file; the test id is <step>/<name>
     "note": "optional: why this row exists",
     "config": {"nic_name": "pe-nic"},               # overrides of BASE_CONFIG below
     "allow_update": ["a_record"],                   # optional: ctx.allow_update
     "observation": {...},                           # the step's Observation as plain JSON (see CONVERTERS)
     "expect": {"action": "conflict",
                "summary": "exact text"  or  "summary_contains": ["part", ...],
                "details": [...]         or  "details_contains": ["part", ...],
                "warnings": [...]        or  "warnings_contains": ["part", ...],
                "creates": {...}, "uses": {...}, "payload": {...} or null, "updatable": true}}

dns_zone and vnet_links observe every `external.astronomer.run` zone with its links, and the agents' VNet ids
(the endpoint's VNet first, then `[dns] linked_vnets`, as `agent_vnet_ids()` lists them): plan() chooses the zone
itself (`choose_zone`), so which zone is reused is part of what a row checks. vnet_links may also observe
`network`: the agents' VNets' DNS servers and peerings and the DNS Private Resolvers (see `network_facts` below).

Absent keys: `creates` and `uses` must then be empty, `updatable` false and `warnings` empty; `details` and
`payload` are checked only when given (`payload` against `dataclasses.asdict`). A new (step, action) pair also
goes into EXPECTED_COVERAGE.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from steps import all_steps
from steps.a_record import RecordObservation
from steps.approval import ApprovalObservation
from steps.base import Action, Step
from steps.context import EndpointInfo, LinkInfo, SetupContext, ZoneInfo
from steps.dns_zone import ZoneObservation
from steps.inputs import InputsObservation
from steps.network_facts import NetworkFacts, PeeringFact, ResolverFacts, VNetFacts
from steps.private_endpoint import EndpointObservation, NicInfo
from steps.registry import STEP_KEYS
from steps.vnet_link import LinksObservation
from steps.zone_reads import OtherEndpoint
from wizard.core.config import SetupConfig

CASES_DIR = Path(__file__).parent / "plan_cases"

BASE_CONFIG: dict[str, Any] = {
    "alias": "astro-re-pls.5e1f9c2a-8b3d-4f6e-a7c0-9d2b4e6f8a1c.eastus2.azure.privatelinkservice",
    "api_url": "https://clmh597sg000208lb2kjhcn8q.external.astronomer.run",
    "subscription_id": "7d2c4a1e-5b8f-4c3d-9e6a-2f1b0c8d4e73",
    "resource_group": "rg-aks-prod",
    "vnet": "vnet-aks-prod",
    "subnet": "snet-private-endpoints",
}

# Every Action each step's plan() can return; each pair needs at least one row.
EXPECTED_COVERAGE = {
    ("inputs", "failed"), ("inputs", "done"),
    ("private_endpoint", "create"), ("private_endpoint", "conflict"), ("private_endpoint", "update"),
    ("private_endpoint", "waiting"), ("private_endpoint", "done"),
    ("dns_zone", "create"), ("dns_zone", "waiting"), ("dns_zone", "done"), ("dns_zone", "update"),
    ("dns_zone", "failed"), ("dns_zone", "conflict"),
    ("vnet_links", "create"), ("vnet_links", "done"), ("vnet_links", "waiting"), ("vnet_links", "conflict"),
    ("vnet_links", "failed"), ("vnet_links", "update"),
    ("a_record", "blocked"), ("a_record", "create"), ("a_record", "done"), ("a_record", "conflict"),
    ("a_record", "update"),
    ("approval", "blocked"), ("approval", "done"), ("approval", "failed"), ("approval", "waiting"),
}

CASE_KEYS = {"name", "note", "config", "allow_update", "observation", "expect"}
EXPECT_KEYS = {"action", "summary", "summary_contains", "details", "details_contains", "warnings",
               "warnings_contains", "creates", "uses", "payload", "updatable"}


# -- JSON -> observation, one small function per step --------------------------------------------------------
def endpoint(data: dict[str, Any] | None) -> EndpointInfo | None:
    return None if data is None else EndpointInfo(**data)


def zone_info(data: dict[str, Any]) -> ZoneInfo:
    return ZoneInfo(**{**data, "links": [LinkInfo(**lk) for lk in data.get("links", [])]})


def zone(data: dict[str, Any] | None) -> ZoneInfo | None:
    return None if data is None else zone_info(data)


def zones(data: list[dict[str, Any]]) -> list[ZoneInfo]:
    """Every `external.astronomer.run` zone in the subscription, with its links, in the order Azure lists them."""
    return [zone_info(z) for z in data]


def network_facts(data: dict[str, Any] | None) -> NetworkFacts | None:
    """The agents' VNets' DNS servers and peerings and the DNS Private Resolvers (steps/network_facts.py)."""
    if data is None:
        return None
    vnets = [VNetFacts(id=v["id"], name=v["name"], prefixes=tuple(v.get("prefixes", [])),
                       dns_servers=tuple(v.get("dns_servers", [])),
                       peerings=tuple(PeeringFact(**{**p, "remote_prefixes": tuple(p.get("remote_prefixes", []))})
                                      for p in v.get("peerings", [])))
             for v in data.get("vnets", [])]
    resolvers = [ResolverFacts(**{**r, "inbound_ips": tuple(r.get("inbound_ips", []))})
                 for r in data.get("resolvers", [])]
    return NetworkFacts(vnets=vnets, resolvers=resolvers, warnings=list(data.get("warnings", [])))


CONVERTERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "inputs": lambda o: InputsObservation(**o),
    "private_endpoint": lambda o: EndpointObservation(existing=endpoint(o["existing"]), subnet_id=o["subnet_id"],
                                                      region=o["region"],
                                                      nic=NicInfo(**o["nic"]) if o.get("nic") else None),
    "dns_zone": lambda o: ZoneObservation(zones=zones(o["zones"]), agent_vnets=o["agent_vnets"],
                                          unread=o.get("unread", []), skipped=o.get("skipped", []),
                                          other_endpoint=OtherEndpoint(**o["other_endpoint"])
                                          if o.get("other_endpoint") else None),
    "vnet_links": lambda o: LinksObservation(zones=zones(o["zones"]), agent_vnets=o["agent_vnets"],
                                             network=network_facts(o.get("network"))),
    "a_record": lambda o: RecordObservation(zone=zone(o["zone"]), name=o["name"], want_ip=o["want_ip"],
                                            have_ips=o["have_ips"], etag=o["etag"]),
    "approval": lambda o: ApprovalObservation(endpoint=endpoint(o["endpoint"])),
}
STEPS: dict[str, Step[Any, Any]] = {s.key: s for s in all_steps()}


# -- the tables ---------------------------------------------------------------------------------------------
def load_tables() -> dict[str, list[dict[str, Any]]]:
    tables: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(CASES_DIR.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data["step"] == path.stem, f"{path.name} holds the cases of step {data['step']!r}"
        names = [c["name"] for c in data["cases"]]
        assert len(names) == len(set(names)), f"{path.name}: case names must be unique"
        for case in data["cases"]:
            assert set(case) <= CASE_KEYS, f"{path.name}/{case['name']}: unknown keys {set(case) - CASE_KEYS}"
            assert set(case["expect"]) <= EXPECT_KEYS, \
                f"{path.name}/{case['name']}: unknown expect keys {set(case['expect']) - EXPECT_KEYS}"
        tables[data["step"]] = data["cases"]
    return tables


TABLES = load_tables()
ALL_CASES = [(step, case) for step, cases in TABLES.items() for case in cases]


def contains_all(texts: list[str], parts: list[str]) -> None:
    joined = "\n".join(texts)
    missing = [p for p in parts if p not in joined]
    assert not missing, f"missing {missing} in:\n{joined}"


@pytest.mark.parametrize(("step_key", "case"), ALL_CASES, ids=[f"{s}/{c['name']}" for s, c in ALL_CASES])
def test_plan(step_key: str, case: dict[str, Any]) -> None:
    config = SetupConfig(**{**BASE_CONFIG, **case.get("config", {})})
    ctx = SetupContext(config, factory=None, allow_update=set(case.get("allow_update", [])))
    observation = CONVERTERS[step_key](case["observation"])
    before = copy.deepcopy(observation)
    step = STEPS[step_key]

    plan = step.plan(ctx, observation)

    expect = case["expect"]
    assert plan.step == step_key
    assert plan.action is Action(expect["action"]), plan.summary
    if "summary" in expect:
        assert plan.summary == expect["summary"]
    contains_all([plan.summary], expect.get("summary_contains", []))
    if "details" in expect:
        assert plan.details == expect["details"]
    contains_all(plan.details, expect.get("details_contains", []))
    if "warnings_contains" in expect:
        contains_all(plan.warnings, expect["warnings_contains"])
    else:
        assert plan.warnings == expect.get("warnings", [])
    assert plan.creates == expect.get("creates", {})
    assert plan.uses == expect.get("uses", {})
    assert plan.updatable is expect.get("updatable", False)
    if "payload" in expect:
        got = None if plan.payload is None else dataclasses.asdict(plan.payload)
        assert got == expect["payload"]
    assert plan.error_code is None  # plan() never talks to Azure, so nothing of Azure's can fail in it
    # pure: the observation is left as it was, and the same input gives the same plan
    assert observation == before
    assert step.plan(ctx, observation) == plan


def test_every_action_of_every_step_has_a_row() -> None:
    assert set(TABLES) == set(STEP_KEYS) == set(CONVERTERS)
    covered = {(step, case["expect"]["action"]) for step, case in ALL_CASES}
    assert covered == EXPECTED_COVERAGE
