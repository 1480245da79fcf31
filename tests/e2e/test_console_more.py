"""The console's remaining pages in a real browser (Debian's Chromium through Playwright, as test_console_browser.py):
an EventBridge rule's delivery state per target and its chart; KMS key material imported into an EXTERNAL key
(wrapped in the browser with WebCrypto) and deleted, multi-Region replicas and the primary Region moved; a secret's
resource policy validated, saved and deleted, the secret replicated, deleted with a recovery window and restored; S3
versioning, object versions and delete markers, a version downloaded, an object deleted, the bucket's BucketNotEmpty.
Each change is read back with boto3, each feature's invalid input shows the server's error, axe-core runs on every
new page state."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, timedelta
from typing import Any

import pytest
import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.e2e import test_console_browser as console
from tests.e2e.events_support import Receiver, log_target, outbox, wait_for
from tests.e2e.test_console_browser import ADMIN_POLICY, Users, check_axe, expect, go, shoot, sign_in
from tests.support.server import ServerProcess, free_port

browser, page = console.browser, console.page  # the same fixtures: Debian's Chromium, a fresh page at /console/

# Everything but EventBridge's ListTargetsByRule: the delivery state is refused with the same denial.
NO_TARGETS_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "events:ListTargetsByRule", "Resource": "*"},
    ],
}


@pytest.fixture(scope="module")
def admin(server: ServerProcess) -> dict[str, str]:
    return Users._user(server.client("iam"), f"console-more-{uuid.uuid4().hex[:8]}", ADMIN_POLICY)


def _deliveries(server: ServerProcess, user: dict[str, str] | None, body: dict[str, Any]) -> tuple[int, Any]:
    """The console's delivery-state endpoint called directly, signed by ``user`` (None: unsigned)."""
    url = server.endpoint + "/_strongroom/console/events-deliveries"
    data = json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if user is not None:
        signed = AWSRequest(method="POST", url=url, data=data, headers=headers)
        SigV4Auth(Credentials(user["id"], user["secret"]), "events", "us-east-1").add_auth(signed)
        headers = dict(signed.headers.items())
    answer = urllib3.PoolManager().request("POST", url, body=data, headers=headers)
    return answer.status, json.loads(answer.data or b"{}")


