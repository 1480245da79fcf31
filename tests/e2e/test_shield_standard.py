"""Shield Standard on the real server and on ``strongroom waf proxy``: slowloris floods, slow bodies, slow readers,
connection caps per source and in all, malformed requests refused before the app.

Every loopback address 127.0.0.0/8 reaches the server on Linux, so a test plays several sources by binding its
sockets to 127.0.0.2, 127.0.0.3, ... while the "normal" clients use 127.0.0.1. The limits are set short through the
command-line options so the whole file runs in well under a minute.
"""

from __future__ import annotations

import contextlib
import http.client
import re
import select
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import urllib3

from tests.e2e.waf_support import VIS, Proxy, start_proxy, upstream
from tests.support.server import ServerProcess

__all__ = ["start_proxy", "upstream"]  # fixtures

HEADER_TIMEOUT = 2.0
LIMITS = [
    "--header-timeout",
    str(HEADER_TIMEOUT),
    "--body-timeout",
    "1",
    "--body-min-rate",
    "200",
    "--keepalive-timeout",
    "2",
    "--send-timeout",
    "2",
    "--max-connections-per-ip",
    "150",
    "--max-connections",
    "300",
]


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = ServerProcess(tmp_path_factory.mktemp("shield"), None, ["--test-mode", *LIMITS])
    server.init()
    server.start()
    yield server
    server.stop()


