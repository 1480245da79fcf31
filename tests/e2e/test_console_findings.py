"""The console's findings pages (GuardDuty, Macie, Inspector), its Shield page and the overview's latest findings and
failed rotations, in Debian's Chromium driven by Playwright against the real server (the helpers and fixtures of
test_console_browser.py). Everything happens in an account of its own, so each service starts not enabled there:
each page shows that and enables the service with its button, the data is then made through boto3 the way users
make it (GuardDuty and Macie sample findings, a Lambda function with a vulnerable package for Inspector, a Shield
protection, a rotation function that fails), and the page is checked, filtered, opened and archived. axe-core runs
on every new page; ``STRONGROOM_CONSOLE_SCREENSHOTS=1`` writes their screenshots into docs/console/."""

from __future__ import annotations

import io
import json
import re
import time
import uuid
import zipfile
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.organizations_support import Account, new_account
from tests.e2e.shield_support import deployed_stage
from tests.e2e.test_console_browser import browser, check_axe, expect, go, page, shoot, sign_in  # noqa: F401
from tests.e2e.test_inspector_api import TRUST, loaded, package_zip  # noqa: F401
from tests.e2e.test_shield_mitigation import Traffic, learn_baseline, next_window
from tests.support.server import ServerProcess

ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
FAILING_ROTATION = "def handler(event, context):\n    raise RuntimeError('rotation failed on purpose')\n"


