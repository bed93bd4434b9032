"""Issue 11: text from Azure, Astro, DNS or a file never drives the terminal, forges a line or leaves a comment.

The private endpoint connection's description is written by the Private Link Service's owner, a third party:
`PrivateLinkServiceConnectionState.description` is a free string ("The reason for approval/rejection of the
connection") that the owner sets with PrivateLinkServices_UpdatePrivateEndpointConnection (Azure/azure-rest-api-specs
specification/network/resource-manager/Microsoft.Network/stable/2024-05-01/privateLinkService.json). Policy
assignment display names and non-compliance messages are an admin's free text; a config file holds anything.

These tests plant ESC sequences (OSC 52 with BEL and with ST, OSC 8, CSI `ESC[2J`, C1 CSI), Rich markup, bidi
controls and newlines there and read what reaches the CLI (text and --json), the report, the request log, the
exports and the full-screen wizard (Pilot: the sequence Textual would write for the screen, the widgets' text, a
notification, the clipboard, the exit message).
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest
from app_helpers import make_app, start_at, wait_for
from engine_helpers import demo_config, make_engine
from untrusted_helpers import (
    CLEAR,
    HOSTILE,
    HOSTILE_VISIBLE,
    OSC52_BEL,
    OSC52_ST,
    assert_screen_safe,
    assert_terminal_safe,
    export_leaks,
    one_line_with,
)

from wizard.cli import main
from wizard.core.sanitize import clean_line, clean_lines, clean_text
from wizard.core.transcript import _clean_error, entry_for, log_path_for
from wizard.export.az import render_az
from wizard.export.bicep import render_bicep
from wizard.export.model import EndpointPart, ExportPlan, LinkPart, RecordPart, ZonePart
from wizard.export.terraform import render_terraform
from wizard.sandbox.arm.model import LroFailure

NOW = datetime(2025, 1, 2, 3, 4, tzinfo=timezone.utc)


# -- the sanitizer ----------------------------------------------------------------------------------------------
def test_whole_escape_sequences_go_and_the_words_stay():
    assert clean_line(f"a{OSC52_BEL}b{OSC52_ST}c{CLEAR}d") == "abcd"
    assert clean_line("x\x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\y") == "xlinky"
    assert clean_line("\x9b2Jz\x9d0;title\x9cw") == "zw"  # the one-byte C1 forms
    assert clean_line("\x1bP+q\x1b\\ \x1b_apc\x1b\\ \x1bc \x1b(0 \x1b[?1049h \x1b[6n") == " " * 5
    # a broken sequence: its control characters go, its text is shown, never hidden
    assert clean_line("pending \x1b]52;c;AAAA") == "pending 52;c;AAAA"
    assert clean_line("\x1b\x1b[2J[2J") == ""  # a sequence that forms once the first is removed goes too


def test_line_breaks_bidi_controls_and_lone_surrogates():
    value = "one\r\ntwo\rthree\nfour\u2028five\x85six\x0bseven"
    assert clean_line(value) == "one two three four five six seven"
    assert clean_text(value) == "one\ntwo\nthree\nfour\nfive\nsix\nseven"
    assert clean_lines("a\nb") == ["a", "b"] and clean_lines("") == [""]
    assert clean_line("\u202egnp.exe\u202c \u2066x\u2069 \u200f\u200e\u061c") == "gnp.exe x "
    assert clean_line("bad\ud800half") == "bad\ufffdhalf"
    assert clean_line("tab\there\x00\x7f\x07") == "tab here"
    assert clean_line(None) == "" and clean_line(404) == "404"


def test_names_azure_allows_pass_unchanged():
    # Resource group names: letters or digits (Char.IsLetterOrDigit, any script), '-', '_', '(', ')', '.'
    # (learn.microsoft.com azure-resource-manager/management/resource-name-rules); a subscription name is free text.
    for name in ("rg-(prod)_ünïcödé.1", "مجموعة-الموارد", "资源组", "Prod [EU] – Contoso's", "emoji 🚀 ok"):
        assert clean_line(name) == name and clean_text(name) == name


# -- the CLI ----------------------------------------------------------------------------------------------------
def _config(sandbox, tmp_path, **changes) -> str:
    path = tmp_path / "setup.toml"
    path.write_text(demo_config(sandbox, **changes).to_toml())
    return str(path)


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_connection_description_is_shown_on_one_line_without_controls(sandbox, sandbox_env, capsys):
    config = _config(sandbox, sandbox_env)
    assert _run(capsys, "apply", "--config", config, "--yes", "--no-wait")[0] == 3
    sandbox.set_connection_state(None, "Pending", HOSTILE)

    exits = {"plan": 0, "status": 0, "apply": 3, "report": 0, "verify": 1}  # 3: only approval is pending
    for argv in (["plan"], ["status"], ["apply", "--yes", "--no-wait"], ["report"], ["verify", "--timeout", "2"]):
        code, out, err = _run(capsys, *argv, "--config", config)
        assert code == exits[argv[0]], (argv, out, err)
        assert_terminal_safe(out + err, " ".join(argv))
        if argv[0] != "verify":  # verify shows the state, not the description
            line = one_line_with(out, HOSTILE_VISIBLE, " ".join(argv))
            assert "The connection is Pending (" in line  # the forged "[x] 6. Approval: done" stays inside it

    _, out, err = _run(capsys, "status", "--config", config, "--json")
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out  # json.dumps escapes them
    approval = next(s for s in json.loads(out)["steps"] if s["name"] == "approval")
    assert HOSTILE in approval["detail"]  # programs get the exact value, escaped as JSON


def test_cli_azure_error_message_and_policy_names_are_shown_safely(sandbox, sandbox_env, capsys):
    config = _config(sandbox, sandbox_env)
    # a deny policy whose assignment display name and non-compliance message an admin wrote
    sandbox.knobs.deny_policies = [{"type": "Microsoft.Network/privateDnsZones", "scope": "",
                                    "assignment_display": HOSTILE, "message": HOSTILE}]
    code, out, err = _run(capsys, "apply", "--config", config, "--yes", "--no-wait")
    assert code == 1
    assert_terminal_safe(out + err, "apply refused by a policy")
    one_line_with(out, ("dns zone", "Checked by [bold red]owner[/]"), "apply refused by a policy")
    # then an operation that fails late with a hostile message (the message is Azure's free text)
    sandbox.knobs.deny_policies = []
    sandbox.knobs.lro_failures = [LroFailure("virtualNetworkLinks", "*", "BadRequest", HOSTILE)]
    code, out, err = _run(capsys, "apply", "--config", config, "--yes", "--no-wait")
    assert code == 1
    assert_terminal_safe(out + err, "apply with a failed operation")
    one_line_with(out, HOSTILE_VISIBLE, "apply with a failed operation")

    code, out, err = _run(capsys, "report", "--config", config)
    assert_terminal_safe(out + err, "report")
    problems = out.split("Last problems the steps reported")[1].split("Last failed Azure requests")[0]
    one_line_with(problems, HOSTILE_VISIBLE, "report: the record's problems")

    # nothing the tool wrote holds a raw control character: the record, the request log, the saved config
    state = sandbox_env / "state"
    for path in (p for p in state.rglob("*") if p.is_file()):
        assert_terminal_safe(path.read_bytes().decode("utf-8").replace("\n", ""), str(path))
    log = log_path_for_state(state, sandbox.demo_cluster_id)
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert any(e.get("error_code") == "RequestDisallowedByPolicy" for e in entries)
    for e in entries:
        assert_terminal_safe(" ".join(str(v) for v in e.values()), "a request log entry")


def log_path_for_state(state: Path, cluster_id: str) -> Path:
    """The request log of the cluster's setup (keyed by cluster id and endpoint, issue 15: one setup here)."""
    from wizard.core.record import RecordStore

    found = sorted(state.glob(f"{cluster_id}--*.requests.log"))
    return found[0] if found else log_path_for(RecordStore(state), cluster_id)


