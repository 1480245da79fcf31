"""Parameter policies on the server clock, Parameter Store events, sharing, throughput and operator settings."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import botocore.config
import pytest
from botocore.exceptions import ClientError

from tests.e2e.events_support import log_entries, log_target, wait_for
from tests.support.errors import code_of
from tests.support.server import ServerProcess


def unique(prefix: str = "/pol") -> str:
    return f"{prefix}/{uuid.uuid4().hex[:10]}"


def _rule_to_log(server: ServerProcess, detail_type: str, name: str) -> str:
    events = server.client("events")
    rule = f"ssm-{uuid.uuid4().hex[:10]}"
    pattern = {"source": ["aws.ssm"], "detail-type": [detail_type]}
    events.put_rule(Name=rule, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=rule, Targets=[{"Id": "log", "Arn": log_target(server, rule)}])
    return rule


def _mine(server: ServerProcess, rule: str, arn: str) -> list[dict[str, Any]]:
    return [e for e in log_entries(server, rule) if arn in e["resources"]]


def _server_now(server: ServerProcess) -> datetime:
    status, body = server.admin("GET", "clock")
    assert status == 200
    return datetime.fromisoformat(body["now"].replace("Z", "+00:00"))


def _policy(kind: str, **attributes: str) -> dict[str, Any]:
    return {"Type": kind, "Version": "1.0", "Attributes": attributes}


def test_change_events(server: ServerProcess) -> None:
    ssm = server.client("ssm")
    name = unique()
    rule = _rule_to_log(server, "Parameter Store Change", name)
    ssm.put_parameter(Name=name, Value="v1", Type="String", Description="about")
    ssm.put_parameter(Name=name, Value="v2", Overwrite=True)
    ssm.label_parameter_version(Name=name, Labels=["l"])
    arn = ssm.get_parameter(Name=name)["Parameter"]["ARN"]
    ssm.delete_parameter(Name=name)
    entries = wait_for(
        lambda: len(_mine(server, rule, arn)) >= 4 and _mine(server, rule, arn), nudge=lambda: server.advance(0)
    )
    details = [e["detail"] for e in entries]
    assert [d["operation"] for d in details] == ["Create", "Update", "LabelParameterVersion", "Delete"]
    assert details[0] == {"operation": "Create", "name": name, "type": "String", "description": "about"}
    assert all(e["source"] == "aws.ssm" and e["detail-type"] == "Parameter Store Change" for e in entries)


def test_policies_act_on_the_server_clock(server: ServerProcess) -> None:
    ssm = server.client("ssm")
    name = unique()
    rule = _rule_to_log(server, "Parameter Store Policy Action", name)
    expires = _server_now(server) + timedelta(days=3)
    document = [
        _policy("Expiration", Timestamp=expires.strftime("%Y-%m-%dT%H:%M:%S.000Z")),
        _policy("ExpirationNotification", Before="1", Unit="Days"),
        _policy("NoChangeNotification", After="2", Unit="Hours"),
    ]
    out = ssm.put_parameter(
        Name=name, Value="temp", Type="SecureString", Tier="Advanced", Policies=json.dumps(document)
    )
    assert out["Tier"] == "Advanced"

    def statuses() -> dict[str, str]:
        meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"]
        return {p["PolicyType"]: p["PolicyStatus"] for p in meta[0]["Policies"]} if meta else {}

    assert statuses() == {
        "Expiration": "Pending",
        "ExpirationNotification": "Pending",
        "NoChangeNotification": "Pending",
    }
    arn = ssm.get_parameter(Name=name)["Parameter"]["ARN"]
    server.advance(3 * 3600)
    assert statuses()["NoChangeNotification"] == "Finished"
    first = wait_for(lambda: _mine(server, rule, arn), nudge=lambda: server.advance(0))
    assert first[0]["detail"]["policy-type"] == "NoChangeNotification"
    assert first[0]["detail"]["parameter-name"] == name and first[0]["detail"]["parameter-type"] == "SecureString"
    server.advance(2 * 86400)
    assert statuses()["ExpirationNotification"] == "Finished" and statuses()["Expiration"] == "Pending"
    assert ssm.get_parameter(Name=name)["Parameter"]["Version"] == 1
    server.advance(86400)
    with pytest.raises(ClientError) as exc:
        ssm.get_parameter(Name=name)
    assert code_of(exc) == "ParameterNotFound"
    entries = wait_for(
        lambda: len(_mine(server, rule, arn)) >= 3 and _mine(server, rule, arn), nudge=lambda: server.advance(0)
    )
    assert [e["detail"]["policy-type"] for e in entries] == [
        "NoChangeNotification",
        "ExpirationNotification",
        "Expiration",
    ]
    assert all(e["detail"]["action-status"] == "Finished" for e in entries)
    trail = server.client("cloudtrail")
    records = [
        json.loads(e["CloudTrailEvent"])
        for e in trail.lookup_events(LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": arn}])[
            "Events"
        ]
    ]
    assert any(r["eventType"] == "AwsServiceEvent" and r["eventName"] == "DeleteParameter" for r in records)


def test_updates_keep_policies_and_restart_no_change(server: ServerProcess) -> None:
    ssm = server.client("ssm")
    name = unique()
    ssm.put_parameter(
        Name=name,
        Value="v",
        Type="String",
        Tier="Advanced",
        Policies=json.dumps([_policy("NoChangeNotification", After="1", Unit="Hours")]),
    )
    server.advance(2 * 3600)
    ssm.put_parameter(Name=name, Value="v2", Overwrite=True)
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"][0]
    assert [(p["PolicyType"], p["PolicyStatus"]) for p in meta["Policies"]] == [("NoChangeNotification", "Pending")]
    ssm.put_parameter(Name=name, Value="v3", Overwrite=True, Policies="[]")
    assert (
        ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"][0]["Policies"] == []
    )


def test_policy_negative_paths(server: ServerProcess) -> None:
    ssm = server.client("ssm")
    past = "2001-01-01T00:00:00.000Z"
    cases: list[tuple[Any, str]] = [
        ([{"Type": "Rotate", "Version": "1.0", "Attributes": {}}], "InvalidPolicyTypeException"),
        ([_policy("Expiration", Timestamp="tomorrow")], "InvalidPolicyAttributeException"),
        ([_policy("Expiration", Timestamp=past)], "InvalidPolicyAttributeException"),
        ([_policy("NoChangeNotification", After="0", Unit="Days")], "InvalidPolicyAttributeException"),
        ([_policy("NoChangeNotification", After="1", Unit="Weeks")], "InvalidPolicyAttributeException"),
        ([_policy("NoChangeNotification", After="1", Unit="Days")] * 2, "IncompatiblePolicyException"),
        ([_policy("NoChangeNotification", After="1", Unit="Days")] * 11, "PoliciesLimitExceededException"),
        ("{not json", "InvalidPolicyAttributeException"),
    ]
    for document, code in cases:
        text = document if isinstance(document, str) else json.dumps(document)
        with pytest.raises(ClientError) as exc:
            ssm.put_parameter(Name=unique(), Value="v", Type="String", Tier="Advanced", Policies=text)
        assert code_of(exc) == code, document


# -- a dev-mode server of its own: several accounts, operator settings, throughput ------------------------------


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> Any:
    data_dir = tmp_path_factory.mktemp("ssm-own")
    srv = ServerProcess(data_dir, None, ["--dev", "--test-mode"])
    srv.init()
    catalogue = data_dir / "extra-public.json"
    catalogue.write_text(json.dumps({"Parameters": {"/aws/service/custom/thing": "from-operator"}}))
    (data_dir / "strongroom.toml").write_text(
        f'ssm_public_parameters_file = "{catalogue}"\nssm_throughput_limit = 5\nssm_standard_parameter_limit = 3\n'
    )
    srv.start()
    yield srv
    srv.stop()


NO_RETRIES = botocore.config.Config(retries={"total_max_attempts": 1})  # botocore retries throttling itself


def _account(srv: ServerProcess, account: str) -> Any:
    return srv.client("ssm", aws_access_key_id=account, aws_secret_access_key="x" * 40, config=NO_RETRIES)


def test_operator_catalogue_and_standard_limit(own: ServerProcess) -> None:
    ssm = _account(own, "222222222222")
    assert ssm.get_parameter(Name="/aws/service/custom/thing")["Parameter"]["Value"] == "from-operator"
    for i in range(3):
        ssm.put_parameter(Name=f"/limit/p{i}", Value="v", Type="String")
    with pytest.raises(ClientError) as exc:
        ssm.put_parameter(Name="/limit/p3", Value="v", Type="String")
    assert code_of(exc) == "ParameterLimitExceeded"
    assert (
        ssm.put_parameter(Name="/limit/smart", Value="v", Type="String", Tier="Intelligent-Tiering")["Tier"]
        == "Advanced"
    )


def test_throughput_limit(own: ServerProcess) -> None:
    ssm = _account(own, "333333333333")
    ssm.put_parameter(Name="/tp/x", Value="v", Type="String")
    codes = []
    for _ in range(12):
        try:
            ssm.get_parameter(Name="/tp/x")
            codes.append("ok")
        except ClientError as exc:
            codes.append(exc.response["Error"]["Code"])
            assert exc.response["Error"]["Message"] == "Rate exceeded"
    assert "ThrottlingException" in codes and codes[0] == "ok"
    ssm.update_service_setting(SettingId="/ssm/parameter-store/high-throughput-enabled", SettingValue="true")
    own.advance(5)
    assert all(ssm.get_parameter(Name="/tp/x")["Parameter"]["Value"] == "v" for _ in range(12))
    other = _account(own, "444444444444")  # the limit is per account
    other.put_parameter(Name="/tp/y", Value="v", Type="String")
    assert other.get_parameter(Name="/tp/y")["Parameter"]["Value"] == "v"


def test_sharing_with_resource_policies(own: ServerProcess) -> None:
    owner, reader = _account(own, "555555555555"), _account(own, "666666666666")
    owner.put_parameter(Name="/share/std", Value="v", Type="String")
    owner.put_parameter(Name="/share/adv", Value="shared-value", Type="String", Tier="Advanced")
    arn = owner.get_parameter(Name="/share/adv")["Parameter"]["ARN"]
    with pytest.raises(ClientError) as exc:
        reader.get_parameter(Name=arn)
    assert code_of(exc) in ("ParameterNotFound", "AccessDeniedException")
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "666666666666"},
                "Action": ["ssm:GetParameter", "ssm:GetParameters", "ssm:DescribeParameters"],
                "Resource": arn,
            }
        ],
    }
    std_arn = arn.replace("/share/adv", "/share/std")
    with pytest.raises(ClientError) as exc:
        owner.put_resource_policy(ResourceArn=std_arn, Policy=json.dumps(policy))
    assert code_of(exc) == "ResourcePolicyInvalidParameterException"
    with pytest.raises(ClientError) as exc:
        owner.put_resource_policy(ResourceArn=arn, Policy="{nope")
    assert code_of(exc) == "MalformedResourcePolicyDocumentException"
    with pytest.raises(ClientError) as exc:
        owner.put_resource_policy(ResourceArn=arn.replace("/share/adv", "/share/none"), Policy=json.dumps(policy))
    assert code_of(exc) == "ResourceNotFoundException"
    put = owner.put_resource_policy(ResourceArn=arn, Policy=json.dumps(policy))
    listed = owner.get_resource_policies(ResourceArn=arn)["Policies"]
    assert [(p["PolicyId"], p["PolicyHash"]) for p in listed] == [(put["PolicyId"], put["PolicyHash"])]
    got = reader.get_parameter(Name=arn)["Parameter"]
    assert got["Value"] == "shared-value" and got["ARN"] == arn
    shared = reader.describe_parameters(Shared=True)["Parameters"]
    assert [p["Name"] for p in shared] == [arn]
    with pytest.raises(ClientError) as exc:
        owner.put_resource_policy(
            ResourceArn=arn, Policy=json.dumps(policy), PolicyId=put["PolicyId"], PolicyHash="stale"
        )
    assert code_of(exc) == "ResourcePolicyConflictException"
    with pytest.raises(ClientError) as exc:
        owner.delete_resource_policy(ResourceArn=arn, PolicyId="nope", PolicyHash=put["PolicyHash"])
    assert code_of(exc) == "ResourcePolicyNotFoundException"
    owner.delete_resource_policy(ResourceArn=arn, PolicyId=put["PolicyId"], PolicyHash=put["PolicyHash"])
    assert owner.get_resource_policies(ResourceArn=arn)["Policies"] == []
    with pytest.raises(ClientError) as exc:
        reader.get_parameter(Name=arn)
    assert code_of(exc) in ("ParameterNotFound", "AccessDeniedException")