def test_console_events_delivery_state(page: Any, admin: dict[str, str], server: ServerProcess) -> None:
    events = server.client("events")
    uid = uuid.uuid4().hex[:8]
    bus = f"console-more-{uid}"
    events.create_event_bus(Name=bus)
    rule = f"deliveries-{uid}"
    events.put_rule(Name=rule, EventBusName=bus, EventPattern=json.dumps({"source": ["console.test"]}))
    rule_arn = events.describe_rule(Name=rule, EventBusName=bus)["Arn"]
    refusing = Receiver(status=400).start()  # a 4xx is not retried: dead-lettered at the first attempt
    try:
        conn = events.create_connection(
            Name=f"console-more-{uid}",
            AuthorizationType="API_KEY",
            AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "not-shown"}},
        )
        dest = events.create_api_destination(
            Name=f"console-more-{uid}",
            ConnectionArn=conn["ConnectionArn"],
            InvocationEndpoint=refusing.url + "/hook",
            HttpMethod="POST",
        )
        dlq = f"arn:aws:sqs:us-east-1:{conn['ConnectionArn'].split(':')[4]}:console-dlq"
        # nothing listens there: retried (network errors are), pending until the event is 60 s old
        down = events.create_api_destination(
            Name=f"console-down-{uid}",
            ConnectionArn=conn["ConnectionArn"],
            InvocationEndpoint=f"http://127.0.0.1:{free_port()}/hook",
            HttpMethod="POST",
        )
        events.put_targets(
            Rule=rule,
            EventBusName=bus,
            Targets=[
                {"Id": "log", "Arn": log_target(server, f"console-more-{uid}")},
                {"Id": "http", "Arn": dest["ApiDestinationArn"], "DeadLetterConfig": {"Arn": dlq}},
                {"Id": "down", "Arn": down["ApiDestinationArn"], "RetryPolicy": {"MaximumEventAgeInSeconds": 60}},
            ],
        )
        entries = [{"Source": "console.test", "DetailType": "t", "Detail": "{}", "EventBusName": bus}] * 3
        assert events.put_events(Entries=entries[:2])["FailedEntryCount"] == 0
        events.remove_targets(Rule=rule, EventBusName=bus, Ids=["down"])  # one pending delivery is enough
        assert events.put_events(Entries=entries[2:])["FailedEntryCount"] == 0

        def settled() -> bool:
            rows = outbox(server, rule_arn)
            done = [e for e in rows if e["targetId"] != "down" and e["state"] != "PENDING"]
            return len(done) == 6 and all(e["attempts"] >= 1 for e in rows if e["targetId"] == "down")

        wait_for(settled, nudge=lambda: server.advance(0))
    finally:
        refusing.stop()

    # the endpoint: unsigned, denied, unknown rule and bad input answer AWS's errors; no payload is ever returned
    status, body = _deliveries(server, None, {"Rule": rule, "EventBusName": bus})
    assert status == 400 and body["__type"] == "MissingAuthenticationTokenException"
    denied = Users._user(server.client("iam"), f"console-notargets-{uid}", NO_TARGETS_POLICY)
    status, body = _deliveries(server, denied, {"Rule": rule, "EventBusName": bus})
    assert status == 400 and body["__type"] == "AccessDeniedException", body
    assert "events:ListTargetsByRule" in body["message"]
    status, body = _deliveries(server, admin, {"Rule": f"missing-{uid}", "EventBusName": bus})
    assert body["__type"] == "ResourceNotFoundException", body
    status, body = _deliveries(server, admin, {"Rule": 7})
    assert status == 400 and body["__type"] == "ValidationException"
    status, body = _deliveries(server, admin, {"Rule": rule, "EventBusName": bus})
    assert status == 200 and body["RuleArn"] == rule_arn
    by_id = {t["targetId"]: t for t in body["targets"]}
    assert by_id["log"]["DELIVERED"] == 3 and by_id["log"]["lastFailure"] is None
    assert (
        by_id["http"]["DEAD_LETTERED"] == 3 and by_id["http"]["lastFailure"]["deadLetterReason"] == "NonRetryableError"
    )
    assert by_id["http"]["lastFailure"]["deadLetterArn"] == dlq
    assert sum(b["DELIVERED"] + b["DEAD_LETTERED"] for b in body["series"]) == 6
    assert by_id["down"]["PENDING"] == 2 and "SDK_CLIENT_ERROR" in by_id["down"]["lastFailure"]["error"]
    assert "not-shown" not in json.dumps(body) and "console.test" not in json.dumps(body)

    sign_in(page, admin)
    go(page, "#/events", "EventBridge rules")
    page.get_by_label("Event bus").select_option(bus)
    page.get_by_role("button", name=rule).click()
    table = page.get_by_role("table", name="Deliveries per target")
    expect(table.get_by_role("row", name="log")).to_contain_text("3")
    http_row = table.get_by_role("row", name="http")
    expect(http_row).to_contain_text("NonRetryableError")
    expect(http_row).to_contain_text(dlq)
    expect(http_row).to_contain_text("never")
    expect(table.get_by_role("row", name="down")).to_contain_text("SDK_CLIENT_ERROR")
    expect(page.locator("#delivery-totals")).to_contain_text(
        "Delivered: 3, Failed (dead-lettered): 3, Pending / retrying: 2"
    )
    expect(page.locator(".chart canvas").first).to_be_visible()
    progress = page.get_by_role("progressbar", name="Deliveries pending")
    expect(progress).to_be_visible()
    check_axe(page, "events delivery state")
    page.locator("section[aria-label='Delivery state']").scroll_into_view_if_needed()
    shoot(page, "events-deliveries")
    # the events age past 60 s on the server clock: dead-lettered, and the page (polling) follows
    server.advance(120)
    wait_for(
        lambda: all(e["state"] == "DEAD_LETTERED" for e in outbox(server, rule_arn) if e["targetId"] == "down"),
        nudge=lambda: server.advance(0),
    )
    expect(progress).to_have_count(0)
    expect(table.get_by_role("row", name="down")).to_contain_text("MaximumEventAgeInSeconds")
    expect(page.locator("#delivery-totals")).to_contain_text("Failed (dead-lettered): 5, Pending / retrying: 0")


