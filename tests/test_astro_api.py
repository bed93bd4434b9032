"""The Astro API: the sandbox plays it (shapes, paging, 401/403/404/429, the update's required fields) and the
product client reads it (paging, Retry-After, one-sentence errors), over HTTPS with the sandbox CA."""

from __future__ import annotations

import ssl

import httpx
import pytest

from steps.astro_deployments import choices, health, resolve_api_url
from wizard.core.astro_api import AstroApi, AstroApiError, AstroApiSettings, retry_after_seconds
from wizard.core.config import SetupConfig, parse_config
from wizard.core.settings import SettingsError, hide_secrets
from wizard.sandbox.astro_api import ORG_ID, REQUIRED_UPDATE_FIELDS

REMOTE = "cldepremote00000000000001"


def settings(sb, token=None):
    return AstroApiSettings(base_url=sb.astro_api_url, token=token or sb.astro_api_token, ca_file=sb.ca_file)


def api(sb, token=None, **kw):
    kw.setdefault("sleep", lambda s: None)
    return AstroApi(settings(sb, token), **kw)


def raw(sb):
    return httpx.Client(verify=ssl.create_default_context(cafile=sb.ca_file))


def test_sandbox_lists_one_org_with_an_azure_and_an_aws_cluster(sandbox):
    with api(sandbox) as client:
        orgs = client.organizations()
        assert [o["id"] for o in orgs] == [ORG_ID]
        clusters = {c["id"]: c for c in client.clusters(ORG_ID)}
    assert clusters[sandbox.demo_cluster_id]["cloudProvider"] == "AZURE"
    assert clusters[sandbox.demo_cluster_id]["vpcSubnetRange"] == "172.20.0.0/19"
    assert {c["cloudProvider"] for c in clusters.values()} == {"AZURE", "AWS"}


def test_deployments_page_as_the_api_does_and_the_client_reads_every_page(sandbox):
    sandbox.astro_api.knobs.max_limit = 1
    with raw(sandbox) as http:
        page = http.get(f"{sandbox.astro_api_url}/organizations/{ORG_ID}/deployments",
                        params={"offset": 1, "limit": 1000},
                        headers={"Authorization": f"Bearer {sandbox.astro_api_token}"}).json()
    assert (page["offset"], page["limit"], page["totalCount"], len(page["deployments"])) == (1, 1, 4, 1)
    with api(sandbox) as client:
        deps = client.deployments(ORG_ID)
    assert len(deps) == 4 and len({d["id"] for d in deps}) == 4
    gets = [r for r in sandbox.astro_api.log if r["path"].endswith("/deployments")]
    assert len(gets) == 1 + 4   # the raw call, then one page each: the client advanced its offset by what came back


def test_picker_choices_say_why_a_deployment_cannot_be_chosen(sandbox):
    with api(sandbox) as client:
        listed = choices(client.deployments(ORG_ID), client.clusters(ORG_ID))
    by_name = {c.name: c for c in listed}
    assert by_name["agents-prod"].usable and by_name["agents-prod"].api_url == sandbox.demo_api_url
    assert by_name["hosted-etl"].reason == "remote execution is off"
    assert by_name["aws-agents"].reason == "its cluster is on AWS, not Azure"
    assert [c.usable for c in listed] == sorted((c.usable for c in listed), reverse=True)


@pytest.mark.parametrize("token_kind, status, kind, words", [
    ("none", 401, "token", "invalid or expired"),
    ("bogus", 401, "token", "Workspace Operator"),
])
def test_a_bad_token_is_one_sentence_naming_how_to_make_one(sandbox, token_kind, status, kind, words):
    token = "not-a-real-token-123" if token_kind == "bogus" else "x" * 12
    with api(sandbox, token=token) as client, pytest.raises(AstroApiError) as info:
        client.organizations()
    assert (info.value.status, info.value.kind) == (status, kind)
    text = str(info.value)
    assert words in text and "API Tokens" in text and token not in text and text.count(". ") == 0


def test_an_expired_token_answers_401(sandbox):
    sandbox.astro_api.knobs.expired = True
    with api(sandbox) as client, pytest.raises(AstroApiError) as info:
        client.deployment(ORG_ID, REMOTE)
    assert info.value.status == 401 and "ASTRO_API_TOKEN" in str(info.value)


def test_a_read_only_token_may_read_but_not_update(sandbox):
    with api(sandbox, token=sandbox.astro_api.read_only_token) as client:
        dep = client.deployment(ORG_ID, REMOTE)
        with pytest.raises(AstroApiError) as info:
            client.update_deployment(ORG_ID, REMOTE, {"name": dep["name"]})
    assert info.value.status == 403 and "may not change" in str(info.value)
    assert "Workspace Operator" in str(info.value)


def test_an_unknown_deployment_is_404_with_the_config_keys_to_check(sandbox):
    with api(sandbox) as client, pytest.raises(AstroApiError) as info:
        client.deployment(ORG_ID, "clnope")
    assert info.value.status == 404 and "deployment_id" in str(info.value)