def test_config_values_reach_no_terminal_raw(sandbox, sandbox_env, capsys):
    """A config file can hold anything: TOML escapes make control characters easy to write."""
    path = sandbox_env / "hostile.toml"
    text = demo_config(sandbox).to_toml()
    escaped = json.dumps(HOSTILE, ensure_ascii=False)  # a TOML basic string: \u001b, \n, \r escapes
    text = text.replace('resource_group = "rg-aks-prod"', f"resource_group = {escaped}")
    text = text.replace('subnet = "snet-private-endpoints"', f"subnet = {escaped}")
    path.write_text(text)
    for argv in (["plan"], ["plan", "--json"], ["status"], ["report"], ["verify"], ["export", "-f", "az"],
                 ["apply", "--yes"]):
        code, out, err = _run(capsys, *argv, "--config", str(path))
        assert code == (0 if argv == ["report"] else 2), (argv, out, err)  # step 1 refuses the names
        assert_terminal_safe(out + err, " ".join(argv))
    assert sandbox.writes() == []


def test_request_log_lines_hold_no_control_characters():
    text = _clean_error(ConnectionError(f"peer said {HOSTILE}"))
    assert_terminal_safe(text, "an error without an answer")
    assert "ConnectionError: peer said Checked by" in text
    entry = entry_for("GET", "https://management.azure.com/x?api-version=1", 500, 3,
                      {"x-ms-request-id": f"id{OSC52_BEL}", "x-ms-correlation-request-id": "c\u202eid"})
    assert entry["request_id"] == "id" and entry["correlation_id"] == "cid"


