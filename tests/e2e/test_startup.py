"""Start-up: the server listens before its providers load (``Runtime.load_providers`` in a background thread).

A request for a service not loaded yet loads that service itself; what needs every provider (a test-mode clock
advance runs every job that became due; a reset clears every provider's caches) waits for the loader. The test-mode
clock stays one clock across ``--workers`` processes, a reset included.
"""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import botocore.exceptions
import pytest

from strongroom.protocol.catalog import default_catalog
from tests.support.s3control import s3control_client
from tests.support.server import ServerProcess
from tests.support.workers import Worker, one_connection_per_worker

# One call per service, made the moment the server answers health: each loads its own provider on a request thread
# while the background loader is loading the others. Read-only calls that need no resource.
FIRST_CALLS: dict[str, tuple[str, dict[str, Any]]] = {
    "kms": ("list_keys", {}),
    "iam": ("list_users", {}),
    "sts": ("get_caller_identity", {}),
    "cloudtrail": ("describe_trails", {}),
    "events": ("list_event_buses", {}),
    "ssm": ("describe_parameters", {}),
    "secretsmanager": ("list_secrets", {}),
    "lambda": ("list_functions", {}),
    "acm": ("list_certificates", {}),
    "acm-pca": ("list_certificate_authorities", {}),
    "wafv2": ("list_web_acls", {"Scope": "REGIONAL"}),
    "shield": ("list_protections", {}),
    "fms": ("list_policies", {}),
    "guardduty": ("list_detectors", {}),
    "inspector2": ("list_filters", {}),
    "macie2": ("list_findings_filters", {}),
    "s3": ("list_buckets", {}),
    "logs": ("describe_log_groups", {}),
    "organizations": ("list_roots", {}),
    "apigateway": ("get_rest_apis", {}),
    "s3control": ("get_public_access_block", {"AccountId": "123456789012"}),  # another account: denied
    "inspector-scan": ("scan_sbom", {"sbom": {}}),  # an empty document: a validation error
}


def _call(srv: ServerProcess, service: str) -> tuple[str, int, str]:
    method, params = FIRST_CALLS[service]
    client = s3control_client(srv) if service == "s3control" else srv.client(service)  # {AccountId}. in the host
    try:
        response = getattr(client, method)(**params)
        return service, int(response["ResponseMetadata"]["HTTPStatusCode"]), ""
    except botocore.exceptions.ClientError as exc:
        meta = exc.response.get("ResponseMetadata", {})
        return service, int(meta.get("HTTPStatusCode", 0)), str(exc.response.get("Error", {}).get("Code"))


def test_every_service_answers_its_first_request_while_the_providers_load(make_server: Any) -> None:
    srv: ServerProcess = make_server("--test-mode")
    srv.start()  # returns at the first healthy answer: the background loader has only just begun
    services = [s for s in FIRST_CALLS if s in default_catalog().services]
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda s: _call(srv, s), services))
    # Some answer the caller's state (Organizations: not in an organization; 4xx); none may fail (5xx, 501).
    failed = [a for a in answers if a[1] >= 500 or a[1] == 0]
    assert not failed, failed
    assert "Traceback" not in srv.logs()


def test_every_catalog_service_has_a_first_call() -> None:
    """A service added to the catalog gets its line above, so its lazy first load is tested too."""
    assert set(default_catalog().services) <= set(FIRST_CALLS)


def test_a_clock_advance_right_after_start_runs_the_jobs_of_services_not_yet_used(make_server: Any) -> None:
    """A secret scheduled for deletion is deleted by a clock advance: Secrets Manager's job handler must be loaded
    (by the background loader, which the advance waits for) even on a server that has not served Secrets Manager
    since it started."""
    srv: ServerProcess = make_server("--test-mode")
    srv.start()
    name = f"startup-{uuid.uuid4().hex[:8]}"
    srv.client("secretsmanager").create_secret(Name=name, SecretString="v")
    srv.client("secretsmanager").delete_secret(SecretId=name, RecoveryWindowInDays=7)
    srv.stop()
    srv.start()  # a new process: no provider loaded but what its requests load
    status, _ = srv.admin("POST", "clock", {"advance": 8 * 86400})
    assert status == 200
    with pytest.raises(botocore.exceptions.ClientError) as err:
        srv.client("secretsmanager").describe_secret(SecretId=name)
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


def _offsets_reach(conns: list[Worker], wanted: float, timeout: float = 5.0) -> list[float]:
    deadline = time.monotonic() + timeout
    while True:
        offsets = [float(c.admin("GET", "clock")["offset"]) for c in conns]
        if all(abs(o - wanted) < 1 for o in offsets) or time.monotonic() > deadline:
            return offsets
        time.sleep(0.05)


def test_workers_answer_at_once_and_share_the_clock_through_a_reset(backend: str, make_server: Any) -> None:
    srv: ServerProcess = make_server("--test-mode", "--workers", "2", backend=backend)
    srv.start()
    conns = one_connection_per_worker(srv)
    assert [c.kms("ListKeys", {})[0] for c in conns] == [200, 200]  # each worker loads KMS on its first request
    # On SQLite the other worker follows at once (a change signal checked before each request); PostgreSQL nodes,
    # which may be on other hosts, within the scheduler's one-second tick.
    timeout = 0.0 if backend == "sqlite" else 5.0
    conns[0].admin("POST", "clock", {"advance": 86400})
    assert _offsets_reach(conns, 86400, timeout) == [86400, 86400]
    conns[1].admin("POST", "reset")  # the other worker comes back to the real clock too
    assert _offsets_reach(conns, 0, timeout) == [0, 0]
    conns[0].admin("POST", "clock", {"advance": 3600})
    assert _offsets_reach(conns, 3600, timeout) == [3600, 3600]
