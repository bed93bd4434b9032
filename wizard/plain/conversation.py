"""Plain mode: the wizard's questions one line at a time (questionary), for terminals a full-screen app
does not suit: screen readers, serial consoles, narrow web shells, recorded sessions.

Same answers, same validation (wizard/core/validate.py), the same live pickers with type-ahead, the same review
(engine.plan()) and confirmation, the same steps with line-by-line progress, and the same setup record: a
setup begun here can be resumed in the full-screen wizard, and the other way round.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from wizard.plain.prompter import Stop
from wizard.plain.questions import PlainQuestions

if TYPE_CHECKING:  # pragma: no cover
    from steps.base import Plan
    from wizard.engine import Engine, RunResult


class PlainWizard(PlainQuestions):
    """The whole wizard as a conversation. `run()` returns the CLI exit code."""

    def run(self) -> int:
        from wizard.engine import EXIT_STOPPED

        self.say("Astro Private Link setup, one question at a time. Your answers are saved as you go: stop any "
                 "time (Ctrl+C) and run the same command again to resume.")
        try:
            self.config = self.choose_setup()
            if self.keep_answers:
                self.sign_in()
            else:
                self.ask_astro()
                self.sign_in()
                self.ask_azure()
            self.save()
            return self.review_loop()
        except (Stop, KeyboardInterrupt, EOFError):
            self.save(quiet=True)
            self.say("")
            if self._state_dir_refused:
                self.say("Stopped. Your answers could not be saved (see above); nothing was written to Azure.")
            else:
                self.say("Stopped. Your answers are saved; run the same command again to resume where you left "
                         "off.")
            return EXIT_STOPPED

    # -- review, confirm, apply -------------------------------------------------------------------------
    def engine(self) -> Engine:
        from wizard.console import ProgressPrinter
        from wizard.engine import WATCHED_APPROVAL

        engine = self.workspace.engine(self.config, allow_update=set(self.allow_update),
                                       on_event=ProgressPrinter(self.out), approval=self.approval or WATCHED_APPROVAL)
        if engine.record_message:
            self.say(engine.record_message)
        if engine.record is not None:
            self.record = engine.record
        return engine

    def review_loop(self) -> int:
        from wizard.console import plan_lines
        from wizard.engine import EXIT_BAD_INPUT

        while True:
            engine = self.engine()
            self.say("")
            self.say("Reading Azure to see what each step would do (nothing is written yet)...")
            plans = engine.plan()
            review = plan_lines(plans, title=f"Review for Astro cluster {self.config.cluster_id}:")
            self.say(self.mask("\n".join(review)))
            inputs_failed = plans[0].action.value == "failed"
            writes = [p for p in plans if p.writes]
            stale = next((p for p in plans if p.step == "a_record" and p.state.value == "conflict" and p.updatable),
                         None)
            choices: list[tuple[str, str]] = []
            if not inputs_failed and writes:
                choices.append((f"Create these in Azure now ({len(writes)} step(s))", "apply"))
            elif not inputs_failed and not any(p.state.value in ("conflict", "failed") for p in plans):
                choices.append(("Check the approval and finish (nothing left to create)", "apply"))
            if stale is not None:
                choices.append(("Point the existing A record at this endpoint's IP (update it), then create the "
                                "rest", "update_record"))
            if not inputs_failed and writes:
                choices.append(("Export the commands for an Azure admin instead (az script, Terraform or Bicep)",
                                "export"))
            choices += [("Change an answer", "change"), ("Stop here (answers are saved)", "stop")]
            if inputs_failed:
                self.say("Step 1 does not pass, so nothing can be created yet: change the answer it names.")
            choice = self.ask.select("What next?", choices, default=choices[0][1])
            if choice == "stop":
                self.say(f"Answers saved. Resume with `astro-privatelink --plain`, or run "
                         f"`astro-privatelink apply --config {self.config_path()}`.")
                return EXIT_BAD_INPUT if inputs_failed else 0
            if choice == "change":
                self.change_answer()
                continue
            if choice == "export":
                self.export(engine, plans)
                continue
            if choice == "update_record":
                self.allow_update.add("a_record")
                continue  # re-plan with the update allowed, then confirm again
            return self.apply(engine, plans)

    def change_answer(self) -> None:
        what = self.ask.select("Which answer?", [
            ("Alias and API URL", "astro"), ("Subscription", "subscription"), ("Resource group", "rg"),
            ("Virtual network and subnet", "vnet"), ("Endpoint and network interface names", "names"),
            ("Other VNets to link", "extra"), ("Back to the review", "back")])
        if what == "astro":
            self.ask_astro()
        elif what == "subscription":
            self.ask_subscription()
            self.ask_resource_group()
            self.ask_vnet_subnet()
        elif what == "rg":
            self.ask_resource_group()
        elif what == "vnet":
            self.ask_vnet_subnet()
        elif what == "names":
            self.ask_names()
        elif what == "extra":
            self.ask_extra_vnets()
        self.save()

    def export(self, engine: Engine, plans: list[Plan[Any]]) -> None:
        from wizard.export import FORMAT_TITLES, FORMATS, ExportError, default_filename, render, write_export

        fmt = self.ask.select("Which format?", [(FORMAT_TITLES[f], f) for f in FORMATS], default="az")
        try:
            text = render(engine, fmt, plans=plans)
        except ExportError as exc:
            self.say(f"Nothing was exported: {exc}")
            return
        default = str(Path.cwd() / default_filename(self.config.cluster_id, fmt))
        while True:
            target = Path(self.ask.text("Write it to which file?", default=default)).expanduser()
            if target.exists() and not self.ask.confirm(f"{target} exists. Replace it?", default=False):
                continue
            try:
                write_export(target, text, fmt)
            except OSError as exc:
                self.say(f"Could not write {target} ({exc.strerror}); choose another place.")
                continue
            break
        self.say(f"Wrote the {FORMAT_TITLES[fmt]} for the remaining steps to {target}.")
        self.say("Give it to your Azure admin. When they have run it, run this wizard again: it re-reads Azure and "
                 "picks up from there (approval, then verify).")

    def apply(self, engine: Engine, plans: list[Plan[Any]]) -> int:
        from wizard.console import run_interruptibly
        from wizard.engine import EXIT_OK, EXIT_PENDING, EXIT_STOPPED

        writes = [p for p in plans if p.writes]
        if writes and not self.ask.confirm(f"Create or change {len(writes)} step(s) in Azure now?", default=True):
            self.say("Nothing was written.")
            return self.review_loop()
        self.say("Applying (each line is one step's progress):")
        result: RunResult | None = run_interruptibly(engine, lambda: engine.apply(wait_for_approval=False,
                                                                                  plans=plans))
        if result is None or result.exit_code == EXIT_STOPPED:
            self.say("Stopped. Azure keeps what was started; run again to resume.")
            return EXIT_STOPPED
        if result.exit_code == EXIT_PENDING:
            approval = result.outcomes.get("approval")
            self.say("")
            self.say("Everything is in place except Astronomer's approval. Send this to Astronomer support:")
            self.say("")
            for line in (approval.details if approval else []):
                self.say(self.mask("    " + line))
            self.say("")
            if self.ask.confirm("Wait here until the connection is approved? (Ctrl+C stops waiting; running again "
                                "later picks up)", default=True):
                engine = self.engine()
                result = run_interruptibly(engine, lambda: engine.apply(wait_for_approval=True))
                if result is None:
                    self.say("Stopped waiting. Run again later to check the approval.")
                    return EXIT_STOPPED
            else:
                self.say(f"Run `astro-privatelink --plain` (or `astro-privatelink status --config "
                         f"{self.config_path()}`) after Astronomer approves.")
                return EXIT_PENDING
        self.summary(result)
        if result.exit_code == EXIT_OK:
            return self.verify(engine)
        return result.exit_code

    def summary(self, result: RunResult) -> None:
        from wizard.console import problem_lines
        from wizard.engine import EXIT_OK, EXIT_PENDING

        self.say("")
        if result.exit_code == EXIT_OK:
            self.say("Done: every step is complete. Last, the checks that traffic flows (verify).")
        elif result.exit_code == EXIT_PENDING:
            self.say("Still waiting for Astronomer's approval. Run again later to pick up from here.")
        else:
            for line in problem_lines(result):
                self.say(self.mask(line))
            self.say(f"Fix what is named above and run again; `astro-privatelink report --config "
                     f"{self.config_path()}` prints a summary for a support ticket.")
        if self.record is not None:
            self.say(f"Setup record ({self.record.which}): {self.store.path_for(self.record.key)}")
            if self.transcript is not None and self.transcript.path is not None:
                self.say(f"Request log (for Azure support): {self.transcript.path}")

    def verify(self, engine: Engine) -> int:
        """The last step, as `astro-privatelink verify` runs it: 0 when every check passes, 1 otherwise."""
        from steps.verify import render_text, run_verify
        from wizard.engine import EXIT_OK

        self.say("")
        self.say("Verifying from this machine: Azure's view of each resource, then the DNS answer and HTTPS through "
                 "the endpoint (a few seconds)...")
        report = run_verify(engine.ctx, nameserver=self.nameserver)
        self.say(self.mask(render_text(report, str(self.config_path())).rstrip("\n")))
        from wizard.plain.astro_pick import health_line

        astro = health_line(self.config)   # Astro's status of the picked Deployment (issue 14)
        if astro:
            self.say(self.mask(astro))
        if not report.ok:
            self.say(f"Run the checks again later with `astro-privatelink verify --config {self.config_path()}` "
                     "(from a host inside the agents' VNet), or run this wizard again.")
            return 1
        return EXIT_OK
