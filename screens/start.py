"""Screen 0: setups in progress (from the state directory), each with its per-step status; or a new one."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from screens.base import WizardScreen
from steps.registry import STEP_KEYS, info, label
from wizard.core.record import SetupRecord, endpoint_label
from wizard.core.states import look, shown_state

INTRO = ("Sets up Azure Private Link from your Remote Execution Agents (AKS) to Astro, step by step as Astronomer "
         "documents it. Nothing is written to Azure before you confirm on Review; stop and resume any time.")


def step_summary(record: SetupRecord) -> Text:
    out = Text()
    for key in STEP_KEYS:  # numbered as everywhere: the documented steps of `steps.registry`
        shown = look(shown_state(record.last_state(key)))
        out.append(f"{info(key).number}", style="dim")
        out.append(shown.glyph + " ", style=shown.style)
    return out


def describe(record: SetupRecord) -> str:
    states = {k: record.last_state(k) for k in STEP_KEYS}
    if all(s == "done" for s in states.values()):
        return "all steps done; verify or review it"
    for key, s in states.items():
        if s in ("failed", "conflict"):
            return f"{label(key)} needs attention"
    if states.get("approval") == "waiting":
        return "waiting for Astronomer's approval"
    if not any(states.values()):
        return "answers saved, nothing created yet"
    return "partly created"


def finished(record: SetupRecord) -> bool:
    return all(record.last_state(k) == "done" for k in STEP_KEYS)


class StartScreen(WizardScreen):
    PAGE = "start"
    HEADING = "Azure Private Link for Astro Remote Execution"
    NEXT_LABEL = "Open"

    def compose_content(self) -> ComposeResult:
        yield Static(INTRO, classes="intro", markup=False)
        if self.wizard.demo:
            yield Static("Demo: a local sandbox plays Azure and Astro.",
                         classes="note", markup=False)
        yield Static("", id="start-messages", markup=False)
        yield Static("Choose a setup to resume, or start a new one:", classes="label")
        yield OptionList(id="setups")

    def on_mount(self) -> None:
        super().on_mount()
        self.sub_title = ""
        self.query_one("#back").display = False
        self.load_setups()
        self.call_after_refresh(self.wizard.first_paint)

    def load_setups(self) -> None:
        records, messages = self.wizard.store.list()
        r = self.wizard.redact_line  # a record file can hold anything: what it says is shown safely
        self.records = {r.key: r for r in records}   # a setup is a cluster AND an endpoint (issue 15)
        options: list[Option] = []
        unfinished = [r for r in records if not finished(r)]
        ordered = unfinished + [r for r in records if finished(r)]
        # The subscription is named only where two setups of one cluster would otherwise read the same.
        subs: dict[str, set[str]] = {}
        for rec in records:
            subs.setdefault(rec.cluster_id, set()).add(rec.answers.subscription_id.lower())
        for rec in ordered:
            prompt = Text()
            prompt.append(f"Resume cluster {r(rec.cluster_id)}", style="bold")
            prompt.append(f"  ({describe(rec)})\n  ")
            prompt.append_text(step_summary(rec))
            prompt.append(f" updated {r(rec.updated_at.replace('T', ' ')[:16])} UTC", style="dim")
            label = endpoint_label(rec.answers, subscription=len(subs[rec.cluster_id]) > 1)
            prompt.append(f"\n  {r(label)}", style="dim")
            options.append(Option(prompt, id=f"record:{rec.key}"))
        draft = self.wizard.load_draft()
        self.draft = draft
        if draft is not None:
            options.append(Option(Text.assemble(("Resume the unfinished draft", "bold"),
                                                "  (no valid API URL yet)"), id="draft"))
        options.append(Option(Text("Start a new setup", style="bold"), id="new"))
        ol = self.query_one("#setups", OptionList)
        ol.set_options(options)
        ol.highlighted = 0
        ol.focus()
        note = self.query_one("#start-messages", Static)
        note.update(r("\n".join(messages)))
        note.display = bool(messages)
        if len(unfinished) == 1:
            only = unfinished[0]
            alone = sum(rec.cluster_id == only.cluster_id for rec in records) == 1
            which = f"cluster {only.cluster_id}" if alone else only.which
            self.say(f"One setup is unfinished: Enter resumes {r(which)}.")
        elif not records:
            self.say("Enter starts a new setup.")

    @on(OptionList.OptionSelected, "#setups")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.open(event.option.id or "new")

    def action_next(self) -> None:
        ol = self.query_one("#setups", OptionList)
        if ol.highlighted is not None:
            self.open(ol.get_option_at_index(ol.highlighted).id or "new")

    def action_back(self) -> None:
        pass

    def open(self, choice: str) -> None:
        if choice.startswith("record:"):
            self.wizard.resume(self.records[choice.split(":", 1)[1]])
        elif choice == "draft":
            self.wizard.resume(None, self.draft)
        else:
            self.wizard.resume(None)
