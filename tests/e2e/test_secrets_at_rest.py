"""No secret value in plaintext anywhere the server writes: the data dir (database, WAL), its log, the audit trail."""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path

from tests.support.server import ServerProcess


def _files_containing(root: Path, needles: list[bytes]) -> list[str]:
    hits = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if any(n in data for n in needles):
                hits.append(str(path))
    return hits


def test_values_never_stored_or_logged_in_plaintext(server: ServerProcess) -> None:
    sm = server.client("secretsmanager")
    marker = f"PLAINTEXT-{uuid.uuid4().hex}"
    binary_marker = f"BINARY-{uuid.uuid4().hex}".encode()
    name = f"atrest-{uuid.uuid4().hex[:8]}"
    sm.create_secret(Name=name, SecretString=json.dumps({"password": marker}))
    sm.put_secret_value(SecretId=name, SecretString=marker + "-v2")
    sm.update_secret(SecretId=name, SecretString=marker + "-v3")
    other = sm.create_secret(Name=name + "-bin", SecretBinary=binary_marker)
    sm.get_secret_value(SecretId=name)
    sm.get_secret_value(SecretId=other["ARN"])
    sm.batch_get_secret_value(SecretIdList=[name])
    sm.replicate_secret_to_regions(SecretId=name, AddReplicaRegions=[{"Region": "ap-south-1"}])
    password = sm.get_random_password()["RandomPassword"]
    server.advance(1)  # lets the audit writer and the event delivery settle
    needles = [marker.encode(), binary_marker, base64.b64encode(binary_marker), password.encode()]
    assert _files_containing(server.data_dir, needles) == []
    events = server.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventSource", "AttributeValue": "secretsmanager.amazonaws.com"}],
        MaxResults=50,
    )["Events"]
    assert events
    assert not any(marker in e["CloudTrailEvent"] or password in e["CloudTrailEvent"] for e in events)
    sm.remove_regions_from_replication(SecretId=name, RemoveReplicaRegions=["ap-south-1"])
