"""The real ASGI app served by uvicorn in a background thread of the test process.

For tests that need to reach inside the server (e.g. replace providers with an echo) while still
talking to it over real HTTP with real botocore clients.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from strongroom.core.config import load_config
from strongroom.server.app import StrongroomApp
from strongroom.server.runtime import Runtime
from tests.support.server import ServerProcess, free_port


@contextmanager
def inprocess_server(data_dir: Path) -> Iterator[tuple[ServerProcess, Runtime, StrongroomApp]]:
    handle = ServerProcess(data_dir)
    handle.init()
    handle.port = free_port()
    runtime = Runtime.open(load_config(data_dir, port=handle.port, test_mode=True))
    app = StrongroomApp(runtime)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=handle.port, loop="asyncio", log_config=None, lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not (server.started and app.ready):
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("in-process server did not start")
        time.sleep(0.02)
    try:
        yield handle, runtime, app
    finally:
        server.should_exit = True
        thread.join(15)
        runtime.close()
