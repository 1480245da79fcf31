"""``strongroom server --workers 2``: several processes on one socket serve one consistent state."""

from __future__ import annotations

import json
import signal
import threading
import time
import uuid
from typing import Any

import pytest

from tests.support.server import ServerProcess, strongroom
from tests.support.workers import Worker, eventually, one_connection_per_worker


@pytest.fixture
def two_workers(backend: str, make_server: Any) -> ServerProcess:
    srv: ServerProcess = make_server("--test-mode", "--workers", "2", backend=backend)
    srv.start()
    return srv


def test_concurrent_mixed_traffic_has_no_errors(two_workers: ServerProcess) -> None:
    srv = two_workers
    errors: list[str] = []
    prefix = uuid.uuid4().hex[:8]

    def client_loop(n: int) -> None:
        kms, ssm = srv.client("kms"), srv.client("ssm")
        try:
            for i in range(8):
                key = kms.create_key()["KeyMetadata"]["KeyId"]
                blob = kms.encrypt(KeyId=key, Plaintext=b"p%d" % i)["CiphertextBlob"]
                assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"p%d" % i
                name = f"/workers/{prefix}/{n}/{i}"
                ssm.put_parameter(Name=name, Value=f"v{i}", Type="String")
                ssm.put_parameter(Name=name, Value=f"w{i}", Type="String", Overwrite=True)
                assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == f"w{i}"
        except Exception as exc:  # collected: a failure in a thread must fail the test
            errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=client_loop, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    listed = srv.client("ssm").get_parameters_by_path(Path=f"/workers/{prefix}", Recursive=True, MaxResults=10)
    assert listed["Parameters"]
    assert "database is locked" not in srv.logs()


def test_a_disabled_key_is_refused_by_every_worker_within_a_second(two_workers: ServerProcess) -> None:
    workers = one_connection_per_worker(two_workers)
    key = two_workers.client("kms").create_key()["KeyMetadata"]["KeyId"]
    for worker in workers:  # every worker has the key in its cache before it is disabled
        status, body = worker.kms("Encrypt", {"KeyId": key, "Plaintext": "aGVsbG8="})
        assert status == 200, body
    workers[0].kms("DisableKey", {"KeyId": key})
    for worker in workers:

        def refused(worker: Worker = worker) -> bool:
            status, body = worker.kms("Encrypt", {"KeyId": key, "Plaintext": "aGVsbG8="})
            return status == 400 and body.get("__type", "").endswith("DisabledException")

        eventually(refused, timeout=1.5)


def test_a_bucket_policy_change_reaches_every_worker(backend: str, two_workers: ServerProcess) -> None:
    """Each worker caches buckets and their policies for authorization. On SQLite a change made through one worker
    is seen by the other on its very next request (a shared change signal); on PostgreSQL, whose nodes may be on
    other hosts, within a second (the authorizer's bound for IAM policies too)."""
    workers = one_connection_per_worker(two_workers)
    bucket = f"workers-{uuid.uuid4().hex[:12]}"
    deny = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}
            ],
        }
    ).encode()
    first, second = workers

    def answers(status: int, body: bytes | None = None) -> None:
        def check() -> bool:
            got = second.s3("GET", f"/{bucket}/k")
            return got[0] == status and (body is None or got[1] == body)

        if backend == "sqlite":
            assert check()
        else:
            eventually(check, timeout=1.5)

    assert first.s3("PUT", f"/{bucket}")[0] == 200
    assert first.s3("PUT", f"/{bucket}/k", b"body")[0] == 200
    for worker in workers:  # both have the bucket's facts cached
        assert worker.s3("GET", f"/{bucket}/k") == (200, b"body")
    for _ in range(3):
        assert first.s3("PUT", f"/{bucket}?policy", deny)[0] == 204
        answers(403)
        assert first.s3("DELETE", f"/{bucket}?policy")[0] == 204
        answers(200, b"body")
    # deleted and re-created: the other worker answers for the new bucket
    assert first.s3("DELETE", f"/{bucket}/k")[0] == 204
    assert first.s3("DELETE", f"/{bucket}")[0] == 204
    answers(404)
    assert first.s3("PUT", f"/{bucket}")[0] == 200
    assert first.s3("PUT", f"/{bucket}?policy", deny)[0] == 204
    assert first.s3("PUT", f"/{bucket}/k", b"again")[0] == 200
    answers(403)


