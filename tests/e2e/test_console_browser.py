"""The web console in a real browser: Debian's Chromium driven by Playwright (no browser download), against the real
server. Sign-in with an access key (the page calls STS GetSessionToken, signed with SigV4 in the browser), the KMS,
Secrets Manager, Parameter Store, certificates and CloudTrail pages doing real calls as the signed-in user, access
denied for a user without KMS permissions, sign-out revoking the session, and axe-core (vendored from npm,
tests/e2e/vendor/axe-core) on every page. With ``STRONGROOM_CONSOLE_SCREENSHOTS=1`` the run also writes the
screenshots in docs/console/ that docs/console.md shows."""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from strongroom.iam import totp
from tests.e2e.pca_support import make_root
from tests.e2e.test_console_signin import add_mfa
from tests.support.server import REPO, ServerProcess

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

CHROMIUM = "/usr/bin/chromium"
AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
SHOTS = REPO / "docs" / "console"
ADMIN_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
# Everything the console needs except KMS: the pages load, the KMS page answers AccessDenied.
NO_KMS_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "kms:*", "Resource": "*"},
    ],
}


class Users:
    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.uid = uuid.uuid4().hex[:8]
        iam = server.client("iam")
        self.admin = self._user(iam, f"console-admin-{self.uid}", ADMIN_POLICY)
        self.no_kms = self._user(iam, f"console-nokms-{self.uid}", NO_KMS_POLICY)
        self.ca_arn, _ = make_root(server.client("acm-pca"))
        self.rule = f"console-{self.uid}"
        server.client("events").put_rule(Name=self.rule, EventPattern=json.dumps({"source": ["aws.kms"]}))
        ssm = server.client("ssm")
        self.prefix = f"/console-{self.uid}"
        ssm.put_parameter(Name=f"{self.prefix}/app/url", Value="https://app.internal", Type="String")
        ssm.put_parameter(Name=f"{self.prefix}/app/db/password", Value="pa55-w0rd-hidden", Type="SecureString")
        ssm.put_parameter(
            Name=f"{self.prefix}/app/db/password", Value="pa55-w0rd-v2", Type="SecureString", Overwrite=True
        )

    def web_acl(self) -> tuple[str, str]:
        """A web ACL with a blocking rule, and samples of what it did, as an enforcement point reports them."""
        vis = {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True}
        rule = {
            "Name": "block-admin",
            "Priority": 0,
            "Action": {"Block": {}},
            "VisibilityConfig": {**vis, "MetricName": "blockadmin"},
            "Statement": {
                "ByteMatchStatement": {
                    "SearchString": b"/admin",
                    "FieldToMatch": {"UriPath": {}},
                    "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
                    "PositionalConstraint": "STARTS_WITH",
                }
            },
        }
        summary = self.server.client("wafv2").create_web_acl(
            Name=f"console-{self.uid}",
            Scope="REGIONAL",
            DefaultAction={"Allow": {}},
            VisibilityConfig={**vis, "MetricName": "consoleacl"},
            Rules=[rule],
        )["Summary"]

        def sample(metric: str, action: str, uri: str) -> dict[str, Any]:
            request = {
                "ClientIP": "203.0.113.7",
                "Country": "NL",
                "URI": uri,
                "Method": "GET",
                "HTTPVersion": "HTTP/1.1",
            }
            return {"MetricName": metric, "Action": action, "Request": {**request, "Headers": []}, "Weight": 1}

        samples = [sample("consoleacl", "ALLOW", "/") for _ in range(3)] + [
            sample("blockadmin", "BLOCK", "/admin") for _ in range(2)
        ]
        body = json.dumps({"WebAclArn": summary["ARN"], "Samples": samples}).encode()
        url = self.server.endpoint + "/_strongroom/wafv2/samples"
        signed = AWSRequest(method="POST", url=url, data=body, headers={"Content-Type": "application/json"})
        SigV4Auth(Credentials(self.server.access_key, self.server.secret_key), "wafv2", "us-east-1").add_auth(signed)
        answer = urllib3.PoolManager().request("POST", url, body=body, headers=dict(signed.headers.items()))
        assert answer.status == 200, answer.data
        return str(summary["Id"]), str(summary["ARN"])

    @staticmethod
    def _user(iam: Any, name: str, policy: dict[str, Any]) -> dict[str, str]:
        iam.create_user(UserName=name)
        iam.put_user_policy(UserName=name, PolicyName="console", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return {"name": name, "id": key["AccessKeyId"], "secret": key["SecretAccessKey"]}


@pytest.fixture(scope="module")
def users(server: ServerProcess) -> Users:
    return Users(server)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, server: ServerProcess) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    p = context.new_page()
    p.set_default_timeout(15000)
    p.goto(server.endpoint + "/console/")
    yield p
    context.close()