class Flood:
    """``count`` slowloris connections from ``source``: each sends a partial head, then one more header line every
    0.3 s, never the blank line that ends it. Records what each got back and when it was closed."""

    def __init__(self, port: int, source: str, count: int, *, first: bytes | None = None) -> None:
        self.started = time.monotonic()
        self.socks: list[socket.socket] = []
        self.answers: dict[int, bytes] = {}
        self.closed_at: dict[int, float] = {}
        for _ in range(count):
            s = socket.socket()
            s.bind((source, 0))
            s.connect(("127.0.0.1", port))
            s.setblocking(False)
            self.socks.append(s)
            self._send(len(self.socks) - 1, first or b"GET / HTTP/1.1\r\nHost: victim\r\nX-0: 0\r\n")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _send(self, i: int, data: bytes) -> None:
        try:
            self.socks[i].send(data)
        except OSError:
            self._closed(i)

    def _closed(self, i: int) -> None:
        self.closed_at.setdefault(i, time.monotonic() - self.started)

    def _run(self) -> None:
        n = 0
        while not self._stop.is_set() and len(self.closed_at) < len(self.socks):
            n += 1
            open_ones = [i for i in range(len(self.socks)) if i not in self.closed_at]
            readable, _, _ = select.select([self.socks[i] for i in open_ones], [], [], 0.3)
            for s in readable:
                i = self.socks.index(s)
                try:
                    data = s.recv(4096)
                except OSError:
                    data = b""
                if data:
                    self.answers[i] = self.answers.get(i, b"") + data
                else:
                    self._closed(i)
            for i in open_ones:
                if i not in self.closed_at:
                    self._send(i, b"X-%d: %d\r\n" % (n, n))

    def status(self, i: int) -> int:
        """Connection ``i``'s answer, 0 for none. The server writes its answer (503, 408) as it closes; a client
        byte that arrives after the close is answered with a reset, which may reach the client before the answer
        is read. So the tests tell refusals from cuts by when the connection ended, and read the status as a hint."""
        answer = self.answers.get(i, b"")
        return int(answer[9:12]) if answer.startswith(b"HTTP/1.1 ") else 0

    def ended(self, within: float, after: float = 0.0) -> list[int]:
        """The statuses of the connections closed ``after`` <= t < ``within`` seconds after the flood began."""
        return [self.status(i) for i, t in self.closed_at.items() if after <= t < within]

    def wait_all_closed(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while len(self.closed_at) < len(self.socks) and time.monotonic() < deadline:
            time.sleep(0.05)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for s in self.socks:
            s.close()


def metrics(server: ServerProcess) -> dict[tuple[str, str], float]:
    text = urllib3.request("GET", server.endpoint + "/_strongroom/metrics").data.decode()
    found = re.findall(r'strongroom_shield_events_total\{kind="(\w+)",reason="(\w+)"\} ([0-9.e+]+)', text)
    return {(k, r): float(v) for k, r, v in found}


def raw(port: int, data: bytes, source: str = "127.0.0.1", timeout: float = 5.0) -> bytes:
    """Send ``data`` on a new connection and read until the server closes it."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=(source, 0)) as s:
        s.sendall(data)
        out = b""
        while True:
            try:
                piece = s.recv(65536)
            except ConnectionResetError:
                break
            if not piece:
                break
            out += piece
        return out


def mock_api(server: ServerProcess) -> str:
    """A REST API whose root answers ``{"mocked": true}`` from a MOCK integration, deployed as stage ``test``."""
    apigw = server.client("apigateway")
    api = apigw.create_rest_api(name=f"shield-{time.monotonic_ns()}")
    root = api["rootResourceId"]
    apigw.put_method(restApiId=api["id"], resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(
        restApiId=api["id"],
        resourceId=root,
        httpMethod="GET",
        type="MOCK",
        requestTemplates={"application/json": '{"statusCode": 200}'},
    )
    apigw.put_method_response(restApiId=api["id"], resourceId=root, httpMethod="GET", statusCode="200")
    apigw.put_integration_response(
        restApiId=api["id"],
        resourceId=root,
        httpMethod="GET",
        statusCode="200",
        responseTemplates={"application/json": '{"mocked": true}'},
    )
    apigw.create_deployment(restApiId=api["id"], stageName="test")
    return str(api["id"])


def timed(call: Callable[[], Any]) -> float:
    start = time.monotonic()
    call()
    return time.monotonic() - start


def test_a_slowloris_flood_does_not_stop_the_server_answering_others(srv: ServerProcess) -> None:
    """The acceptance check: 200 dribbling connections from one address; boto3 and plain HTTP clients on another
    keep getting prompt answers; the flood's connections past the per-source cap are refused at once, the others
    cut once the header timeout passes."""
    before = metrics(srv)
    sts, kms = srv.client("sts"), srv.client("kms")
    kms.list_keys()  # connections and models warm
    api = mock_api(srv)
    host = f"{api}.execute-api.localhost:{srv.port}".encode()
    # aimed at an API Gateway stage: the data plane the server serves on the same port
    flood = Flood(srv.port, "127.0.0.2", 200, first=b"GET /test/ HTTP/1.1\r\nHost: " + host + b"\r\nX-0: 0\r\n")
    try:
        http = urllib3.PoolManager()
        latencies = []

        def stage() -> None:
            answer = http.request("GET", srv.endpoint + "/test/", headers={"Host": host.decode()}, retries=False)
            assert answer.status == 200 and answer.data == b'{"mocked": true}'

        while time.monotonic() - flood.started < HEADER_TIMEOUT + 0.5:  # for as long as the flood holds on
            latencies.append(timed(lambda: sts.get_caller_identity()))
            latencies.append(timed(lambda: kms.list_keys()))
            latencies.append(timed(stage))
            latencies.append(
                timed(lambda: http.request("GET", srv.endpoint + "/_strongroom/health", retries=False, timeout=5))
            )
        assert len(latencies) >= 20 and max(latencies) < 2.0, latencies
        flood.wait_all_closed(HEADER_TIMEOUT + 3)
        assert len(flood.closed_at) == 200
        refused = flood.ended(within=1.0)  # at once: over the per-source cap (150)
        cut = flood.ended(after=HEADER_TIMEOUT - 0.1, within=HEADER_TIMEOUT + 2.5)  # at the header timeout
        assert len(refused) == 50 and set(refused) <= {503, 0}, refused
        # a partial head is answered 408 before the close; a client that is slow to read may see the reset first (0)
        assert len(cut) == 150 and set(cut) <= {408, 0} and cut.count(408) > 50, cut
    finally:
        flood.close()
    after = metrics(srv)
    assert after[("refused", "per_ip_cap")] - before.get(("refused", "per_ip_cap"), 0) == 50
    assert after[("cut", "header_timeout")] - before.get(("cut", "header_timeout"), 0) >= 150
    log = srv.logs()
    assert '"msg":"shield: connection cut"' in log and "execute-api" not in log  # no request contents in the log


def test_a_flood_from_many_sources_sheds_the_oldest_waiting_connections(srv: ServerProcess) -> None:
    """Over the total cap (300), new connections push out the ones that have waited longest without a request;
    a new client is answered, not refused."""
    floods = [Flood(srv.port, f"127.0.0.{n}", 100) for n in (3, 4, 5)]  # 300: the cap
    try:
        fourth = Flood(srv.port, "127.0.0.6", 50)  # sheds 50 of the first flood's
        floods.append(fourth)
        s3 = srv.client("s3")
        assert timed(lambda: s3.list_buckets()) < 2.0
        status = urllib3.request("GET", srv.endpoint + "/_strongroom/health", retries=False).status
        assert status == 200
        time.sleep(0.3)
        shed = sum(1 for i in floods[0].closed_at if i not in floods[0].answers)
        assert shed >= 50  # the oldest: the first flood's, closed without an answer
        assert not fourth.closed_at  # the newest are still there
    finally:
        for flood in floods:
            flood.close()
    assert metrics(srv)[("shed", "total_cap")] >= 50


def test_a_slow_body_is_cut_and_a_normal_upload_is_not(srv: ServerProcess) -> None:
    s3 = srv.client("s3")
    s3.create_bucket(Bucket="shield-body")
    s3.put_object(Bucket="shield-body", Key="big", Body=b"x" * (4 * 1024 * 1024))  # a normal upload: fine
    with socket.create_connection(("127.0.0.1", srv.port), source_address=("127.0.0.7", 0)) as s:
        # a JSON call: its body is read whole before anything else happens
        s.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: TrentService.ListKeys\r\n"
            b"Content-Type: application/x-amz-json-1.1\r\nContent-Length: 10000\r\n\r\n" + b"y" * 100
        )
        start = time.monotonic()
        s.settimeout(0.25)
        closed = None
        while time.monotonic() - start < 5:
            try:
                s.send(b"y")  # a byte every 0.25 s: under the 200 bytes a second required
                if s.recv(4096) == b"":
                    closed = time.monotonic() - start
                    break
            except TimeoutError:
                continue
            except OSError:
                closed = time.monotonic() - start
                break
        assert closed is not None and closed < 3.0
    assert metrics(srv)[("cut", "body_timeout")] >= 1


def test_idle_and_silent_connections_are_closed(srv: ServerProcess) -> None:
    # a connection that sends nothing at all: closed at the header timeout, without an answer
    with socket.create_connection(("127.0.0.1", srv.port), timeout=6) as s:
        start = time.monotonic()
        assert s.recv(100) == b""
        assert HEADER_TIMEOUT - 0.1 <= time.monotonic() - start < HEADER_TIMEOUT + 1.5
    # a kept-alive connection left idle after its answer: closed at the keep-alive timeout (2 s)
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=6)
    conn.request("GET", "/_strongroom/health")
    assert conn.getresponse().read() and conn.sock is not None
    start = time.monotonic()
    assert conn.sock.recv(100) == b""
    assert time.monotonic() - start < 3.5
    conn.close()


def test_a_client_that_does_not_read_its_response_is_cut(srv: ServerProcess) -> None:
    s3 = srv.client("s3")
    s3.create_bucket(Bucket="shield-read")
    s3.put_object(Bucket="shield-read", Key="big", Body=b"z" * (16 * 1024 * 1024))
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "shield-read", "Key": "big"})
    target = url.split(str(srv.port), 1)[1]
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", srv.port))
    try:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\n\r\n".encode())
        time.sleep(4.5)  # send_timeout 2 s (plus a sweep) after the server's buffer filled up
        got = 0
        s.settimeout(3)
        try:
            while piece := s.recv(1 << 20):
                got += len(piece)
        except (ConnectionResetError, TimeoutError):
            pass
        assert got < 16 * 1024 * 1024
    finally:
        s.close()
    assert metrics(srv)[("cut", "send_timeout")] >= 1


MALFORMED = [
    (b"GET / HTTP/1.1\r\n\r\n", 400),  # no Host
    (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400),
    (b"GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n folded\r\n\r\n", 400),
    (b"GET / HTTP/1.1\nHost: a\n\n", 400),  # bare LF
    (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400),  # TLS to the plain port
    (b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
    (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: a\r\n\r\n", 414),
    (b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"a" * 70_000 + b"\r\n\r\n", 431),
    (b"GET / HTTP/1.1\r\nHost: a\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(250)) + b"\r\n", 431),
]


@pytest.mark.parametrize(("request_bytes", "status"), MALFORMED, ids=range(len(MALFORMED)))
def test_malformed_requests_are_refused_before_the_app(srv: ServerProcess, request_bytes: bytes, status: int) -> None:
    answer = raw(srv.port, request_bytes)
    assert answer.startswith(b"HTTP/1.1 %d " % status), answer[:200]
    assert b"connection: close" in answer.lower() and b"x-amzn-requestid" not in answer.lower()


def test_limits_are_checked_at_start(tmp_path: Path) -> None:
    from tests.support.server import strongroom

    bad = strongroom("server", "--data-dir", str(tmp_path), "--header-timeout", "0", check=False)
    assert bad.returncode == 2 and "--header-timeout must be more than 0" in bad.stderr


# -- the same limits on `strongroom waf proxy`


@pytest.fixture
def proxy(server: ServerProcess, upstream: str, start_proxy: Callable[..., Proxy]) -> Proxy:
    waf = server.client("wafv2")
    acl = waf.create_web_acl(
        Name=f"shield-{time.monotonic_ns()}", Scope="REGIONAL", DefaultAction={"Allow": {}}, VisibilityConfig=VIS
    )["Summary"]
    return start_proxy(
        acl["ARN"],
        upstream,
        "--header-timeout",
        "1",
        "--body-timeout",
        "1",
        "--body-min-rate",
        "200",
        "--max-connections-per-ip",
        "40",
    )


def test_the_waf_proxy_has_the_same_limits(proxy: Proxy) -> None:
    # a slow body: cut within a window or two (min rate 200 bytes a second over 1 s windows)
    with socket.create_connection(("127.0.0.1", proxy.port), source_address=("127.0.0.8", 0)) as s:
        s.sendall(b"POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\nab")
        s.settimeout(4)
        start = time.monotonic()
        with contextlib.suppress(ConnectionResetError):
            while s.recv(4096):
                pass
        assert time.monotonic() - start < 3.5
    # malformed: refused by the proxy itself, never forwarded
    assert raw(proxy.port, b"GET / HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    assert raw(proxy.port, b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"a" * 70_000 + b"\r\n\r\n").startswith(
        b"HTTP/1.1 431 "
    )
    # a slowloris flood: over the per-source cap refused, the rest cut; normal clients answered throughout
    flood = Flood(proxy.port, "127.0.0.2", 60)
    try:
        while time.monotonic() - flood.started < 1.3:
            assert timed(lambda: proxy.request("GET", "/fine")[0] == 200) < 1.0
        flood.wait_all_closed(3.5)
        refused, cut = flood.ended(within=0.5), flood.ended(after=0.9, within=3.5)
        assert len(refused) == 20 and set(refused) <= {503, 0}, refused
        assert len(cut) == 40 and set(cut) <= {408, 0} and cut.count(408) > 25, cut
    finally:
        flood.close()
    log = proxy.log.read_text()
    for reason in ("body_timeout", "missing_host", "header_too_large", "per_ip_cap", "header_timeout"):
        assert f'"reason":"{reason}"' in log, reason
