"""``strongroom unseal``, ``strongroom seal status`` and ``strongroom seal migrate``."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from typing import Any

import orjson

from strongroom.core.config import Config, load_config


def _config(args: argparse.Namespace) -> Config:
    return load_config(args.data_dir, database_url=getattr(args, "database_url", None))


def _server_url(config: Config, port: int | None) -> str:
    host = config.host if config.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
    return f"http://{host}:{port or config.port}"


def running_seal(config: Config, port: int | None = None) -> dict[str, Any] | None:
    """The running server's seal status from its health endpoint, or None when no server answers."""
    import urllib3  # here, not at the top: every CLI command (the server's supervisor too) imports this module

    try:
        resp = urllib3.PoolManager().request(
            "GET", _server_url(config, port) + "/_strongroom/health", timeout=2.0, retries=False
        )
        body = orjson.loads(resp.data)
    except (urllib3.exceptions.HTTPError, orjson.JSONDecodeError):
        return None
    seal = body.get("seal") if isinstance(body, dict) else None
    return seal if isinstance(seal, dict) else None


def describe(config: Config) -> tuple[list[str], bool]:
    """Lines for ``strongroom status`` about the seal, and whether the data dir is initialised."""
    from strongroom.keyring.factory import configured, open_provider, read_state

    state = read_state(config)
    if state is None:
        return ["seal:      not initialised (run strongroom init)"], False
    lines = []
    seal = open_provider(config, state.current)
    here = "sealed" if seal.is_sealed else "unsealed"
    lines.append(f"seal:      {state.current.provider}, {here} here" + (f" ({seal.reason})" if seal.is_sealed else ""))
    close = getattr(seal, "close", None)
    if callable(close):
        close()
    if state.previous:
        lines.append(f"           migration in progress from {', '.join(p.provider for p in state.previous)}")
    try:
        wanted = configured(config).provider
    except ValueError as exc:
        wanted = f"invalid ({exc})"
    if (config.extra.get("seal") or {}) and wanted != state.current.provider:
        lines.append(
            f"           strongroom.toml asks for {wanted}: run `strongroom seal migrate --to-provider {wanted}`"
        )
    server = running_seal(config)
    if server is None:
        lines.append("server:    not running (or not reachable on this host)")
    else:
        word = "sealed" if server.get("sealed") else "unsealed"
        reason = f" ({server['reason']})" if server.get("reason") else ""
        lines.append(f"server:    running, {server.get('provider')}, {word}{reason}")
    return lines, True


def cmd_seal_status(args: argparse.Namespace) -> int:
    lines, ok = describe(_config(args))
    print("\n".join(lines))
    return 0 if ok else 1


def cmd_unseal(args: argparse.Namespace) -> int:
    from strongroom.keyring.factory import read_state

    config = _config(args)
    state = read_state(config)
    if state is None:
        print(f"{config.data_dir} is not initialised", file=sys.stderr)
        return 2
    body: dict[str, str] = {}
    if state.current.provider == "passphrase":
        passphrase = os.environ.get(state.current.passphrase_env)
        if not passphrase:
            if not sys.stdin.isatty():
                passphrase = sys.stdin.readline().rstrip("\n")
            else:
                passphrase = getpass.getpass("Strongroom passphrase: ")
        body["passphrase"] = passphrase
    import urllib3

    try:
        resp = urllib3.PoolManager().request(
            "POST",
            _server_url(config, args.port) + "/_strongroom/unseal",
            body=orjson.dumps(body),
            headers={"Content-Type": "application/json"},
            timeout=60.0,
            retries=False,
        )
    except urllib3.exceptions.HTTPError as exc:
        print(f"no server answered: {exc.__class__.__name__}", file=sys.stderr)
        return 1
    try:
        data = orjson.loads(resp.data)
    except orjson.JSONDecodeError:
        data = {}
    if resp.status == 200 and not data.get("sealed", True):
        print(f"unsealed ({data.get('provider')})")
        return 0
    print(f"still sealed: {data.get('message') or data.get('reason') or resp.status}", file=sys.stderr)
    return 1


