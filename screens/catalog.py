"""Which screen shows which page of the wizard (the App asks here, so it names no screen class itself)."""

from __future__ import annotations

from textual.screen import Screen


def screen_for(page: str) -> Screen:
    """A new screen for `page` ("start", "astro", ... "done"; see wizard.tui.pages.PAGES)."""
    from screens.approval import ApprovalScreen
    from screens.astro_details import AstroDetailsScreen
    from screens.azure_account import AzureAccountScreen
    from screens.create import CreateScreen
    from screens.done import DoneScreen
    from screens.placement import PlacementScreen
    from screens.review import ReviewScreen
    from screens.start import StartScreen
    from screens.verify import VerifyScreen

    screens: dict[str, type[Screen]] = {
        "start": StartScreen, "astro": AstroDetailsScreen, "azure": AzureAccountScreen,
        "placement": PlacementScreen, "review": ReviewScreen, "create": CreateScreen, "approval": ApprovalScreen,
        "verify": VerifyScreen, "done": DoneScreen}
    return screens[page]()
