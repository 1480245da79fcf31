"""Parameter names as AWS normalises and validates them.

AWS's name rules: ``/TestParam1`` and ``TestParam1`` are *not* unique (one parameter, read back under the
spelling asked for); spaces at either end of a name are removed; GetParameter answers a malformed name with a
ValidationException, not ParameterNotFound; the text for a bad character, an empty level or a missing leading
slash is the one real AWS sends (``can't be prefixed with "ssm"``); and GetParametersByPath ``/`` lists the
names without any slash at its top level.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.errors import code_of

AWS_NAME_TEXT = (
    'Parameter name: can\'t be prefixed with "ssm" (case-insensitive). If formed as a path, it can consist of '
    "sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following "
    "3 symbols .-_"
)


def _bare() -> str:
    return "fid-" + uuid.uuid4().hex[:10]


def test_bare_and_slashed_spellings_are_one_parameter(ssm: Any) -> None:
    name = _bare()
    ssm.put_parameter(Name=name, Value="one", Type="String")
    got = ssm.get_parameter(Name=f"/{name}")["Parameter"]
    assert (got["Name"], got["Value"], got["Version"]) == (f"/{name}", "one", 1)  # the spelling asked for
    assert got["ARN"].endswith(f":parameter/{name}")
    assert ssm.get_parameter(Name=name)["Parameter"]["Name"] == name
    assert ssm.get_parameter(Name=f"/{name}:1")["Parameter"]["Selector"] == ":1"

    with pytest.raises(ClientError) as exc:
        ssm.put_parameter(Name=f"/{name}", Value="two", Type="String")
    assert code_of(exc) == "ParameterAlreadyExists"
    assert ssm.put_parameter(Name=f"/{name}", Value="two", Overwrite=True)["Version"] == 2
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == "two"

    out = ssm.get_parameters(Names=[name, f"/{name}"])
    assert [(p["Name"], p["Version"]) for p in out["Parameters"]] == [(name, 2), (f"/{name}", 2)]
    assert out["InvalidParameters"] == []
    history = ssm.get_parameter_history(Name=f"/{name}")["Parameters"]
    assert [h["Version"] for h in history] == [1, 2]
    ssm.label_parameter_version(Name=f"/{name}", ParameterVersion=1, Labels=["first"])
    assert ssm.get_parameter(Name=f"{name}:first")["Parameter"]["Value"] == "one"
    ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=f"/{name}", Tags=[{"Key": "k", "Value": "v"}])
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"] == [
        {"Key": "k", "Value": "v"}
    ]
    listed = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"]
    assert [p["Name"] for p in listed] == [name]  # stored once, under the spelling it was created with

    ssm.delete_parameter(Name=f"/{name}")
    for spelling in (name, f"/{name}"):
        with pytest.raises(ClientError) as exc:
            ssm.get_parameter(Name=spelling)
        assert code_of(exc) == "ParameterNotFound"


def test_slashed_name_is_found_bare_and_by_arn(ssm: Any) -> None:
    name = _bare()
    ssm.put_parameter(Name=f"/{name}", Value="v", Type="SecureString")
    got = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
    assert (got["Name"], got["Value"]) == (name, "v")  # the value decrypts under the one ARN both share
    assert ssm.get_parameter(Name=got["ARN"])["Parameter"]["Name"] == f"/{name}"
    with pytest.raises(ClientError) as exc:
        ssm.put_parameter(Name=name, Value="w", Type="SecureString")
    assert code_of(exc) == "ParameterAlreadyExists"
    ssm.delete_parameters(Names=[name])
    with pytest.raises(ClientError) as exc:
        ssm.get_parameter(Name=f"/{name}")
    assert code_of(exc) == "ParameterNotFound"


def test_hierarchies_are_not_unified(ssm: Any) -> None:
    """Only a one-level name has two spellings: ``/a/b`` is not ``/a/b/`` or ``a/b``."""
    base = _bare()
    ssm.put_parameter(Name=f"/{base}/leaf", Value="v", Type="String")
    with pytest.raises(ClientError) as exc:
        ssm.get_parameter(Name=f"/{base}")
    assert code_of(exc) == "ParameterNotFound"
    with pytest.raises(ClientError) as exc:
        ssm.get_parameter(Name=f"{base}/leaf")
    assert code_of(exc) == "ValidationException"


@pytest.mark.parametrize("name", ["smpt/support", "/myPrefix/support@example.com", "/bad name", "/a//b", "/t/"])
def test_put_answers_aws_text_for_malformed_names(ssm: Any, name: str) -> None:
    with pytest.raises(ClientError) as exc:
        ssm.put_parameter(Name=name, Value="v", Type="String")
    assert code_of(exc) == "ValidationException"
    assert exc.value.response["Error"]["Message"] == AWS_NAME_TEXT


@pytest.mark.parametrize("name", ["{test}-test", "a/b/c", "/a//b//c", "/with space"])
def test_get_parameter_validates_the_name(ssm: Any, name: str) -> None:
    with pytest.raises(ClientError) as exc:
        ssm.get_parameter(Name=name)
    assert code_of(exc) == "ValidationException"
    assert exc.value.response["Error"]["Message"] == AWS_NAME_TEXT


def test_get_parameter_of_a_missing_valid_name_is_not_found(ssm: Any) -> None:
    with pytest.raises(ClientError) as exc:
        ssm.get_parameter(Name=f"/{_bare()}/missing.name_x-1")
    assert code_of(exc) == "ParameterNotFound"


def test_spaces_around_a_name_are_removed(ssm: Any) -> None:
    name = _bare()
    ssm.put_parameter(Name=f"  {name} ", Value="v", Type="String")
    assert ssm.get_parameter(Name=name)["Parameter"]["Name"] == name
    with pytest.raises(ClientError) as exc:
        ssm.put_parameter(Name=f" {name}", Value="w", Type="String")
    assert code_of(exc) == "ParameterAlreadyExists"


def test_root_path_lists_names_without_a_slash(ssm: Any) -> None:
    bare, slashed, deep = _bare(), "/" + _bare(), f"/{_bare()}/leaf"
    for name in (bare, slashed, deep):
        ssm.put_parameter(Name=name, Value="v", Type="String")
    pages = ssm.get_paginator("get_parameters_by_path")
    top = {p["Name"] for p in pages.paginate(Path="/").build_full_result()["Parameters"]}
    assert bare in top and slashed in top and deep not in top
    every = {p["Name"] for p in pages.paginate(Path="/", Recursive=True).build_full_result()["Parameters"]}
    assert {bare, slashed, deep} <= every
    under = {p["Name"] for p in pages.paginate(Path=deep.rsplit("/", 1)[0]).build_full_result()["Parameters"]}
    assert under == {deep}
