"""Events Strongroom emits itself, published in-process the way services (and the audit trail) will."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from strongroom.events.bus import publish_api_call_event
from strongroom.services.kms import events as kms_events
from tests.e2e.events_support import Receiver, log_entries, log_target, wait_for
from tests.support.inprocess import inprocess_server


def test_kms_createkey_api_call_and_kms_events_reach_their_targets(tmp_path: Path) -> None:
    with inprocess_server(tmp_path / "srv") as (handle, runtime, _app):
        events = handle.client("events")
        account = handle.client("sts").get_caller_identity()["Account"]
        receiver = Receiver().start()
        try:
            conn = events.create_connection(
                Name="hook",
                AuthorizationType="BASIC",
                AuthParameters={"BasicAuthParameters": {"Username": "u", "Password": "p4ss"}},
            )
            dest = events.create_api_destination(
                Name="hook",
                ConnectionArn=conn["ConnectionArn"],
                InvocationEndpoint=receiver.url + "/hook",
                HttpMethod="POST",
                InvocationRateLimitPerSecond=5,
            )
            pattern = {
                "source": ["aws.kms"],
                "detail-type": ["AWS API Call via CloudTrail"],
                "detail": {"eventSource": ["kms.amazonaws.com"], "eventName": ["CreateKey"]},
            }
            events.put_rule(Name="createkey", EventPattern=json.dumps(pattern))
            events.put_targets(Rule="createkey", Targets=[{"Id": "h", "Arn": dest["ApiDestinationArn"]}])
            events.put_rule(
                Name="kms", EventPattern=json.dumps({"source": ["aws.kms"], "detail-type": [{"prefix": "KMS "}]})
            )
            events.put_targets(Rule="kms", Targets=[{"Id": "log", "Arn": log_target(handle, "kms")}])

            record = {
                "eventVersion": "1.11",
                "userIdentity": {"type": "Root", "accountId": account},
                "eventTime": "2026-03-02T10:00:00Z",
                "eventSource": "kms.amazonaws.com",
                "eventName": "CreateKey",
                "awsRegion": "us-east-1",
                "requestParameters": {"description": "k"},
                "readOnly": False,
                "eventID": str(uuid.uuid4()),
                "recipientAccountId": account,
            }
            assert publish_api_call_event(runtime, {**record, "eventName": "DescribeKey", "readOnly": True}) is None
            publish_api_call_event(runtime, {**record, "eventName": "Encrypt"})
            event_id = publish_api_call_event(runtime, record)
            bodies = wait_for(lambda: receiver.bodies("/hook"), nudge=lambda: runtime.scheduler.drain())
            assert len(bodies) == 1
            got = bodies[0]
            assert got["id"] == event_id and got["source"] == "aws.kms" and got["account"] == account
            assert got["detail-type"] == "AWS API Call via CloudTrail" and got["detail"] == record
            assert got["time"] == "2026-03-02T10:00:00Z"
            assert receiver.requests[0]["headers"]["Authorization"] == "Basic dTpwNHNz"

            key_arn = f"arn:aws:kms:us-east-1:{account}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
            kms_events.publish_rotation(runtime, key_arn, rotation_type="AUTOMATIC")
            kms_events.publish_deletion(runtime, key_arn)
            kms_events.publish_material_expiration(runtime, key_arn)
            logged = wait_for(
                lambda: len(log_entries(handle, "kms")) >= 3 and log_entries(handle, "kms"),
                nudge=lambda: runtime.scheduler.drain(),
            )
            kinds = sorted(e["detail-type"] for e in logged)
            assert kinds == ["KMS CMK Deletion", "KMS CMK Rotation", "KMS Imported Key Material Expiration"]
            assert all(
                e["resources"] == [key_arn] and e["detail"]["key-id"] == key_arn.rsplit("/", 1)[1] for e in logged
            )
        finally:
            receiver.stop()


def test_oauth_connection_fetches_token_and_sends_bearer(tmp_path: Path) -> None:
    with inprocess_server(tmp_path / "srv") as (handle, runtime, _app):
        events = handle.client("events")
        receiver = Receiver().start()
        try:
            conn = events.create_connection(
                Name="oauth",
                AuthorizationType="OAUTH_CLIENT_CREDENTIALS",
                AuthParameters={
                    "OAuthParameters": {
                        "ClientParameters": {"ClientID": "cid", "ClientSecret": "csecret"},
                        "AuthorizationEndpoint": receiver.url + "/oauth/token",
                        "HttpMethod": "POST",
                        "OAuthHttpParameters": {
                            "BodyParameters": [{"Key": "scope", "Value": "x", "IsValueSecret": True}]
                        },
                    },
                    "InvocationHttpParameters": {
                        "HeaderParameters": [{"Key": "X-Tenant", "Value": "t1", "IsValueSecret": False}]
                    },
                },
            )
            assert conn["ConnectionState"] == "AUTHORIZING"
            described = events.describe_connection(Name="oauth")
            assert "csecret" not in json.dumps(described, default=str)
            assert "ClientSecret" not in described["AuthParameters"]["OAuthParameters"]["ClientParameters"]
            dest = events.create_api_destination(
                Name="o",
                ConnectionArn=conn["ConnectionArn"],
                InvocationEndpoint=receiver.url + "/hook/*",
                HttpMethod="PUT",
            )
            events.put_rule(Name="r", EventPattern=json.dumps({"source": ["o.app"]}))
            events.put_targets(
                Rule="r",
                Targets=[
                    {
                        "Id": "h",
                        "Arn": dest["ApiDestinationArn"],
                        "HttpParameters": {"PathParameterValues": ["abc"], "QueryStringParameters": {"q": "1"}},
                    }
                ],
            )
            events.put_events(Entries=[{"Source": "o.app", "DetailType": "X", "Detail": "{}"}])
            wait_for(lambda: receiver.bodies("/hook"), nudge=lambda: runtime.scheduler.drain())
            hook = next(r for r in receiver.requests if r["path"].startswith("/hook"))
            token_req = next(r for r in receiver.requests if r["path"].startswith("/oauth"))
            assert hook["method"] == "PUT" and hook["path"] == "/hook/abc?q=1"
            assert hook["headers"]["Authorization"] == "Bearer tok-123" and hook["headers"]["X-Tenant"] == "t1"
            assert b"grant_type=client_credentials" in token_req["body"] and b"scope=x" in token_req["body"]
            assert events.describe_connection(Name="oauth")["ConnectionState"] == "AUTHORIZED"
        finally:
            receiver.stop()
