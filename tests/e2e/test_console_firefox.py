"""The console in Firefox: Debian's Firefox ESR driven over WebDriver BiDi (tests/support/firefox.py), the same walk
a user makes — sign in with an access key, the overview, a KMS key created and text encrypted and decrypted in the
page (SigV4 and the session's credentials computed by Firefox's WebCrypto), a secret retrieved on click, the calls
found in the event history under the user, and sign-out ending the session."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.e2e.test_console_browser import ADMIN_POLICY, SHOTS, Users
from tests.support.firefox import FIREFOX, Firefox
from tests.support.server import ServerProcess

pytestmark = pytest.mark.skipif(shutil.which(FIREFOX) is None, reason="firefox-esr is not installed")

# What a user does, as DOM operations: controls found by their visible label or name, as a screen reader would.
HELPERS = """
const text = (el) => (el?.textContent || "").trim();
const visible = (el) => el.checkVisibility();
const byLabel = (name) => [...document.querySelectorAll("label")].filter((l) => text(l) === name)
  .map((l) => document.getElementById(l.htmlFor)).find((el) => el && visible(el)) || null;
const byRole = (role, name) => [...document.querySelectorAll(role === "button" ? "button" : `[role=${role}]`)]
  .find((el) => visible(el) && (text(el) === name || el.getAttribute("aria-label") === name));
const fill = (name, value) => {
  const el = byLabel(name);
  el.value = value;
  el.dispatchEvent(new Event("input", { bubbles: true }));
  return true;
};
const click = (role, name) => { byRole(role, name).click(); return true; };
const heading = () => text(document.querySelector("h1"));
"""


INPUT = json.dumps("Input (text, or base64 ciphertext to decrypt)")


@pytest.fixture
def firefox() -> Iterator[Firefox]:
    browser = Firefox()
    yield browser
    browser.close()


def js(browser: Firefox, body: str) -> Any:
    return browser.evaluate(f"(async () => {{ {HELPERS}\n{body} }})()")


def until(browser: Firefox, body: str, timeout: float = 15.0) -> Any:
    return browser.wait_for(f"(async () => {{ {HELPERS}\n{body} }})()", timeout)


def go(browser: Firefox, hash_: str, heading: str) -> None:
    js(browser, f"location.hash = {json.dumps(hash_)}; return true;")
    until(browser, f"return heading() === {json.dumps(heading)};")


def test_console_in_firefox(firefox: Firefox, server: ServerProcess) -> None:
    iam = server.client("iam")
    user = Users._user(iam, f"console-ff-{uuid.uuid4().hex[:8]}", ADMIN_POLICY)
    secret_value = f"firefox-secret-{uuid.uuid4().hex[:6]}"
    secret_arn = server.client("secretsmanager").create_secret(
        Name=f"console-ff-{uuid.uuid4().hex[:8]}", SecretString=secret_value
    )["ARN"]

    firefox.goto(server.endpoint + "/console/")
    until(firefox, 'return !!byRole("tab", "Access key");')
    js(firefox, 'click("tab", "Access key"); return true;')
    js(
        firefox,
        f'fill("Access key ID", {json.dumps(user["id"])}); '
        f'fill("Secret access key", {json.dumps(user["secret"])}); return true;',
    )
    js(firefox, 'click("button", "Sign in"); return true;')
    until(firefox, f'return text(document.getElementById("principal")).includes({json.dumps("user/" + user["name"])});')
    until(firefox, 'return heading() === "Overview" && !text(document.querySelector(".card")).includes("…");')
    creds = json.loads(js(firefox, 'return sessionStorage.getItem("strongroom.console.session");'))
    assert creds["accessKeyId"].startswith("ASIA") and user["secret"] not in json.dumps(creds)

    go(firefox, "#/kms", "KMS keys")
    js(firefox, f'fill("Description", "firefox key {user["name"]}"); click("button", "Create key"); return true;')
    key_heading = until(firefox, "return /^Key [0-9a-f-]{36}$/.test(heading()) && heading();")
    key_id = key_heading.split()[1]
    js(
        firefox,
        f"fill({INPUT}, 'hello from firefox'); click('button', 'Encrypt'); return true;",
    )
    ciphertext = until(firefox, 'return byLabel("Output").value;')
    js(
        firefox,
        f"fill({INPUT}, {json.dumps(ciphertext)}); click('button', 'Decrypt'); return true;",
    )
    until(firefox, 'return byLabel("Output").value === "hello from firefox";')
    assert server.client("kms").describe_key(KeyId=key_id)["KeyMetadata"]["Description"].startswith("firefox key")

    go(firefox, f"#/secrets/{secret_arn}", secret_arn.split(":")[-1].rsplit("-", 1)[0])
    js(firefox, 'click("button", "Retrieve secret value"); return true;')
    until(firefox, f'return text(document.getElementById("secret-value")) === {json.dumps(secret_value)};')
    if os.environ.get("STRONGROOM_CONSOLE_SCREENSHOTS") == "1":
        js(firefox, 'document.getElementById("secret-value").scrollIntoView({block: "center"}); return true;')
        firefox.screenshot(SHOTS / "firefox-secret.png")

    pages = (
        server.client("cloudtrail")
        .get_paginator("lookup_events")
        .paginate(LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": user["name"]}])
    )
    names = {e["EventName"] for p in pages for e in p["Events"]}
    assert {"GetSessionToken", "CreateKey", "Encrypt", "Decrypt", "GetSecretValue"} <= names

    js(firefox, 'click("button", "Sign out"); return true;')
    until(firefox, 'return !!byRole("tab", "Access key");')
    ended = boto3.client(
        "sts",
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        aws_access_key_id=creds["accessKeyId"],
        aws_secret_access_key=creds["secretAccessKey"],
        aws_session_token=creds["sessionToken"],
    )
    with pytest.raises(ClientError) as refused:
        ended.get_caller_identity()
    assert refused.value.response["Error"]["Code"] == "InvalidClientTokenId"