def sign_in(page: Any, user: dict[str, str]) -> None:
    page.get_by_role("tab", name="Access key").click()
    page.get_by_label("Access key ID").fill(user["id"])
    page.get_by_label("Secret access key").fill(user["secret"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#principal")).to_contain_text(f"user/{user['name']}")


def go(page: Any, hash_: str, heading: str | re.Pattern[str]) -> None:
    page.evaluate("h => { location.hash = h; }", hash_)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)


def check_axe(page: Any, name: str) -> None:
    """axe-core's serious and critical violations on the page as it is now (evaluated over CDP: the page's CSP
    allows no injected script, which is the point)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE)
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    serious = [
        (v["id"], v["help"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not serious, f"{name}: {serious}"


def shoot(page: Any, name: str) -> None:
    if os.environ.get("STRONGROOM_CONSOLE_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), animations="disabled", scale="css")


def session_credentials(page: Any) -> dict[str, str]:
    raw = page.evaluate("() => sessionStorage.getItem('strongroom.console.session')")
    data: dict[str, str] = json.loads(raw)
    return data


def test_console_headers_and_s3_routing(server: ServerProcess) -> None:
    http = urllib3.PoolManager()
    r = http.request("GET", server.endpoint + "/console/", retries=False)
    assert r.status == 200 and b'<script type="module" src="js/app.js">' in r.data
    csp = r.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff" and r.headers["X-Frame-Options"] == "DENY"
    assert "Set-Cookie" not in r.headers
    assert http.request("GET", server.endpoint + "/console", redirect=False).headers["Location"] == "/console/"
    js = http.request("GET", server.endpoint + "/console/js/sigv4.js")
    assert js.status == 200 and js.headers["Content-Type"].startswith("text/javascript")
    # A bucket named "console" stays S3's for every signed request, path-style included.
    s3 = server.client("s3")
    try:
        s3.create_bucket(Bucket="console")
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "BucketAlreadyOwnedByYou"
    s3.put_object(Bucket="console", Key="index.html", Body=b"an object, not the console")
    assert s3.get_object(Bucket="console", Key="index.html")["Body"].read() == b"an object, not the console"
    listed = s3.list_objects_v2(Bucket="console")
    assert [o["Key"] for o in listed["Contents"]] == ["index.html"]
    # Anonymous requests that are not the console's files reach S3 (which refuses them: the bucket is private).
    anon = http.request("GET", server.endpoint + "/console/?list-type=2", retries=False)
    assert anon.status == 403 and b"AccessDenied" in anon.data
    assert http.request("GET", server.endpoint + "/console/other-object", retries=False).status == 403
    s3.delete_object(Bucket="console", Key="index.html")
    s3.delete_bucket(Bucket="console")


def test_console_walkthrough(page: Any, users: Users, server: ServerProcess, backend: str) -> None:
    uid = users.uid
    check_axe(page, "sign-in")
    shoot(page, "sign-in")
    sign_in(page, users.admin)
    expect(page.get_by_role("heading", level=1)).to_have_text("Overview")
    expect(page.locator(".card").first).not_to_contain_text("…")
    check_axe(page, "overview")

    # KMS: create a key, edit its policy (the server's validation error shows), encrypt and decrypt.
    go(page, "#/kms", "KMS keys")
    page.get_by_label("Description", exact=True).fill(f"console key {uid}")
    page.get_by_label("Alias (optional)").fill(f"alias/console-{uid}")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Key [0-9a-f-]{36}$"))
    key_id = page.get_by_role("heading", level=1).inner_text().split()[1]
    expect(page.get_by_role("cell", name=f"alias/console-{uid}", exact=True)).to_be_visible()
    check_axe(page, "kms key")
    editor = page.get_by_label("Policy document (JSON)")
    policy = json.loads(editor.input_value())
    editor.fill('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]}')
    page.get_by_role("button", name="Save key policy").click()
    expect(page.get_by_role("alert")).to_contain_text("MalformedPolicyDocumentException")
    policy["Statement"][0]["Sid"] = "ConsoleEdited"
    editor.fill(json.dumps(policy))
    page.get_by_role("button", name="Save key policy").click()
    expect(page.get_by_text("Key policy saved.")).to_be_visible()
    stored = server.client("kms").get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]
    assert json.loads(stored)["Statement"][0]["Sid"] == "ConsoleEdited"
    page.get_by_label("Input (text, or base64 ciphertext to decrypt)").fill("hello from the console")
    page.get_by_role("button", name="Encrypt", exact=True).click()
    output = page.get_by_label("Output")
    expect(output).not_to_have_value("")
    ciphertext = output.input_value()
    page.get_by_label("Input (text, or base64 ciphertext to decrypt)").fill(ciphertext)
    page.get_by_role("button", name="Decrypt", exact=True).click()
    expect(output).to_have_value("hello from the console")
    # grants: create one for the user itself, then revoke it
    page.get_by_label("Grantee principal").fill(page.locator("#principal").inner_text())
    page.get_by_role("button", name="Create grant").click()
    grants = page.get_by_role("table", name="Grants on this key")
    expect(grants.get_by_role("cell", name="Encrypt, Decrypt")).to_be_visible()
    grants.get_by_role("button", name=re.compile("^Revoke grant")).click()
    expect(grants.get_by_role("cell", name="None.")).to_be_visible()
    shoot(page, "kms-key")
    go(page, "#/kms", "KMS keys")
    page.get_by_label("Filter by ID, alias or description").fill(f"console-{uid}")
    expect(page.get_by_role("link", name=key_id)).to_be_visible()
    check_axe(page, "kms list")
    shoot(page, "kms")

    # Secrets Manager: store, then retrieve only on an explicit click.
    go(page, "#/secrets", "Secrets Manager")
    page.get_by_label("Name", exact=True).fill(f"console/{uid}/db")
    page.get_by_label("Secret value").fill('{"password": "s3cr3t-from-console"}')
    page.get_by_role("button", name="Store secret").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"console/{uid}/db")
    expect(page.locator("#secret-value")).to_have_count(0)
    expect(page.get_by_role("cell", name="AWSCURRENT", exact=True)).to_be_visible()
    page.get_by_role("button", name="Retrieve secret value").click()
    expect(page.locator("#secret-value")).to_have_text('{"password": "s3cr3t-from-console"}')
    check_axe(page, "secret")
    shoot(page, "secret")
    page.get_by_role("button", name="Hide value").click()
    expect(page.locator("#secret-value")).to_have_count(0)
    go(page, "#/secrets", "Secrets Manager")
    check_axe(page, "secrets list")

    # Parameter Store: browse the tree, reveal a SecureString, its history.
    go(page, "#/ssm", "Parameter Store")
    page.get_by_role("link", name=f"{users.prefix}/").click()
    page.get_by_role("link", name=f"{users.prefix}/app/").click()
    expect(page.get_by_role("link", name=f"{users.prefix}/app/url")).to_be_visible()
    page.get_by_role("link", name=f"{users.prefix}/app/db/").click()
    page.get_by_role("link", name=f"{users.prefix}/app/db/password").click()
    expect(page.locator("#parameter-value")).to_have_text("Hidden (SecureString).")
    expect(page.get_by_role("cell", name="(hidden)")).to_have_count(2)
    page.get_by_role("button", name="Reveal value").click()
    expect(page.locator("#parameter-value")).to_have_text("pa55-w0rd-v2")
    check_axe(page, "parameter")
    shoot(page, "parameter")
    go(page, "#/ssm", "Parameter Store")
    check_axe(page, "parameters")

    # ACM + Private CA: request a private certificate, wait for it, download certificate and chain.
    go(page, "#/certificates", "Certificates")
    page.get_by_label("Domain name").fill(f"svc-{uid}.internal.example")
    page.get_by_label("Certificate authority").select_option(users.ca_arn)
    page.get_by_role("button", name="Request certificate").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"svc-{uid}.internal.example")
    deadline = time.monotonic() + 20
    while "ISSUED" not in page.locator("dl.facts").inner_text():
        assert time.monotonic() < deadline, "certificate not issued"
        page.get_by_role("button", name="Refresh status").click()
        page.wait_for_timeout(300)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download certificate and chain").click()
    pem = Path(download.value.path()).read_text()
    assert pem.count("-----BEGIN CERTIFICATE-----") == 2
    check_axe(page, "certificate")
    go(page, "#/certificates", "Certificates")
    expect(page.get_by_role("link", name=f"svc-{uid}.internal.example")).to_be_visible()
    check_axe(page, "certificates")
    shoot(page, "certificates")

    # CloudTrail: the actions above, under the signed-in user, with their JSON records.
    go(page, "#/cloudtrail", "CloudTrail event history")
    page.get_by_label("Lookup attribute").select_option("Username")
    page.get_by_label("Value", exact=True).fill(users.admin["name"])
    names = {"CreateKey", "PutKeyPolicy", "CreateSecret", "GetSecretValue", "RequestCertificate"}
    events = page.get_by_role("table", name=re.compile(r"^\d+ events$"))
    search, more = page.get_by_role("button", name="Search events"), page.locator("button", has_text="Load more events")
    deadline = time.monotonic() + 20
    search.click()
    while True:
        expect(search).to_be_enabled()
        expect(more).to_be_enabled()
        seen = set(events.locator("tbody tr td:nth-child(2)").all_inner_texts())
        if names <= seen or time.monotonic() > deadline:
            break
        if more.is_visible():  # older pages: the walkthrough's own reads are newer than its writes
            more.click()
        else:
            page.wait_for_timeout(300)
            search.click()
    assert names <= seen, seen
    page.get_by_role("button", name=re.compile("^Show the record of CreateSecret")).click()
    record = json.loads(page.get_by_label("CloudTrail record").inner_text())
    assert record["eventName"] == "CreateSecret"
    assert record["userIdentity"]["userName"] == users.admin["name"]
    assert record["userIdentity"]["accessKeyId"].startswith("ASIA")  # the console's session, not the long-term key
    check_axe(page, "cloudtrail")
    shoot(page, "cloudtrail")
    # S3: create a bucket, upload with SSE-KMS into a prefix, browse to it, download.
    go(page, "#/s3", "S3 buckets")
    page.get_by_label("Bucket name").fill(f"console-{uid}")
    page.get_by_role("button", name="Create bucket").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"console-{uid}")
    page.get_by_label("File").set_input_files(files=[{"name": "n.txt", "mimeType": "text/plain", "buffer": b"s3 body"}])
    page.get_by_label("Object key").fill("notes/a b+c.txt")
    page.get_by_label("Server-side encryption").select_option("aws:kms")
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("Uploaded notes/a b+c.txt (aws:kms).")).to_be_visible()
    page.get_by_role("link", name="notes/").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download notes/a b+c.txt").click()
    assert Path(download.value.path()).read_bytes() == b"s3 body"
    head = server.client("s3").head_object(Bucket=f"console-{uid}", Key="notes/a b+c.txt")
    assert head["ServerSideEncryption"] == "aws:kms"
    check_axe(page, "s3 bucket")
    shoot(page, "s3")
    go(page, "#/s3", "S3 buckets")
    check_axe(page, "s3")

    # AWS WAF: a web ACL's rules, its sampled requests, and the allowed/blocked chart (uPlot draws a canvas).
    users.web_acl()
    go(page, "#/waf", "AWS WAF web ACLs")
    page.get_by_role("link", name=f"console-{uid}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Web ACL console-{uid}")
    expect(page.locator(".chart canvas")).to_have_count(1)
    expect(page.get_by_role("cell", name="ByteMatchStatement")).to_be_visible()
    # Samples are stamped with the server's clock and the page asks for the last three hours of the browser's: when
    # an earlier test of the session moved the test-mode clock, the samples lie outside that window.
    if abs((server.now() - datetime.now(UTC)).total_seconds()) < 60:
        expect(page.locator("#waf-totals")).to_contain_text("Allowed: 3, Blocked: 2, Counted: 0")
        expect(page.get_by_role("cell", name="GET /admin")).to_have_count(2)
    check_axe(page, "waf")
    shoot(page, "waf")

    # IAM: the simulator answers for the no-KMS user; EventBridge: a rule's pattern and targets.
    go(page, "#/iam", "IAM")
    page.get_by_label("Principal").select_option(label=f"user {users.no_kms['name']}")
    page.get_by_label("Actions (comma-separated)").fill("kms:Encrypt, ssm:GetParameter")
    page.get_by_role("button", name="Simulate").click()
    results = page.get_by_role("table", name="Simulation results")
    expect(results.get_by_role("row", name=re.compile("kms:Encrypt"))).to_contain_text("explicitDeny")
    expect(results.get_by_role("row", name=re.compile("ssm:GetParameter"))).to_contain_text("allowed")
    check_axe(page, "iam")
    shoot(page, "iam")
    go(page, "#/events", "EventBridge rules")
    page.get_by_role("button", name=users.rule).click()
    expect(page.get_by_label("Event pattern")).to_contain_text("aws.kms")
    check_axe(page, "events")
    go(page, "#/overview", "Overview")
    expect(page.locator(".card").first).not_to_contain_text("…")
    shoot(page, "overview")

    # Phone-sized: the same page still lays out (navigation above the content).
    page.set_viewport_size({"width": 390, "height": 844})
    check_axe(page, "overview (phone)")
    page.set_viewport_size({"width": 1280, "height": 800})

    # Sign-out revokes the session server-side: its credentials are refused afterwards.
    creds = session_credentials(page)
    stored = page.evaluate("() => JSON.stringify([{...sessionStorage}, {...localStorage}, document.cookie])")
    assert users.admin["secret"] not in stored and creds["accessKeyId"].startswith("ASIA")  # only the session's
    sts = boto3.client(
        "sts",
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        aws_access_key_id=creds["accessKeyId"],
        aws_secret_access_key=creds["secretAccessKey"],
        aws_session_token=creds["sessionToken"],
    )
    assert sts.get_caller_identity()["Arn"].endswith(f"user/{users.admin['name']}")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    assert page.evaluate("() => sessionStorage.getItem('strongroom.console.session')") is None
    with pytest.raises(ClientError) as refused:
        sts.get_caller_identity()
    assert refused.value.response["Error"]["Code"] == "InvalidClientTokenId"


def test_console_access_denied_without_kms(page: Any, users: Users) -> None:
    sign_in(page, users.no_kms)
    expect(page.get_by_role("heading", level=1)).to_have_text("Overview")
    kms_card = page.locator(".card").filter(has_text="KMS keys")
    expect(kms_card.get_by_role("alert")).to_contain_text("AccessDeniedException")
    go(page, "#/kms", "KMS keys")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("AccessDeniedException")
    expect(alert).to_contain_text(f"user/{users.no_kms['name']} is not authorized to perform: kms:")
    expect(page.locator("table")).to_have_count(0)
    check_axe(page, "access denied")
    # the other pages still work for this user
    go(page, "#/secrets", "Secrets Manager")
    expect(page.get_by_role("alert")).to_have_count(0)


def test_console_sign_in_errors(page: Any, users: Users, server: ServerProcess) -> None:
    page.get_by_role("tab", name="Access key").click()
    page.get_by_label("Access key ID").fill(users.admin["id"])
    page.get_by_label("Secret access key").fill("wrong" + users.admin["secret"][5:])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("SignatureDoesNotMatch")
    # a session's credentials can sign out only themselves; an unsigned or long-term-key request is refused
    http = urllib3.PoolManager()
    url = server.endpoint + "/_strongroom/console/sign-out"
    r = http.request("POST", url, retries=False)
    assert r.status == 400 and json.loads(r.data)["__type"] == "MissingAuthenticationTokenException"
    signed = AWSRequest(method="POST", url=url, data=b"")
    SigV4Auth(Credentials(users.admin["id"], users.admin["secret"]), "sts", "us-east-1").add_auth(signed)
    r = http.request("POST", url, headers=dict(signed.headers.items()), retries=False)
    assert r.status in (400, 403) and json.loads(r.data)["__type"] == "UnrecognizedClientException"


def test_console_password_sign_in(page: Any, server: ServerProcess) -> None:
    """The IAM user tab: password, then the MFA code, then the required new password; signed in as the user."""
    iam = server.client("iam")
    name = f"console-pw-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="console", PolicyDocument=json.dumps(ADMIN_POLICY))
    iam.create_login_profile(UserName=name, Password="Corr3ct-Horse!", PasswordResetRequired=True)
    _serial, seed, step = add_mfa(server, name)
    account = server.client("sts").get_caller_identity()["Account"]

    expect(page.get_by_role("tab", name="IAM user")).to_have_attribute("aria-selected", "true")
    page.get_by_label("Account ID or alias").fill(account)
    page.get_by_label("IAM user name").fill(name)
    page.get_by_label("Password", exact=True).fill("Wr0ng-password!")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Your authentication information is incorrect")
    page.get_by_label("Password", exact=True).fill("Corr3ct-Horse!")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_label("MFA code")).to_be_focused()
    # the next step's code: still within the accepted window (now-1 .. now+1) when the walk crosses a 30 s boundary
    # before the last click verifies it (step - 1 would fall out of it)
    page.get_by_label("MFA code").fill(totp.code_at(seed, (step + 1) * totp.STEP))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_label("New password", exact=True)).to_be_focused()
    check_axe(page, "sign-in, password change step")
    page.get_by_label("New password", exact=True).fill("N3w-Passw0rd!")
    page.get_by_label("Confirm new password").fill("N3w-Passw0rd!")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#principal")).to_contain_text(f"user/{name}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Overview")
    creds = session_credentials(page)
    assert creds["accessKeyId"].startswith("ASIA") and "Corr3ct" not in json.dumps(creds)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("tab", name="IAM user")).to_be_visible()
    # every page: the overview the user landed on made its own calls (one DescribeKey per key), newer than the sign-in
    pages = (
        server.client("cloudtrail")
        .get_paginator("lookup_events")
        .paginate(LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": name}])
    )
    events = [e for p in pages for e in p["Events"]]
    outcomes = sorted(
        json.loads(e["CloudTrailEvent"])["responseElements"]["ConsoleLogin"]
        for e in events
        if e["EventName"] == "ConsoleLogin"
    )
    assert outcomes == ["Failure", "Success"]
