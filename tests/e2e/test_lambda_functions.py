"""Lambda's function API: create, read, update, publish, delete, list and the resource policy, with AWS's errors."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from typing import Any

import pytest
import urllib3
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.support.errors import code_of as code
from tests.support.server import ServerProcess

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)
HELLO = "def handler(event, context):\n    return {'hello': event.get('name', 'world')}\n"


def make_zip(source: str = HELLO, module: str = "index", extra: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{module}.py", source)
        for name, text in (extra or {}).items():
            archive.writestr(name, text)
    return buf.getvalue()


def make_role(server: ServerProcess, trust: str = TRUST) -> str:
    name = f"fn-role-{uuid.uuid4().hex[:10]}"
    return str(server.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"])


def create(server: ServerProcess, role: str, source: str = HELLO, **kwargs: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "FunctionName": f"fn-{uuid.uuid4().hex[:12]}",
        "Runtime": "python3.12",
        "Role": role,
        "Handler": "index.handler",
        "Code": {"ZipFile": make_zip(source)},
    }
    params.update(kwargs)
    return dict(server.client("lambda").create_function(**params))


@pytest.fixture(scope="module")
def role(server: ServerProcess) -> str:
    return make_role(server)


def test_create_get_and_configuration(server: ServerProcess, role: str) -> None:
    lam = server.client("lambda")
    made = create(
        server,
        role,
        Description="d",
        Timeout=7,
        MemorySize=256,
        Environment={"Variables": {"AA": "1"}},
        Tags={"t": "v"},
    )
    name = made["FunctionName"]
    assert made["FunctionArn"].endswith(f":function:{name}") and made["Version"] == "$LATEST"
    assert made["State"] == "Active" and made["Timeout"] == 7 and made["MemorySize"] == 256
    assert made["Environment"] == {"Variables": {"AA": "1"}}
    got = lam.get_function(FunctionName=name)
    assert got["Configuration"]["CodeSha256"] == made["CodeSha256"] and got["Tags"] == {"t": "v"}
    downloaded = urllib3.PoolManager().request("GET", got["Code"]["Location"])
    assert downloaded.status == 200 and zipfile.ZipFile(io.BytesIO(downloaded.data)).namelist() == ["index.py"]
    tampered = got["Code"]["Location"][:-4] + "0000"
    assert urllib3.PoolManager().request("GET", tampered).status == 403
    by_arn = lam.get_function_configuration(FunctionName=made["FunctionArn"])
    assert by_arn["RevisionId"] == made["RevisionId"]


def test_create_rejections(server: ServerProcess, role: str) -> None:
    raw = server.client("lambda", config=Config(parameter_validation=False))
    account = server.client("sts").get_caller_identity()["Account"]
    only_account = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}
    untrusting = make_role(server, json.dumps({"Version": "2012-10-17", "Statement": [only_account]}))
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"Runtime": "nodejs20.x"}, "InvalidParameterValueException", "not supported"),
        ({"Runtime": "python2.7"}, "InvalidParameterValueException", "no longer supported"),
        ({"Role": role.replace("fn-role", "missing-role")}, "InvalidParameterValueException", "cannot be assumed"),
        ({"Role": untrusting}, "InvalidParameterValueException", "cannot be assumed"),
        ({"Timeout": 901}, "ValidationException", "less than or equal to 900"),
        ({"MemorySize": 20000}, "ValidationException", "less than or equal to 10240"),
        ({"Code": {"ZipFile": b"not a zip"}}, "InvalidParameterValueException", "Could not unzip"),
        ({"Code": {"S3Bucket": "bucket", "S3Key": "key"}}, "InvalidParameterValueException", "ZipFile"),
        ({"Environment": {"Variables": {"AWS_REGION": "x"}}}, "InvalidParameterValueException", "reserved keys"),
        ({"Environment": {"Variables": {"BIG": "x" * 5000}}}, "InvalidParameterValueException", "4KB"),
        ({"Handler": None}, "InvalidParameterValueException", "mandatory"),
    ]
    for override, expected, text in cases:
        params: dict[str, Any] = {
            "FunctionName": f"bad-{uuid.uuid4().hex[:8]}",
            "Runtime": "python3.12",
            "Role": role,
            "Handler": "index.handler",
            "Code": {"ZipFile": make_zip()},
        }
        params.update(override)
        params = {k: v for k, v in params.items() if v is not None}
        with pytest.raises(ClientError) as exc:
            raw.create_function(**params)
        assert code(exc) == expected, override
        assert text in exc.value.response["Error"]["Message"], override
    made = create(server, role)
    with pytest.raises(ClientError) as exc:
        create(server, role, FunctionName=made["FunctionName"])
    assert code(exc) == "ResourceConflictException"
    assert exc.value.response["Error"]["Message"] == f"Function already exist: {made['FunctionName']}"


def test_not_found_everywhere(server: ServerProcess) -> None:
    lam = server.client("lambda")
    account = server.client("sts").get_caller_identity()["Account"]
    calls = [
        lambda: lam.get_function(FunctionName="nope-fn"),
        lambda: lam.get_function_configuration(FunctionName="nope-fn"),
        lambda: lam.update_function_configuration(FunctionName="nope-fn", Timeout=5),
        lambda: lam.update_function_code(FunctionName="nope-fn", ZipFile=make_zip()),
        lambda: lam.delete_function(FunctionName="nope-fn"),
        lambda: lam.invoke(FunctionName="nope-fn"),
        lambda: lam.get_policy(FunctionName="nope-fn"),
        lambda: lam.add_permission(
            FunctionName="nope-fn", StatementId="s", Action="lambda:InvokeFunction", Principal="*"
        ),
    ]
    for call in calls:
        with pytest.raises(ClientError) as exc:
            call()
        assert code(exc) == "ResourceNotFoundException"
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
        assert (
            exc.value.response["Error"]["Message"]
            == f"Function not found: arn:aws:lambda:us-east-1:{account}:function:nope-fn"
        )


def test_updates_and_revision_ids(server: ServerProcess, role: str) -> None:
    lam = server.client("lambda")
    made = create(server, role)
    name = made["FunctionName"]
    updated = lam.update_function_configuration(
        FunctionName=name, Timeout=30, MemorySize=512, Environment={"Variables": {"KK": "v"}}, Description="new"
    )
    assert (updated["Timeout"], updated["MemorySize"], updated["Description"]) == (30, 512, "new")
    assert updated["Environment"]["Variables"] == {"KK": "v"} and updated["RevisionId"] != made["RevisionId"]
    with pytest.raises(ClientError) as exc:
        lam.update_function_configuration(FunctionName=name, Timeout=4, RevisionId=made["RevisionId"])
    assert code(exc) == "PreconditionFailedException"
    with pytest.raises(ClientError) as exc:
        lam.update_function_configuration(FunctionName=name, Runtime="ruby3.3")
    assert code(exc) == "InvalidParameterValueException"
    new_code = lam.update_function_code(FunctionName=name, ZipFile=make_zip(HELLO + "# v2\n"))
    assert new_code["CodeSha256"] != made["CodeSha256"] and new_code["Timeout"] == 30
    with pytest.raises(ClientError) as exc:
        lam.update_function_code(FunctionName=name, ZipFile=b"garbage")
    assert code(exc) == "InvalidParameterValueException"
    cleared = lam.update_function_configuration(FunctionName=name, Environment={"Variables": {}})
    assert "Environment" not in cleared


def test_publish_versions_and_delete(server: ServerProcess, role: str) -> None:
    lam = server.client("lambda")
    made = create(server, role, Publish=True)
    name = made["FunctionName"]
    assert made["Version"] == "1" and made["FunctionArn"].endswith(f"{name}:1")
    lam.update_function_code(FunctionName=name, ZipFile=make_zip(HELLO + "# v2\n"), Publish=True)
    assert lam.get_function_configuration(FunctionName=name, Qualifier="2")["Version"] == "2"
    assert lam.get_function(FunctionName=f"{name}:1")["Configuration"]["CodeSha256"] == made["CodeSha256"]
    with pytest.raises(ClientError) as exc:
        lam.get_function(FunctionName=f"{name}:1", Qualifier="2")
    assert code(exc) == "InvalidParameterValueException"
    with pytest.raises(ClientError) as exc:
        lam.get_function(FunctionName=name, Qualifier="9")
    assert code(exc) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        lam.delete_function(FunctionName=name, Qualifier="$LATEST")
    assert code(exc) == "InvalidParameterValueException"
    lam.delete_function(FunctionName=name, Qualifier="1")
    with pytest.raises(ClientError):
        lam.get_function(FunctionName=name, Qualifier="1")
    assert lam.delete_function(FunctionName=name)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as exc:
        lam.get_function(FunctionName=name)
    assert code(exc) == "ResourceNotFoundException"


def test_list_functions_pages(server: ServerProcess, role: str) -> None:
    lam = server.client("lambda", region="eu-west-1")
    names = set()
    for _ in range(5):
        params = {
            "FunctionName": f"ls-{uuid.uuid4().hex[:8]}",
            "Runtime": "python3.12",
            "Role": role,
            "Handler": "index.handler",
            "Code": {"ZipFile": make_zip()},
        }
        names.add(lam.create_function(**params)["FunctionName"])
    seen: list[str] = []
    for page in lam.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 2}):
        assert len(page["Functions"]) <= 2
        seen += [f["FunctionName"] for f in page["Functions"]]
    assert names <= set(seen) and len(seen) == len(set(seen))
    with pytest.raises(ClientError) as exc:
        lam.list_functions(Marker="!!garbage!!")
    assert code(exc) == "InvalidParameterValueException"


def test_permissions_and_policy(server: ServerProcess, role: str) -> None:
    lam = server.client("lambda")
    name = create(server, role)["FunctionName"]
    with pytest.raises(ClientError) as exc:
        lam.get_policy(FunctionName=name)
    assert code(exc) == "ResourceNotFoundException"
    assert exc.value.response["Error"]["Message"] == "The resource you requested does not exist."
    added = lam.add_permission(
        FunctionName=name,
        StatementId="sm",
        Action="lambda:InvokeFunction",
        Principal="secretsmanager.amazonaws.com",
        SourceAccount="123456789012",
    )
    statement = json.loads(added["Statement"])
    assert statement["Principal"] == {"Service": "secretsmanager.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"AWS:SourceAccount": "123456789012"}}
    lam.add_permission(FunctionName=name, StatementId="acct", Action="lambda:GetFunction", Principal="111122223333")
    with pytest.raises(ClientError) as exc:
        lam.add_permission(FunctionName=name, StatementId="sm", Action="lambda:InvokeFunction", Principal="*")
    assert code(exc) == "ResourceConflictException"
    with pytest.raises(ClientError) as exc:
        lam.add_permission(FunctionName=name, StatementId="bad", Action="lambda:InvokeFunction", Principal="nobody")
    assert code(exc) == "InvalidParameterValueException"
    policy = lam.get_policy(FunctionName=name)
    document = json.loads(policy["Policy"])
    assert [s["Sid"] for s in document["Statement"]] == ["sm", "acct"]
    assert document["Statement"][1]["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    with pytest.raises(ClientError) as exc:
        lam.remove_permission(FunctionName=name, StatementId="sm", RevisionId="stale")
    assert code(exc) == "PreconditionFailedException"
    lam.remove_permission(FunctionName=name, StatementId="sm", RevisionId=policy["RevisionId"])
    with pytest.raises(ClientError) as exc:
        lam.remove_permission(FunctionName=name, StatementId="sm")
    assert code(exc) == "ResourceNotFoundException"
    lam.remove_permission(FunctionName=name, StatementId="acct")
    with pytest.raises(ClientError) as exc:
        lam.get_policy(FunctionName=name)
    assert code(exc) == "ResourceNotFoundException"


def test_unimplemented_operations_answer_not_implemented(server: ServerProcess) -> None:
    with pytest.raises(ClientError) as exc:
        server.client("lambda").list_aliases(FunctionName="x")
    assert code(exc) == "NotImplemented"