def test_report_from_a_tampered_request_log(sandbox, sandbox_env, capsys):
    config = _config(sandbox, sandbox_env)
    assert _run(capsys, "plan", "--config", config)[0] == 0
    log = log_path_for_state(sandbox_env / "state", sandbox.demo_cluster_id)
    with log.open("a") as fh:
        fh.write(json.dumps({"time": HOSTILE, "method": "PUT\x1b[2J", "path": f"/x{OSC52_ST}", "status": 500,
                             "error_code": HOSTILE, "correlation_id": HOSTILE, "request_id": CLEAR}) + "\n")
        fh.write(json.dumps({"status": None, "error": HOSTILE}) + "\n")
    code, out, err = _run(capsys, "report", "--config", config)
    assert code == 0
    assert_terminal_safe(out + err, "report")
    failed = out.split("Last failed Azure requests")[1]
    one_line_with(failed, ("-> 500 Checked by [bold red]owner[/]", "[x] overwritten"), "report: a failed request")


# -- exports ------------------------------------------------------------------------------------------------------
def hostile_export_plan(values: dict[str, str]) -> ExportPlan:
    """Every string of an ExportPlan from `values` (key: the field's name), the rest plain."""
    v = values.get

    def pick(name: str, default: str) -> str:
        return v(name, default)

    return ExportPlan(
        cluster_id=pick("cluster_id", "abc123"), api_url=pick("api_url", "https://abc123.external.astronomer.run"),
        endpoint=EndpointPart(create=True, subscription=pick("subscription", "sub"),
                              resource_group=pick("resource_group", "rg"), name=pick("endpoint_name", "pe"),
                              id=pick("endpoint_id", "/subscriptions/sub/pe"), region=pick("region", "eastus2"),
                              subnet_id=pick("subnet_id", "/subscriptions/sub/resourceGroups/rg/providers/"
                                                          "Microsoft.Network/virtualNetworks/v/subnets/s"),
                              nic_name=pick("nic_name", "nic"), connection_name=pick("connection_name", "conn"),
                              request_message=pick("request_message", "msg"), alias=pick("alias", "a.b")),
        zone=ZonePart(create=True, subscription=pick("subscription", "sub"),
                      resource_group=pick("resource_group", "rg"), id=pick("zone_id", "/zone"),
                      name=pick("zone_name", "external.astronomer.run")),
        links=[LinkPart(create=True, name=pick("link_name", "link"), vnet_id=pick("vnet_id", "/vnet"),
                        vnet_name=pick("vnet_name", "vnet")),
               LinkPart(create=False, name=pick("old_link_name", "old"), vnet_id="/vnet2",
                        vnet_name=pick("old_vnet_name", "vnet2"))],
        record=RecordPart("update", pick("record_name", "abc123"), 10,
                          old_ips=[pick("old_ip", "10.0.0.9"), "10.0.0.8"], ip=pick("ip", "10.0.0.4")),
        support_text=pick("support_text", "Hello\n\nThanks."), approved=False)


RENDER = {"az": render_az, "terraform": render_terraform, "bicep": render_bicep}


def check_export(text: str, fmt: str, markers: list[tuple[str, str]], tmp_path: Path) -> None:
    assert export_leaks(text, fmt, markers) == []
    if fmt == "az":
        script = tmp_path / "x.sh"
        script.write_text(text)
        result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr


def test_exports_keep_values_from_azure_inside_their_comments_and_strings(tmp_path):
    """Link names, group names, the A record's old addresses and the support text with newlines, markup and
    ESC sequences: every line of every format stays a comment or a quoted string (issue 11, Low item 2)."""
    # the markers hold a '-', which identifiers made from names (Terraform labels, Bicep symbols) never keep
    value = "Z-Q" + HOSTILE + "\n# rm -rf ~\n*/ ${env.HOME} %{ if true } '; touch /tmp/pwned; echo '" + "Q-Z"
    fields = ("link_name", "vnet_name", "old_link_name", "old_vnet_name", "old_ip", "resource_group",
              "support_text", "region", "subscription", "endpoint_name", "request_message", "alias")
    for field in fields:
        xp = hostile_export_plan({field: value})
        for fmt, render in RENDER.items():
            text = render(xp, NOW)
            check_export(text, fmt, [("Z-Q", "Q-Z")], tmp_path)
            assert "Z-Q" in text, (field, fmt)  # the value is there (in a comment or a literal), not dropped


