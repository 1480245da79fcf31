"""The console's editors in a real browser (Debian's Chromium through Playwright, as test_console_browser.py): an S3
bucket policy and an object's details, a WAF web ACL created and its rules edited, an IAM customer managed policy
created, edited as a new default version, attached and detached. Each editor sends what was typed, so an invalid
document shows the server's own error; each change is then read back with boto3."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any
from urllib.parse import quote

import pytest
from botocore.exceptions import ClientError

from tests.e2e import test_console_browser as console
from tests.e2e.test_console_browser import ADMIN_POLICY, Users, check_axe, expect, go, shoot, sign_in
from tests.support.server import ServerProcess

browser, page = console.browser, console.page  # the same fixtures: Debian's Chromium, a fresh page at /console/


@pytest.fixture(scope="module")
def admin(server: ServerProcess) -> dict[str, str]:
    return Users._user(server.client("iam"), f"console-ed-{uuid.uuid4().hex[:8]}", ADMIN_POLICY)


def test_console_s3_policy_and_object_details(page: Any, admin: dict[str, str], server: ServerProcess) -> None:
    s3 = server.client("s3")
    bucket = f"console-ed-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    key_id = server.client("kms").create_key(Description="console editor test")["KeyMetadata"]["KeyId"]
    s3.put_object(
        Bucket=bucket, Key="report.txt", Body=b"quarterly", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id
    )
    sign_in(page, admin)
    go(page, f"#/s3/{bucket}", bucket)

    page.get_by_role("button", name="Details of report.txt").click()
    details = page.locator("#object-details")
    expect(details).to_contain_text("aws:kms")
    expect(details).to_contain_text(key_id)
    expect(details).to_contain_text("not replicated")

    editor = page.get_by_label("Bucket policy (JSON)")
    expect(page.get_by_role("button", name="Delete bucket policy")).to_be_hidden()
    editor.fill('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]}')
    page.get_by_role("button", name="Save bucket policy").click()
    expect(page.get_by_role("alert")).to_contain_text("MalformedPolicy")
    with pytest.raises(ClientError) as missing:
        s3.get_bucket_policy(Bucket=bucket)
    assert missing.value.response["Error"]["Code"] == "NoSuchBucketPolicy"
    account = server.client("sts").get_caller_identity()["Account"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ConsoleReaders",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ],
    }
    editor.fill(json.dumps(policy))
    page.get_by_role("button", name="Save bucket policy").click()
    expect(page.get_by_text("Bucket policy saved.")).to_be_visible()
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"][0]["Sid"] == "ConsoleReaders"
    check_axe(page, "s3 bucket with details and policy")
    shoot(page, "s3-bucket-policy")
    page.get_by_role("button", name="Delete bucket policy").click()
    expect(page.get_by_text("Bucket policy deleted.")).to_be_visible()
    with pytest.raises(ClientError):
        s3.get_bucket_policy(Bucket=bucket)


def _rule(name: str, priority: int, search: str) -> dict[str, Any]:
    return {
        "Name": name,
        "Priority": priority,
        "Action": {"Block": {}},
        "VisibilityConfig": {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": name},
        "Statement": {
            "ByteMatchStatement": {
                "SearchString": base64.b64encode(search.encode()).decode(),
                "FieldToMatch": {"UriPath": {}},
                "TextTransformations": [{"Priority": 0, "Type": "LOWERCASE"}],
                "PositionalConstraint": "STARTS_WITH",
            }
        },
    }


def test_console_waf_create_and_edit_rules(page: Any, admin: dict[str, str], server: ServerProcess) -> None:
    waf = server.client("wafv2")
    name = f"console-ed-{uuid.uuid4().hex[:8]}"
    sign_in(page, admin)
    go(page, "#/waf/REGIONAL", "AWS WAF web ACLs")
    page.get_by_label("Web ACL name").fill(name)
    page.get_by_label("Default action").select_option("Block")
    page.get_by_role("button", name="Create web ACL").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Web ACL {name}")
    summary = next(a for a in _acls(waf) if a["Name"] == name)
    acl = waf.get_web_acl(Name=name, Scope="REGIONAL", Id=summary["Id"])["WebACL"]
    assert acl["Rules"] == [] and "Block" in acl["DefaultAction"]

    editor = page.get_by_label("Rules (JSON, as in UpdateWebACL)")
    broken = _rule("no-statement", 0, "/admin")
    del broken["Statement"]
    editor.fill(json.dumps([broken]))
    page.get_by_role("button", name="Save rules").click()
    expect(page.get_by_role("alert")).to_contain_text("rules.1.member.statement")
    editor.fill("[{not json")
    page.get_by_role("button", name="Save rules").click()
    expect(page.get_by_role("alert")).to_contain_text("not valid JSON")

    page.get_by_label("Default action", exact=True).select_option("Allow")
    editor.fill(json.dumps([_rule("block-admin", 0, "/admin")]))
    page.get_by_role("button", name="Save rules").click()
    expect(page.get_by_text("Rules saved.")).to_be_visible()
    acl = waf.get_web_acl(Name=name, Scope="REGIONAL", Id=summary["Id"])
    assert [r["Name"] for r in acl["WebACL"]["Rules"]] == ["block-admin"] and "Allow" in acl["WebACL"]["DefaultAction"]
    assert acl["WebACL"]["Rules"][0]["Statement"]["ByteMatchStatement"]["SearchString"] == b"/admin"
    expect(page.get_by_role("table", name="Rules by priority")).to_contain_text("block-admin")
    check_axe(page, "waf rule editor")
    shoot(page, "waf-rule-editor")

    # somebody else changes the web ACL: the page's lock token is stale and the server says so
    waf.update_web_acl(
        Name=name,
        Scope="REGIONAL",
        Id=summary["Id"],
        LockToken=acl["LockToken"],
        DefaultAction={"Allow": {}},
        Rules=[],
        VisibilityConfig=acl["WebACL"]["VisibilityConfig"],
    )
    editor.fill(json.dumps([_rule("block-admin", 0, "/admin"), _rule("block-debug", 1, "/debug")]))
    page.get_by_role("button", name="Save rules").click()
    expect(page.get_by_role("alert")).to_contain_text("WAFOptimisticLockException")
    assert waf.get_web_acl(Name=name, Scope="REGIONAL", Id=summary["Id"])["WebACL"]["Rules"] == []


def _acls(waf: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    marker = None
    while True:
        listed = waf.list_web_acls(Scope="REGIONAL", Limit=100, **({"NextMarker": marker} if marker else {}))
        found += listed["WebACLs"]
        marker = listed.get("NextMarker")
        if not listed["WebACLs"] or not marker:
            return found


def test_console_iam_policy_editor(page: Any, admin: dict[str, str], server: ServerProcess) -> None:
    iam = server.client("iam")
    name = f"console-ed-{uuid.uuid4().hex[:8]}"
    sign_in(page, admin)
    go(page, "#/iam", "IAM")
    page.get_by_label("Policy name").fill(name)
    document = page.get_by_label("Policy document (JSON)")
    document.fill('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*"}]}')
    page.get_by_role("button", name="Create policy").click()
    expect(page.get_by_role("alert")).to_contain_text("MalformedPolicyDocument")
    document.fill(
        json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:List*", "Resource": "*"}]}
        )
    )
    page.get_by_role("button", name="Create policy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Policy {name}")
    pages = iam.get_paginator("list_policies").paginate(Scope="Local")
    arn = next(p["Arn"] for listed in pages for p in listed["Policies"] if p["PolicyName"] == name)
    check_axe(page, "iam policy")

    editor = page.get_by_label("Policy document (JSON)")
    assert json.loads(editor.input_value())["Statement"][0]["Action"] == "kms:List*"
    edited = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Describe*", "Resource": "*"}]}
    editor.fill(json.dumps(edited))
    page.get_by_role("button", name="Save as new default version").click()
    expect(page.get_by_text("Saved as the new default version.")).to_be_visible()
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"
    expect(page.get_by_role("table", name="Policy versions").get_by_role("row")).to_have_count(3)

    page.get_by_label("Attach to").select_option(f"user:{admin['name']}")
    page.get_by_role("button", name="Attach", exact=True).click()
    expect(page.get_by_text(f"Attached to user {admin['name']}.")).to_be_visible()
    attached = iam.list_attached_user_policies(UserName=admin["name"])["AttachedPolicies"]
    assert arn in [p["PolicyArn"] for p in attached]
    shoot(page, "iam-policy")
    page.get_by_role("button", name=f"Detach from user {admin['name']}").click()
    expect(page.get_by_text(f"Detached from user {admin['name']}.")).to_be_visible()
    attached = iam.list_attached_user_policies(UserName=admin["name"])["AttachedPolicies"]
    assert arn not in [p["PolicyArn"] for p in attached]


def test_console_secret_rotation_and_history(page: Any, admin: dict[str, str], server: ServerProcess) -> None:
    """Rotation configured from the page (the function's testSecret runs, as RotateImmediately=false does on AWS),
    a rotation that fails and one that succeeds, both in the rotation history with the failure's reason."""
    from tests.e2e.test_lambda_functions import make_role
    from tests.e2e.test_secrets_rotation import POLICY, rotation_function

    role = make_role(server)
    server.client("iam").put_role_policy(RoleName=role.rsplit("/", 1)[1], PolicyName="rotate", PolicyDocument=POLICY)
    good, failing = rotation_function(server, role), rotation_function(server, role, FAIL_SET="1")
    sm = server.client("secretsmanager")
    name = f"console-rot-{uuid.uuid4().hex[:8]}"
    arn = sm.create_secret(Name=name, SecretString=json.dumps({"pw": "initial"}))["ARN"]
    sign_in(page, admin)
    go(page, f"#/secrets/{arn}", name)
    page.get_by_label("Rotation function (Lambda ARN)").fill(failing)
    page.get_by_label("Every (days)").fill("0")
    page.get_by_role("button", name="Save rotation").click()
    expect(page.get_by_role("alert")).to_contain_text("rotationRules.automaticallyAfterDays")
    assert not sm.describe_secret(SecretId=arn).get("RotationEnabled")
    page.get_by_label("Every (days)").fill("10")
    page.get_by_role("button", name="Save rotation").click()
    expect(page.get_by_text("Rotation saved.")).to_be_visible()
    described = sm.describe_secret(SecretId=arn)
    assert described["RotationEnabled"] and described["RotationLambdaARN"] == failing
    assert described["RotationRules"]["AutomaticallyAfterDays"] == 10

    page.get_by_role("button", name="Rotate secret now").click()
    history = page.get_by_role("table", name="Rotation events (CloudTrail)")
    expect(history.get_by_role("row").filter(has_text="RotationFailed")).to_contain_text("setSecret")
    page.get_by_label("Rotation function (Lambda ARN)").fill(good)
    page.get_by_role("button", name="Save rotation").click()
    # AWS: the failed rotation left AWSPENDING on its version; RotateSecret refuses until it is cleared
    expect(page.get_by_role("alert")).to_contain_text("A previous rotation isn't complete")
    stages = sm.describe_secret(SecretId=arn)["VersionIdsToStages"]
    pending = next(v for v, labels in stages.items() if labels == ["AWSPENDING"])
    sm.update_secret_version_stage(SecretId=arn, VersionStage="AWSPENDING", RemoveFromVersionId=pending)
    page.get_by_role("button", name="Save rotation").click()
    expect(page.get_by_text("Rotation saved.")).to_be_visible()
    succeeded = history.get_by_role("row").filter(has_text="RotationSucceeded")
    before = succeeded.count()  # saving ran the function's testSecret, which the server records as a rotation too
    page.get_by_role("button", name="Rotate secret now").click()
    deadline = time.monotonic() + 30
    while succeeded.count() < before + 1:  # the rotation may end after the page reloaded: look again, as a user would
        assert time.monotonic() < deadline, "no RotationSucceeded in the page's history"
        time.sleep(1)
        go(page, "#/secrets", "Secrets Manager")
        go(page, f"#/secrets/{arn}", name)
    assert json.loads(sm.get_secret_value(SecretId=arn)["SecretString"])["pw"] != "initial"
    check_axe(page, "secret rotation")
    shoot(page, "secret-rotation")
    page.get_by_role("button", name="Turn off rotation").click()
    expect(page.get_by_role("button", name="Turn off rotation")).to_be_hidden()
    assert not sm.describe_secret(SecretId=arn).get("RotationEnabled")


def test_console_parameter_labels(page: Any, admin: dict[str, str], server: ServerProcess) -> None:
    ssm = server.client("ssm")
    name = f"/console-labels-{uuid.uuid4().hex[:8]}/db-host"
    ssm.put_parameter(Name=name, Value="db-1.internal", Type="String")
    ssm.put_parameter(Name=name, Value="db-2.internal", Type="String", Overwrite=True)
    sign_in(page, admin)
    go(page, f"#/ssm/{quote(name, safe='')}/param", name)
    page.get_by_label("Version", exact=True).select_option("1")
    page.get_by_label("Labels (comma-separated)").fill("blue, aws-reserved")
    page.get_by_role("button", name="Add labels").click()
    expect(page.get_by_role("alert")).to_contain_text("Labels refused: aws-reserved.")
    labels = {p["Version"]: p.get("Labels", []) for p in ssm.get_parameter_history(Name=name)["Parameters"]}
    assert labels == {1: ["blue"], 2: []}
    page.get_by_label("Version", exact=True).select_option("2")
    page.get_by_label("Labels (comma-separated)").fill("blue")
    page.get_by_role("button", name="Add labels").click()
    expect(page.get_by_text("Labelled version 2.")).to_be_visible()
    labels = {p["Version"]: p.get("Labels", []) for p in ssm.get_parameter_history(Name=name)["Parameters"]}
    assert labels == {1: [], 2: ["blue"]}
    assert ssm.get_parameter(Name=f"{name}:blue")["Parameter"]["Value"] == "db-2.internal"
    check_axe(page, "parameter labels")
    page.get_by_label("Version", exact=True).select_option("2")
    page.get_by_label("Labels (comma-separated)").fill("blue")
    page.get_by_role("button", name="Remove labels").click()
    expect(page.get_by_text("Removed blue.")).to_be_visible()
    assert all(not p.get("Labels") for p in ssm.get_parameter_history(Name=name)["Parameters"])


def test_console_ca_hierarchy_and_revoke(page: Any, admin: dict[str, str], server: ServerProcess) -> None:
    from tests.e2e.pca_support import make_root, make_sub

    pca = server.client("acm-pca")
    uid = uuid.uuid4().hex[:8]
    root_arn, _ = make_root(pca)
    sub_arn, _ = make_sub(pca, root_arn)
    root_cn, sub_cn = (
        pca.describe_certificate_authority(CertificateAuthorityArn=arn)["CertificateAuthority"][
            "CertificateAuthorityConfiguration"
        ]["Subject"]["CommonName"]
        for arn in (root_arn, sub_arn)
    )
    acm = server.client("acm")
    cert_arn = acm.request_certificate(DomainName=f"svc-{uid}.internal", CertificateAuthorityArn=sub_arn)[
        "CertificateArn"
    ]
    deadline = time.monotonic() + 60
    while acm.describe_certificate(CertificateArn=cert_arn)["Certificate"]["Status"] != "ISSUED":
        assert time.monotonic() < deadline, "the private certificate was not issued"
        time.sleep(0.5)
    sign_in(page, admin)
    go(page, "#/certificates", "Certificates")
    tree = page.get_by_role("list", name="CA hierarchy")
    root_item = tree.get_by_role("listitem").filter(has_text=root_cn).first
    expect(root_item.get_by_role("listitem").filter(has_text=sub_cn)).to_contain_text("subordinate")
    check_axe(page, "certificates with CA hierarchy")
    go(page, f"#/certificates/cert/{quote(cert_arn, safe='')}", f"svc-{uid}.internal")
    page.get_by_label("Reason").select_option("KEY_COMPROMISE")
    page.get_by_role("button", name="Revoke certificate").click()
    expect(page.get_by_text("Certificate revoked.")).to_be_visible()
    described = acm.describe_certificate(CertificateArn=cert_arn)["Certificate"]
    assert described["Status"] == "REVOKED" and described["RevocationReason"] == "KEY_COMPROMISE"
    expect(page.locator("dl.facts")).to_contain_text("KEY_COMPROMISE")
    expect(page.get_by_role("button", name="Revoke certificate")).to_have_count(0)
