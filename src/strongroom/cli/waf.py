"""``strongroom waf proxy``: a reverse proxy enforcing a web ACL read from a Strongroom server.

The ASGI middleware (``strongroom.waf.asgi``) around the forwarding app (``strongroom.wafproxy.forward``), served
by the main server's stack (uvicorn + uvloop + the coalescing httptools protocol). The web ACL is followed through
the public wafv2 API (``strongroom.wafproxy.remote``); log records go to the ACL's logging destination.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import secrets
import signal
import socket
import sys
from collections.abc import Callable
from typing import Any

log = logging.getLogger("strongroom.wafproxy")


def _listen(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError("--listen is HOST:PORT")
    return host.strip("[]") or "127.0.0.1", int(port)


def cmd_proxy(args: argparse.Namespace) -> int:
    from strongroom.server.logs import configure

    configure(args.log_level)
    secret = secrets.token_bytes(32)  # one per proxy, shared by its workers: a token earned through one is good for all
    if args.token_secret_file:
        with open(args.token_secret_file, "rb") as f:
            secret = f.read().strip()
        if len(secret) < 16:
            print("--token-secret-file must hold at least 16 bytes", file=sys.stderr)
            return 2
    from strongroom.server.shield import ShieldLimits

    problems = ShieldLimits.from_values(args).problems()
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 2
    if not args.upstream.startswith("http://"):
        print(f"--upstream must be http://host[:port][/path]: {args.upstream}", file=sys.stderr)
        return 2
    if args.workers < 2:
        return _serve(args, secret, None)
    # --workers N: one listening socket, N forked processes accepting on it (each its own event loop, poller and
    # rate counters). Forked before any thread or connection exists in this process.
    host, port = args.listen
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    children: list[int] = []
    for _ in range(args.workers):
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os._exit(_serve(args, secret, sock))
        children.append(pid)

    def forward(signum: int, _frame: object) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    code = 0
    for child in children:
        _, status = os.waitpid(child, 0)
        code = code or os.waitstatus_to_exitcode(status)
    return code


def _serve(args: argparse.Namespace, secret: bytes, sock: socket.socket | None) -> int:
    import uvicorn

    from strongroom.server.httpproto import uvicorn_options
    from strongroom.server.shield import Shield, ShieldLimits
    from strongroom.waf.asgi import WafMiddleware
    from strongroom.wafproxy.forward import Forwarder
    from strongroom.wafproxy.logship import LogShipper
    from strongroom.wafproxy.remote import RemoteWebAcl
    from strongroom.wafproxy.samples import SampleShipper

    host, port = args.listen
    listen_text = f"{host}:{port}"
    try:
        forwarder = Forwarder(args.upstream)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    try:
        source = RemoteWebAcl(
            args.web_acl,
            region=args.region,
            endpoint_url=args.endpoint_url,
            interval=args.poll_interval,
            token_secret=secret,
        )
    except Exception as exc:  # the first load: say why and do not start without an ACL
        print(f"cannot load the web ACL {args.web_acl}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    shipper = LogShipper(
        lambda: (source.snapshot() or _none()).logging_configuration, args.web_acl, endpoint_url=args.endpoint_url
    )
    # samples go to the server's internal endpoint: only a Strongroom endpoint has one
    sampler = SampleShipper(args.endpoint_url, args.region or source.arn.region) if args.endpoint_url else None
    app = WafMiddleware(
        forwarder,
        source,
        log_sink=shipper,
        sample_sink=sampler,
        http_source_name="PROXY",
        http_source_id=listen_text,
    )
    source.start()
    shipper.start()
    if sampler is not None:
        sampler.start()
    log.info("waf proxy starting", extra={"listen": listen_text, "upstream": args.upstream, "web_acl": args.web_acl})
    try:
        config = uvicorn.Config(
            _with_lifespan(app, forwarder),
            host=host,
            port=port,
            loop="uvloop",
            lifespan="on",
            log_config=None,
            access_log=False,
            server_header=False,
            proxy_headers=False,  # the client address is the peer's; forwarded IPs are the web ACL's business
            timeout_graceful_shutdown=10,
            backlog=2048,
            # Shield Standard, as on the server: one Shield per process (each --workers child its own)
            **uvicorn_options(Shield(ShieldLimits.from_values(args))),
        )
        uvicorn.Server(config).run(sockets=[sock] if sock is not None else None)
    finally:
        source.close()
        shipper.close()
        if sampler is not None:
            sampler.close()
    return 0


class _none:
    logging_configuration = None


def _with_lifespan(app: Any, forwarder: Any) -> Any:
    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await forwarder(scope, receive, send)
            return
        await app(scope, receive, send)

    return wrapped


def register(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    del common  # the proxy has no data dir: it talks to a server like any AWS client
    p_waf = sub.add_parser("waf", help="WAF enforcement outside the server")
    waf_sub = p_waf.add_subparsers(dest="waf_command", required=True)
    p = waf_sub.add_parser("proxy", help="a reverse proxy enforcing a web ACL in front of any HTTP application")
    p.add_argument("--web-acl", required=True, help="the web ACL's ARN")
    p.add_argument("--upstream", required=True, help="http://host:port[/path] of the protected application")
    p.add_argument("--listen", type=_listen, default=("127.0.0.1", 8080), help="HOST:PORT (default 127.0.0.1:8080)")
    p.add_argument("--region", default=None, help="default: the ARN's region")
    p.add_argument(
        "--endpoint-url",
        default=os.environ.get("AWS_ENDPOINT_URL"),
        help="the Strongroom server (default: AWS_ENDPOINT_URL); credentials come from the usual AWS settings",
    )
    p.add_argument("--poll-interval", type=float, default=0.5, help="seconds between web ACL checks (default 0.5)")
    p.add_argument(
        "--token-secret-file",
        default=None,
        help="file holding the secret aws-waf-token cookies are signed with; share it between proxies "
        "(default: a random secret per process)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes accepting on the port (default 1; rate counters are per process)",
    )
    p.add_argument("--log-level", default="info")
    from strongroom.server.shield import add_arguments

    add_arguments(p)
    p.set_defaults(func=cmd_proxy)
