"""GetParametersByPath, DescribeParameters, history and labels, tags, service settings, public parameters."""

from __future__ import annotations

import uuid
from typing import Any

import botocore.config
import pytest
from botocore.exceptions import ClientError

from tests.e2e.ssm_support import unique_name
from tests.support.errors import code_of
from tests.support.server import ServerProcess

NO_VALIDATION = botocore.config.Config(parameter_validation=False)


def unique(prefix: str = "/ls") -> str:
    return unique_name(prefix)


@pytest.fixture
def tree(ssm: Any) -> str:
    base = unique()
    for name, kind in [("a", "String"), ("b", "StringList"), ("c/d", "String"), ("c/e/f", "SecureString")]:
        ssm.put_parameter(Name=f"{base}/{name}", Value=f"v-{name}", Type=kind)
    return base


def _all_by_path(ssm: Any, **kwargs: Any) -> list[dict[str, Any]]:
    return ssm.get_paginator("get_parameters_by_path").paginate(**kwargs).build_full_result()["Parameters"]


def test_by_path_recursion_and_pages(ssm: Any, tree: str) -> None:
    one_level = sorted(p["Name"] for p in _all_by_path(ssm, Path=tree))
    assert one_level == [f"{tree}/a", f"{tree}/b"]
    deep = sorted(
        p["Name"] for p in _all_by_path(ssm, Path=tree + "/", Recursive=True, PaginationConfig={"PageSize": 1})
    )
    assert deep == [f"{tree}/{n}" for n in ("a", "b", "c/d", "c/e/f")]
    first = ssm.get_parameters_by_path(Path=tree, Recursive=True, MaxResults=3)
    assert len(first["Parameters"]) == 3 and first["NextToken"]
    rest = ssm.get_parameters_by_path(Path=tree, Recursive=True, MaxResults=3, NextToken=first["NextToken"])
    assert len(rest["Parameters"]) == 1 and "NextToken" not in rest
    secure = [p for p in _all_by_path(ssm, Path=tree, Recursive=True) if p["Type"] == "SecureString"]
    assert secure[0]["Value"] != "v-c/e/f"


def test_by_path_filters(ssm: Any, tree: str) -> None:
    typed = _all_by_path(ssm, Path=tree, Recursive=True, ParameterFilters=[{"Key": "Type", "Values": ["StringList"]}])
    assert [p["Name"] for p in typed] == [f"{tree}/b"]
    ssm.put_parameter(Name=f"{tree}/a", Value="v-a2", Overwrite=True)
    ssm.label_parameter_version(Name=f"{tree}/a", ParameterVersion=1, Labels=["stable"])
    labelled = _all_by_path(ssm, Path=tree, Recursive=True, ParameterFilters=[{"Key": "Label", "Values": ["stable"]}])
    assert [(p["Name"], p["Value"], p["Version"]) for p in labelled] == [(f"{tree}/a", "v-a", 1)]
    key_filter = [{"Key": "KeyId", "Values": ["alias/aws/ssm"]}]
    assert [p["Name"] for p in _all_by_path(ssm, Path=tree, Recursive=True, ParameterFilters=key_filter)] == [
        f"{tree}/c/e/f"
    ]
    for filters, code in [
        ([{"Key": "Name", "Values": ["x"]}], "InvalidFilterKey"),
        ([{"Key": "Type", "Option": "Contains", "Values": ["String"]}], "InvalidFilterOption"),
        ([{"Key": "Type", "Values": ["Nope"]}], "InvalidFilterValue"),
        ([{"Key": "Type", "Values": ["String"]}, {"Key": "Type", "Values": ["String"]}], "InvalidFilterKey"),
    ]:
        with pytest.raises(ClientError) as exc:
            ssm.get_parameters_by_path(Path=tree, ParameterFilters=filters)
        assert code_of(exc) == code
    for path in ("no-slash", "/bad path", "/a//b"):
        with pytest.raises(ClientError) as exc:
            ssm.get_parameters_by_path(Path=path)
        assert code_of(exc) == "ValidationException"
    with pytest.raises(ClientError) as exc:
        ssm.get_parameters_by_path(Path=tree, NextToken="garbage")
    assert code_of(exc) == "InvalidNextToken"


