"""Validation of what users type: alias, API URL, Azure names, request message."""

import pytest

from wizard.core.validate import (
    check_alias,
    check_api_url,
    check_name,
    check_resource_group_name,
    link_name_for,
    request_message,
)

GUID = "6f3d8a52-1c4e-4b7a-9d2e-5a8c0f1b7e34"


def test_alias_with_region_is_clean():
    c = check_alias(f"astro-re-pls.{GUID}.eastus2.azure.privatelinkservice")
    assert c.ok and not c.warnings
    assert c.guid == GUID and c.region == "eastus2"


def test_alias_without_region_is_accepted_like_microsofts_example():
    c = check_alias(f"mypls.{GUID}.azure.privatelinkservice")
    assert c.ok and c.region is None and not c.warnings


@pytest.mark.parametrize("alias, words", [
    ("", "Enter the Private Link Service alias"),
    (f"astro.{GUID}.eastus2", "must end with '.azure.privatelinkservice'"),
    ("astro.not-a-guid.eastus2.azure.privatelinkservice", "no GUID part"),
    (f"astro {GUID}.azure.privatelinkservice", "contains spaces"),
])
def test_bad_alias_says_why(alias, words):
    c = check_alias(alias)
    assert not c.ok
    assert words in c.problems[0]


def test_odd_alias_parts_warn_but_pass():
    c = check_alias(f"{GUID}.east.us.azure.privatelinkservice")
    assert c.ok
    assert any("no name before its GUID" in w for w in c.warnings)
    assert any("Unexpected part" in w for w in c.warnings)


def test_api_url_gives_cluster_id_and_port():
    c = check_api_url("https://clmh597sg000208lb2kjhcn8q.external.astronomer.run:8443/")
    assert c.ok and c.cluster_id == "clmh597sg000208lb2kjhcn8q" and c.port == 8443
    assert c.origin == "https://clmh597sg000208lb2kjhcn8q.external.astronomer.run:8443"


@pytest.mark.parametrize("url, words", [
    ("http://abc.external.astronomer.run", "must use https://"),
    ("https://abc.example.com", "must end with 'external.astronomer.run'"),
    ("https://a.b.external.astronomer.run", "cluster ID"),
    ("https://ABC_1.external.astronomer.run", "cluster ID"),
    ("https://abc.external.astronomer.run:99999", "port"),
    ("", "Enter the Remote Execution API URL"),
])
def test_bad_api_url_says_why(url, words):
    c = check_api_url(url)
    assert not c.ok and words in c.problems[0]


def test_api_url_without_scheme_warns():
    c = check_api_url("clmh597sg000208lb2kjhcn8q.external.astronomer.run")
    assert c.ok and c.cluster_id == "clmh597sg000208lb2kjhcn8q" and "assuming https" in c.warnings[0]


@pytest.mark.parametrize("kind, name, ok", [
    ("private endpoint", "astro-privatelink", True),
    ("private endpoint", "a", False),            # 2-64
    ("private endpoint", "a" * 65, False),
    ("private endpoint", "pe_", True),            # may end with _
    ("private endpoint", "pe-", False),
    ("private endpoint", "-pe", False),
    ("private endpoint", "pe.x", True),
    ("private endpoint", "pé", False),
    ("network interface", "n", True),             # 1-80
    ("network interface", "n" * 80, True),
    ("network interface", "n" * 81, False),
    ("virtual network link", "vnet-aks-prod-astro-link", True),
])
def test_azure_name_rules(kind, name, ok):
    assert check_name(kind, name).ok is ok


def test_name_problem_names_the_bad_characters():
    c = check_name("private endpoint", "my endpoint!")
    assert "' '" in c.problems[0] and "'!'" in c.problems[0]


def test_resource_group_rules():
    assert check_resource_group_name("rg-aks(prod)").ok
    assert not check_resource_group_name("rg aks").ok
    assert not check_resource_group_name("rg.").ok
    assert not check_resource_group_name("x" * 91).ok


def test_request_message_names_cluster_and_fits():
    msg = request_message("clmh597sg000208lb2kjhcn8q")
    assert "clmh597sg000208lb2kjhcn8q" in msg and len(msg) <= 140
    assert len(request_message("c" * 63)) <= 140


def test_link_name_fits_the_rule():
    assert check_name("virtual network link", link_name_for("v" * 64)).ok
