"""The peer: Apache 2.4 (mpm_event) + ModSecurity 2.9.7 + OWASP CRS 3.3.4, Debian's packages, as a reverse proxy.

Installed by the bench only, and only when it runs as root and the packages are missing (``apt-get install -y -qq
apache2 libapache2-mod-security2 modsecurity-crs``); otherwise the peer is skipped with the reason. The system's
``/etc/apache2`` site is never used or touched: each run renders a private config into a temp dir of its own
(ServerRoot, PidFile, ErrorLog, mutexes, ModSecurity's data/tmp dirs and audit log all there), listens on a free
loopback port, and ``-DFOREGROUND`` keeps Apache in the process group the bench stops.

ModSecurity is configured as Debian ships it to be used: ``/etc/modsecurity/modsecurity.conf-recommended`` (request
body access, the JSON/XML body processors, the body limits, strict multipart) with ``SecRuleEngine On`` instead of
``DetectionOnly`` and its paths pointed into the private dir; then CRS 3.3.4 exactly as Debian's ``owasp-crs.load``
includes it (``crs-setup.conf``: anomaly scoring, inbound threshold 5, outbound 4) at paranoia level 1. There is no
access log (mod_log_config is not loaded), which only flatters the peer's speed.

For the detection replay (``expose_unique_id``), ``mod_headers`` echoes mod_unique_id's id as ``X-Bench-Unique-Id``
and every transaction goes to the audit log (``SecAuditEngine On``, parts A, H, Z), whose section H lists the rules
that fired with the same id in section A. (The error log names them too, but Apache cuts its lines at 8 KB and the
unique id comes last: a long Cookie or tag list loses it.)
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.servers import Server, free_port

APACHE = "/usr/sbin/apache2"
MODULES = Path("/usr/lib/apache2/modules")
RECOMMENDED = Path("/etc/modsecurity/modsecurity.conf-recommended")
CRS_SETUP = Path("/etc/modsecurity/crs/crs-setup.conf")
CRS_RULES = Path("/usr/share/modsecurity-crs/rules")
UNICODE_MAPPING = Path("/etc/modsecurity/unicode.mapping")
PACKAGES = ("apache2", "libapache2-mod-security2", "modsecurity-crs")
UNIQUE_ID_HEADER = "x-bench-unique-id"

Say = Callable[[str], None]


def missing() -> list[str]:
    """What the peer needs and this machine lacks (empty: ready)."""
    needed = [Path(APACHE), MODULES / "mod_security2.so", MODULES / "mod_proxy_http.so", RECOMMENDED, CRS_SETUP]
    return [str(p) for p in needed if not p.exists()] + ([] if CRS_RULES.is_dir() else [str(CRS_RULES)])


def ensure_installed(say: Say, install: bool = True) -> str | None:
    """Install the peer's Debian packages when root and missing; the reason to skip the peer, or None."""
    if not missing():
        return None
    if not install:
        return f"Apache + ModSecurity + CRS not measured: not installed ({', '.join(PACKAGES)})"
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return (
            "Apache + ModSecurity + CRS not measured: not installed and the bench is not root with apt-get "
            f"(`apt-get install {' '.join(PACKAGES)}`; missing {', '.join(missing())})"
        )
    say(f"  installing the peer: apt-get install -y -qq {' '.join(PACKAGES)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    out = subprocess.run(
        ["apt-get", "install", "-y", "-qq", *PACKAGES], capture_output=True, text=True, env=env, check=False
    )
    if out.returncode != 0 or missing():
        failure = f"apt-get install failed ({out.returncode}): {out.stderr[-300:]}"
        return f"Apache + ModSecurity + CRS not measured: {failure}"
    return None


def versions() -> str:
    """``apache2 2.4.x, libapache2-mod-security2 2.9.7-..., modsecurity-crs 3.3.4-...`` as dpkg knows them."""
    found = []
    for package in PACKAGES:
        out = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True, check=False
        )
        found.append(f"{package} {out.stdout.strip() or '?'}")
    return ", ".join(found)


