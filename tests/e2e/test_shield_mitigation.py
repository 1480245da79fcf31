"""Shield Advanced's detection and automatic application-layer mitigation, end to end on the server clock.

A protected API Gateway stage learns its request rate over a few one-minute windows of steady traffic from one
client; a flood from three source addresses (X-Forwarded-For, believed from the loopback proxy the server is told
to trust) at well over 50x that rate is detected by the next detection run, listed by ListAttacks with its vector
and top contributors, and — automatic mitigation in Block mode — the flood's addresses are blocked by the rule
Shield writes into its ShieldMitigationRuleGroup inside the stage's web ACL within two minutes of server time, while
the steady client keeps being served; when the flood stops the attack ends a few quiet windows later and the rules
are withdrawn. In Count mode the attack is recorded and the rule counts without blocking. A few hundred requests
per scenario: time passes on the server clock, not by real load.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import database_url_for
from tests.e2e.acm_support import wait_status
from tests.e2e.apigateway_invoke_support import HTTP, invoke
from tests.e2e.pca_support import make_root
from tests.e2e.shield_support import deployed_stage, subscribe
from tests.support.server import ServerProcess

LEGIT = "198.51.100.7"
FLOOD = ("203.0.113.10", "203.0.113.11", "203.0.113.12")
VIS = {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "m"}


@pytest.fixture(scope="module")
def srv(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    data_dir = tmp_path_factory.mktemp(f"shield-{backend}")
    server = ServerProcess(
        data_dir, database_url_for(backend, request), ["--test-mode", "--forwarded-allow-ips", "127.0.0.1,::1"]
    )
    server.init()
    server.start()
    yield server
    server.stop()


def now(server: ServerProcess) -> datetime:
    status, body = server.admin("GET", "clock")
    assert status == 200, body
    return datetime.fromisoformat(str(body["now"]).replace("Z", "+00:00"))


def next_window(server: ServerProcess) -> datetime:
    """Move the server clock three seconds into the next minute (running the detection job, due two seconds after
    each minute, for the one that closed); returns the new time."""
    current = now(server)
    server.advance(63 - current.second - current.microsecond / 1e6)
    return now(server)


def until(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got or time.monotonic() > deadline:
            return got
        time.sleep(0.2)


class Traffic:
    def __init__(self, server: ServerProcess, api_id: str) -> None:
        self.server, self.api_id = server, api_id
        self.legit: list[int] = []

    def send(self, ip: str, n: int) -> list[int]:
        return [
            invoke(self.server, self.api_id, "test", "/pets", headers={"X-Forwarded-For": ip}).status for _ in range(n)
        ]

    def steady(self, n: int = 5) -> None:
        self.legit += self.send(LEGIT, n)

    def flood(self, per_source: int) -> list[int]:
        statuses: list[int] = []
        for _ in range(per_source // 10):
            for ip in FLOOD:
                statuses += self.send(ip, 10)
            self.steady(1)  # the legitimate client keeps going during the flood
        return statuses


def protected_stage(server: ServerProcess, action: str) -> tuple[str, str, dict[str, Any], Traffic]:
    shield, apigw, waf = server.client("shield"), server.client("apigateway"), server.client("wafv2")
    subscribe(shield)
    api_id, stage = deployed_stage(apigw)
    acl = waf.create_web_acl(
        Name=f"acl-{uuid.uuid4().hex[:8]}",
        Scope="REGIONAL",
        DefaultAction={"Allow": {}},
        VisibilityConfig=VIS,
        Rules=[],
    )["Summary"]
    waf.associate_web_acl(WebACLArn=acl["ARN"], ResourceArn=stage)
    shield.create_protection(Name="api", ResourceArn=stage)
    shield.enable_application_layer_automatic_response(ResourceArn=stage, Action={action: {}})
    time.sleep(1.1)  # the data plane polls the set of protected resources once a second
    return api_id, stage, acl, Traffic(server, api_id)


def shield_rules(server: ServerProcess, acl: dict[str, Any]) -> list[dict[str, Any]]:
    """The rules inside the web ACL's Shield rule group."""
    waf = server.client("wafv2")
    rules = waf.get_web_acl(Name=acl["Name"], Scope="REGIONAL", Id=acl["Id"])["WebACL"]["Rules"]
    (reference,) = [r for r in rules if r["Name"].startswith("ShieldMitigationRuleGroup_")]
    assert reference["Priority"] == 10_000_000
    arn = reference["Statement"]["RuleGroupReferenceStatement"]["ARN"]
    name, group_id = arn.rsplit("/", 2)[-2:]
    return list(waf.get_rule_group(Name=name, Scope="REGIONAL", Id=group_id)["RuleGroup"]["Rules"])


