"""The WAF proxy's forwarder against a scripted upstream (raw asyncio server), and RemoteWebAcl with a fake client."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from strongroom.wafproxy.forward import Forwarder
from strongroom.wafproxy.remote import RemoteWebAcl, WafArn, references

Handler = Callable[[bytes, asyncio.StreamWriter], Awaitable[bool]]  # request head+body -> keep the connection?


class Upstream:
    """Reads one request at a time (head, then Content-Length or chunked body) and answers with ``handler``."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.requests: list[bytes] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lower = head.lower()
                body = b""
                if b"content-length:" in lower:
                    n = int(lower.split(b"content-length:")[1].split(b"\r\n")[0])
                    body = await reader.readexactly(n)
                elif b"transfer-encoding: chunked" in lower:
                    while True:
                        size = int((await reader.readuntil(b"\r\n")).strip(), 16)
                        chunk = await reader.readexactly(size + 2)
                        body += chunk[:-2]
                        if size == 0:
                            break
                self.requests.append(head + body)
                if not await self.handler(head + body, writer):
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()


async def ok(_request: bytes, writer: asyncio.StreamWriter) -> bool:
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-App: yes\r\nKeep-Alive: timeout=5\r\nDate: x\r\n\r\nhello")
    await writer.drain()
    return True


def run(coro: Awaitable[Any]) -> Any:
    return asyncio.run(coro)  # type: ignore[arg-type]


async def call(
    app: Forwarder,
    method: str = "GET",
    path: str = "/p",
    headers: list[tuple[bytes, bytes]] | None = None,
    chunks: list[bytes] | None = None,
) -> tuple[int, dict[bytes, bytes], bytes]:
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"q=1",
        "headers": headers if headers is not None else [(b"host", b"site.example")],
        "client": ("198.51.100.7", 40000),
        "scheme": "http",
    }
    pieces = chunks or [b""]
    inbox = [{"type": "http.request", "body": p, "more_body": i < len(pieces) - 1} for i, p in enumerate(pieces)]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return inbox.pop(0) if inbox else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], dict(sent[0]["headers"]), b"".join(m.get("body", b"") for m in sent[1:])


def test_forwarding_headers_and_connection_reuse() -> None:
    async def scenario() -> None:
        up = Upstream(ok)
        port = await up.start()
        app = Forwarder(f"http://127.0.0.1:{port}/base")
        headers = [
            (b"host", b"site.example"),
            (b"connection", b"keep-alive, x-hop"),
            (b"x-hop", b"drop me"),
            (b"te", b"trailers"),
            (b"x-forwarded-for", b"203.0.113.1"),
            (b"x-app-header", b"kept"),
        ]
        status, out, body = await call(app, headers=headers)
        assert (status, body) == (200, b"hello")
        assert out[b"x-app"] == b"yes" and b"keep-alive" not in out and b"date" not in out  # uvicorn adds its own
        sent = up.requests[0].lower()
        assert sent.startswith(b"get /base/p?q=1 http/1.1\r\n")
        assert b"x-hop" not in sent and b"\r\nte:" not in sent and b"connection:" not in sent
        assert b"x-forwarded-for: 203.0.113.1, 198.51.100.7" in sent and b"x-app-header: kept" in sent
        assert b"host: site.example" in sent and b"x-forwarded-host: site.example" in sent
        for _ in range(3):
            assert (await call(app))[0] == 200
        assert up.connections == 1  # kept alive and reused
        await app.close()

    run(scenario())


def test_chunked_both_ways_and_head() -> None:
    async def chunked(request: bytes, writer: asyncio.StreamWriter) -> bool:
        if request.startswith(b"HEAD"):
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
        else:
            writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n")
        await writer.drain()
        return True

    async def scenario() -> None:
        up = Upstream(chunked)
        app = Forwarder(f"http://127.0.0.1:{await up.start()}")
        status, out, body = await call(app, "POST", chunks=[b"part1-", b"part2"])
        assert (status, body) == (200, b"abcdefg") and b"transfer-encoding" not in out
        assert up.requests[0].endswith(b"part1-part2") and b"transfer-encoding: chunked" in up.requests[0].lower()
        status, out, body = await call(app, "HEAD")
        assert (status, body, out[b"content-length"]) == (200, b"", b"100")
        assert (await call(app))[0] == 200  # after a HEAD the connection is not reused: a fresh one works
        await app.close()

    run(scenario())