def test_console_kms_import_and_replicas(page: Any, admin: dict[str, str], server: ServerProcess) -> None:
    kms = server.client("kms")
    sign_in(page, admin)
    go(page, "#/kms", "KMS keys")
    description = f"console-import-{uuid.uuid4().hex[:8]}"
    page.get_by_label("Description", exact=True).fill(description)
    page.get_by_label("Key material origin").select_option("EXTERNAL")
    page.get_by_role("button", name="Create key").click()
    expect(page.locator("#import-state")).to_contain_text("waiting for an import")
    key_id = page.get_by_role("heading", level=1).inner_text().removeprefix("Key ")
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert meta["Origin"] == "EXTERNAL" and meta["KeyState"] == "PendingImport" and meta["Description"] == description
    check_axe(page, "kms external key")

    # 128 bits for a symmetric key: the server refuses the material (wrapped in the page, unwrapped by the server)
    page.get_by_label("Key material", exact=True).select_option("file")
    page.get_by_label("Key material file").set_input_files(
        {"name": "short.bin", "mimeType": "application/octet-stream", "buffer": b"\x01" * 16}
    )
    page.get_by_role("button", name="Wrap and import key material").click()
    expect(page.get_by_role("alert")).to_contain_text("IncorrectKeyMaterialException")
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingImport"

    page.get_by_label("Key material", exact=True).select_option("file")
    page.get_by_label("Key material file").set_input_files(
        {"name": "key.bin", "mimeType": "application/octet-stream", "buffer": bytes(range(32))}
    )
    page.get_by_label("Wrapping algorithm").select_option("RSAES_OAEP_SHA_1")
    page.get_by_role("button", name="Wrap and import key material").click()
    expect(page.locator("#import-state")).to_contain_text("does not expire")
    expect(page.locator("#import-messages")).to_contain_text("Key material imported (")
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"imported")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"imported"
    check_axe(page, "kms imported key")
    shoot(page, "kms-import")
    page.get_by_role("button", name="Delete imported key material").click()
    expect(page.locator("#import-state")).to_contain_text("waiting for an import")
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingImport"

    # multi-Region: replicate to another Region (the primary's own Region refused), then move the primary there
    primary = kms.create_key(MultiRegion=True, Description="console multi-Region")["KeyMetadata"]["KeyId"]
    go(page, f"#/kms/{primary}", f"Key {primary}")
    expect(page.locator("#multi-region-type")).to_contain_text("primary key")
    page.get_by_label("Replica Region").select_option("us-east-1")
    page.get_by_role("button", name="Replicate key").click()
    expect(page.get_by_role("alert")).to_contain_text("ValidationException")
    page.get_by_label("Replica Region").select_option("eu-west-1")
    page.get_by_role("button", name="Replicate key").click()
    replicas = page.get_by_role("table", name="Primary and replica keys")
    expect(replicas.get_by_role("row", name="eu-west-1")).to_contain_text("Replica")
    config = kms.describe_key(KeyId=primary)["KeyMetadata"]["MultiRegionConfiguration"]
    assert [r["Region"] for r in config["ReplicaKeys"]] == ["eu-west-1"]
    assert server.client("kms", "eu-west-1").describe_key(KeyId=primary)["KeyMetadata"]["KeyState"] == "Enabled"
    check_axe(page, "kms multi-Region key")
    shoot(page, "kms-replicas")
    page.get_by_label("New primary Region").select_option("eu-west-1")
    page.get_by_role("button", name="Update primary Region").click()
    expect(page.locator("#multi-region-type")).to_contain_text("replica")
    config = kms.describe_key(KeyId=primary)["KeyMetadata"]["MultiRegionConfiguration"]
    assert config["MultiRegionKeyType"] == "REPLICA" and config["PrimaryKey"]["Region"] == "eu-west-1"


