"""Secrets never reach a record or a trail file; records are durable (kill -9) and fail closed."""

from __future__ import annotations

import base64
import gzip
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import botocore.config
import pytest
from botocore.exceptions import BotoCoreError, ClientError

from tests.conftest import BACKENDS
from tests.support.inprocess import inprocess_server
from tests.support.server import ServerProcess

NO_VALIDATION = botocore.config.Config(parameter_validation=False)


def all_records(ct: Any, **kwargs: Any) -> list[str]:
    found: list[str] = []
    token = None
    while True:
        page = ct.lookup_events(MaxResults=50, **({"NextToken": token} if token else {}), **kwargs)
        found += [e["CloudTrailEvent"] for e in page["Events"]]
        token = page.get("NextToken")
        if not token:
            return found


def forms(secret: bytes) -> list[bytes]:
    """Every way a secret could be written down: raw, base64, hex."""
    return [secret, base64.b64encode(secret), secret.hex().encode()]


def test_no_secret_reaches_a_record_or_a_trail_file(make_server: Any) -> None:
    srv: ServerProcess = make_server("--test-mode")
    srv.start()
    ct, kms, iam = srv.client("cloudtrail"), srv.client("kms"), srv.client("iam")
    ct.create_trail(Name="everything", S3BucketName="secrets-bucket", EnableLogFileValidation=True)
    ct.start_logging(Name="everything")
    secrets: list[bytes] = [b"PLAINTEXT-canary-0123456789", b"another plaintext \xf0\x9f\x94\x91 canary"]
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    for plaintext in secrets[:2]:
        blob = kms.encrypt(KeyId=key_id, Plaintext=plaintext, EncryptionContext={"purpose": "audit-test"})
        decrypted = kms.decrypt(CiphertextBlob=blob["CiphertextBlob"], EncryptionContext={"purpose": "audit-test"})
        assert decrypted["Plaintext"] == plaintext
    data_key = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")
    secrets.append(data_key["Plaintext"])
    raw = srv.client("kms", config=NO_VALIDATION)
    failing = b"FAILED-CALL-plaintext-canary"
    secrets.append(failing)
    with pytest.raises(ClientError):
        raw.encrypt(KeyId="alias/does-not-exist", Plaintext=failing)
    with pytest.raises(ClientError):
        raw.encrypt(KeyId=key_id, Plaintext=failing, EncryptionAlgorithm="NOPE")
    iam.create_user(UserName="audited-user")
    created = iam.create_access_key(UserName="audited-user")["AccessKey"]
    secrets.append(created["SecretAccessKey"].encode())
    secrets.append(srv.secret_key.encode())
    srv.advance(3600 + 60)

    records = all_records(ct)
    assert any('"eventName":"Encrypt"' in r for r in records)
    decrypt = next(r for r in records if '"eventName":"Decrypt"' in r)
    assert '"encryptionContext":{"purpose":"audit-test"}' in decrypt  # what CloudTrail keeps of a Decrypt
    assert '"encryptionAlgorithm":"SYMMETRIC_DEFAULT"' in decrypt
    assert '"keyId":"arn:aws:kms:us-east-1:' in decrypt
    access_key = [r for r in records if '"eventName":"CreateAccessKey"' in r]
    assert not access_key or created["AccessKeyId"] in access_key[0]
    texts = [r.encode() for r in records]
    root = srv.data_dir / "trails" / "secrets-bucket"
    files = sorted(root.rglob("*.json.gz"))
    assert files
    texts += [gzip.decompress(p.read_bytes()) for p in files]
    texts += [p.read_bytes() for p in root.rglob("*.metadata.json")]
    for secret in secrets:
        for form in forms(secret):
            for text in texts:
                assert form not in text, "a secret reached the audit trail"


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_every_acknowledged_mutation_survives_kill_9(make_server: Any, backend_name: str) -> None:
    srv: ServerProcess = make_server("--test-mode", backend=backend_name)
    srv.start()
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def load() -> None:
        kms = srv.client("kms", config=botocore.config.Config(connect_timeout=2, read_timeout=5))
        while not stop.is_set():
            try:
                arn = kms.create_key()["KeyMetadata"]["Arn"]
            except (ClientError, BotoCoreError):
                return
            with lock:
                acknowledged.append(arn)

    threads = [threading.Thread(target=load) for _ in range(6)]
    for t in threads:
        t.start()
    time.sleep(2.0)
    srv.stop(signal.SIGKILL)  # kill -9 while requests are in flight
    stop.set()
    for t in threads:
        t.join(10)
    assert len(acknowledged) > 20
    srv.start()
    ct = srv.client("cloudtrail")
    recorded: set[str] = set()
    for raw in all_records(ct, LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateKey"}]):
        if '"errorCode"' not in raw:
            recorded.update(part.split('"')[0] for part in raw.split('"ARN":"')[1:])
    missing = set(acknowledged) - recorded
    assert not missing, f"{len(missing)} acknowledged CreateKey calls have no record"


class _BrokenStore:
    """A store whose writes fail, as a full disk or a lost database would."""

    def __init__(self, real: Any) -> None:
        self.real = real

    @contextmanager
    def write(self) -> Iterator[Any]:
        raise OSError("disk full")
        yield  # pragma: no cover


def test_a_mutation_fails_when_its_record_cannot_be_stored(tmp_path: Path) -> None:
    once = botocore.config.Config(retries={"total_max_attempts": 1})
    with inprocess_server(tmp_path / "srv") as (handle, runtime, _app):
        kms = handle.client("kms", config=once)
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        writer = runtime.audit.writer
        real = writer.store
        writer.store = _BrokenStore(real)  # type: ignore[assignment]
        try:
            with pytest.raises(ClientError) as exc:
                kms.create_key(Description="must not be acknowledged")
            assert exc.value.response["Error"]["Code"] == "KMSInternalException"
            assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
            # read-only calls are still answered; their records are lost with the store and logged
            assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyId"] == key_id
            with pytest.raises(ClientError) as exc:
                handle.client("cloudtrail", config=once).create_trail(Name="blocked", S3BucketName="blocked-bucket")
            assert exc.value.response["Error"]["Code"] == "InternalFailure"
        finally:
            writer.store = real
        assert kms.create_key()["KeyMetadata"]["KeyId"]
        assert writer.failures >= 2
