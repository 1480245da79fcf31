"""Parameter Store: PutParameter / GetParameter(s) / DeleteParameter(s) and the rules AWS applies to them."""

from __future__ import annotations

import json
import uuid
from typing import Any

import botocore.config
import pytest
from botocore.exceptions import ClientError

from tests.e2e.ssm_support import unique_name
from tests.support.errors import code_of
from tests.support.server import ServerProcess

NO_VALIDATION = botocore.config.Config(parameter_validation=False)


def unique(prefix: str = "/t") -> str:
    return unique_name(prefix)


def test_create_read_overwrite(ssm: Any) -> None:
    name = unique()
    out = ssm.put_parameter(Name=name, Value="v1", Type="String", Description="first")
    assert (out["Version"], out["Tier"]) == (1, "Standard")
    got = ssm.get_parameter(Name=name)["Parameter"]
    assert got["Name"] == name and got["Value"] == "v1" and got["Type"] == "String" and got["Version"] == 1
    assert got["DataType"] == "text" and got["ARN"].endswith(":parameter" + name) and "Selector" not in got
    with pytest.raises(ClientError) as exc:
        ssm.put_parameter(Name=name, Value="v2", Type="String")
    assert code_of(exc) == "ParameterAlreadyExists"
    assert ssm.put_parameter(Name=name, Value="v2", Overwrite=True)["Version"] == 2  # type kept
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"][0]
    assert meta["Description"] == "first" and meta["Version"] == 2  # description kept when not given
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == "v2"


def test_string_list_and_names_without_hierarchy(ssm: Any) -> None:
    name = "plain-" + uuid.uuid4().hex[:8]
    ssm.put_parameter(Name=name, Value="a,b,c", Type="StringList")
    got = ssm.get_parameter(Name=name)["Parameter"]
    assert got["Value"] == "a,b,c" and got["Type"] == "StringList"
    assert got["ARN"].endswith(":parameter/" + name)
    assert ssm.get_parameter(Name=got["ARN"])["Parameter"]["Name"] == name


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("/aws/mine", "AccessDeniedException"),
        ("/AWS/mine/x", "AccessDeniedException"),
        ("awsname", "ValidationException"),
        ("/ssm/mine", "ValidationException"),
        ("SSMthing", "ValidationException"),
        ("/bad name", "ValidationException"),
        ("/bad//name", "ValidationException"),
        ("/trailing/", "ValidationException"),
        ("not/qualified", "ValidationException"),
        ("/" + "/".join(["l"] * 16), "HierarchyLevelLimitExceededException"),
        ("/" + "x" * 1000, "ValidationException"),
    ],
)
def test_name_rules(ssm: Any, name: str, code: str) -> None:
    with pytest.raises(ClientError) as exc:
        ssm.put_parameter(Name=name, Value="v", Type="String")
    assert code_of(exc) == code


def test_fifteen_levels_are_fine(ssm: Any) -> None:
    name = "/" + "/".join(["l"] * 14) + "/" + uuid.uuid4().hex[:6]
    assert ssm.put_parameter(Name=name, Value="v", Type="String")["Version"] == 1


def test_put_negative_paths(ssm: Any, server: ServerProcess) -> None:
    raw = server.client("ssm", config=NO_VALIDATION)
    name = unique()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"Name": name, "Value": "v"}, "ValidationException"),  # no type on create
        ({"Name": name, "Value": "", "Type": "String"}, "ValidationException"),
        ({"Name": name, "Value": "v", "Type": "Secret"}, "ValidationException"),
        ({"Name": name, "Value": "v", "Type": "String", "KeyId": "alias/aws/ssm"}, "ValidationException"),
        ({"Name": name, "Value": "v", "Type": "String", "AllowedPattern": "("}, "InvalidAllowedPatternException"),
        (
            {"Name": name, "Value": "abc", "Type": "String", "AllowedPattern": r"^\d+$"},
            "ParameterPatternMismatchException",
        ),
        ({"Name": name, "Value": "v", "Type": "String", "DataType": "TEXT"}, "ValidationException"),
        ({"Name": name, "Value": "ami-xyz", "Type": "String", "DataType": "aws:ec2:image"}, "ValidationException"),
        (
            {"Name": name, "Value": "v", "Type": "String", "Tags": [{"Key": "k", "Value": "v"}], "Overwrite": True},
            "ValidationException",
        ),
        ({"Name": name, "Value": "x" * 4097, "Type": "String", "Tier": "Standard"}, "ValidationException"),
        ({"Name": name, "Value": "x" * 8193, "Type": "String", "Tier": "Advanced"}, "ValidationException"),
    ]
    for request, code in cases:
        with pytest.raises(ClientError) as exc:
            raw.put_parameter(**request)
        assert code_of(exc) == code, request
    with pytest.raises(ClientError) as exc:
        ssm.get_parameter(Name=name)
    assert code_of(exc) == "ParameterNotFound"  # nothing half-written


def test_allowed_pattern_and_ami_data_type(ssm: Any) -> None:
    name = unique()
    ssm.put_parameter(Name=name, Value="123", Type="String", AllowedPattern=r"^\d+$")
    with pytest.raises(ClientError) as exc:
        ssm.put_parameter(Name=name, Value="abc", Overwrite=True)  # the stored pattern still applies
    assert code_of(exc) == "ParameterPatternMismatchException"
    ami = unique()
    ssm.put_parameter(Name=ami, Value="ami-0123456789abcdef0", Type="String", DataType="aws:ec2:image")
    assert ssm.get_parameter(Name=ami)["Parameter"]["DataType"] == "aws:ec2:image"


