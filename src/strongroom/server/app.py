"""The ASGI application: turns ASGI messages into ``HttpRequest`` and runs the pipeline.

Read-only calls run on the event loop where the pipeline allows it (``Pipeline.on_loop``); everything
else in a thread pool, so a call that waits (an audit commit, a lock, a Lambda function) never holds up
the others.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from strongroom.protocol.http import HttpRequest, HttpResponse
from strongroom.server.admin import PREFIX, handle_admin
from strongroom.server.runtime import Runtime

log = logging.getLogger("strongroom.server")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

MAX_BODY = 80 * 1024 * 1024  # Lambda zips arrive base64-encoded in the body


class StrongroomApp:
    def __init__(self, runtime: Runtime, *, workers: int = 16, owns_runtime: bool = False) -> None:
        self.runtime = runtime
        # True in a `--workers` process, where nothing outside the app is left to close the runtime.
        self.owns_runtime = owns_runtime
        self.pipeline = runtime.pipeline
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="strongroom")
        self.ready = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    self.runtime.audit.start()
                    self.runtime.scheduler.start()
                    # Everything loaded so far (service models, providers) lives as long as the process; out
                    # of the collector's sight, full collections stop costing ~50 ms pauses under load.
                    gc.collect()
                    gc.freeze()
                    self.ready = True
                    await send({"type": "lifespan.startup.complete"})
                except Exception as exc:  # pragma: no cover - reported to uvicorn, which exits
                    log.exception("startup failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
            elif message["type"] == "lifespan.shutdown":
                self.ready = False
                await asyncio.get_running_loop().run_in_executor(None, self.runtime.scheduler.stop)
                self.executor.shutdown(wait=True)
                await asyncio.get_running_loop().run_in_executor(None, self.runtime.audit.stop)
                if self.owns_runtime:
                    await asyncio.get_running_loop().run_in_executor(None, self.runtime.close)
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY:
                await _send(send, HttpResponse(413, [("Content-Type", "text/plain")], b"Request Entity Too Large"))
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
        headers: dict[str, str] = {}
        for name, value in scope["headers"]:
            key = name.decode("latin-1").lower()
            val = value.decode("latin-1")
            headers[key] = f"{headers[key]},{val}" if key in headers else val
        client = scope.get("client")
        request = HttpRequest(
            method=scope["method"],
            path=raw_path.decode("latin-1").split("?", 1)[0],
            query_string=scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            body=b"".join(chunks),
            client_ip=client[0] if client else "127.0.0.1",
            scheme=scope.get("scheme", "http"),
        )
        loop = asyncio.get_running_loop()
        if request.path.startswith(PREFIX):
            response = await loop.run_in_executor(self.executor, handle_admin, self.runtime, request, self.ready)
        else:
            route = self.pipeline.route_of(request)
            if route is not None and self.pipeline.on_loop(route):
                response = self.pipeline.handle(request, route)
            else:
                response = await loop.run_in_executor(self.executor, self.pipeline.handle, request, route)
        await _send(send, response)


async def _send(send: Send, response: HttpResponse) -> None:
    headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
    if not any(k == b"content-length" for k, _ in headers):
        headers.append((b"content-length", str(len(response.body)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})