def modsecurity_directives(recommended: str, root: Path, audit_all: bool = False) -> str:
    """Debian's recommended ModSecurity config, switched On and with its paths moved into ``root``."""
    out = []
    for line in recommended.splitlines():
        word = line.strip().split(" ", 1)[0]
        if word == "SecRuleEngine":
            line = "SecRuleEngine On"
        elif word == "SecAuditEngine" and audit_all:
            line = "SecAuditEngine On"
        elif word == "SecAuditLogParts" and audit_all:
            line = "SecAuditLogParts AHZ"
        elif word == "SecAuditLog":
            line = f'SecAuditLog "{root / "modsec_audit.log"}"'
        elif word == "SecTmpDir":
            line = f'SecTmpDir "{root / "tmp"}"'
        elif word == "SecDataDir":
            line = f'SecDataDir "{root / "data"}"'
        elif word == "SecUnicodeMapFile":
            line = f'SecUnicodeMapFile "{UNICODE_MAPPING}" 20127'
        out.append(line)
    return "\n".join(out)


def render_config(
    root: Path,
    port: int,
    backend_url: str,
    *,
    recommended: str,
    modsecurity: bool = True,
    paranoia_level: int = 1,
    expose_unique_id: bool = False,
    user: str | None = None,
) -> str:
    """The whole apache2.conf: a private server, a reverse proxy to ``backend_url``, ModSecurity + CRS in front."""
    backend = backend_url.rstrip("/") + "/"
    modules = ["mpm_event", "authz_core", "unique_id", "proxy", "proxy_http"]
    if expose_unique_id:
        modules.append("headers")
    if modsecurity:
        modules.append("security2")
    lines = [
        "# rendered by bench/modsecurity.py: a private Apache for the WAF benchmark (not the system site)",
        f'ServerRoot "{root}"',
        f'DefaultRuntimeDir "{root}"',
        f'PidFile "{root / "apache2.pid"}"',
        f'ErrorLog "{root / "error.log"}"',
        "LogLevel warn",
        f"Mutex file:{root} default",  # no quotes: Apache takes the directory verbatim
        "ServerName localhost",
        f"Listen 127.0.0.1:{port}",
        *([f"User {user}", f"Group {user}"] if user else []),
        *[f"LoadModule {m}_module {MODULES / f'mod_{m}.so'}" for m in modules],
        # Debian's mpm_event.conf; keep-alive connections are never cut short (the load generator reuses them)
        "StartServers 2",
        "MinSpareThreads 25",
        "MaxSpareThreads 75",
        "ThreadLimit 64",
        "ThreadsPerChild 25",
        "MaxRequestWorkers 150",
        "MaxConnectionsPerChild 0",
        "Timeout 30",
        "KeepAlive On",
        "MaxKeepAliveRequests 0",
        "KeepAliveTimeout 5",
        f'ProxyPass "/" "{backend}"',
        f'ProxyPassReverse "/" "{backend}"',
    ]
    if expose_unique_id:
        lines.append(f'Header always set {UNIQUE_ID_HEADER} "%{{UNIQUE_ID}}e"')
    if modsecurity:
        lines += [
            "<IfModule security2_module>",
            modsecurity_directives(recommended, root, audit_all=expose_unique_id),
            # CRS's own switch, stated rather than left to REQUEST-901's default (which is also 1)
            f'SecAction "id:900000,phase:1,nolog,pass,t:none,setvar:tx.paranoia_level={paranoia_level}"',
            f'Include "{CRS_SETUP}"',
            f'IncludeOptional "{CRS_SETUP.parent / "REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf"}"',
            f'Include "{CRS_RULES}/*.conf"',
            f'IncludeOptional "{CRS_SETUP.parent / "RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf"}"',
            "</IfModule>",
        ]
    return "\n".join(lines) + "\n"