def test_429_is_waited_out_as_retry_after_says(sandbox):
    sandbox.astro_api.knobs.throttle_next = 2
    sandbox.astro_api.knobs.retry_after_seconds = 3
    waits: list[float] = []
    with api(sandbox, sleep=waits.append) as client:
        assert client.deployment(ORG_ID, REMOTE)["id"] == REMOTE
    assert waits == [3.0, 3.0]


def test_429_beyond_the_retries_is_one_sentence(sandbox):
    sandbox.astro_api.knobs.throttle_next = 10
    with api(sandbox, retries=1) as client, pytest.raises(AstroApiError) as info:
        client.organizations()
    assert info.value.status == 429 and "retry after 1 s" in str(info.value)


def test_retry_after_forms():
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_the_update_refuses_a_request_without_its_required_fields(sandbox):
    with raw(sandbox) as http:
        resp = http.post(f"{sandbox.astro_api_url}/organizations/{ORG_ID}/deployments/{REMOTE}", json={"name": "x"},
                         headers={"Authorization": f"Bearer {sandbox.astro_api_token}"})
    assert resp.status_code == 400
    body = resp.json()
    assert set(body) >= {"message", "requestId", "statusCode"}
    fields = {e["field"] for e in body["fieldErrors"]}
    assert fields >= set(REQUIRED_UPDATE_FIELDS) - {"name"}
    assert "remoteExecution" in fields


def test_token_settings_come_from_the_environment_and_stay_hidden(sandbox):
    env = {"ASTRO_PL_ASTRO_API": sandbox.astro_api_url, "ASTRO_API_TOKEN": sandbox.astro_api_token}
    s = AstroApiSettings.from_env(env)
    assert s.base_url == sandbox.astro_api_url and sandbox.astro_api_token not in repr(s)
    assert sandbox.astro_api_token not in hide_secrets(f"token {sandbox.astro_api_token} here")
    assert AstroApiSettings.from_env({}).base_url == "https://api.astronomer.io/v1"
    with pytest.raises(SettingsError, match="https://"):
        AstroApiSettings.from_env({"ASTRO_PL_ASTRO_API": "http://api.example"})
    with pytest.raises(SettingsError) as info:
        AstroApiSettings.from_env({"ASTRO_API_TOKEN": "two words"})
    assert "two words" not in str(info.value)
    with pytest.raises(AstroApiError, match="No Astro API token"):
        AstroApi(AstroApiSettings(base_url=sandbox.astro_api_url))


def test_deployment_id_fills_the_api_url_and_a_disagreeing_one_shows_both(sandbox):
    config = SetupConfig(organization_id=ORG_ID, deployment_id=REMOTE)
    with api(sandbox) as client:
        assert resolve_api_url(config, client) == []
        assert config.api_url == sandbox.demo_api_url and config.cluster_id == sandbox.demo_cluster_id
        wrong = SetupConfig(api_url="https://clother000000000000000001.external.astronomer.run",
                            organization_id=ORG_ID, deployment_id=REMOTE)
        problems = resolve_api_url(wrong, client)
        assert len(problems) == 1 and wrong.api_url in problems[0] and sandbox.demo_api_url in problems[0]
        aws = SetupConfig(organization_id=ORG_ID, deployment_id="cldepaws0000000000000001")
        assert "not Azure" in resolve_api_url(aws, client)[0]


def test_config_reads_and_writes_the_astro_ids():
    text = SetupConfig(alias="a", api_url="", organization_id="org1", deployment_id="dep1").to_toml()
    back = parse_config(text)
    assert (back.organization_id, back.deployment_id) == ("org1", "dep1")
    assert "organization_id" not in SetupConfig().to_toml()


def test_health_is_the_deployments_status_not_a_heartbeat(sandbox):
    with api(sandbox) as client:
        good = health(client, ORG_ID, REMOTE)
        bad = health(client, ORG_ID, "cldepremote00000000000002")
    assert good.ok and good.line.startswith("Astro reports the Deployment agents-prod HEALTHY.")
    assert "not a heartbeat of each agent" in good.line
    assert not bad.ok and "UNHEALTHY (Scheduler is not heartbeating)" in bad.line
    with api(sandbox, token="bogus-token-0000") as client:
        failed = health(client, ORG_ID, REMOTE)
    assert not failed.ok and failed.error and "API Tokens" in failed.line


def test_the_astro_api_knobs_are_a_control_call_too(sandbox):
    with raw(sandbox) as http:
        resp = http.post(f"{sandbox.arm_endpoint}/_sandbox/astro_knobs", json={"throttle_next": 1},
                         headers={"Authorization": f"Bearer {sandbox.token}"})
        assert resp.status_code == 200 and resp.json()["throttle_next"] == 1
        bad = http.post(f"{sandbox.arm_endpoint}/_sandbox/astro_knobs", json={"nope": 1},
                        headers={"Authorization": f"Bearer {sandbox.token}"})
        assert bad.status_code == 400
    with api(sandbox, retries=0) as client, pytest.raises(AstroApiError, match="429"):
        client.organizations()