def test_the_clock_advance_reaches_every_worker(two_workers: ServerProcess) -> None:
    workers = one_connection_per_worker(two_workers)
    before = [float(w.admin("GET", "clock")["offset"]) for w in workers]
    workers[0].admin("POST", "clock", {"advance": 3600})
    for worker, was in zip(workers, before, strict=True):

        def moved(worker: Worker = worker, was: float = was) -> bool:
            return float(worker.admin("GET", "clock")["offset"]) >= was + 3600

        eventually(moved, timeout=3)


def test_sigterm_stops_every_worker(two_workers: ServerProcess) -> None:
    import psutil

    assert two_workers.proc is not None
    parent = psutil.Process(two_workers.proc.pid)
    children = parent.children(recursive=True)
    assert len(children) >= 2  # the workers (and multiprocessing's resource tracker)
    two_workers.proc.send_signal(signal.SIGTERM)
    assert two_workers.proc.wait(20) == 0
    _gone, alive = psutil.wait_procs(children, timeout=5)
    assert alive == []
    assert "Traceback" not in two_workers.logs()


def test_connections_spread_over_the_workers(two_workers: ServerProcess) -> None:
    """Each worker has its own SO_REUSEPORT socket: a batch of connections opened at once reaches both (once both
    listen: the server is ready when its first worker answers, and the second may still be starting)."""
    deadline = time.monotonic() + 30
    while True:
        connections = [Worker(two_workers) for _ in range(24)]  # all on one worker: probability 2**-23
        nodes = {c.node for c in connections}
        for c in connections:
            c.conn.close()
        if len(nodes) == 2 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert len(nodes) == 2


def test_a_second_server_on_a_served_port_is_refused(two_workers: ServerProcess) -> None:
    """With SO_REUSEPORT a second server would silently share the port; the parent checks first."""
    result = strongroom(
        "server",
        "--data-dir",
        str(two_workers.data_dir),
        "--port",
        str(two_workers.port),
        "--workers",
        "2",
        check=False,
    )
    assert result.returncode == 2
    assert "already in use" in result.stderr


def test_workers_do_not_outlive_a_killed_parent(two_workers: ServerProcess) -> None:
    import psutil

    assert two_workers.proc is not None
    children = psutil.Process(two_workers.proc.pid).children(recursive=True)
    two_workers.proc.send_signal(signal.SIGKILL)
    two_workers.proc.wait(10)
    _gone, alive = psutil.wait_procs(children, timeout=15)
    assert alive == []


def test_a_worker_that_dies_is_replaced(two_workers: ServerProcess) -> None:
    import psutil

    assert two_workers.proc is not None
    parent = psutil.Process(two_workers.proc.pid)

    def running_workers() -> list[psutil.Process]:
        found = []
        for child in parent.children():
            try:
                if "worker" in " ".join(child.cmdline()) and child.status() != psutil.STATUS_ZOMBIE:
                    found.append(child)
            except psutil.Error:  # exited between listing and asking
                continue
        return found

    workers = running_workers()
    assert len(workers) == 2
    workers[0].kill()

    def replaced() -> bool:
        alive = running_workers()
        return len(alive) == 2 and workers[0].pid not in {p.pid for p in alive}

    eventually(replaced, timeout=20)
    key = two_workers.client("kms").create_key()["KeyMetadata"]["KeyId"]  # and the port is served throughout
    assert key
