"""Rotation end to end: the four steps through real Lambda functions, against a real PostgreSQL, and schedules.

PostgreSQL's test server trusts every local login, so these tests first make it check passwords for the roles
they create (a pg_hba line naming exactly those roles), or "the old password no longer works" would prove nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
from botocore.exceptions import ClientError

from tests.e2e.test_lambda_functions import create, make_role
from tests.support.errors import code_of as _code
from tests.support.server import ServerProcess, clean_env

POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["secretsmanager:*", "kms:*"], "Resource": "*"}],
    }
)

# In the shape of AWS's templates: boto3 with the endpoint from SECRETS_MANAGER_ENDPOINT, four steps.
GENERIC_FN = """
import json, os, boto3

def lambda_handler(event, context):
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    client = boto3.client("secretsmanager", endpoint_url=os.environ["SECRETS_MANAGER_ENDPOINT"])
    metadata = client.describe_secret(SecretId=arn)
    if not metadata["RotationEnabled"]:
        raise ValueError("Secret %s is not enabled for rotation" % arn)
    versions = metadata["VersionIdsToStages"]
    if token not in versions and step != "createSecret":
        raise ValueError("no version %s" % token)
    if step == "createSecret":
        try:
            client.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
        except client.exceptions.ResourceNotFoundException:
            pw = client.get_random_password(ExcludePunctuation=True)["RandomPassword"]
            client.put_secret_value(SecretId=arn, ClientRequestToken=token, SecretString=json.dumps({"pw": pw}),
                                    VersionStages=["AWSPENDING"], RotationToken=event["RotationToken"])
    elif step == "setSecret":
        if os.environ.get("FAIL_SET"):
            raise RuntimeError("setSecret failed on purpose")
    elif step == "testSecret":
        pass
    elif step == "finishSecret":
        current = next(v for v, s in versions.items() if "AWSCURRENT" in s)
        if current != token:
            client.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token,
                                               RemoveFromVersionId=current)
    else:
        raise ValueError("bad step")