def test_console_secret_policy_replicas_and_deletion(page: Any, admin: dict[str, str], server: ServerProcess) -> None:
    sm = server.client("secretsmanager")
    name = f"console-more-{uuid.uuid4().hex[:8]}"
    arn = sm.create_secret(Name=name, SecretString="policy-test-value")["ARN"]
    account = arn.split(":")[4]
    sign_in(page, admin)
    go(page, f"#/secrets/{arn}", name)

    editor = page.get_by_label("Policy document (JSON)")
    public = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}
        ],
    }
    editor.fill(json.dumps(public))
    page.get_by_role("button", name="Validate policy").click()
    results = page.locator("#policy-validation")
    expect(results).to_contain_text("Validation failed.")
    expect(results.get_by_role("table", name="Validation errors")).to_contain_text("PUBLIC_ACCESS_CHECK")
    page.get_by_role("button", name="Save resource policy").click()
    expect(page.get_by_role("alert")).to_contain_text("PublicPolicyException")
    editor.fill('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]}')
    page.get_by_role("button", name="Save resource policy").click()
    expect(page.get_by_role("alert")).to_contain_text("MalformedPolicyDocumentException")
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId=arn)
    mine = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ConsoleReaders",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "*",
            }
        ],
    }
    editor.fill(json.dumps(mine))
    page.get_by_role("button", name="Validate policy").click()
    expect(results).to_contain_text("Validation passed.")
    page.get_by_role("button", name="Save resource policy").click()
    expect(page.get_by_text("Resource policy saved.")).to_be_visible()
    expect(page.locator("#policy-state")).to_have_text("This secret has a resource policy.")
    stored = json.loads(sm.get_resource_policy(SecretId=arn)["ResourcePolicy"])
    assert stored["Statement"][0]["Sid"] == "ConsoleReaders"
    check_axe(page, "secret resource policy")
    shoot(page, "secret-policy")
    page.get_by_role("button", name="Delete resource policy").click()
    expect(page.get_by_text("Resource policy deleted.")).to_be_visible()
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId=arn)

    page.get_by_label("Replica Region", exact=True).select_option("us-west-2")
    page.get_by_role("button", name="Replicate secret").click()
    replicas = page.get_by_role("table", name="Replica regions")
    expect(replicas.get_by_role("row", name="us-west-2")).to_contain_text("InSync")
    assert [r["Region"] for r in sm.describe_secret(SecretId=arn)["ReplicationStatus"]] == ["us-west-2"]
    value = server.client("secretsmanager", "us-west-2").get_secret_value(SecretId=name)["SecretString"]
    assert value == "policy-test-value"
    check_axe(page, "secret replicas")
    # the replica goes before the deletion below (a replica is removed with the primary on AWS; kept simple here)
    sm.remove_regions_from_replication(SecretId=arn, RemoveReplicaRegions=["us-west-2"])
    go(page, f"#/secrets/{arn}", name)

    page.get_by_label("Recovery window (days)").fill("3")
    page.get_by_role("button", name="Schedule deletion").click()
    expect(page.get_by_role("alert")).to_contain_text("between 7 and 30 days")
    assert "DeletedDate" not in sm.describe_secret(SecretId=arn)
    page.get_by_label("Recovery window (days)").fill("7")
    page.get_by_role("button", name="Schedule deletion").click()
    expect(page.locator("#deletion-state")).to_contain_text("Scheduled for deletion")
    assert "DeletedDate" in sm.describe_secret(SecretId=arn)
    with pytest.raises(ClientError) as gone:
        sm.get_secret_value(SecretId=arn)
    assert gone.value.response["Error"]["Code"] == "InvalidRequestException"
    check_axe(page, "secret scheduled for deletion")
    page.get_by_role("button", name="Cancel deletion (restore secret)").click()
    expect(page.get_by_role("button", name="Schedule deletion")).to_be_visible()
    assert "DeletedDate" not in sm.describe_secret(SecretId=arn)
    assert sm.get_secret_value(SecretId=arn)["SecretString"] == "policy-test-value"


