"""An S3 Control client for a test server.

botocore sends S3 Control requests to ``{AccountId}.<endpoint host>`` (the account id of the call prefixed to the
host), so against ``http://127.0.0.1:PORT`` it would connect to ``123456789012.127.0.0.1``, which resolves nowhere.
The client made here connects to the server's own address and keeps the Host header botocore signed, as a DNS entry
for that name would: the request the server sees, signature included, is the one botocore meant to send.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tests.support.server import ServerProcess


def s3control_client(server: ServerProcess, **kwargs: Any) -> Any:
    """``server.client("s3control", **kwargs)`` whose requests reach ``server`` whatever host botocore puts first."""
    client = server.client("s3control", **kwargs)
    loopback = urlsplit(server.endpoint).netloc

    def to_server(request: Any, **_: Any) -> None:
        parts = urlsplit(request.url)
        request.headers["Host"] = parts.netloc
        request.url = urlunsplit(parts._replace(netloc=loopback))

    client.meta.events.register("before-send", to_server)
    return client