def _describe(ssm: Any, filters: list[dict[str, Any]]) -> list[str]:
    pages = ssm.get_paginator("describe_parameters").paginate(ParameterFilters=filters)
    return sorted(p["Name"] for p in pages.build_full_result()["Parameters"])


def test_describe_filters(ssm: Any, tree: str) -> None:
    ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=f"{tree}/b", Tags=[{"Key": "env", "Value": "prod"}])
    ssm.put_parameter(Name=f"{tree}/adv", Value="v", Type="String", Tier="Advanced")
    path = [{"Key": "Path", "Values": [tree]}]
    assert _describe(ssm, path) == [f"{tree}/{n}" for n in ("a", "adv", "b")]
    recursive = [{"Key": "Path", "Option": "Recursive", "Values": [tree]}]
    assert len(_describe(ssm, recursive)) == 5
    assert _describe(ssm, [*recursive, {"Key": "Type", "Values": ["SecureString"]}]) == [f"{tree}/c/e/f"]
    assert _describe(ssm, [*recursive, {"Key": "Tier", "Values": ["Advanced"]}]) == [f"{tree}/adv"]
    assert _describe(ssm, [*recursive, {"Key": "DataType", "Values": ["text"]}]) == _describe(ssm, recursive)
    assert _describe(ssm, [{"Key": "tag:env", "Values": ["prod"]}, *recursive]) == [f"{tree}/b"]
    assert _describe(ssm, [{"Key": "tag:env"}, *recursive]) == [f"{tree}/b"]
    assert _describe(ssm, [{"Key": "Name", "Values": [f"{tree}/c/d"]}]) == [f"{tree}/c/d"]
    assert _describe(ssm, [{"Key": "Name", "Option": "BeginsWith", "Values": [f"{tree}/c"]}]) == [
        f"{tree}/c/d",
        f"{tree}/c/e/f",
    ]
    needle = tree.rsplit("/", 1)[1] + "/c/e"
    assert _describe(ssm, [{"Key": "Name", "Option": "Contains", "Values": [needle]}]) == [f"{tree}/c/e/f"]
    legacy = ssm.describe_parameters(Filters=[{"Key": "Name", "Values": [f"{tree}/c"]}])["Parameters"]
    assert sorted(p["Name"] for p in legacy) >= [f"{tree}/c/d", f"{tree}/c/e/f"]
    page = ssm.describe_parameters(ParameterFilters=recursive, MaxResults=2)
    assert len(page["Parameters"]) == 2 and page["NextToken"]
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [f"{tree}/c/e/f"]}])["Parameters"][0]
    assert (
        meta["KeyId"] == "alias/aws/ssm" and meta["Tier"] == "Standard" and meta["LastModifiedUser"].endswith(":root")
    )


def test_describe_negative_paths(ssm: Any, server: ServerProcess) -> None:
    raw = server.client("ssm", config=NO_VALIDATION)
    cases: list[tuple[dict[str, Any], str]] = [
        (
            {
                "Filters": [{"Key": "Name", "Values": ["x"]}],
                "ParameterFilters": [{"Key": "Type", "Values": ["String"]}],
            },
            "ValidationException",
        ),
        ({"ParameterFilters": [{"Key": "Label", "Values": ["x"]}]}, "InvalidFilterKey"),
        ({"ParameterFilters": [{"Key": "Bogus", "Values": ["x"]}]}, "ValidationException"),
        ({"ParameterFilters": [{"Key": "Path", "Option": "Deep", "Values": ["/x"]}]}, "InvalidFilterOption"),
        ({"ParameterFilters": [{"Key": "Path", "Values": ["/aws/x"]}]}, "ValidationException"),
        ({"ParameterFilters": [{"Key": "Tier", "Values": ["Gold"]}]}, "InvalidFilterValue"),
        ({"ParameterFilters": [{"Key": "Name"}]}, "InvalidFilterValue"),
        ({"MaxResults": 51}, "ValidationException"),
    ]
    for request, code in cases:
        with pytest.raises(ClientError) as exc:
            raw.describe_parameters(**request)
        assert code_of(exc) == code, request