"""


@pytest.fixture(scope="module")
def role(server: ServerProcess) -> str:
    arn = make_role(server)
    server.client("iam").put_role_policy(RoleName=arn.rsplit("/", 1)[1], PolicyName="rotate", PolicyDocument=POLICY)
    return arn


def rotation_function(server: ServerProcess, role: str, **env: str) -> str:
    fn = create(
        server,
        role,
        GENERIC_FN,
        Handler="index.lambda_handler",
        Timeout=30,
        Environment={"Variables": {"SECRETS_MANAGER_ENDPOINT": server.endpoint, **env}},
    )
    server.client("lambda").add_permission(
        FunctionName=fn["FunctionName"],
        StatementId="sm",
        Action="lambda:InvokeFunction",
        Principal="secretsmanager.amazonaws.com",
    )
    return str(fn["FunctionArn"])


def test_rotation_with_a_template_style_function(server: ServerProcess, role: str) -> None:
    sm = server.client("secretsmanager")
    fn = rotation_function(server, role)
    name = f"rot-{uuid.uuid4().hex[:8]}"
    first = sm.create_secret(Name=name, SecretString=json.dumps({"pw": "initial"}))["VersionId"]
    with pytest.raises(ClientError) as exc:
        sm.rotate_secret(SecretId=name)
    assert _code(exc) == "InvalidRequestException"
    out = sm.rotate_secret(SecretId=name, RotationLambdaARN=fn, RotationRules={"AutomaticallyAfterDays": 30})
    desc = sm.describe_secret(SecretId=name)
    assert desc["RotationEnabled"] and desc["RotationLambdaARN"] == fn
    assert (
        desc["RotationRules"]["AutomaticallyAfterDays"] == 30 and desc["LastRotatedDate"] and desc["NextRotationDate"]
    )
    assert desc["VersionIdsToStages"] == {first: ["AWSPREVIOUS"], out["VersionId"]: ["AWSCURRENT"]}
    assert json.loads(sm.get_secret_value(SecretId=name)["SecretString"])["pw"] != "initial"
    # RotateImmediately=False runs only testSecret: nothing changes
    sm.rotate_secret(SecretId=name, RotateImmediately=False)
    assert sm.describe_secret(SecretId=name)["VersionIdsToStages"][out["VersionId"]] == ["AWSCURRENT"]
    cancelled = sm.cancel_rotate_secret(SecretId=name)
    assert cancelled["ARN"] == desc["ARN"] and sm.describe_secret(SecretId=name)["RotationEnabled"] is False
    with pytest.raises(ClientError) as exc:
        sm.rotate_secret(
            SecretId=name, RotationRules={"AutomaticallyAfterDays": 1, "ScheduleExpression": "rate(1 day)"}
        )
    assert _code(exc) == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        sm.rotate_secret(SecretId=name, RotationRules={"ScheduleExpression": "rate(1 hour)"})
    assert _code(exc) == "InvalidParameterException"


def test_failing_set_secret_keeps_current_and_retries_at_next_window(server: ServerProcess, role: str) -> None:
    sm = server.client("secretsmanager")
    fn = rotation_function(server, role, FAIL_SET="1")
    name = f"rotfail-{uuid.uuid4().hex[:8]}"
    first = sm.create_secret(Name=name, SecretString=json.dumps({"pw": "keep"}))["VersionId"]
    out = sm.rotate_secret(SecretId=name, RotationLambdaARN=fn, RotationRules={"ScheduleExpression": "rate(1 day)"})
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert stages == {first: ["AWSCURRENT"], out["VersionId"]: ["AWSPENDING"]}
    assert json.loads(sm.get_secret_value(SecretId=name)["SecretString"]) == {"pw": "keep"}
    with pytest.raises(ClientError) as exc:
        sm.rotate_secret(SecretId=name)
    assert _code(exc) == "InvalidRequestException"
    assert sm.describe_secret(SecretId=name)["NextRotationDate"]
    # the function is fixed; the next window retries the same rotation (same token) as the service
    server.client("lambda").update_function_configuration(
        FunctionName=fn, Environment={"Variables": {"SECRETS_MANAGER_ENDPOINT": server.endpoint}}
    )
    server.advance(86400 + 60)
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert stages == {first: ["AWSPREVIOUS"], out["VersionId"]: ["AWSCURRENT"]}


def test_rate_schedule_rotates_once_per_day(server: ServerProcess, role: str) -> None:
    sm = server.client("secretsmanager")
    fn = rotation_function(server, role)
    name = f"rotsched-{uuid.uuid4().hex[:8]}"
    sm.create_secret(Name=name, SecretString=json.dumps({"pw": "0"}))
    sm.rotate_secret(
        SecretId=name,
        RotationLambdaARN=fn,
        RotationRules={"ScheduleExpression": "rate(1 day)"},
        RotateImmediately=False,
    )

    def count() -> int:
        return len(sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"])

    assert count() == 1
    for day in range(1, 3):
        server.advance(86400 + 60)
        assert count() == 1 + day
    desc = sm.describe_secret(SecretId=name)
    assert desc["NextRotationDate"] > desc["LastRotatedDate"]


# --- PostgreSQL ----------------------------------------------------------------------------------------------


def _require_passwords(admin_url: str, users: list[str]) -> None:
    """Prepend a pg_hba rule making the server check these roles' passwords over TCP, then reload."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        hba = conn.execute("SHOW hba_file").fetchone()[0]  # type: ignore[index]
        content = conn.execute("SELECT pg_read_file(%s)", (hba,)).fetchone()[0]  # type: ignore[index]
        names = ",".join(users)
        rules = f"host all {names} 127.0.0.1/32 scram-sha-256\nhost all {names} ::1/128 scram-sha-256\n"
        lines = (rules + content.replace("\t", " ")).splitlines()
        conn.execute("CREATE TEMP TABLE hba_lines (line text)")
        with conn.cursor().copy("COPY hba_lines FROM STDIN") as copy:
            for line in lines:
                copy.write_row((line,))
        conn.execute(f"COPY hba_lines TO '{hba}'")
        conn.execute("SELECT pg_reload_conf()")


