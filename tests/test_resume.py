"""A fault mid-way loses nothing and a rerun converges: dropped connections at every request, Ctrl+C, throttling."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from engine_helpers import demo_config, make_engine, world_summary

from wizard.engine import EXIT_OK, EXIT_PENDING
from wizard.sandbox import seeds

FAST = {"privateEndpoint": 0.1, "privateDnsZone": 0.1, "virtualNetworkLink": 0.1, "delete": 0.1, "visibility": 0.0}


def _fast(sb, field: bool = False):
    sb.knobs.lro_seconds = dict(FAST)
    sb.knobs.poll_retry_after_ms = 20
    sb.knobs.throttle_retry_after_ms = 20
    if field:  # issue 10's field behaviours: roles on resource groups only, DNS's write queue, a lingering NIC
        sb.knobs.role_assignments = seeds.minimal_roles(sb.subscription_id)
        sb.knobs.dns_write_queue = "resource"
        sb.knobs.nic_linger_seconds = 0.2


def _assert_converged(sdk):
    world = world_summary(sdk)
    assert len(world["pes"]) == 1, world["pes"]
    assert len(world["nics"]) == 1
    assert len(world["zones"]) == 1
    assert len(world["links"]) == 1
    (record,) = world["records"]
    ip = world["nics"][0].ip_configurations[0].private_ip_address
    assert [a.ipv4_address for a in record.properties.a_records] == [ip]


def _full_apply_request_count(sb, field: bool = False) -> int:
    sb.reset("demo")
    _fast(sb, field)
    assert make_engine(sb, None).apply(wait_for_approval=False).exit_code == EXIT_PENDING
    return len(sb.requests)


@pytest.mark.parametrize("mode, outage, field", [("after", True, False), ("before", True, False),
                                                 ("after", False, False), ("after", False, True)])
def test_drop_at_every_request_then_rerun_converges(sandbox, sdk, tmp_path, mode, outage, field):
    """Drop the connection at request k (and, for an outage, every request after it); a clean rerun converges,
    also with the field behaviours of issue 10 on (`field`)."""
    total = _full_apply_request_count(sandbox, field)
    assert total > 15
    ks = range(1, total + 1) if mode == "after" else range(1, total + 1, 2)
    for k in ks:
        sandbox.reset("demo")
        _fast(sandbox, field)
        sandbox.knobs.drop_mode = mode
        if outage:
            sandbox.knobs.drop_from = k
        else:
            sandbox.knobs.drop_at = {k}
        state = tmp_path / f"{mode}-{outage}-{k}"
        first = make_engine(sandbox, state).apply(wait_for_approval=False)
        # polling makes the count vary by a request or two, so the last k may not be reached in this run
        assert any(r.dropped for r in sandbox.requests) or len(sandbox.requests) < k, k
        sandbox.knobs.drop_from, sandbox.knobs.drop_at = None, set()
        sandbox.approve()
        sandbox.knobs.approve_after = 0.0
        second = make_engine(sandbox, state).apply()
        assert second.exit_code == EXIT_OK, (k, first.outcomes, second.outcomes)
        sandbox.knobs.role_assignments = None  # the test's own look at the whole subscription
        _assert_converged(sdk)
        if outage and k > 5:  # whatever was started before the outage is still known to be ours
            created = make_engine(sandbox, state).record.resources
            assert all(e.created_by_tool for key, e in created.items()), (k, created)


def test_throttling_and_server_errors_do_not_stop_apply(sandbox, sdk, tmp_path):
    _fast(sandbox)
    sandbox.knobs.throttle_rate = 0.2
    sandbox.knobs.error_rate = 0.1
    sandbox.knobs.approve_after = 0.2
    for seed in range(3):
        sandbox.reset("demo")
        _fast(sandbox)
        sandbox.knobs.throttle_rate, sandbox.knobs.error_rate, sandbox.knobs.approve_after = 0.2, 0.1, 0.2
        sandbox.knobs.seed = seed
        result = make_engine(sandbox, tmp_path / str(seed)).apply()
        assert result.exit_code == EXIT_OK, result.outcomes
        statuses = [r.status for r in sandbox.requests]
        assert 429 in statuses and 500 in statuses  # the faults really happened
        sandbox.knobs.throttle_rate = sandbox.knobs.error_rate = 0.0
        _assert_converged(sdk)


def _write_config(path: Path, sb) -> Path:
    path.write_text(demo_config(sb).to_toml())
    return path


def test_ctrl_c_mid_apply_then_resume(sandbox, sdk, tmp_path):
    """SIGINT while the endpoint is being created: exit 130, nothing lost, the next apply finishes."""
    sandbox.knobs.lro_seconds = {**FAST, "privateEndpoint": 6.0}
    sandbox.knobs.poll_retry_after_ms = 50
    config = _write_config(tmp_path / "setup.toml", sandbox)
    env = {**os.environ, **sandbox.env(), "ASTRO_PL_STATE_DIR": str(tmp_path / "state"),
           "ASTRO_PL_POLLING_INTERVAL": "0.05"}
    env.pop("ASTRO_PL_DNS_SERVER", None)
    proc = subprocess.Popen([sys.executable, "-m", "wizard", "apply", "--config", str(config), "--yes"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 20
    while time.time() < deadline and not any(r.method == "PUT" and "privateendpoints" in r.path.lower()
                                             for r in sandbox.requests):
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, (out, err)
    assert "Run the same command again to resume" in out + err
    assert "Traceback" not in err
    sandbox.knobs.lro_seconds = dict(FAST)
    sandbox.knobs.approve_after = 0.0
    done = subprocess.run([sys.executable, "-m", "wizard", "apply", "--config", str(config), "--yes"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    _assert_converged(sdk)


def test_throttled_visibility_check_is_retried(sandbox, tmp_path):
    """The SDK does not retry a POST answered 429 without Retry-After; the inputs step does."""
    _fast(sandbox)
    engine = make_engine(sandbox, tmp_path)
    engine.ctx.network()  # build the client (and import the SDK) before the clock starts
    sandbox.knobs.throttle_rate = 1.0
    sandbox.knobs.throttle_retry_after_ms = 100
    import threading

    threading.Timer(0.15, lambda: setattr(sandbox.knobs, "throttle_rate", 0.0)).start()
    from steps.inputs import CheckInputs

    assert CheckInputs._visible(engine.ctx, "eastus2") is True
    posts = [r.status for r in sandbox.requests if r.method == "POST"]
    assert posts[0] == 429 and posts[-1] == 200, [(r.method, r.status, r.path[-40:]) for r in sandbox.requests]
