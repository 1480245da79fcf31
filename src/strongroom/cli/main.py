"""``strongroom init | server | status`` (and the subcommands registered from this package)."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from strongroom import __version__
from strongroom.core.config import Config, load_config

log = logging.getLogger("strongroom")


def _config(args: argparse.Namespace) -> Config:
    overrides = {k: v for k, v in vars(args).items() if k not in ("command", "func", "data_dir")}
    return load_config(args.data_dir, **overrides)


def cmd_init(args: argparse.Namespace) -> int:
    from strongroom.iam.accounts import AccountDirectory
    from strongroom.keyring.factory import create_seal
    from strongroom.server.admin import ADMIN_KEY_SETTING
    from strongroom.store.engine import Store
    from strongroom.store.settings import put_setting

    config = _config(args)
    data_dir = config.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)
    try:
        seal = create_seal(config)
    except Exception as exc:  # the configured seal cannot be created: say why, change nothing else
        print(f"cannot create the seal: {exc}", file=sys.stderr)
        return 2
    if seal.is_sealed:
        print(f"the seal is sealed ({seal.reason}); initialise with its key at hand", file=sys.stderr)
        return 2
    store = Store(config.effective_database_url())
    try:
        store.migrate()
        directory = AccountDirectory(store, seal)
        existing = directory.init_account()
        if existing is not None:
            print(f"{data_dir} is already initialised (account {existing}); nothing changed.")
            return 0
        account_id = directory.create_account(args.account_id, name="strongroom", is_init=True)
        key = directory.create_access_key(account_id)
        put_setting(store, ADMIN_KEY_SETTING, key.access_key_id)
    finally:
        store.dispose()
    creds = config.credentials_file
    fd = os.open(creds, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(
            f"[strongroom]\naws_access_key_id = {key.access_key_id}\naws_secret_access_key = {key.secret_access_key}\n"
        )
    os.chmod(creds, 0o600)
    endpoint = f"http://{config.host}:{config.port}"
    print(
        f"Initialised {data_dir.resolve()}: account {account_id}, admin access key {key.access_key_id}.\n"
        f"Credentials (profile 'strongroom') are in {creds.resolve()}. Use them with:\n\n"
        f"  export AWS_SHARED_CREDENTIALS_FILE={creds.resolve()}\n"
        f"  export AWS_PROFILE=strongroom AWS_DEFAULT_REGION={config.default_region}\n"
        f"  export AWS_ENDPOINT_URL={endpoint}\n"
        f"  aws sts get-caller-identity\n\n"
        f"or pass --profile strongroom --endpoint-url {endpoint} to each aws command."
    )
    return 0


def cmd_server(args: argparse.Namespace) -> int:
    from strongroom.server.logs import configure

    config = _config(args)
    configure(config.log_level)
    if config.dev:
        log.warning("DEV MODE: any access key and secret are accepted; never expose this server")
        if args.host is None and not _is_loopback(config.host):
            # A server that accepts any credentials listens beyond this machine only when --host says so on the
            # command line, not because of a host setting left in the environment or strongroom.toml.
            log.warning(
                "DEV MODE listens on loopback; pass --host to listen elsewhere",
                extra={"ignored_host": config.host, "host": "127.0.0.1"},
            )
            config.host = "127.0.0.1"
    if config.test_mode:
        log.warning("TEST MODE: /_strongroom/clock and /_strongroom/reset are enabled; never use in production")
    if config.lambda_unsandboxed and os.geteuid() != 0:
        log.warning("LAMBDA UNSANDBOXED: functions run as the server's user and can read its data dir and keys")
    if config.workers < 1:
        print("--workers must be at least 1", file=sys.stderr)
        return 2
    if not _check_ip_databases(config):
        return 2
    from strongroom.server.shield import ShieldLimits

    problems = ShieldLimits.from_values(config).problems()
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 2
    if config.workers > 1:
        return _serve_workers(config)  # before importing the server: the supervising parent stays small
    import uvicorn

    from strongroom.server.app import StrongroomApp
    from strongroom.server.runtime import NotInitialised, Runtime
    from strongroom.server.workers import proxy_options, shield_options

    try:
        runtime = Runtime.open(config, defer_providers=True)  # loaded behind the listener (server/app.py)
    except NotInitialised as exc:
        print(str(exc), file=sys.stderr)
        return 2
    app = StrongroomApp(runtime)
    proxy_headers, forwarded_allow_ips = proxy_options(config)
    log.info(
        "starting",
        extra={"host": config.host, "port": config.port, "database": _describe_db(config), "version": __version__},
    )
    tls_options: dict[str, object] = {}
    server_tls = None
    if config.tls:
        from strongroom.services.acm.server_tls import ServerTls

        server_tls = ServerTls(runtime.store, runtime.seal, config.data_dir, config.host, config.extra)
        server_tls.issue()
        from strongroom.server.domain_tls import TLS_1_2_CIPHERS

        tls_options = {
            "ssl_certfile": str(server_tls.cert_file),
            "ssl_keyfile": str(server_tls.key_file),
            "ssl_keyfile_password": server_tls.password.decode(),
            "ssl_ciphers": TLS_1_2_CIPHERS,  # the server's own name: AWS's TLS_1_2 policy
        }
    try:
        uv_config = uvicorn.Config(
            app,
            host=config.host,
            port=config.port,
            loop="uvloop",
            ws="none",  # the API serves no WebSocket: the websockets package stays unimported (~0.6 MB)
            lifespan="on",
            log_config=None,
            access_log=False,
            server_header=False,  # AWS does not announce its server software; neither do we
            **shield_options(config, runtime),  # Shield Standard: the guarded protocol, the idle timeout
            timeout_graceful_shutdown=10,
            proxy_headers=proxy_headers,
            forwarded_allow_ips=forwarded_allow_ips,
            **tls_options,  # type: ignore[arg-type]
        )
        uv_config.load()
        if server_tls is not None and uv_config.ssl is not None:
            from strongroom.server.domain_tls import DomainTls

            server_tls.attach(uv_config.ssl)  # renewals reload this same context: no restart
            # The socket listens with a context that only negotiates; its SNI callback hands each connection to
            # an API Gateway custom domain's context or to the server's own (the one renewed above).
            domains = DomainTls(runtime, uv_config.ssl, config.data_dir / "tls" / "domains")
            uv_config.ssl = domains.listener
        uvicorn.Server(uv_config).run()
    finally:
        if server_tls is not None:
            server_tls.stop()
        runtime.close()
    return 0


def _check_ip_databases(config: Config) -> bool:
    """``--geoip-db`` / ``--asn-db`` open as MaxMind databases, or the server does not start."""
    from strongroom.waf.geoip import InvalidDatabaseError, open_resolvers

    try:
        open_resolvers(config.geoip_db, config.asn_db, cache_size=1)
    except (OSError, InvalidDatabaseError) as exc:  # a missing file, or not a MaxMind DB
        print(f"cannot open the WAF's IP database: {exc}", file=sys.stderr)
        return False
    return True


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _serve_workers(config: Config) -> int:
    """``--workers N``: a small supervising parent and N full nodes, each on its own SO_REUSEPORT socket."""
    from strongroom.server.workers import serve

    if config.tls:
        # Each worker would renew the shared certificate files with its own key password; not supported yet.
        print("--tls cannot be combined with --workers > 1", file=sys.stderr)
        return 2
    return serve(config)


def _describe_db(config: Config) -> str:
    from sqlalchemy.engine import make_url

    return make_url(config.effective_database_url()).render_as_string(hide_password=True)


def cmd_status(args: argparse.Namespace) -> int:
    from sqlalchemy import func, select

    from strongroom.cli.seal import describe
    from strongroom.iam.model import access_keys, accounts
    from strongroom.scheduler.model import jobs
    from strongroom.store.engine import Store

    config = _config(args)
    print(f"strongroom {__version__}")
    print(f"data dir:  {config.data_dir.resolve()}")
    print(f"database:  {_describe_db(config)}")
    seal_lines, initialised = describe(config)
    print("\n".join(seal_lines))
    if not initialised:
        return 1
    store = Store(config.effective_database_url())
    try:
        with store.read() as conn:
            for label, table in (("accounts", accounts), ("access keys", access_keys), ("scheduled jobs", jobs)):
                count = conn.execute(select(func.count()).select_from(table)).scalar_one()
                print(f"{label + ':':<11}{count}")
    except Exception as exc:  # the database may not be migrated yet
        print(f"database unavailable: {exc.__class__.__name__}")
        return 1
    finally:
        store.dispose()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="strongroom", description="AWS security services, self-hosted.")
    parser.add_argument("--version", action="version", version=f"strongroom {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--data-dir", default=None, help="data directory (env STRONGROOM_DATA_DIR; default ./data)")
        p.add_argument("--database-url", default=None, help="SQLAlchemy URL; default: SQLite in the data dir")

    p_init = sub.add_parser("init", help="create the data dir, the first account and an admin access key")
    common(p_init)
    p_init.add_argument("--account-id", default=None, help="12-digit id of the first account (random if omitted)")
    p_init.set_defaults(func=cmd_init)

    p_server = sub.add_parser("server", help="serve the AWS APIs")
    common(p_server)
    p_server.add_argument(
        "--host", default=None, help="listen address (default 127.0.0.1; with --dev only this flag can change it)"
    )
    p_server.add_argument("--port", type=int, default=None, help="listen port (default 4566)")
    p_server.add_argument("--dev", action="store_true", default=None, help="accept any credentials (unsafe)")
    p_server.add_argument("--test-mode", action="store_true", default=None, help="enable clock/reset endpoints")
    p_server.add_argument("--log-level", default=None)
    p_server.add_argument(
        "--workers", type=int, default=None, help="server processes on the port (env STRONGROOM_WORKERS; default 1)"
    )
    p_server.add_argument("--tls", action="store_true", default=None, help="serve HTTPS (internal CA certificate)")
    p_server.add_argument(
        "--unauthenticated-body-limit",
        type=int,
        default=None,
        help="largest body (bytes) of a request without a known credential (default 524288)",
    )
    p_server.add_argument(
        "--auth-failure-burst", type=int, default=None, help="failed authentications per source before throttling"
    )
    p_server.add_argument(
        "--auth-failure-rate", type=float, default=None, help="failed authentications a second allowed after the burst"
    )
    p_server.add_argument(
        "--lambda-unsandboxed",
        action="store_true",
        default=None,
        help="not root: run Lambda functions as the server's own user, able to read its data dir and keys (unsafe)",
    )
    p_server.add_argument(
        "--forwarded-allow-ips",
        default=None,
        help="proxies whose X-Forwarded-For/-Proto are believed: addresses or CIDR ranges, comma-separated, or '*' "
        "(env STRONGROOM_FORWARDED_ALLOW_IPS; default: none)",
    )
    p_server.add_argument(
        "--blob-store",
        default=None,
        help="where S3 object bodies live, encrypted: file (default), database, or s3://bucket/prefix?endpoint=URL "
        "(env STRONGROOM_BLOB_STORE; see docs/s3.md)",
    )
    p_server.add_argument(
        "--geoip-db",
        default=None,
        help="MaxMind-format country or city database (.mmdb) for WAF GeoMatch (env STRONGROOM_GEOIP_DB; none ships)",
    )
    p_server.add_argument(
        "--asn-db",
        default=None,
        help="MaxMind-format ASN database (.mmdb) for WAF AsnMatch and ASN rate keys (env STRONGROOM_ASN_DB)",
    )
    from strongroom.server.shield import add_arguments as add_shield_arguments

    add_shield_arguments(p_server)
    p_server.set_defaults(func=cmd_server)

    p_status = sub.add_parser("status", help="version, data dir, database, seal state, counts")
    common(p_status)
    p_status.add_argument("--port", type=int, default=None, help="the running server's port, for its seal state")
    p_status.set_defaults(func=cmd_status)

    from strongroom.cli.events import register as register_events

    register_events(sub, common)

    from strongroom.cli.acm import register as register_acm

    register_acm(sub, common)

    from strongroom.cli.secrets import register as register_secrets

    register_secrets(sub, common)

    from strongroom.cli.s3 import register as register_s3
    from strongroom.cli.waf import register as register_waf

    register_waf(sub, common)

    from strongroom.cli.guardduty import register as register_guardduty

    register_guardduty(sub, common)

    from strongroom.cli.macie import register as register_macie

    register_macie(sub, common)
    from strongroom.cli.inspector import register as register_inspector

    register_inspector(sub, common)

    register_s3(sub, common)

    from strongroom.cli.audit import add_audit_parser
    from strongroom.cli.hsm import register as register_hsm
    from strongroom.cli.seal import register as register_seal

    register_seal(sub, common)
    register_hsm(sub, common)

    add_audit_parser(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if (
        args.command == "init"
        and args.account_id is not None
        and not (len(args.account_id) == 12 and args.account_id.isdigit())
    ):
        print("--account-id must be 12 digits", file=sys.stderr)
        return 2
    code: int = args.func(args)
    return code


def _entry() -> None:  # pragma: no cover
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