def learn_baseline(server: ServerProcess, traffic: Traffic, windows: int = 3) -> None:
    next_window(server)
    for _ in range(windows):
        traffic.steady(5)
        next_window(server)


def test_flood_is_detected_and_blocked_while_a_steady_client_is_served(srv: ServerProcess) -> None:
    shield = srv.client("shield")
    _, stage, acl, traffic = protected_stage(srv, "Block")
    learn_baseline(srv, traffic)
    assert shield.list_attacks(ResourceArns=[stage])["AttackSummaries"] == []
    assert shield_rules(srv, acl) == []

    traffic.steady(5)
    flood_started = now(srv)
    assert set(traffic.flood(100)) == {200}  # 300 requests in a minute from three sources, against ~5 learned
    mitigated_at = next_window(srv)

    (summary,) = shield.list_attacks(ResourceArns=[stage])["AttackSummaries"]
    assert summary["AttackVectors"] == [{"VectorType": "REQUEST_FLOOD"}] and "EndTime" not in summary
    assert summary["StartTime"] <= flood_started
    rules = shield_rules(srv, acl)
    assert [r["Action"] for r in rules] == [{"Block": {}}]
    assert (mitigated_at - summary["StartTime"]).total_seconds() <= 120
    attack = shield.describe_attack(AttackId=summary["AttackId"])["Attack"]
    sources = {p["AttackPropertyIdentifier"]: p for p in attack["AttackProperties"]}
    top = {c["Name"] for c in sources["SOURCE_IP_ADDRESS"]["TopContributors"][:3]}
    assert top == set(FLOOD)
    assert sources["DESTINATION_URL"]["TopContributors"][0]["Name"] == "/test/pets"
    assert attack["AttackCounters"][0]["Sum"] >= 300 and attack["Mitigations"]
    assert attack["SubResources"][0]["AttackVectors"][0]["VectorType"] == "REQUEST_FLOOD"

    # WAF follows the rule group within its poll interval: the flood's sources are blocked, the client is not
    assert until(lambda: traffic.send(FLOOD[0], 1) == [403])
    blocked = traffic.flood(20)
    assert blocked and set(blocked) == {403}
    traffic.steady(20)

    # the flood stops: three quiet windows end the attack and the rules go away
    for _ in range(4):
        traffic.steady(5)
        next_window(srv)
    (summary,) = shield.list_attacks(ResourceArns=[stage])["AttackSummaries"]
    assert "EndTime" in summary
    assert shield_rules(srv, acl) == []
    assert until(lambda: traffic.send(FLOOD[0], 1) == [200])
    served = traffic.legit.count(200) / len(traffic.legit)
    assert served >= 0.99, (served, len(traffic.legit))
    stats = shield.describe_attack_statistics()["DataItems"][0]
    assert stats["AttackCount"] >= 1 and stats["AttackVolume"]["RequestsPerSecond"]["Max"] > 0