def test_labels(ssm: Any) -> None:
    name = unique()
    for i in range(3):
        ssm.put_parameter(Name=name, Value=f"v{i + 1}", Type="String", Overwrite=bool(i))
    out = ssm.label_parameter_version(Name=name, Labels=["live", "1bad", "awsx", "Ssm-no", "bad label", "ok_1.2-3"])
    assert out["ParameterVersion"] == 3
    assert out["InvalidLabels"] == ["1bad", "awsx", "Ssm-no", "bad label"]
    ssm.label_parameter_version(Name=name, ParameterVersion=2, Labels=["live"])  # moves from 3 to 2
    labels = {h["Version"]: h["Labels"] for h in ssm.get_parameter_history(Name=name)["Parameters"]}
    assert labels == {1: [], 2: ["live"], 3: ["ok_1.2-3"]}
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=[f"l{i}" for i in range(10)])
    with pytest.raises(ClientError) as exc:
        ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["eleventh"])
    assert code_of(exc) == "ParameterVersionLabelLimitExceeded"
    with pytest.raises(ClientError) as exc:
        ssm.label_parameter_version(Name=name, ParameterVersion=9, Labels=["x"])
    assert code_of(exc) == "ParameterVersionNotFound"
    with pytest.raises(ClientError) as exc:
        ssm.label_parameter_version(Name=unique(), Labels=["x"])
    assert code_of(exc) == "ParameterNotFound"
    out = ssm.unlabel_parameter_version(Name=name, ParameterVersion=2, Labels=["live", "absent"])
    assert out["RemovedLabels"] == ["live"] and out["InvalidLabels"] == ["absent"]
    with pytest.raises(ClientError) as exc:
        ssm.unlabel_parameter_version(Name=name, ParameterVersion=7, Labels=["x"])
    assert code_of(exc) == "ParameterVersionNotFound"


def test_history_pages(ssm: Any) -> None:
    name = unique()
    for i in range(5):
        ssm.put_parameter(Name=name, Value=f"v{i}", Type="String", Overwrite=bool(i), Description=f"d{i}")
    first = ssm.get_parameter_history(Name=name, MaxResults=2)
    assert [h["Version"] for h in first["Parameters"]] == [1, 2] and first["NextToken"]
    assert first["Parameters"][1]["Description"] == "d1" and first["Parameters"][0]["LastModifiedUser"].endswith(
        ":root"
    )
    full = ssm.get_paginator("get_parameter_history").paginate(Name=name, PaginationConfig={"PageSize": 2})
    assert [h["Version"] for h in full.build_full_result()["Parameters"]] == [1, 2, 3, 4, 5]
    with pytest.raises(ClientError) as exc:
        ssm.get_parameter_history(Name=unique())
    assert code_of(exc) == "ParameterNotFound"


def test_tags(ssm: Any, server: ServerProcess) -> None:
    name = unique()
    ssm.put_parameter(Name=name, Value="v", Type="String", Tags=[{"Key": "a", "Value": "1"}])
    ssm.add_tags_to_resource(
        ResourceType="Parameter", ResourceId=name, Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "9"}]
    )
    tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
    assert tags == [{"Key": "a", "Value": "9"}, {"Key": "b", "Value": "2"}]
    ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId=name, TagKeys=["a"])
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"] == [
        {"Key": "b", "Value": "2"}
    ]
    with pytest.raises(ClientError) as exc:
        ssm.add_tags_to_resource(
            ResourceType="Parameter", ResourceId=name, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)]
        )
    assert code_of(exc) == "TooManyTagsError"
    with pytest.raises(ClientError) as exc:
        ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=unique())
    assert code_of(exc) == "InvalidResourceId"
    with pytest.raises(ClientError) as exc:
        server.client("ssm", config=NO_VALIDATION).list_tags_for_resource(ResourceType="Bogus", ResourceId=name)
    assert code_of(exc) == "ValidationException"