def test_stale_pooled_connection_is_retried_and_dead_upstream_is_502() -> None:
    async def once(_request: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        return False  # close after answering, although HTTP/1.1 said keep-alive

    async def scenario() -> None:
        up = Upstream(once)
        port = await up.start()
        app = Forwarder(f"http://127.0.0.1:{port}")
        assert (await call(app))[0] == 200
        await asyncio.sleep(0.05)
        assert (await call(app))[0] == 200  # the pooled connection was closed: retried on a new one
        assert up.connections == 2
        assert up.server is not None
        up.server.close()
        await up.server.wait_closed()
        status, _, body = await call(Forwarder(f"http://127.0.0.1:{port}"))
        assert (status, body) == (502, b"Bad Gateway")

    run(scenario())


def test_upstream_url_is_checked() -> None:
    with pytest.raises(ValueError):
        Forwarder("https://example.com")


# --- RemoteWebAcl ----------------------------------------------------------------------------------------------

ACL_ARN = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/a/11111111-1111-4111-8111-111111111111"
IPS_ARN = "arn:aws:wafv2:us-east-1:123456789012:regional/ipset/s/22222222-2222-4222-8222-222222222222"
VIS = {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "m"}


class FakeWaf:
    def __init__(self) -> None:
        self.acl_token = "t1"
        self.ips_token = "i1"
        self.addresses = ["192.0.2.0/24"]
        self.down = False

    def _check(self) -> None:
        if self.down:
            raise EndpointConnectionError(endpoint_url="http://x")

    def get_web_acl(self, **_: Any) -> dict[str, Any]:
        self._check()
        rule = {
            "Name": "ips",
            "Priority": 0,
            "Statement": {"IPSetReferenceStatement": {"ARN": IPS_ARN}},
            "Action": {"Block": {}},
            "VisibilityConfig": VIS,
        }
        acl = {"Name": "a", "ARN": ACL_ARN, "DefaultAction": {"Allow": {}}, "VisibilityConfig": VIS, "Rules": [rule]}
        return {"WebACL": acl, "LockToken": self.acl_token}

    def get_ip_set(self, **_: Any) -> dict[str, Any]:
        self._check()
        return {"IPSet": {"IPAddressVersion": "IPV4", "Addresses": self.addresses}, "LockToken": self.ips_token}

    def get_logging_configuration(self, **_: Any) -> dict[str, Any]:
        raise ClientError({"Error": {"Code": "WAFNonexistentItemException", "Message": "none"}}, "Get")


def test_remote_source_compiles_only_on_change_and_keeps_the_last_good() -> None:
    from strongroom.waf import WafRequest

    fake = FakeWaf()
    source = RemoteWebAcl(ACL_ARN, client=fake)
    assert source.reloads == 1
    snap = source.snapshot()
    assert snap is not None and not snap.logging_enabled
    assert snap.evaluator.evaluate(WafRequest("GET", "/", source_ip="192.0.2.9"), 0).action == "BLOCK"
    assert source.refresh() is False and source.reloads == 1  # nothing changed: nothing compiled
    fake.addresses, fake.ips_token = ["198.51.100.0/24"], "i2"
    assert source.refresh() is True and source.reloads == 2
    evaluator = source.snapshot().evaluator  # type: ignore[union-attr]
    assert evaluator.evaluate(WafRequest("GET", "/", source_ip="192.0.2.9"), 0).action == "ALLOW"
    fake.down = True
    assert source.refresh() is False and source.snapshot().evaluator is evaluator  # type: ignore[union-attr]
    with pytest.raises(EndpointConnectionError):
        RemoteWebAcl(ACL_ARN, client=fake)  # but the first load must succeed


def test_arns_and_references() -> None:
    arn = WafArn.parse(ACL_ARN)
    assert (arn.scope, arn.kind, arn.name) == ("REGIONAL", "webacl", "a")
    assert WafArn.parse(ACL_ARN.replace("regional", "global")).scope == "CLOUDFRONT"
    with pytest.raises(ValueError):
        WafArn.parse("arn:aws:s3:::bucket")
    nested = [{"Statement": {"NotStatement": {"Statement": {"IPSetReferenceStatement": {"ARN": IPS_ARN}}}}}]
    assert list(references(nested)) == [("ipset", IPS_ARN)]
