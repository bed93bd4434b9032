"""The TOML config and the setup record (atomic, 0600, versioned, corrupt files set aside)."""

import json
import os
import stat

import pytest

from wizard.core.config import ConfigError, SetupConfig, parse_config
from wizard.core.record import RecordStore, SetupRecord

GOOD = """
[astro]
alias = "astro.6f3d8a52-1c4e-4b7a-9d2e-5a8c0f1b7e34.eastus2.azure.privatelinkservice"
api_url = "https://clmh597sg000208lb2kjhcn8q.external.astronomer.run"
[azure]
subscription_id = "8f1c2d3e-4b5a-4c6d-9e8f-0a1b2c3d4e5f"
resource_group = "rg-aks-prod"
[endpoint]
name = "astro-privatelink"
vnet = "vnet-aks-prod"
subnet = "snet-private-endpoints"
[dns]
linked_vnets = ["/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v2"]
"""


def test_parse_good_config_round_trips():
    cfg = parse_config(GOOD)
    assert cfg.cluster_id == "clmh597sg000208lb2kjhcn8q"
    assert cfg.vnet == "vnet-aks-prod" and cfg.nic_name is None and cfg.problems() == []
    assert parse_config(cfg.to_toml()) == cfg


@pytest.mark.parametrize("value", ["tab\there", "new\nline", "esc\x1b[2J", "nul\x00", "del\x7f", 'quote"back\\',
                                   "bell\x07osc", "unicode \u202e é", "lone \ud800 surrogate"])
def test_any_value_the_wizard_saves_reads_back(value):
    """The wizard saves whatever was typed or read as TOML: every value must read back (a lone surrogate, which
    TOML cannot hold, as U+FFFD)."""
    config = SetupConfig(alias=value, api_url=value, resource_group=value, vnet=value, subnet=value,
                         linked_vnets=[value, "x"], link_name=value)
    back = parse_config(config.to_toml().encode("utf-8").decode("utf-8"))
    expected = value.replace("\ud800", "\ufffd")
    assert (back.alias, back.api_url, back.resource_group, back.vnet, back.subnet, back.link_name) == (expected,) * 6
    assert back.linked_vnets == [expected, "x"]


def test_unknown_keys_and_sections_are_named():
    with pytest.raises(ConfigError) as err:
        parse_config(GOOD + "\n[extra]\nx = 1\n")
    assert "unknown section [extra]" in str(err.value)
    with pytest.raises(ConfigError) as err:
        parse_config(GOOD.replace('name = "astro-privatelink"', 'nmae = "x"'))
    assert "unknown key 'nmae' in [endpoint]" in str(err.value)


def test_invalid_toml_is_one_clear_error():
    with pytest.raises(ConfigError) as err:
        parse_config("[astro\nalias=", source="setup.toml")
    assert str(err.value).startswith("setup.toml is not valid TOML")


def test_config_problems_list_everything_before_azure_is_asked():
    cfg = SetupConfig(alias="nope", api_url="http://x", subscription_id="", resource_group="rg",
                      endpoint_name="-bad", vnet="", subnet="", linked_vnets=["vnet-b"])
    problems = cfg.problems()
    assert len(problems) == 7
    assert any("linked_vnets" in p for p in problems)


def test_record_is_atomic_private_and_has_no_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("ASTRO_PL_ACCESS_TOKEN", "secret-token-value")
    store = RecordStore(tmp_path / "state")
    rec = store.load_or_new(parse_config(GOOD)).record
    rec.remember("private_endpoint", "/subscriptions/x/pe", created_by_tool=True)
    rec.note("private_endpoint", "done", "created")
    path = store.save(rec)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left behind
    text = path.read_text()
    assert "secret-token-value" not in text
    data = json.loads(text)
    assert data["version"] == 1 and data["resources"]["private_endpoint"]["created_by_tool"] is True
    again = store.load("clmh597sg000208lb2kjhcn8q").record
    assert again.resources == rec.resources and again.last_state("private_endpoint") == "done"


def test_remember_keeps_created_by_tool(tmp_path):
    rec = SetupRecord(cluster_id="c1", answers=SetupConfig())
    rec.remember("dns_zone", "/Z", created_by_tool=True)
    rec.remember("dns_zone", "/z", created_by_tool=False)  # ids compare case-insensitively
    assert rec.resources["dns_zone"].created_by_tool is True


def test_corrupt_record_is_set_aside_not_a_crash(tmp_path):
    store = RecordStore(tmp_path)
    (tmp_path / "c1.json").write_text("{not json")
    result = store.load("c1")
    assert result.record is None and "could not be read" in result.message
    assert any(".corrupt-" in p.name for p in tmp_path.iterdir())
    assert not (tmp_path / "c1.json").exists()
    records, messages = store.list()
    assert records == [] and messages == []


def test_future_record_version_is_refused_clearly(tmp_path):
    store = RecordStore(tmp_path)
    (tmp_path / "c2.json").write_text(json.dumps({"version": 99, "cluster_id": "c2"}))
    result = store.load("c2")
    assert result.record is None and "version 99" in result.message