def test_service_settings(ssm: Any) -> None:
    tier_id = "/ssm/parameter-store/default-parameter-tier"
    setting = ssm.get_service_setting(SettingId=tier_id)["ServiceSetting"]
    assert (setting["SettingValue"], setting["Status"]) == ("Standard", "Default")
    assert setting["ARN"].endswith(":servicesetting" + tier_id)
    try:
        ssm.update_service_setting(SettingId=setting["ARN"], SettingValue="Advanced")
        changed = ssm.get_service_setting(SettingId=tier_id)["ServiceSetting"]
        assert (changed["SettingValue"], changed["Status"]) == ("Advanced", "Customized")
        assert ssm.put_parameter(Name=unique(), Value="v", Type="String")["Tier"] == "Advanced"
        with pytest.raises(ClientError) as exc:
            ssm.update_service_setting(SettingId=tier_id, SettingValue="Gold")
        assert code_of(exc) == "ValidationException"
    finally:
        reset = ssm.reset_service_setting(SettingId=tier_id)["ServiceSetting"]
    assert (reset["SettingValue"], reset["Status"]) == ("Standard", "Default")
    throughput = ssm.get_service_setting(SettingId="/ssm/parameter-store/high-throughput-enabled")["ServiceSetting"]
    assert throughput["SettingValue"] == "false"
    with pytest.raises(ClientError) as exc:
        ssm.get_service_setting(SettingId="/ssm/nothing/here")
    assert code_of(exc) == "ServiceSettingNotFound"


def test_public_parameters(ssm: Any) -> None:
    got = ssm.get_parameter(Name="/aws/service/global-infrastructure/regions/eu-west-1")["Parameter"]
    assert got["Value"] == "eu-west-1" and got["ARN"] == (
        "arn:aws:ssm:us-east-1::parameter/aws/service/global-infrastructure/regions/eu-west-1"
    )
    current = ssm.get_parameter(Name="/aws/service/global-infrastructure/current-region")["Parameter"]
    assert current["Value"] == "us-east-1"
    regions = _all_by_path(ssm, Path="/aws/service/global-infrastructure/regions")
    assert "us-east-1" in {r["Value"] for r in regions} and len(regions) >= 10
    ami = ssm.get_parameter(Name="/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64")["Parameter"]
    assert ami["Value"].startswith("ami-") and ami["DataType"] == "aws:ec2:image"
    with pytest.raises(ClientError) as exc:
        ssm.get_parameter(Name="/aws/service/not/a/thing")
    assert code_of(exc) == "ParameterNotFound"
    with pytest.raises(ClientError) as exc:
        ssm.put_parameter(Name="/aws/service/mine", Value="v", Type="String")
    assert code_of(exc) == "AccessDeniedException"


def test_secrets_manager_reference(ssm: Any) -> None:
    with pytest.raises(ClientError) as exc:
        ssm.get_parameter(Name="/aws/reference/secretsmanager/some-secret")
    assert code_of(exc) == "ValidationException"  # WithDecryption must be true
    with pytest.raises(ClientError) as exc:
        ssm.get_parameter(Name="/aws/reference/secretsmanager/absent-secret", WithDecryption=True)
    assert code_of(exc) == "ParameterNotFound"


def test_secrets_manager_reference_returns_the_secret_once_available(server: ServerProcess, ssm: Any) -> None:
    secret_name = f"ref-{uuid.uuid4().hex[:8]}"
    reference = f"/aws/reference/secretsmanager/{secret_name}"
    try:
        created = server.client("secretsmanager").create_secret(Name=secret_name, SecretString="from-secrets-manager")
    except ClientError as exc:
        assert (
            exc.response["Error"]["Code"] == "NotImplemented"
        )  # Secrets Manager not built yet: the reference names nothing
        with pytest.raises(ClientError) as missing:
            ssm.get_parameter(Name=reference, WithDecryption=True)
        assert code_of(missing) == "ParameterNotFound"
        return
    got = ssm.get_parameter(Name=reference, WithDecryption=True)["Parameter"]
    assert got["Value"] == "from-secrets-manager" and got["Type"] == "SecureString"
    assert got["ARN"] == created["ARN"] and "from-secrets-manager" not in got["SourceResult"]
    staged = ssm.get_parameter(Name=f"{reference}:AWSCURRENT", WithDecryption=True)["Parameter"]
    assert staged["Selector"] == ":AWSCURRENT" and staged["Value"] == "from-secrets-manager"
