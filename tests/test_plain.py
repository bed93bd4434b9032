"""Plain mode driven through questionary with prompt_toolkit pipe input (keys, not patched prompts), against
the sandbox: the whole setup, validation, resume from the setup record, change an answer, export, fallback."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from engine_helpers import RG, SUBNET, VNET, sandbox_settings, world_summary
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from wizard.cli import main
from wizard.core.record import RecordStore
from wizard.core.transcript import read_entries
from wizard.engine import ApprovalPolling, Workspace
from wizard.plain import PlainWizard, Prompter, should_use_plain

ENTER, CTRL_C, CTRL_U, DOWN = "\r", "\x03", "\x15", "\x1b[B"


def run_wizard(sandbox, state: Path, keys: str, **kw):
    """Run plain mode with these keystrokes; returns (exit code, printed text, transcript)."""
    workspace = Workspace(sandbox_settings(sandbox), store=RecordStore(state))
    out = io.StringIO()
    with create_pipe_input() as pipe:
        pipe.send_text(keys)
        kw.setdefault("nameserver", sandbox.dns_address)  # verify asks the sandbox's DNS, as the demo does
        wizard = PlainWizard(workspace, prompter=Prompter(pipe, DummyOutput()), out=out,
                             approval=ApprovalPolling(first=0.05, longest=0.2, timeout=5.0), **kw)
        code = wizard.run()
    return code, out.getvalue(), workspace.transcript


def placement_keys() -> str:
    """Resource group, VNet, subnet by type-ahead; default endpoint name; no NIC name; no other VNets."""
    return "None of" + ENTER + "rg-aks" + ENTER + "vnet-aks" + ENTER + "snet-priv" + ENTER + ENTER + ENTER + "n"


def test_whole_setup_line_by_line(sandbox, sdk, tmp_path):
    sandbox.knobs.approve_after = 0.3
    keys = (sandbox.demo_alias + ENTER + sandbox.demo_api_url + ENTER + placement_keys()
            + ENTER      # review: "Create these in Azure now"
            + "y"        # confirm
            + "y")       # wait here for the approval
    code, out, transcript = run_wizard(sandbox, tmp_path / "state", keys)
    assert code == 0, out
    assert "Review for Astro cluster" in out and "[ ] 2. Create the private endpoint: to do" in out
    assert "[x] private endpoint: Private endpoint astro-privatelink is ready" in out
    assert "Send this to Astronomer support" in out and "[x] approval: Astronomer approved the connection." in out
    assert "Done: every step is complete." in out
    # ... and then verify, as the full-screen wizard's last step: every check, through the endpoint
    assert "Verifying from this machine" in out and "checks passed" in out and "HTTPS" in out, out
    world = world_summary(sdk)
    assert len(world["pes"]) == 1 and len(world["zones"]) == 1 and len(world["links"]) == 1
    assert len(world["records"]) == 1
    # the same setup record the full-screen wizard reads, and a config file for the other commands
    records, _ = RecordStore(tmp_path / "state").list()
    assert len(records) == 1
    answers = records[0].answers
    assert (answers.alias, answers.resource_group, answers.vnet, answers.subnet, answers.nic_name) == \
        (sandbox.demo_alias, RG, VNET, SUBNET, None)
    assert records[0].last_state("approval") == "done"
    key = records[0].key   # the cluster id and the endpoint (issue 15)
    toml = tmp_path / "state" / f"{key}.toml"
    assert 'subnet = "snet-private-endpoints"' in toml.read_text()
    assert transcript.path == tmp_path / "state" / f"{key}.requests.log"
    assert len(read_entries(transcript.path)) > 10


def test_a_refused_state_directory_is_said_once_and_the_questions_go_on(sandbox, tmp_path, monkeypatch):
    from wizard.core.statefiles import StateDirError

    def refuse(self, record):
        raise StateDirError(f"The state directory {self.directory} belongs to another user: set ASTRO_PL_STATE_DIR.")

    monkeypatch.setattr(RecordStore, "save", refuse)
    keys = (sandbox.demo_alias + ENTER + sandbox.demo_api_url + ENTER
            + "None of" + ENTER + "rg-aks" + ENTER + "vnet-aks" + ENTER + "snet-priv" + ENTER + CTRL_C)
    code, out, _ = run_wizard(sandbox, tmp_path / "state", keys)
    assert code == 130, out
    assert out.count("Your answers are not saved: The state directory") == 1
    assert "Stopped. Your answers could not be saved" in out and "Stopped. Your answers are saved" not in out
    assert "Traceback" not in out


def test_validation_then_stop_then_resume_with_saved_answers(sandbox, tmp_path):
    state = tmp_path / "state"
    keys = ("not-an-alias" + ENTER              # refused by check_alias: the prompt stays
            + CTRL_U + sandbox.demo_alias + ENTER
            + "http://x.example.com" + ENTER   # refused by check_api_url
            + CTRL_U + sandbox.demo_api_url + ENTER
            + "None of" + ENTER + "rg-aks" + ENTER + "vnet-aks" + ENTER + "snet-priv" + ENTER
            + CTRL_U + "-bad-" + ENTER           # refused: endpoint names start with a letter or digit
            + CTRL_U + "pe-astro" + ENTER
            + CTRL_C)                            # stop at the NIC name
    code, out, _ = run_wizard(sandbox, state, keys)
    assert code == 130 and "Your answers are saved" in out
    assert sandbox.writes() == []
    records, _ = RecordStore(state).list()
    assert [(r.answers.alias, r.answers.resource_group, r.answers.subnet, r.answers.endpoint_name)
            for r in records] == [(sandbox.demo_alias, RG, SUBNET, "pe-astro")]

    # resume: the saved setup is the default choice, and every saved answer is the default
    keys = (ENTER                                   # resume cluster ...
            + DOWN + ENTER                          # go through the questions again (not: keep them all)
            + ENTER + ENTER                         # alias, API URL as saved
            + ENTER + ENTER + ENTER                 # resource group, VNet, subnet as saved
            + ENTER + "nic-astro" + ENTER + "n"     # endpoint name as saved; a NIC name; no other VNets
            + "Stop" + ENTER)                       # review: stop here
    code, out, _ = run_wizard(sandbox, state, keys)
    assert code == 0, out
    assert f"Resuming cluster {sandbox.demo_cluster_id}" in out
    assert "network interface: nic-astro" in out and "rg-aks-prod/pe-astro" in out
    record = RecordStore(state).load(sandbox.demo_cluster_id).record
    assert (record.answers.endpoint_name, record.answers.nic_name, record.answers.vnet) == ("pe-astro", "nic-astro",
                                                                                          VNET)
    assert sandbox.writes() == []


def test_change_an_answer_and_export_from_the_review(sandbox, tmp_path):
    target = tmp_path / "handoff.tf"
    keys = (sandbox.demo_alias + ENTER + sandbox.demo_api_url + ENTER + placement_keys()
            + "Change" + ENTER + "names" + ENTER           # review: change the endpoint and NIC names
            + CTRL_U + "pe-two" + ENTER + "nic-two" + ENTER
            + "Export" + ENTER + "Terraform" + ENTER      # review again: export for an admin
            + CTRL_U + str(target) + ENTER
            + "Stop" + ENTER)
    code, out, _ = run_wizard(sandbox, tmp_path / "state", keys)
    assert code == 0, out
    assert f"Wrote the Terraform (azurerm) for the remaining steps to {target}" in out
    text = target.read_text()
    assert 'resource "azurerm_private_endpoint" "astro"' in text and '"pe-two"' in text and '"nic-two"' in text
    assert sandbox.writes() == []


def test_other_vnets_are_picked_from_the_listing(sandbox, tmp_path):
    keys = (sandbox.demo_alias + ENTER + sandbox.demo_api_url + ENTER
            + "None of" + ENTER + "rg-aks" + ENTER + "vnet-aks" + ENTER + "snet-priv" + ENTER + ENTER + ENTER
            + "y" + "vnet-hub" + " " + ENTER       # yes, other VNets: tick vnet-hub
            + "Stop" + ENTER)
    code, out, _ = run_wizard(sandbox, tmp_path / "state", keys)
    assert code == 0, out
    record = RecordStore(tmp_path / "state").load(sandbox.demo_cluster_id).record
    assert [v.rsplit("/", 1)[-1] for v in record.answers.linked_vnets] == ["vnet-hub"]
    assert "vnet-hub: create link 'vnet-hub-astro-link'" in out


def test_should_use_plain():
    class Stream:
        def __init__(self, tty: bool) -> None:
            self.tty = tty

        def isatty(self) -> bool:
            return self.tty

    tty, pipe = Stream(True), Stream(False)
    term = {"TERM": "xterm-256color"}
    assert should_use_plain(None, stdin=tty, stdout=tty, env=term) == (False, "")
    assert should_use_plain(type("A", (), {"plain": True})(), stdin=tty, stdout=tty, env=term) == (True, "")
    assert should_use_plain(None, stdin=tty, stdout=tty, env={**term, "ASTRO_PL_PLAIN": "1"}) == (True, "")
    plain, why = should_use_plain(None, stdin=tty, stdout=pipe, env=term)
    assert plain and "standard output is not a terminal" in why
    plain, why = should_use_plain(None, stdin=pipe, stdout=tty, env=term)
    assert plain and "standard input is not a terminal" in why
    if sys.platform != "win32":
        plain, why = should_use_plain(None, stdin=tty, stdout=tty, env={"TERM": "dumb"})
        assert plain and "TERM=dumb" in why


def test_cli_without_a_terminal_falls_back_and_says_what_to_do(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("ASTRO_PL_STATE_DIR", str(tmp_path))
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main([]) == 2
    err = capsys.readouterr().err
    assert "standard output is not a terminal" in err and "plain mode" in err
    assert "astro-privatelink apply --config FILE" in err
    assert main(["--plain"]) == 2
    assert "no terminal to ask questions on" in capsys.readouterr().err


def test_plain_flag_is_in_the_help(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "--plain" in capsys.readouterr().out


def test_long_listings_are_picked_by_typing_with_completion():
    choices = [(f"vnet-{i:04d}  (rg-fleet, eastus2)", f"/id/{i}") for i in range(60)]
    with create_pipe_input() as pipe:
        pipe.send_text("nope" + ENTER + CTRL_U + "vnet-0042  (rg-fleet, eastus2)" + ENTER)
        assert Prompter(pipe, DummyOutput()).pick("VNet:", choices, what="virtual network") == "/id/42"


def test_plain_demo_runs_on_its_own_sandbox(tmp_path, monkeypatch):
    import argparse

    from wizard.plain import run_plain

    monkeypatch.setenv("ASTRO_PL_STATE_DIR", str(tmp_path / "state"))
    out = io.StringIO()
    args = argparse.Namespace(command="demo", world="demo", approve_after=0.2, redact=True, arm_endpoint=None,
                              ca_file=None)
    with create_pipe_input() as pipe:
        pipe.send_text(ENTER + ENTER + placement_keys() + "Stop" + ENTER)  # alias and API URL are prefilled
        code = run_plain(args, input=pipe, output=DummyOutput(), out=out)
    assert code == 0, out.getvalue()
    text = out.getvalue()
    assert "Demo mode" in text and "Review for Astro cluster" in text
    assert "Alias visible to subscription ****" in text  # --redact masks subscription ids


def test_resume_keeps_all_saved_answers_in_one_go(sandbox, tmp_path):
    state = tmp_path / "state"
    keys = sandbox.demo_alias + ENTER + sandbox.demo_api_url + ENTER + placement_keys() + "Stop" + ENTER
    code, out, _ = run_wizard(sandbox, state, keys)
    assert code == 0, out
    # resume: the saved answers are shown and kept with one Enter; straight to the review
    code, out, _ = run_wizard(sandbox, state, ENTER + ENTER + "Stop" + ENTER)
    assert code == 0, out
    assert f"Resuming cluster {sandbox.demo_cluster_id}. Saved answers:" in out
    assert f"VNet {RG}/{VNET}, subnet {SUBNET}" in out
    assert "Astro details:" not in out and "Where the endpoint goes" not in out  # no question asked again
    assert "Review for Astro cluster" in out
    assert sandbox.writes() == []


def test_plain_mode_ends_with_verify_and_a_failed_check_exits_1(sandbox, tmp_path):
    sandbox.knobs.approve_after = 0.0
    sandbox.knobs.astro_listening = False  # the Astro endpoint refuses: the HTTPS check fails
    keys = (sandbox.demo_alias + ENTER + sandbox.demo_api_url + ENTER + placement_keys()
            + ENTER + "y" + "y")
    code, out, _ = run_wizard(sandbox, tmp_path / "state", keys)
    assert code == 1, out
    assert "Done: every step is complete." in out and "checks failed" in out and "What to do:" in out
    assert "astro-privatelink verify --config" in out


def test_plain_demo_resumed_by_a_new_demo_follows_its_sandbox(tmp_path, monkeypatch):
    import argparse

    from wizard.plain import run_plain

    monkeypatch.setenv("ASTRO_PL_STATE_DIR", str(tmp_path / "state"))
    args = argparse.Namespace(command="demo", world="demo", approve_after=0.2, redact=False, arm_endpoint=None,
                              ca_file=None)
    urls = []
    for keys in (ENTER + ENTER + placement_keys() + "Stop" + ENTER,   # new setup, stop at the review
                 ENTER + ENTER + "Stop" + ENTER):                    # a new demo: resume, keep all answers, stop
        out = io.StringIO()
        with create_pipe_input() as pipe:
            pipe.send_text(keys)
            assert run_plain(args, input=pipe, output=DummyOutput(), out=out) == 0, out.getvalue()
        records, _ = RecordStore(tmp_path / "state").list()
        urls.append(records[0].answers.api_url)
    assert urls[0] != urls[1]  # the second sandbox listens on another port, and the saved answer follows it
    assert "the API URL now names its new port" in out.getvalue() and "Review for Astro cluster" in out.getvalue()
