"""Astro's status of the picked Deployment (issue 14), one line on the Verify and Done pages.

`AstroHealth` is hidden until read; `read()` asks the Astro API in a thread worker (`screens.astro_pick.
deployment_health`) and the answer comes back as an `AstroHealthRead` message to the widget itself: the line in green
when Astro reports the Deployment healthy, else in yellow. Nothing is shown on the manual path (no Deployment picked).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on, work
from textual.widgets import Static

from screens.messages import AstroHealthRead

if TYPE_CHECKING:
    from screens.host import WizardHost


class AstroHealth(Static):
    """The `#astro-health` line: hidden until Astro's status of a picked Deployment is read."""

    def __init__(self) -> None:
        super().__init__("", id="astro-health", markup=False)
        self.display = False

    @property
    def wizard(self) -> WizardHost:
        return cast("WizardHost", self.app)

    @work(thread=True, exclusive=True, group="astro-health")
    def read(self) -> None:
        """Astro's status of the picked Deployment: the Deployment's, not each agent's heartbeat."""
        from screens.astro_pick import deployment_health

        found = deployment_health(self.app, self.wizard.config)
        if found is not None:
            self.post_message(AstroHealthRead(found))

    @on(AstroHealthRead)
    def _show(self, message: AstroHealthRead) -> None:
        found = message.found
        ok = bool(getattr(found, "ok", False))
        self.display = True
        self.update(Text(self.wizard.redact_line(str(getattr(found, "line", ""))), style="green" if ok else "yellow"))