def test_count_mode_records_without_blocking(srv: ServerProcess) -> None:
    shield = srv.client("shield")
    _, stage, acl, traffic = protected_stage(srv, "Count")
    learn_baseline(srv, traffic, windows=2)
    traffic.steady(5)
    assert set(traffic.flood(100)) == {200}
    next_window(srv)
    (summary,) = shield.list_attacks(ResourceArns=[stage])["AttackSummaries"]
    assert summary["AttackVectors"] == [{"VectorType": "REQUEST_FLOOD"}]
    assert [r["Action"] for r in shield_rules(srv, acl)] == [{"Count": {}}]
    time.sleep(1.2)  # past WAF's poll: the counting rule is in force, and still nothing is blocked
    assert set(traffic.flood(10)) == {200}
    # switching to Block mid-attack rewrites the rule's action
    shield.update_application_layer_automatic_response(ResourceArn=stage, Action={"Block": {}})
    assert [r["Action"] for r in shield_rules(srv, acl)] == [{"Block": {}}]
    assert until(lambda: traffic.send(FLOOD[1], 1) == [403])
    assert set(traffic.legit) == {200}


def test_a_custom_domain_is_protected_and_a_flood_through_it_detected(srv: ServerProcess) -> None:
    shield, apigw, acm = srv.client("shield"), srv.client("apigateway"), srv.client("acm")
    subscribe(shield)
    ca_arn, _ = make_root(srv.client("acm-pca"))
    certificate = acm.request_certificate(DomainName="*.shield.example", CertificateAuthorityArn=ca_arn)
    wait_status(acm, certificate["CertificateArn"], "ISSUED")
    api_id, _ = deployed_stage(apigw)
    domain = f"api-{uuid.uuid4().hex[:8]}.shield.example"
    apigw.create_domain_name(
        domainName=domain,
        regionalCertificateArn=certificate["CertificateArn"],
        endpointConfiguration={"types": ["REGIONAL"]},
    )
    apigw.create_base_path_mapping(domainName=domain, restApiId=api_id, stage="test", basePath="(none)")
    domain_arn = f"arn:aws:apigateway:us-east-1::/domainnames/{domain}"
    with pytest.raises(ClientError) as exc:
        shield.create_protection(Name="d", ResourceArn=domain_arn.replace("api-", "none-"))
    assert exc.value.response["Error"]["Code"] == "InvalidResourceException"
    shield.create_protection(Name="domain", ResourceArn=domain_arn)
    time.sleep(1.1)

    def send(ip: str, n: int) -> list[int]:
        headers = {"Host": domain, "X-Forwarded-For": ip}
        return [HTTP.request("GET", f"{srv.endpoint}/pets", headers=headers).status for _ in range(n)]

    next_window(srv)
    for _ in range(2):
        assert send(LEGIT, 5) == [200] * 5
        next_window(srv)
    for ip in FLOOD:
        assert set(send(ip, 80)) == {200}
    next_window(srv)
    (summary,) = shield.list_attacks(ResourceArns=[domain_arn])["AttackSummaries"]
    attack = shield.describe_attack(AttackId=summary["AttackId"])["Attack"]
    assert attack["ResourceArn"] == domain_arn and attack["Mitigations"] == []  # no automatic mitigation here
    urls = {p["AttackPropertyIdentifier"]: p for p in attack["AttackProperties"]}["DESTINATION_URL"]
    assert urls["TopContributors"][0]["Name"] == "/pets"


def test_a_long_clock_jump_is_caught_up_in_one_detection_run_and_the_subscription_renews(srv: ServerProcess) -> None:
    shield = srv.client("shield")
    first = shield.describe_subscription()["Subscription"]
    started = time.monotonic()
    srv.advance(400 * 86400)  # 576,000 minutes: one detection run judges the last hour's windows
    assert time.monotonic() - started < 30
    started = time.monotonic()
    current = next_window(srv)
    assert time.monotonic() - started < 5
    assert shield.get_subscription_state()["SubscriptionState"] == "ACTIVE"  # AutoRenew ENABLED
    renewed = shield.describe_subscription()["Subscription"]
    assert renewed["StartTime"] > first["StartTime"] and renewed["EndTime"] > current
