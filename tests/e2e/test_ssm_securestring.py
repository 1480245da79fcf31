"""SecureString parameters through KMS: default and customer keys, ciphertext, KMS errors, access, the AWS CLI."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.ssm_support import unique_name
from tests.support.errors import code_of
from tests.support.server import ServerProcess, clean_env


def unique(prefix: str = "/sec") -> str:
    return unique_name(prefix)


def test_default_key_is_the_aws_managed_ssm_key(server: ServerProcess, ssm: Any) -> None:
    name = unique()
    ssm.put_parameter(Name=name, Value="hunter2", Type="SecureString")
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"][0]
    assert meta["KeyId"] == "alias/aws/ssm" and meta["Type"] == "SecureString"
    key = server.client("kms").describe_key(KeyId="alias/aws/ssm")["KeyMetadata"]
    assert key["KeyManager"] == "AWS"
    hidden = ssm.get_parameter(Name=name)["Parameter"]["Value"]
    assert hidden != "hunter2" and base64.b64decode(hidden)
    assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == "hunter2"


def test_ciphertext_decrypts_with_kms_and_the_parameter_arn(server: ServerProcess, ssm: Any) -> None:
    kms = server.client("kms")
    key = kms.create_key()["KeyMetadata"]
    name = unique()
    ssm.put_parameter(Name=name, Value="s3cret-value", Type="SecureString", KeyId=key["KeyId"])
    param = ssm.get_parameter(Name=name, WithDecryption=False)["Parameter"]
    blob = base64.b64decode(param["Value"])
    out = kms.decrypt(CiphertextBlob=blob, EncryptionContext={"PARAMETER_ARN": param["ARN"]})
    assert out["Plaintext"] == b"s3cret-value" and out["KeyId"] == key["Arn"]
    with pytest.raises(ClientError) as exc:
        kms.decrypt(CiphertextBlob=blob)  # the context is bound to the parameter's ARN
    assert code_of(exc) == "InvalidCiphertextException"


def test_key_identifiers_and_reads_with_decryption(server: ServerProcess, ssm: Any) -> None:
    kms = server.client("kms")
    key = kms.create_key()["KeyMetadata"]
    alias = f"alias/ssm-{uuid.uuid4().hex[:8]}"
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    base = unique()
    refs = {"id": key["KeyId"], "arn": key["Arn"], "alias": alias}
    for label, ref in refs.items():
        ssm.put_parameter(Name=f"{base}/{label}", Value=f"value-{label}", Type="SecureString", KeyId=ref)
    listed = ssm.get_parameters_by_path(Path=base, WithDecryption=True)["Parameters"]
    assert sorted(p["Value"] for p in listed) == ["value-alias", "value-arn", "value-id"]
    got = ssm.get_parameters(Names=[f"{base}/id", f"{base}/alias"], WithDecryption=True)["Parameters"]
    assert [p["Value"] for p in got] == ["value-id", "value-alias"]
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "KeyId", "Values": [alias]}])["Parameters"]
    assert [m["Name"] for m in meta] == [f"{base}/alias"]
    ssm.put_parameter(Name=f"{base}/id", Value="second", Overwrite=True)  # the key is kept on update
    history = ssm.get_parameter_history(Name=f"{base}/id", WithDecryption=True)["Parameters"]
    assert [h["Value"] for h in history] == ["value-id", "second"]
    assert {h["KeyId"] for h in history} == {key["KeyId"]}
    encrypted = ssm.get_parameter_history(Name=f"{base}/id")["Parameters"]
    assert all(h["Value"] not in ("value-id", "second") for h in encrypted)


def test_kms_errors_become_invalid_key_id(server: ServerProcess, ssm: Any) -> None:
    kms = server.client("kms")
    with pytest.raises(ClientError) as exc:
        ssm.put_parameter(Name=unique(), Value="v", Type="SecureString", KeyId="alias/does-not-exist")
    assert code_of(exc) == "InvalidKeyId" and "Service: AWSKMS" in str(exc.value)
    key = kms.create_key()["KeyMetadata"]
    name = unique()
    ssm.put_parameter(Name=name, Value="v", Type="SecureString", KeyId=key["KeyId"])
    kms.disable_key(KeyId=key["KeyId"])
    try:
        with pytest.raises(ClientError) as exc:
            ssm.put_parameter(Name=unique(), Value="v", Type="SecureString", KeyId=key["KeyId"])
        assert code_of(exc) == "InvalidKeyId" and "DisabledException" in str(exc.value)
        with pytest.raises(ClientError) as exc:
            ssm.get_parameter(Name=name, WithDecryption=True)
        assert code_of(exc) == "InvalidKeyId"
        assert ssm.get_parameter(Name=name)["Parameter"]["Type"] == "SecureString"  # ciphertext needs no key
    finally:
        kms.enable_key(KeyId=key["KeyId"])


def _user_client(server: ServerProcess, policy: dict[str, Any]) -> Any:
    iam = server.client("iam")
    user = f"ssm-reader-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return server.client("ssm", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])


def test_caller_without_kms_decrypt_is_denied(server: ServerProcess, ssm: Any) -> None:
    key = server.client("kms").create_key()["KeyMetadata"]
    name = unique()
    ssm.put_parameter(Name=name, Value="top-secret", Type="SecureString", KeyId=key["Arn"])
    statement = {"Effect": "Allow", "Action": "ssm:GetParameter*", "Resource": "*"}
    reader = _user_client(server, {"Version": "2012-10-17", "Statement": [statement]})
    assert reader.get_parameter(Name=name)["Parameter"]["Value"] != "top-secret"
    with pytest.raises(ClientError) as exc:
        reader.get_parameter(Name=name, WithDecryption=True)
    assert code_of(exc) == "AccessDeniedException" and "Service: AWSKMS" in str(exc.value)
    decrypt = {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key["Arn"]}
    allowed = _user_client(server, {"Version": "2012-10-17", "Statement": [statement, decrypt]})
    assert allowed.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == "top-secret"
    denied = _user_client(server, {"Version": "2012-10-17", "Statement": [decrypt]})
    with pytest.raises(ClientError) as exc:
        denied.get_parameter(Name=name, WithDecryption=True)
    assert code_of(exc) == "AccessDeniedException"


def _cli(server: ServerProcess, *args: str) -> Any:
    env = clean_env() | {
        "AWS_SHARED_CREDENTIALS_FILE": str(server.data_dir / "credentials"),
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/dev/null",
    }
    cmd = [sys.executable, "-m", "awscli", "ssm", *args, "--profile", "strongroom", "--endpoint-url", server.endpoint]
    res = subprocess.run([*cmd, "--output", "json"], capture_output=True, text=True, env=env, timeout=60)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout) if res.stdout.strip() else None


def test_aws_cli_round_trip(server: ServerProcess) -> None:
    base = unique("/cli")
    out = _cli(server, "put-parameter", "--name", f"{base}/db/password", "--value", "pa55", "--type", "SecureString")
    assert out["Version"] == 1
    _cli(server, "put-parameter", "--name", f"{base}/db/password", "--value", "pa66", "--overwrite")
    _cli(server, "put-parameter", "--name", f"{base}/host", "--value", "db.local", "--type", "String")
    listed = _cli(server, "get-parameters-by-path", "--path", base, "--recursive", "--with-decryption")
    assert {p["Name"]: p["Value"] for p in listed["Parameters"]} == {
        f"{base}/db/password": "pa66",
        f"{base}/host": "db.local",
    }
    labelled = _cli(
        server,
        "label-parameter-version",
        "--name",
        f"{base}/db/password",
        "--parameter-version",
        "1",
        "--labels",
        "old",
    )
    assert labelled["ParameterVersion"] == 1 and labelled["InvalidLabels"] == []
    history = _cli(server, "get-parameter-history", "--name", f"{base}/db/password", "--with-decryption")["Parameters"]
    assert [(h["Version"], h["Value"], h["Labels"]) for h in history] == [(1, "pa55", ["old"]), (2, "pa66", [])]


def _forms(secret: str) -> list[bytes]:
    raw = secret.encode()
    return [raw, base64.b64encode(raw), raw.hex().encode(), json.dumps(secret).encode()]


def _all_bytes(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file())


def test_secure_values_are_stored_only_as_ciphertext(make_server: Any) -> None:
    srv: ServerProcess = make_server()
    srv.start()
    ssm, kms = srv.client("ssm"), srv.client("kms")
    key = kms.create_key()["KeyMetadata"]
    secrets = [f"plain-secret-{os.urandom(12).hex()}" for _ in range(4)]
    ssm.put_parameter(Name="/grep/a", Value=secrets[0], Type="SecureString")
    ssm.put_parameter(Name="/grep/b", Value=secrets[1], Type="SecureString", KeyId=key["KeyId"])
    ssm.put_parameter(Name="/grep/b", Value=secrets[2], Overwrite=True)
    ssm.put_parameter(Name="/grep/c", Value=secrets[3], Type="SecureString", Tier="Advanced")
    assert ssm.get_parameter(Name="/grep/a", WithDecryption=True)["Parameter"]["Value"] == secrets[0]
    ssm.get_parameters_by_path(Path="/grep", WithDecryption=True)
    ssm.get_parameter_history(Name="/grep/b", WithDecryption=True)
    ssm.get_parameters(Names=["/grep/c"], WithDecryption=True)
    trail = srv.client("cloudtrail")
    records = [
        e["CloudTrailEvent"]
        for name in ("PutParameter", "GetParameter", "GetParametersByPath", "GetParameterHistory", "Encrypt", "Decrypt")
        for e in trail.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": name}])["Events"]
    ]
    assert len(records) >= 10
    audit = "\n".join(records).encode()
    srv.stop()
    haystack = _all_bytes(srv.data_dir) + srv.logs().encode()
    assert len(haystack) > 10_000
    for secret in secrets:
        for form in _forms(secret):
            assert form not in haystack, "a SecureString value was found on disk or in the logs"
            assert form not in audit, "a SecureString value was found in an audit record"