def test_console_s3_versions_and_deletion(page: Any, admin: dict[str, str], server: ServerProcess) -> None:
    s3 = server.client("s3")
    bucket = f"console-more-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="before.txt", Body=b"unversioned")
    sign_in(page, admin)
    go(page, f"#/s3/{bucket}", bucket)
    expect(page.locator("#versioning-status")).to_contain_text("never been enabled")
    page.get_by_role("button", name="Enable versioning").click()
    expect(page.locator("#versioning-status")).to_have_text("Versioning is enabled.")
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"

    first = s3.put_object(Bucket=bucket, Key="notes.txt", Body=b"version one")["VersionId"]
    second = s3.put_object(Bucket=bucket, Key="notes.txt", Body=b"version two")["VersionId"]
    go(page, "#/s3", "S3 buckets")
    go(page, f"#/s3/{bucket}", bucket)
    versions = page.locator("#object-versions")
    expect(versions.get_by_role("row", name=second)).to_contain_text("(latest)")
    with page.expect_download() as download:
        page.get_by_role("button", name=f"Download version {first} of notes.txt").click()
    assert download.value.path().read_bytes() == b"version one"

    page.get_by_role("button", name="Delete notes.txt").click()
    expect(page.get_by_text("a delete marker now hides its versions")).to_be_visible()
    listed = s3.list_object_versions(Bucket=bucket, Prefix="notes.txt")
    markers = listed.get("DeleteMarkers", [])
    assert len(markers) == 1 and markers[0]["IsLatest"]
    assert {v["VersionId"] for v in listed["Versions"]} == {first, second}
    expect(versions.get_by_role("row", name=markers[0]["VersionId"])).to_contain_text("delete marker (latest)")
    check_axe(page, "s3 versions")
    versions.scroll_into_view_if_needed()
    shoot(page, "s3-versions")

    page.get_by_role("button", name="Delete bucket", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("BucketNotEmpty")
    assert s3.head_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 200

    page.get_by_role("button", name=f"Permanently delete version {first} of notes.txt").click()
    expect(page.get_by_role("button", name=f"Download version {first} of notes.txt")).to_have_count(0)
    assert {v["VersionId"] for v in s3.list_object_versions(Bucket=bucket, Prefix="notes.txt")["Versions"]} == {second}
    page.get_by_role("button", name="Suspend versioning").click()
    expect(page.locator("#versioning-status")).to_have_text("Versioning is suspended.")
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Suspended"

    # empty the bucket from the page: every version and marker, then the bucket goes
    for _ in range(10):
        buttons = page.locator("#object-versions button.danger")
        if buttons.count() == 0:
            break
        buttons.first.click()
        page.wait_for_timeout(300)
    expect(page.locator("#object-versions button.danger")).to_have_count(0)
    page.get_by_role("button", name="Delete bucket", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("S3 buckets")
    with pytest.raises(ClientError) as gone:
        s3.head_bucket(Bucket=bucket)
    assert gone.value.response["Error"]["Code"] in ("404", "NoSuchBucket")


def test_console_events_replay_progress(page: Any, admin: dict[str, str], server: ServerProcess) -> None:
    events = server.client("events")
    uid = uuid.uuid4().hex[:8]
    bus = f"console-replay-{uid}"
    bus_arn = events.create_event_bus(Name=bus)["EventBusArn"]
    archive = f"console-archive-{uid}"
    events.create_archive(ArchiveName=archive, EventSourceArn=bus_arn, RetentionDays=7)
    entries = [{"Source": "console.replay", "DetailType": "t", "Detail": "{}", "EventBusName": bus}] * 2
    assert events.put_events(Entries=entries)["FailedEntryCount"] == 0
    wait_for(lambda: events.describe_archive(ArchiveName=archive)["EventCount"] == 2)
    created = events.describe_archive(ArchiveName=archive)["CreationTime"]

    sign_in(page, admin)
    go(page, "#/events", "EventBridge rules")
    page.get_by_label("Event bus").select_option(bus)
    archives = page.get_by_role("table", name="Archives of this bus")
    expect(archives.get_by_role("row", name=archive)).to_contain_text("7")
    replay = f"console-replay-{uid}"
    page.get_by_label("Replay name").fill(replay)
    start = created.astimezone(UTC).replace(tzinfo=None)
    page.get_by_label("Events from (UTC)").fill((start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Events until (UTC)").fill((start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Start replay").click()
    expect(page.get_by_role("alert")).to_contain_text("EventStartTime must be before EventEndTime")
    page.get_by_label("Events from (UTC)").fill((start - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Events until (UTC)").fill((start + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Start replay").click()
    expect(page.locator("#replay-progress")).to_contain_text(f"Replay {replay}: STARTING")
    expect(page.get_by_role("progressbar", name=f"Replay {replay} in progress")).to_be_visible()
    check_axe(page, "events replay in progress")
    wait_for(lambda: events.describe_replay(ReplayName=replay)["State"] == "COMPLETED", nudge=lambda: server.advance(0))
    expect(page.locator("#replay-progress")).to_contain_text(f"Replay {replay}: COMPLETED")
    expect(page.get_by_role("progressbar", name=f"Replay {replay} in progress")).to_have_count(0)
    described = events.describe_replay(ReplayName=replay)
    assert described["EventSourceArn"].endswith(f":archive/{archive}") and described["Destination"]["Arn"] == bus_arn