def test_export_string_literals_mean_the_exact_value(tmp_path):
    """The az script's quoting gives bash the exact value back (read by bash itself), control characters too."""
    value = "it's (prod)\n\x1b[2J ${HOME} $(id) `id` \\ \u202e \x07 ü"
    text = render_az(hostile_export_plan({"resource_group": value}), NOW)
    line = next(line for line in text.splitlines() if line.startswith("RESOURCE_GROUP="))
    assert line.startswith("RESOURCE_GROUP=$'") and "\x1b" not in line
    result = subprocess.run(["bash", "-c", line + "\nprintf '%s' \"$RESOURCE_GROUP\""], capture_output=True)
    assert result.returncode == 0 and result.stdout.decode("utf-8") == value
    # terraform and bicep: escaped the way each language reads them (hcl spec.md, bicep docs/spec/bicep.md)
    tf = render_terraform(hostile_export_plan({"alias": value}), NOW)
    assert '"it\'s (prod)\\n\\u001B[2J $${HOME} $(id) `id` \\\\ \\u202E \\u0007 ü"' in tf
    bicep = render_bicep(hostile_export_plan({"alias": value}), NOW)
    assert "'it\\'s (prod)\\n\\u{1B}[2J \\${HOME} $(id) `id` \\\\ \\u{202E} \\u{7} ü'" in bicep


def test_export_of_a_hostile_config_says_why_safely(sandbox, sandbox_env, capsys):
    """Step 1 quotes the API URL's host when it is wrong; the export's refusal repeats it."""
    path = sandbox_env / "hostile.toml"
    # the one-byte C1 forms of OSC 52 and CSI (the '[' / ']' forms are a problem of their own: see below)
    url = "https://evil\x9d52;c;ZWNobyBwd25lZA==\x07\x9b2J\u202e.example.com"
    text = demo_config(sandbox).to_toml().replace(
        f'api_url = "{sandbox.demo_api_url}"', f"api_url = {json.dumps(url, ensure_ascii=False)}")
    path.write_text(text)
    for fmt in ("az", "terraform", "bicep"):
        code, out, err = _run(capsys, "export", "--config", str(path), "-f", fmt)
        assert code == 2 and "nothing was exported" in err and "52;c;" not in err
        assert "host must end with 'external.astronomer.run'" in err and "'evil.example.com' does not" in err
        assert_terminal_safe(out + err, f"export {fmt}")


# -- the full-screen wizard ------------------------------------------------------------------------------------------
def screen_sequence(app) -> str:
    """What Textual would write to the terminal to draw the whole screen now (colours and cursor moves included)."""
    return app.screen._compositor.render_update(full=True).render_segments(app.console)


def widget_texts(app) -> list[str]:
    """The text every Static on the screen holds (what it would draw), without rendering."""
    from textual.widgets import Static

    return [static_text(w) for w in app.screen.query(Static)]


def static_text(widget) -> str:
    """A Static's text, also when it holds a renderable that wraps a Text (screens.widgets.wrap.Hanging)."""
    content = widget.content
    return str(getattr(content, "text", content))


def test_tui_review_and_create_show_azure_text_safely(sandbox, tmp_path):
    async def run() -> None:
        engine = make_engine(sandbox, tmp_path / "setup-state")
        engine.apply(wait_for_approval=False)
        sandbox.set_connection_state(None, "Pending", HOSTILE)
        sandbox.knobs.lro_failures = [LroFailure("virtualNetworkLinks", "*", "BadRequest", HOSTILE)]
        app = make_app(sandbox, tmp_path / "state")
        async with app.run_test(size=(120, 50)) as pilot:
            await start_at(pilot, "review", sandbox)
            app.config.linked_vnets = [f"/subscriptions/{sandbox.subscription_id}/resourceGroups/rg-network-hub/"
                                       "providers/Microsoft.Network/virtualNetworks/vnet-hub"]
            app.screen.action_replan()
            await wait_for(pilot, lambda: getattr(app.screen, "plans", None) is not None, what="plans")
            await wait_for(pilot, lambda: "Pending (" in static_text(app.screen.query_one("#plans")), what="plan")
            plans = static_text(app.screen.query_one("#plans"))
            one_line_with(plans, HOSTILE_VISIBLE, "review")
            assert_screen_safe(screen_sequence(app), "the review screen")
            for text in widget_texts(app):
                assert_terminal_safe(text, "a review widget")

            await pilot.press("ctrl+n")
            await wait_for(pilot, lambda: type(app.screen).__name__ == "CreateScreen")
            await wait_for(pilot, lambda: "apply" not in app.busy, timeout=30, what="apply finished")
            assert app.step_states["vnet_links"] == "failed"
            row = static_text(app.screen.query_one("#row-vnet_links"))
            assert "Checked by [bold red]owner[/]" in row  # markup shown as text
            assert_screen_safe(screen_sequence(app), "the create screen")
            for text in widget_texts(app):
                assert_terminal_safe(text, "a create widget")

    asyncio.run(run())