def _new_passphrase() -> str:
    env = os.environ.get("STRONGROOM_NEW_PASSPHRASE")
    if env:
        return env
    first = getpass.getpass("New passphrase: ")
    if first != getpass.getpass("Repeat the new passphrase: "):
        raise SystemExit("the passphrases differ")
    return first


def cmd_seal_migrate(args: argparse.Namespace) -> int:
    from strongroom.keyring.factory import SealSettings, read_state
    from strongroom.keyring.migrate import MigrationError, migrate
    from strongroom.store.engine import Store

    config = _config(args)
    state = read_state(config)
    if state is None:
        print(f"{config.data_dir} is not initialised", file=sys.stderr)
        return 2
    target = SealSettings(provider=args.to_provider, key_file="")
    for name in ("key_file", "kdf", "module", "token_label", "key_label", "pin_env", "pin_file", "passphrase_env"):
        value = getattr(args, name, None)
        if value is not None:
            setattr(target, name, value)
    old_passphrase = None
    if state.current.provider == "passphrase":
        old_passphrase = os.environ.get(state.current.passphrase_env) or getpass.getpass("Current passphrase: ")
    new_passphrase = _new_passphrase() if target.provider == "passphrase" else None

    def progress(done: int, total: int, column: str) -> None:
        if done == total or done % 50 == 0:
            print(f"\rre-wrapping {done}/{total} sealed values ({column})\x1b[K", end="", file=sys.stderr)

    store = Store(config.effective_database_url())
    try:
        store.migrate()
        result = migrate(
            config,
            store,
            target,
            old_passphrase=old_passphrase,
            new_passphrase=new_passphrase,
            progress=None if args.quiet else progress,
        )
    except MigrationError as exc:
        print(f"\nseal migration failed: {exc}", file=sys.stderr)
        return 1
    finally:
        store.dispose()
    if not args.quiet:
        print(file=sys.stderr)
    print(f"Re-wrapped {result.rewrapped} sealed values; the data is now sealed by {target.provider}.")
    for name, count in sorted(result.per_column.items()):
        print(f"  {name}: {count}")
    if result.retired is not None:
        print(f"The previous root key was moved to {result.retired}: destroy it once backups are re-taken.")
    return 0


def register(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    p_unseal = sub.add_parser("unseal", help="hand the passphrase (or a retry of the token) to the running server")
    common(p_unseal)
    p_unseal.add_argument("--port", type=int, default=None, help="the server's port (default from config)")
    p_unseal.set_defaults(func=cmd_unseal)

    p_seal = sub.add_parser("seal", help="the root of trust: status and migration between providers")
    seal_sub = p_seal.add_subparsers(dest="seal_command", required=True)
    p_status = seal_sub.add_parser("status", help="which provider seals the data, and whether it is sealed")
    common(p_status)
    p_status.set_defaults(func=cmd_seal_status)
    p_migrate = seal_sub.add_parser("migrate", help="re-wrap every stored secret under another seal provider")
    common(p_migrate)
    p_migrate.add_argument("--to-provider", required=True, choices=("file", "passphrase", "pkcs11"))
    p_migrate.add_argument("--key-file", default=None, help="file: key file name in the data dir")
    p_migrate.add_argument("--kdf", default=None, choices=("scrypt", "argon2id"), help="passphrase: the KDF")
    p_migrate.add_argument(
        "--passphrase-env", default=None, help="passphrase: variable the server reads it from at start"
    )
    p_migrate.add_argument("--module", default=None, help="pkcs11: module path")
    p_migrate.add_argument("--token-label", default=None, help="pkcs11: token label")
    p_migrate.add_argument("--key-label", default=None, help="pkcs11: root key label (created if missing)")
    p_migrate.add_argument("--pin-env", default=None, help="pkcs11: environment variable holding the PIN")
    p_migrate.add_argument("--pin-file", default=None, help="pkcs11: file holding the PIN")
    p_migrate.add_argument("--quiet", action="store_true", help="no progress counter")
    p_migrate.set_defaults(func=cmd_seal_migrate)
