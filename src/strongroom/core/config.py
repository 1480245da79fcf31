"""Server configuration: command-line flags over ``STRONGROOM_*`` environment variables over
``DATA_DIR/strongroom.toml`` over defaults."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

DEFAULT_DATA_DIR = Path("./data")


def sqlite_url(data_dir: Path) -> str:
    """The SQLite database of a data directory (the default store)."""
    return f"sqlite:///{data_dir / 'strongroom.db'}"


@dataclass(slots=True)
class Config:
    data_dir: Path = DEFAULT_DATA_DIR
    host: str = "127.0.0.1"
    port: int = 4566
    database_url: str | None = None  # None: SQLite file in the data dir
    dev: bool = False  # accept any credentials (LocalStack-style); never in production
    test_mode: bool = False  # clock and reset endpoints; never in production
    tls: bool = False  # serve HTTPS with a certificate from the internal CA (see docs/configuration.md)
    log_level: str = "info"
    scheduler_interval: float = 1.0
    # Server processes on one port (`--workers`); each is a full node, like several nodes on PostgreSQL.
    workers: int = 1
    default_region: str = "us-east-1"
    # Not root, so functions cannot run as another user: run them anyway as the server's own user, where they can
    # read its data dir and keys (see docs/lambda.md). Off: such a server refuses to invoke functions.
    lambda_unsandboxed: bool = False
    # Peers whose X-Forwarded-For / X-Forwarded-Proto are believed (comma-separated addresses or CIDR ranges, "*"
    # for any). None: nobody's, so a client cannot choose its own aws:SourceIp (see docs/configuration.md).
    forwarded_allow_ips: str | None = None
    # Request limits (docs/configuration.md, "Request limits"): the largest body a request without a credential the
    # server knows may send, and the brake on failed authentication per source address (a burst of failures,
    # then this many a second; beyond that the address's requests are throttled before their signature is checked).
    unauthenticated_body_limit: int = 512 * 1024
    auth_failure_burst: int = 50
    auth_failure_rate: float = 5.0
    # Shield Standard (server/shield.py, docs/shield-standard.md): connection and request sanity limits on every
    # listener. A request head must arrive within header_timeout seconds; a body must progress at body_min_rate
    # bytes a second over each body_timeout window; idle kept-alive connections close after keepalive_timeout; a
    # response left unread for send_timeout seconds ends its connection; connections are capped per source address
    # and in all (max_connections 0: from the descriptor limit); heads are capped in bytes and in fields.
    header_timeout: float = 10.0
    body_timeout: float = 20.0
    body_min_rate: int = 500
    keepalive_timeout: float = 5.0
    send_timeout: float = 60.0
    max_connections: int = 0
    max_connections_per_ip: int = 256
    max_header_bytes: int = 64 * 1024
    max_headers: int = 200
    # Benchmarking aid only (bench/: audit-on vs audit-off figure): records no audit trail at all. Never set it
    # on a server anyone relies on; the server logs a warning at start when it is on.
    bench_disable_audit: bool = False
    # Where S3 object bodies live (always encrypted): "file" (DATA_DIR/s3/blobs), "database" (the store's database,
    # for several nodes on PostgreSQL) or "s3://bucket/prefix?endpoint=URL&region=R" (an S3-compatible store; its
    # credentials from STRONGROOM_BLOB_ACCESS_KEY_ID / STRONGROOM_BLOB_SECRET_ACCESS_KEY). See docs/s3.md.
    blob_store: str = "file"
    # MaxMind-format databases (.mmdb) for the WAF's GeoMatch / AsnMatch statements and ASN rate keys: a country
    # (or city) database and an ASN one (may be the same file). None: no geo data, GeoMatch labels and matches
    # nothing and every address has ASN 0. None ships; see docs/waf-engine.md, "Geo and ASN data".
    geoip_db: Path | None = None
    asn_db: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def credentials_file(self) -> Path:
        return self.data_dir / "credentials"

    @property
    def root_key_file(self) -> Path:
        return self.data_dir / "root.key"

    @property
    def config_file(self) -> Path:
        return self.data_dir / "strongroom.toml"

    def effective_database_url(self) -> str:
        return self.database_url or sqlite_url(self.data_dir.resolve())


_BOOL_TRUE = {"1", "true", "yes", "on"}


def _coerce(name: str, value: Any) -> Any:
    kinds = {f.name: f.type for f in fields(Config)}
    kind = str(kinds.get(name, "str"))
    if name == "forwarded_allow_ips" and isinstance(value, list):  # strongroom.toml may give a list
        return ",".join(str(v) for v in value)
    if "bool" in kind:
        return value if isinstance(value, bool) else str(value).lower() in _BOOL_TRUE
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    if "Path" in kind:
        return Path(value)
    return value


def load_config(data_dir: Path | str | None = None, **overrides: Any) -> Config:
    """Build the configuration; ``overrides`` are the command-line values (None means not given)."""
    known = {f.name for f in fields(Config)} - {"extra"}
    values: dict[str, Any] = {}
    env_dir = os.environ.get("STRONGROOM_DATA_DIR")
    directory = Path(data_dir or env_dir or DEFAULT_DATA_DIR)
    toml_path = directory / "strongroom.toml"
    extra: dict[str, Any] = {}
    if toml_path.exists():
        with toml_path.open("rb") as f:
            for key, value in tomllib.load(f).items():
                key = key.replace("-", "_")
                if key in known:
                    values[key] = _coerce(key, value)
                else:
                    extra[key] = value
    for name in known:
        env = os.environ.get("STRONGROOM_" + name.upper())
        if env is not None:
            values[name] = _coerce(name, env)
    for name, value in overrides.items():
        if value is not None and name in known:
            values[name] = _coerce(name, value)
    values["data_dir"] = directory
    return Config(**values, extra=extra)