def test_type_cannot_change(ssm: Any) -> None:
    name = unique()
    ssm.put_parameter(Name=name, Value="v", Type="String")
    with pytest.raises(ClientError) as exc:
        ssm.put_parameter(Name=name, Value="v", Type="StringList", Overwrite=True)
    assert code_of(exc) == "HierarchyTypeMismatchException"


def test_tiers(ssm: Any) -> None:
    name = unique()
    assert ssm.put_parameter(Name=name, Value="v", Type="String")["Tier"] == "Standard"
    assert ssm.put_parameter(Name=name, Value="x" * 5000, Overwrite=True, Tier="Advanced")["Tier"] == "Advanced"
    with pytest.raises(ClientError) as exc:
        ssm.put_parameter(Name=name, Value="v", Overwrite=True, Tier="Standard")
    assert code_of(exc) == "ValidationException" and "downgrade" in str(exc.value)
    assert ssm.put_parameter(Name=name, Value="small", Overwrite=True)["Tier"] == "Advanced"  # stays
    smart = unique()
    assert ssm.put_parameter(Name=smart, Value="v", Type="String", Tier="Intelligent-Tiering")["Tier"] == "Standard"
    out = ssm.put_parameter(Name=smart, Value="x" * 4500, Overwrite=True, Tier="Intelligent-Tiering")
    assert out["Tier"] == "Advanced"
    policy = json.dumps(
        [{"Type": "NoChangeNotification", "Version": "1.0", "Attributes": {"After": "5", "Unit": "Days"}}]
    )
    assert (
        ssm.put_parameter(Name=unique(), Value="v", Type="String", Tier="Intelligent-Tiering", Policies=policy)["Tier"]
        == "Advanced"
    )
    with pytest.raises(ClientError) as exc:
        ssm.put_parameter(Name=unique(), Value="v", Type="String", Tier="Standard", Policies=policy)
    assert code_of(exc) == "ValidationException"


def test_selectors_versions_and_labels(ssm: Any) -> None:
    name = unique()
    for i in range(3):
        ssm.put_parameter(Name=name, Value=f"v{i + 1}", Type="String", Overwrite=bool(i))
    got = ssm.get_parameter(Name=f"{name}:2")["Parameter"]
    assert (got["Value"], got["Version"], got["Selector"], got["Name"]) == ("v2", 2, ":2", name)
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["prod"])
    got = ssm.get_parameter(Name=f"{name}:prod")["Parameter"]
    assert (got["Value"], got["Selector"]) == ("v1", ":prod")
    with pytest.raises(ClientError) as exc:
        ssm.get_parameter(Name=f"{name}:9")
    assert code_of(exc) == "ParameterVersionNotFound"
    with pytest.raises(ClientError) as exc:
        ssm.get_parameter(Name=f"{name}:nolabel")
    assert code_of(exc) == "ParameterVersionNotFound"
    with pytest.raises(ClientError) as exc:
        ssm.get_parameter(Name=unique())
    assert code_of(exc) == "ParameterNotFound"


def test_get_parameters_reports_invalid_names(ssm: Any) -> None:
    a, b = unique(), unique()
    ssm.put_parameter(Name=a, Value="A", Type="String")
    ssm.put_parameter(Name=b, Value="B", Type="String")
    missing = unique()
    out = ssm.get_parameters(Names=[a, f"{b}:1", missing, f"{a}:7", a])
    assert [p["Value"] for p in out["Parameters"]] == ["A", "B"]
    assert out["Parameters"][1]["Selector"] == ":1"
    assert out["InvalidParameters"] == [missing, f"{a}:7"]


def test_version_limit_drops_oldest_unless_labelled(ssm: Any) -> None:
    name = unique()
    ssm.put_parameter(Name=name, Value="v1", Type="String")
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["keep"])
    for i in range(2, 101):
        ssm.put_parameter(Name=name, Value=f"v{i}", Overwrite=True)
    with pytest.raises(ClientError) as exc:
        ssm.put_parameter(Name=name, Value="v101", Overwrite=True)
    assert code_of(exc) == "ParameterMaxVersionLimitExceeded"
    ssm.label_parameter_version(Name=name, ParameterVersion=2, Labels=["keep"])  # moves the label off v1
    assert ssm.put_parameter(Name=name, Value="v101", Overwrite=True)["Version"] == 101
    history = ssm.get_paginator("get_parameter_history").paginate(Name=name).build_full_result()["Parameters"]
    assert len(history) == 100 and history[0]["Version"] == 2 and history[-1]["Version"] == 101


def test_delete_parameter_and_parameters(ssm: Any) -> None:
    a, b = unique(), unique()
    ssm.put_parameter(Name=a, Value="A", Type="String")
    ssm.put_parameter(Name=b, Value="B", Type="String", Tags=[{"Key": "team", "Value": "x"}])
    ssm.delete_parameter(Name=a)
    with pytest.raises(ClientError) as exc:
        ssm.delete_parameter(Name=a)
    assert code_of(exc) == "ParameterNotFound"
    missing = unique()
    out = ssm.delete_parameters(Names=[b, missing])
    assert out["DeletedParameters"] == [b] and out["InvalidParameters"] == [missing]
    # a re-created parameter starts again at version 1, without the old tags
    assert ssm.put_parameter(Name=b, Value="B2", Type="String")["Version"] == 1
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=b)["TagList"] == []


def test_other_ssm_operations_are_not_implemented(ssm: Any) -> None:
    with pytest.raises(ClientError) as exc:
        ssm.list_documents()
    assert code_of(exc) == "NotImplemented" and exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