class Env:
    """A fresh account, an IAM user with an access key in it, and a Lambda execution role."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.account: Account = new_account(server)
        iam = self.account.client("iam")
        self.uid = uuid.uuid4().hex[:8]
        name = f"console-findings-{self.uid}"
        iam.create_user(UserName=name)
        iam.put_user_policy(UserName=name, PolicyName="admin", PolicyDocument=json.dumps(ADMIN))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        self.user = {"name": name, "id": key["AccessKeyId"], "secret": key["SecretAccessKey"]}
        self.role = iam.create_role(RoleName=f"fn-{self.uid}", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]

    def client(self, service: str) -> Any:
        """A client as the console's IAM user: the account's root would add GuardDuty findings of its own (root
        credential usage) to the lists the tests count."""
        return self.server.client(service, aws_access_key_id=self.user["id"], aws_secret_access_key=self.user["secret"])

    def function(self, code: bytes, handler: str = "index.handler") -> dict[str, Any]:
        return dict(
            self.client("lambda").create_function(
                FunctionName=f"fn-{uuid.uuid4().hex[:10]}",
                Runtime="python3.12",
                Role=self.role,
                Handler=handler,
                Code={"ZipFile": code},
            )
        )


@pytest.fixture(scope="module")
def env(server: ServerProcess) -> Env:
    return Env(server)


def severity_count(tab: Any, severity: str) -> Any:
    return tab.locator(f'#severity-counts [data-severity="{severity}"] .count')


def findings_table(tab: Any) -> Any:
    return tab.get_by_role("region", name="Findings", exact=True).locator("table")


def apply_filters(tab: Any, **values: str) -> None:
    labels = {"severity": "Severity", "type": "Finding type", "status": "Status"}
    for key, value in values.items():
        control = tab.get_by_label(labels.get(key, key), exact=True)
        if key in ("severity", "status"):
            control.select_option(value)
        else:
            control.fill(value)
    tab.get_by_role("button", name="Apply filters").click()


def enable(tab: Any, hash_: str, heading: str, button: str) -> None:
    """The page of a service not enabled: the message, axe-core, then the service enabled by the button."""
    go(tab, hash_, heading)
    expect(tab.locator("#not-enabled")).to_be_visible()
    check_axe(tab, f"{hash_} not enabled")
    tab.get_by_role("button", name=button).click()
    expect(tab.get_by_role("region", name="Findings by severity")).to_be_visible()


def test_guardduty_findings(page: Any, env: Env) -> None:  # noqa: F811
    sign_in(page, env.user)
    enable(page, "#/guardduty", "GuardDuty findings", "Enable GuardDuty")
    gd = env.client("guardduty")
    (detector,) = gd.list_detectors()["DetectorIds"]
    kinds = {
        "UnauthorizedAccess:IAMUser/TorIPCaller": "Medium",
        "Policy:S3/BucketPublicAccessGranted": "High",
        "AttackSequence:IAM/CompromisedCredentials": "Critical",
    }
    gd.create_sample_findings(DetectorId=detector, FindingTypes=list(kinds))
    # the counts are GuardDuty's statistics (a live detection in the account would count too)
    active = {"Criterion": {"service.archived": {"Eq": ["false"]}}}
    stats = gd.get_findings_statistics(
        DetectorId=detector, FindingStatisticTypes=["COUNT_BY_SEVERITY"], FindingCriteria=active
    )["FindingStatistics"]["CountBySeverity"]
    expected = {"Critical": 0, "High": 0, "Medium": 0, "Low": 0}
    for score, n in stats.items():
        s = float(score)
        expected["Critical" if s >= 9 else "High" if s >= 7 else "Medium" if s >= 4 else "Low"] += n
    assert expected["Critical"] >= 1 and expected["High"] >= 1 and expected["Medium"] >= 1
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("GuardDuty findings")
    for level, n in expected.items():
        expect(severity_count(page, level)).to_have_text(str(n))
    for kind in kinds:
        expect(findings_table(page)).to_contain_text(kind)
    check_axe(page, "guardduty")
    shoot(page, "guardduty")

    apply_filters(page, severity="High")
    rows = findings_table(page).locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Policy:S3/BucketPublicAccessGranted")
    apply_filters(page, severity="", type="UnauthorizedAccess:IAMUser/TorIPCaller")
    # the list before showed one row too: wait for the new one, or the click may land on the old row
    expect(rows).to_contain_text("UnauthorizedAccess:IAMUser/TorIPCaller")
    expect(rows).to_have_count(1)
    rows.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("UnauthorizedAccess:IAMUser/TorIPCaller")
    (finding_id,) = gd.list_findings(
        DetectorId=detector,
        FindingCriteria={"Criterion": {"type": {"Eq": ["UnauthorizedAccess:IAMUser/TorIPCaller"]}}},
    )["FindingIds"]
    expect(page.get_by_label("The finding as the API returns it")).to_contain_text(finding_id)
    check_axe(page, "guardduty finding")
    page.get_by_role("button", name=re.compile("^Archive")).click()
    expect(page.get_by_role("status")).to_contain_text("Finding archived.")
    finding = gd.get_findings(DetectorId=detector, FindingIds=[finding_id])["Findings"][0]
    assert finding["Service"]["Archived"] is True

    # back to the list (its filters remembered): gone from the active findings, listed among the archived
    page.get_by_role("link", name="← All findings").click()
    expect(findings_table(page)).to_contain_text("None.")
    apply_filters(page, status="archived")
    expect(rows).to_have_count(1)
    rows.get_by_role("button", name=re.compile("^Unarchive")).click()
    expect(page.get_by_role("status")).to_contain_text("Finding unarchived.")
    expect(findings_table(page)).to_contain_text("None.")
    assert gd.get_findings(DetectorId=detector, FindingIds=[finding_id])["Findings"][0]["Service"]["Archived"] is False

    # a suspended detector: the page says so and enables it again (UpdateDetector)
    gd.update_detector(DetectorId=detector, Enable=False)
    page.reload()
    expect(page.locator("#not-enabled")).to_contain_text("detector is disabled")
    page.get_by_role("button", name="Enable GuardDuty").click()
    expect(findings_table(page)).to_be_visible()
    assert gd.get_detector(DetectorId=detector)["Status"] == "ENABLED"


def test_macie_findings(page: Any, env: Env) -> None:  # noqa: F811
    sign_in(page, env.user)
    enable(page, "#/macie", "Macie findings", "Enable Macie")
    macie = env.client("macie2")
    macie.create_sample_findings(findingTypes=["SensitiveData:S3Object/Financial", "Policy:IAMUser/S3BucketPublic"])
    found = macie.get_findings(findingIds=macie.list_findings()["findingIds"])["findings"]
    by_type = {f["type"]: f for f in found}
    financial = by_type["SensitiveData:S3Object/Financial"]
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Macie findings")
    expect(findings_table(page)).to_contain_text("SensitiveData:S3Object/Financial")
    expect(findings_table(page)).to_contain_text("Policy:IAMUser/S3BucketPublic")
    level = financial["severity"]["description"]
    expected = sum(1 for f in found if f["severity"]["description"] == level)
    expect(severity_count(page, level)).to_have_text(str(expected))
    check_axe(page, "macie")
    shoot(page, "macie")

    apply_filters(page, type="SensitiveData:S3Object/Financial")
    rows = findings_table(page).locator("tbody tr")
    expect(rows).to_have_count(1)
    rows.get_by_role("link").click()
    expect(page.get_by_label("The finding as the API returns it")).to_contain_text(financial["id"])
    check_axe(page, "macie finding")
    page.get_by_role("button", name="Suppress (archive)").click()
    expect(page.get_by_role("status")).to_contain_text("archived by a new suppression rule")
    assert macie.get_findings(findingIds=[financial["id"]])["findings"][0]["archived"] is True
    rules = macie.list_findings_filters()["findingsFilterListItems"]
    assert [r["action"] for r in rules if r["name"] == f"archive-{financial['id']}"[:64]] == ["ARCHIVE"]

    page.get_by_role("link", name="← All findings").click()
    expect(findings_table(page)).to_contain_text("None.")  # the type filter is remembered
    apply_filters(page, status="archived")
    expect(rows).to_have_count(1)
    expect(page.get_by_role("region", name="Suppression rules (ARCHIVE findings filters)")).to_contain_text(
        f"archive-{financial['id']}"[:64]
    )


def test_inspector_findings(page: Any, env: Env, loaded: str) -> None:  # noqa: F811
    sign_in(page, env.user)
    enable(page, "#/inspector", "Inspector findings", "Enable Inspector (EC2, ECR, Lambda)")
    fn = env.function(package_zip({"requests": "2.19.0", "idna": "3.7"}))
    env.server.advance(61)  # the scanner's next pass
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inspector findings")
    expect(findings_table(page)).to_contain_text("CVE-2018-18074 - requests")
    check_axe(page, "inspector")
    shoot(page, "inspector")

    apply_filters(page, **{"Resource ID": fn["FunctionArn"]})
    rows = findings_table(page).locator("tbody tr")
    expect(rows).to_have_count(2)  # CVE-2018-18074 and CVE-2023-32681
    page.get_by_role("link", name="CVE-2018-18074 - requests").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("CVE-2018-18074 - requests")
    expect(page.locator("dl.facts")).to_contain_text("requests 2.19.0 → 2.20.0")
    check_axe(page, "inspector finding")
    page.get_by_role("button", name=re.compile("^Suppress")).click()
    expect(page.get_by_role("status")).to_contain_text("suppressed by a new suppression rule")
    expect(page.locator("dl.facts")).to_contain_text("SUPPRESSED")
    inspector = env.client("inspector2")
    criteria = {"title": [{"comparison": "EQUALS", "value": "CVE-2018-18074 - requests"}]}
    (finding,) = inspector.list_findings(filterCriteria=criteria)["findings"]
    assert finding["status"] == "SUPPRESSED"
    # the badge is the finding's own severity (the test advisories carry no CVSS score: UNTRIAGED)
    expect(page.locator("dl.facts .severity")).to_have_text(finding["severity"].title())

    page.get_by_role("link", name="← All findings").click()
    expect(rows).to_have_count(1)  # the active list: the other CVE only
    expect(rows).not_to_contain_text("CVE-2018-18074")
    apply_filters(page, status="SUPPRESSED")
    expect(rows).to_have_count(1)
    rows.get_by_role("button", name=re.compile("^Unsuppress")).click()
    expect(page.get_by_role("status")).to_contain_text("the finding is active again")
    expect(findings_table(page)).to_contain_text("None.")
    assert inspector.list_findings(filterCriteria=criteria)["findings"][0]["status"] == "ACTIVE"


def test_shield_and_overview(page: Any, env: Env) -> None:  # noqa: F811
    sign_in(page, env.user)
    go(page, "#/shield", "AWS Shield")
    expect(page.locator("#subscription")).to_have_text("INACTIVE")
    expect(page.locator("#no-attacks")).to_be_visible()
    check_axe(page, "shield not subscribed")
    page.get_by_role("button", name="Subscribe to Shield Advanced").click()
    expect(page.locator("#subscription")).to_have_text("ACTIVE")
    api_id, stage = deployed_stage(env.client("apigateway"))
    shield = env.client("shield")
    shield.create_protection(Name=f"api-{env.uid}", ResourceArn=stage)
    time.sleep(1.1)  # the data plane reads the set of protected resources once a second
    # a real attack: a baseline of a few requests a minute, then a flood the detector flags (the server clock moves)
    traffic = Traffic(env.server, api_id)
    learn_baseline(env.server, traffic)
    traffic.flood(100)
    next_window(env.server)
    (attack,) = shield.list_attacks(ResourceArns=[stage])["AttackSummaries"]
    page.reload()
    protections = page.get_by_role("region", name="Protections", exact=True)
    expect(protections).to_contain_text(f"api-{env.uid}")
    expect(protections).to_contain_text(stage)
    expect(page.locator("#attack-summary")).to_contain_text("1 attack from")
    expect(page.locator(".chart canvas")).to_have_count(1)  # uPlot drew the timeline
    check_axe(page, "shield")
    shoot(page, "shield")
    page.get_by_role("region", name="Attacks", exact=True).get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Attack {attack['AttackId']}")
    urls = page.get_by_role("region", name=re.compile("Top contributors: DESTINATION_URL"))
    expect(urls).to_contain_text("/test/pets")
    check_axe(page, "shield attack")
    shoot(page, "shield-attack")

    # a secret whose rotation function fails: RotationFailed in the event history, shown on the overview
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("index.py", FAILING_ROTATION)
    fn = env.function(buf.getvalue())
    env.client("lambda").add_permission(
        FunctionName=fn["FunctionName"],
        StatementId="sm",
        Action="lambda:InvokeFunction",
        Principal="secretsmanager.amazonaws.com",
    )
    sm = env.client("secretsmanager")
    secret = f"rotfail-{env.uid}"
    sm.create_secret(Name=secret, SecretString="initial")
    try:
        sm.rotate_secret(
            SecretId=secret, RotationLambdaARN=fn["FunctionArn"], RotationRules={"AutomaticallyAfterDays": 7}
        )
    except ClientError:
        pass  # whether the first run's failure is answered or only recorded, the record is what the overview reads

    go(page, "#/overview", "Overview")
    failed = page.get_by_role("region", name="Failed rotations")
    expect(failed).to_contain_text(secret)
    latest = page.get_by_role("region", name="Latest findings")
    expect(latest.locator("tbody tr").first).to_be_visible()
    for service in ("GuardDuty", "Macie", "Inspector"):
        # each service the earlier tests enabled has findings here; run alone, a service not enabled is a note
        expect(latest).to_contain_text(service)
    check_axe(page, "overview with findings")
    shoot(page, "overview-findings")


def test_findings_pages_access_denied(page: Any, env: Env) -> None:  # noqa: F811
    """A user denied the findings services sees AWS's access-denied message on each page and in the overview's
    latest findings, and no data."""
    iam = env.account.client("iam")
    name = f"console-nofindings-{env.uid}"
    iam.create_user(UserName=name)
    deny = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": ["guardduty:*", "macie2:*", "inspector2:*", "shield:*"], "Resource": "*"},
        ],
    }
    iam.put_user_policy(UserName=name, PolicyName="deny", PolicyDocument=json.dumps(deny))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    sign_in(page, {"name": name, "id": key["AccessKeyId"], "secret": key["SecretAccessKey"]})
    for hash_, heading, action in (
        ("#/guardduty", "GuardDuty findings", "guardduty:ListDetectors"),
        ("#/macie", "Macie findings", "macie2:GetMacieSession"),
        ("#/inspector", "Inspector findings", "inspector2:BatchGetAccountStatus"),
        ("#/shield", "AWS Shield", "shield:GetSubscriptionState"),
    ):
        go(page, hash_, heading)
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("AccessDenied")
        expect(alert).to_contain_text(f"is not authorized to perform: {action}")
        expect(page.locator("table")).to_have_count(0)
    go(page, "#/overview", "Overview")
    latest = page.get_by_role("region", name="Latest findings")
    expect(latest.get_by_role("alert")).to_have_count(3)
    expect(latest).to_contain_text("GuardDuty: AccessDeniedException")
    check_axe(page, "overview denied findings")
