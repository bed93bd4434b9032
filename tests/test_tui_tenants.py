"""The full-screen wizard with an account in several tenants (issue 17, item 3): the sign-in page lists the tenants
above the subscriptions, the credential's own chosen; picking the other asks tokens for it, lists only its
subscriptions, and clears what was answered in the first. One tenant, or a static access token: no tenant picker,
the page as before. The sandbox's "two-tenants" world lists a Fabrikam subscription only to a token of Fabrikam."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from app_helpers import RG, SUBNET, VNET, screen_name, wait_for
from azure.core.credentials import AccessToken
from engine_helpers import sandbox_settings
from textual.widgets import Input, Static

from screens.widgets.picker import Picker
from wizard.core.config import SetupConfig
from wizard.sandbox import seeds
from wizard.tui.app import WizardApp

OTHER = seeds.SECOND_TENANT_ID
OTHER_SUB = seeds.OTHER_TENANT_SUBSCRIPTION_ID


class PerTenantCredential:
    """Like azure-identity's credentials: a token of the tenant asked for (`tenant_id=`), else of the home tenant,
    issued by the sandbox as Azure AD would; notes every tenant asked."""

    def __init__(self, sandbox: Any) -> None:
        self.sandbox, self.asked = sandbox, []

    def get_token(self, *scopes: str, tenant_id: str | None = None, **kwargs: Any) -> AccessToken:
        self.asked.append(tenant_id)
        return AccessToken(self.sandbox.issue_token(tenant_id, lifetime=3600), 2**31)


def _app(sandbox: Any, tmp_path: Path, *, static_token: bool = False,
         redact: bool = False) -> tuple[WizardApp, PerTenantCredential]:
    cred = PerTenantCredential(sandbox)
    settings = sandbox_settings(sandbox)
    if not static_token:
        settings = settings.with_overrides(access_token=None)
    return WizardApp(settings=settings, state=tmp_path / "state", preload_sdk=False, clock=lambda: 0.0,
                     credential=None if static_token else cred, redact=redact), cred


async def _on_azure_page(pilot: Any) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: screen_name(app) == "StartScreen")
    app.goto("azure")
    await wait_for(pilot, lambda: screen_name(app) == "AzureAccountScreen")


def _identity(app: WizardApp) -> str:
    return str(app.screen.query_one("#identity", Static).render())


def _subscriptions(app: WizardApp) -> Picker:
    return app.screen.query_one("#subscriptions", Picker)


def _listed(picker: Picker) -> bool:
    return not picker.loading_items and bool(picker.items)


def test_pick_the_other_tenant_lists_only_its_subscriptions_and_finishes_the_page(sandbox, tmp_path, monkeypatch):
    sandbox.reset("two-tenants")
    monkeypatch.setenv("AZURE_CONFIG_DIR", str(tmp_path / "az"))   # no az account of this machine's to offer first
    app, cred = _app(sandbox, tmp_path)

    async def run() -> None:
        async with app.run_test(size=(110, 40)) as pilot:
            await _on_azure_page(pilot)
            # answers made in the home tenant: the tenant switch must clear them
            app.config = SetupConfig(alias=sandbox.demo_alias, api_url=sandbox.demo_api_url,
                                     subscription_id=sandbox.subscription_id, resource_group=RG, vnet=VNET,
                                     subnet=SUBNET)
            await wait_for(pilot, lambda: bool(app.screen.query("#tenants")), what="the tenant picker")
            tenants = app.screen.query_one("#tenants", Picker)
            await wait_for(pilot, lambda: _listed(tenants), what="the tenants listed")
            assert [(i.key, i.label, i.detail) for i in tenants.items] == [
                (sandbox.tenant_id, "Contoso", f"contoso.onmicrosoft.com  {sandbox.tenant_id}"),
                (OTHER, "Fabrikam", f"fabrikam.onmicrosoft.com  {OTHER}")]
            assert tenants.selected == sandbox.tenant_id   # the credential's own tenant
            subs = _subscriptions(app)
            await wait_for(pilot, lambda: _listed(subs), what="the home tenant's subscriptions")
            assert OTHER_SUB not in [i.key for i in subs.items]
            # the tenant picker sits above the subscriptions
            assert tenants.region.y < subs.region.y

            tenants.focus_filter()
            await pilot.press(*"fabrikam")
            await pilot.press("enter")
            await wait_for(pilot, lambda: f"(tenant {OTHER})" in _identity(app), what="signed in to Fabrikam")
            await wait_for(pilot, lambda: app.config.subscription_id == OTHER_SUB, what="Fabrikam's subscription")
            assert [i.key for i in _subscriptions(app).items] == [OTHER_SUB]   # only the new tenant's
            assert OTHER in cred.asked and app.settings is not None and app.settings.tenant_id == OTHER
            assert (app.config.resource_group, app.config.vnet, app.config.subnet) == ("", "", "")
            assert app.screen.query_one("#tenants", Picker).selected == OTHER
            assert app.config.tenant_id == OTHER   # kept with the answers: a later run asks its tokens again

            await pilot.press("ctrl+n")   # the sign-in page is done: on to the placement page
            await wait_for(pilot, lambda: screen_name(app) == "PlacementScreen", what="the placement page")
            # the placement page lists the Fabrikam subscription's groups with Fabrikam's tokens
            groups: list[str] = []
            app.listings.resource_groups(OTHER_SUB, lambda batch, note=None: groups.extend(i.key for i in batch))
            assert groups == ["rg-aks-prod"]
    asyncio.run(run())


def test_one_tenant_shows_no_tenant_picker(sandbox, tmp_path, monkeypatch):
    sandbox.reset("demo")
    monkeypatch.setenv("AZURE_CONFIG_DIR", str(tmp_path / "az"))
    app, _ = _app(sandbox, tmp_path)

    async def run() -> None:
        async with app.run_test(size=(110, 40)) as pilot:
            await _on_azure_page(pilot)
            await wait_for(pilot, lambda: bool(app.config.subscription_id), what="the subscription chosen")
            assert "Signed in as" in _identity(app)
            assert not app.screen.query("#tenants") and not app.screen.query("#tenant-label")
    asyncio.run(run())


def test_a_static_token_in_two_tenants_shows_no_tenant_picker(sandbox, tmp_path):
    """A token is for one tenant: offering another could only fail."""
    sandbox.reset("two-tenants")
    app, _ = _app(sandbox, tmp_path, static_token=True)

    async def run() -> None:
        async with app.run_test(size=(110, 40)) as pilot:
            await _on_azure_page(pilot)
            await wait_for(pilot, lambda: _listed(_subscriptions(app)), what="the subscriptions")
            assert not app.screen.query("#tenants")
            assert [i.key for i in _subscriptions(app).items] == [sandbox.subscription_id]
    asyncio.run(run())


def test_tenant_ids_are_masked_under_redact(sandbox, tmp_path, monkeypatch):
    """--redact (a screen share): the tenants' ids are masked like the subscriptions', their names shown."""
    from textual.widgets import OptionList

    sandbox.reset("two-tenants")
    monkeypatch.setenv("AZURE_CONFIG_DIR", str(tmp_path / "az"))
    app, _ = _app(sandbox, tmp_path, redact=True)

    async def run() -> None:
        async with app.run_test(size=(110, 40)) as pilot:
            await _on_azure_page(pilot)
            await wait_for(pilot, lambda: bool(app.screen.query("#tenants")), what="the tenant picker")
            tenants = app.screen.query_one("#tenants", Picker)
            await wait_for(pilot, lambda: _listed(tenants), what="the tenants listed")
            options = tenants.query_one(OptionList)
            shown = " ".join(str(options.get_option_at_index(n).prompt) for n in range(options.option_count))
            assert "Contoso" in shown and "Fabrikam" in shown and "fabrikam.onmicrosoft.com" in shown
            assert OTHER not in shown and sandbox.tenant_id not in shown and OTHER[-4:] in shown
    asyncio.run(run())


class HomeOnlyCredential(PerTenantCredential):
    """Signed in to the home tenant only: a token of another tenant needs its own sign-in (azure-identity raises
    ClientAuthenticationError, as AzureCliCredential does when `az account get-access-token --tenant` fails)."""

    def get_token(self, *scopes: str, tenant_id: str | None = None, **kwargs: Any) -> AccessToken:
        from azure.core.exceptions import ClientAuthenticationError

        if tenant_id not in (None, self.sandbox.tenant_id):
            raise ClientAuthenticationError(f"AADSTS50076: sign in to tenant {tenant_id} again")
        return super().get_token(*scopes, tenant_id=tenant_id, **kwargs)


def test_a_tenant_that_needs_its_own_sign_in_says_how(sandbox, tmp_path, monkeypatch):
    sandbox.reset("two-tenants")
    monkeypatch.setenv("AZURE_CONFIG_DIR", str(tmp_path / "az"))
    cred = HomeOnlyCredential(sandbox)
    settings = sandbox_settings(sandbox).with_overrides(access_token=None)
    app = WizardApp(settings=settings, state=tmp_path / "state", preload_sdk=False, clock=lambda: 0.0,
                    credential=cred)

    async def run() -> None:
        async with app.run_test(size=(110, 40)) as pilot:
            await _on_azure_page(pilot)
            await wait_for(pilot, lambda: bool(app.screen.query("#tenants")), what="the tenant picker")
            tenants = app.screen.query_one("#tenants", Picker)
            await wait_for(pilot, lambda: _listed(tenants), what="the tenants listed")
            tenants.focus_filter()
            await pilot.press(*"fabrikam", "enter")
            await wait_for(pilot, lambda: _identity(app).startswith("! "), what="the refusal")
            assert _identity(app) == (f"! No token for tenant {OTHER}: sign in to it (`az login --tenant {OTHER}`), "
                                      "then press Ctrl+R, or pick another tenant above.")
            assert "AADSTS" not in _identity(app) and not app.config.subscription_id
            tenants = app.screen.query_one("#tenants", Picker)   # still there: pick the home tenant back
            tenants.query_one(Input).value = ""
            tenants.focus_filter()
            await pilot.press(*"contoso", "enter")
            await wait_for(pilot, lambda: f"(tenant {sandbox.tenant_id})" in _identity(app), what="home again")
            await wait_for(pilot, lambda: app.config.subscription_id == sandbox.subscription_id, what="its sub")
    asyncio.run(run())


def _resume_on_azure_page(app: WizardApp, sandbox: Any, tenant: str) -> Any:
    """Answers saved in an earlier run that picked `tenant`, then the sign-in page."""
    async def go(pilot: Any) -> None:
        await wait_for(pilot, lambda: screen_name(app) == "StartScreen")
        app.config = SetupConfig(alias=sandbox.demo_alias, api_url=sandbox.demo_api_url, subscription_id=OTHER_SUB,
                                 tenant_id=tenant)
        app.goto("azure")
        await wait_for(pilot, lambda: screen_name(app) == "AzureAccountScreen")
    return go


def test_a_tenant_saved_with_the_answers_is_used_again_on_resume(sandbox, tmp_path, monkeypatch):
    sandbox.reset("two-tenants")
    monkeypatch.setenv("AZURE_CONFIG_DIR", str(tmp_path / "az"))
    app, cred = _app(sandbox, tmp_path)

    async def run() -> None:
        async with app.run_test(size=(110, 40)) as pilot:
            await _resume_on_azure_page(app, sandbox, OTHER)(pilot)
            await wait_for(pilot, lambda: f"(tenant {OTHER})" in _identity(app), what="signed in to Fabrikam")
            subs = _subscriptions(app)
            await wait_for(pilot, lambda: _listed(subs), what="Fabrikam's subscriptions")
            assert [i.key for i in subs.items] == [OTHER_SUB] and app.config.subscription_id == OTHER_SUB
            assert OTHER in cred.asked and app.config.tenant_id == OTHER
    asyncio.run(run())


def test_a_saved_tenant_without_a_token_falls_back_to_the_accounts_own_and_says_so(sandbox, tmp_path, monkeypatch):
    sandbox.reset("two-tenants")
    monkeypatch.setenv("AZURE_CONFIG_DIR", str(tmp_path / "az"))
    settings = sandbox_settings(sandbox).with_overrides(access_token=None)
    app = WizardApp(settings=settings, state=tmp_path / "state", preload_sdk=False, clock=lambda: 0.0,
                    credential=HomeOnlyCredential(sandbox))
    said: list[str] = []
    monkeypatch.setattr(app, "notify", lambda message, **kw: said.append(str(message)))

    async def run() -> None:
        async with app.run_test(size=(110, 40)) as pilot:
            await _resume_on_azure_page(app, sandbox, OTHER)(pilot)
            await wait_for(pilot, lambda: f"(tenant {sandbox.tenant_id})" in _identity(app), what="home tenant")
            await wait_for(pilot, lambda: _listed(_subscriptions(app)), what="the home tenant's subscriptions")
            assert app.config.tenant_id is None
            assert any(f"No token for the tenant saved with this setup ({OTHER})" in m for m in said), said
    asyncio.run(run())