def _login(secret: dict[str, Any]) -> bool:
    try:
        psycopg.connect(
            host=secret["host"],
            port=secret["port"],
            dbname=secret["dbname"],
            user=secret["username"],
            password=secret["password"],
            connect_timeout=5,
        ).close()
    except psycopg.OperationalError:
        return False
    return True


def _install(server: ServerProcess, role: str, template: str) -> str:
    name = f"pgrot-{uuid.uuid4().hex[:8]}"
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "strongroom.cli.main",
            "secrets",
            "install-rotation-function",
            "--data-dir",
            str(server.data_dir),
            "--template",
            template,
            "--name",
            name,
            "--role-arn",
            role,
            "--endpoint-url",
            server.endpoint,
        ],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@pytest.fixture
def pg_user(postgres_url: str) -> dict[str, Any]:
    url = urlsplit(postgres_url)
    user = f"rotsm_{uuid.uuid4().hex[:8]}"
    password = uuid.uuid4().hex
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {user} WITH LOGIN PASSWORD '{password}'")
    _require_passwords(postgres_url, [user, f"{user}_clone"])
    secret = {
        "engine": "postgres",
        "host": "127.0.0.1",
        "port": url.port,
        "username": user,
        "password": password,
        "dbname": url.path.lstrip("/") or "postgres",
    }
    assert _login(secret) and not _login(dict(secret, password="wrong"))
    return secret


def test_postgresql_single_user_rotation(server: ServerProcess, role: str, pg_user: dict[str, Any]) -> None:
    sm = server.client("secretsmanager")
    fn = _install(server, role, "postgresql-single-user")
    name = f"pg-{uuid.uuid4().hex[:8]}"
    sm.create_secret(Name=name, SecretString=json.dumps(pg_user))
    sm.rotate_secret(SecretId=name, RotationLambdaARN=fn, RotationRules={"AutomaticallyAfterDays": 7})
    current = json.loads(sm.get_secret_value(SecretId=name)["SecretString"])
    previous = json.loads(sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"])
    assert previous == pg_user and current["password"] != pg_user["password"]
    assert _login(current) and not _login(previous)


def test_postgresql_alternating_users_rotation(
    server: ServerProcess, role: str, pg_user: dict[str, Any], postgres_url: str
) -> None:
    sm = server.client("secretsmanager")
    fn = _install(server, role, "postgresql-multi-user")
    url = urlsplit(postgres_url)
    master = {
        "engine": "postgres",
        "host": "127.0.0.1",
        "port": url.port,
        "username": url.username,
        "password": url.password or "",
        "dbname": pg_user["dbname"],
    }
    master_arn = sm.create_secret(Name=f"pgmaster-{uuid.uuid4().hex[:8]}", SecretString=json.dumps(master))["ARN"]
    name = f"pgalt-{uuid.uuid4().hex[:8]}"
    sm.create_secret(Name=name, SecretString=json.dumps(dict(pg_user, masterarn=master_arn)))
    sm.rotate_secret(SecretId=name, RotationLambdaARN=fn, RotationRules={"AutomaticallyAfterDays": 7})
    current = json.loads(sm.get_secret_value(SecretId=name)["SecretString"])
    previous = json.loads(sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"])
    assert current["username"] == pg_user["username"] + "_clone" and previous["username"] == pg_user["username"]
    assert _login(current) and _login(previous)
    sm.rotate_secret(SecretId=name)
    again = json.loads(sm.get_secret_value(SecretId=name)["SecretString"])
    assert again["username"] == pg_user["username"] and again["password"] != pg_user["password"]
    assert _login(again) and _login(current)