@dataclass
class Apache:
    """A private Apache reverse proxy (with or without ModSecurity + CRS) in front of ``backend_url``."""

    backend_url: str
    modsecurity: bool = True
    expose_unique_id: bool = False
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="bench-apache-")))
    port: int = field(default_factory=free_port)
    server: Server | None = None

    @property
    def name(self) -> str:
        return "apache+modsecurity" if self.modsecurity else "apache"

    @property
    def error_log(self) -> Path:
        return self.root / "error.log"

    @property
    def audit_log(self) -> Path:
        return self.root / "modsec_audit.log"

    def start(self) -> Server:
        # Apache drops root for its children: they must reach ModSecurity's data/tmp dirs (world-writable, sticky)
        user = "www-data" if os.geteuid() == 0 else None
        self.root.chmod(0o755)
        for sub in ("tmp", "data"):
            (self.root / sub).mkdir(exist_ok=True)
            (self.root / sub).chmod(0o1777)
        conf = self.root / "apache2.conf"
        conf.write_text(
            render_config(
                self.root,
                self.port,
                self.backend_url,
                recommended=RECOMMENDED.read_text() if self.modsecurity else "",
                modsecurity=self.modsecurity,
                expose_unique_id=self.expose_unique_id,
                user=user,
            )
        )
        cmd = [APACHE, "-d", str(self.root), "-f", str(conf), "-DFOREGROUND"]
        self.server = Server(self.name, cmd, "/", self.root / "stdout.log", port=self.port)
        self.server.start(timeout=60)
        return self.server

    def stop(self) -> None:
        """SIGTERM to Apache's process group (children included), then the private dir goes."""
        if self.server is not None:
            self.server.stop()
            self.server = None
        shutil.rmtree(self.root, ignore_errors=True)


_LEVEL = re.compile(r'TX:EXECUTING_PARANOIA_LEVEL\s+"@lt\s+(\d)"')
_RULE_ID = re.compile(r"\bid:'?(\d{6})")


def levels_from_conf(text: str) -> dict[str, int]:
    """Rule id -> paranoia level, for one CRS rules file: a rule belongs to the level of the last
    ``TX:EXECUTING_PARANOIA_LEVEL "@lt N"`` skip marker before it (level 1 before the first marker)."""
    levels: dict[str, int] = {}
    level = 1
    for line in text.splitlines():
        marker = _LEVEL.search(line)
        if marker:
            level = max(1, int(marker.group(1)))
            continue
        for rule in _RULE_ID.findall(line):
            levels.setdefault(rule, level)
    return levels


def rule_levels(rules_dir: Path = CRS_RULES) -> dict[str, int]:
    """Every installed CRS rule's paranoia level (empty when CRS is not installed)."""
    levels: dict[str, int] = {}
    for conf in sorted(rules_dir.glob("*.conf")) if rules_dir.is_dir() else []:
        levels.update(levels_from_conf(conf.read_text(errors="replace")))
    return levels


_ID = re.compile(r'\[id "(\d+)"\]')
_BOUNDARY = re.compile(r"^--([0-9a-f]+)-([A-Z])--$")


def rules_by_request(audit_log: str) -> dict[str, set[str]]:
    """A serial audit log (parts A, H) read as: unique id -> the ids of the rules that fired for that request."""
    fired: dict[str, set[str]] = defaultdict(set)
    ids: dict[str, str] = {}  # entry boundary -> unique id
    boundary, part, expect_a = "", "", False
    for line in audit_log.splitlines():
        mark = _BOUNDARY.match(line)
        if mark:
            boundary, part = mark.groups()
            expect_a = part == "A"
            continue
        if expect_a and line.startswith("["):
            # "[06/Dec/2026:19:00:38.269314 +0000] <unique id> <client ip> <port> <server ip> <port>"
            ids[boundary] = line.split("] ", 1)[1].split(" ", 1)[0]
            fired.setdefault(ids[boundary], set())
            expect_a = False
        elif part == "H" and line.startswith("Message:") and boundary in ids:
            fired[ids[boundary]].update(_ID.findall(line))
    return dict(fired)