def test_tui_values_from_files_notifications_clipboard_and_exit_message(sandbox, tmp_path, capsys):
    async def run() -> None:
        from screens.widgets.picker import PickItem

        app = make_app(sandbox, tmp_path / "state")
        async with app.run_test(size=(120, 40)) as pilot:
            await start_at(pilot, "placement", sandbox)
            app.config.resource_group = HOSTILE  # as a draft or record file may hold it
            app.config.endpoint_name = "pe" + OSC52_BEL
            app.goto("placement")
            await pilot.pause()
            assert_screen_safe(screen_sequence(app), "the placement screen")
            for text in widget_texts(app):
                assert_terminal_safe(text, "a placement widget")
            # a VNet whose listed name holds markup: the notification shows it as text
            main_vnet = (f"/subscriptions/{sandbox.subscription_id}/resourceGroups/rg-aks-prod/providers/"
                         "Microsoft.Network/virtualNetworks/vnet-aks-prod")
            app.config.resource_group = "rg-aks-prod"
            app.screen._link_chosen(PickItem(main_vnet, "[bold red]vnet[/] [/]\x1b[2J"))
            await pilot.pause()
            note = list(app._notifications)[-1]
            assert note.message == "[bold red]vnet[/] [/] is linked already." and note.markup is False
            assert_screen_safe(screen_sequence(app), "the placement screen with a notification")

            app.config.alias = "astro" + OSC52_ST  # the alias field shows (and then holds) the safe text
            app.goto("astro")
            await pilot.pause()
            await pilot.pause()
            assert_screen_safe(screen_sequence(app), "the astro screen")
            assert app.config.alias == "astro"

            app.copy_to_clipboard(HOSTILE)
            assert app.clipboard == clean_text(HOSTILE)
            app.support_text = HOSTILE
            app.goto("approval")
            await pilot.pause()
            await pilot.press("ctrl+y")
            assert app.clipboard == clean_text(HOSTILE)
            assert_terminal_safe(app.clipboard.replace("\n", ""), "the clipboard")
            app.exit(0, message="saved in /tmp/[/oops] " + CLEAR)
        assert app.return_code == 0
        assert "saved in /tmp/[/oops] \n" in capsys.readouterr().err  # printed literally, after the screen

    asyncio.run(run())


def test_tui_picker_shows_a_filter_with_markup_as_text(sandbox, tmp_path):
    """The picker's status quotes what was typed: "[/]" crashed the wizard (MarkupError) before it was literal."""
    async def run() -> None:
        from app_helpers import screen_name

        app = make_app(sandbox, tmp_path / "state")
        async with app.run_test(size=(120, 40)) as pilot:
            await start_at(pilot, "placement", sandbox)
            await pilot.click("#rg-button")
            await wait_for(pilot, lambda: screen_name(app) == "PickerScreen", what="the picker")
            await wait_for(pilot, lambda: not app.screen.query_one("Picker").loading_items, what="the listing")
            await pilot.press(*"[/]zz")
            await pilot.pause()
            status = str(app.screen.query_one(".picker-status").render())
            assert "Nothing matches '[/]zz'" in status
            assert_screen_safe(screen_sequence(app), "the picker")

    asyncio.run(run())


@pytest.mark.parametrize("value", ["https://x[bold]y.external.astronomer.run", "https://[abc123.external.astronomer.run",
                                   "https://evil\x1b]52;c;ZWNo\x07.external.astronomer.run"])
def test_api_url_with_a_bracket_is_a_problem_not_a_crash(value):
    """A '[' or ']' in the host (a typo, Rich markup, an OSC sequence) should be a problem with the URL."""
    from wizard.core.validate import check_api_url

    assert check_api_url(value).problems


def test_markup_and_bidi_markers_survive_as_text_only():
    """What is left shows exactly what the owner wrote, in order (nothing hidden that was text)."""
    shown = clean_line(HOSTILE)
    assert re.fullmatch(r"[ -~]*", shown)  # plain printable ASCII is all that is left of this value
    assert shown.startswith("Checked by [bold red]owner[/] [link=https://evil.example]link[/link]")
