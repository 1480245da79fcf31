"""Pebble (ACME test CA) and pebble-challtestsrv (its mock DNS) on free loopback ports, for ACM's tests."""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.server import free_port


def available() -> bool:
    return shutil.which("pebble") is not None and shutil.which("pebble-challtestsrv") is not None


def _listener_cert(directory: Path) -> Path:
    """A throwaway CA and a localhost certificate for Pebble's own HTTPS; returns the CA file."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pebble listener test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    import ipaddress

    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    (directory / "listener.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (directory / "listener.key").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    (directory / "listener-ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    return directory / "listener-ca.pem"


def _wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"port {port} did not open")


@dataclass
class Pebble:
    directory: Path
    acme_port: int = 0
    mgmt_port: int = 0
    dns_port: int = 0
    chall_port: int = 0
    ca_bundle: Path = Path()
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def directory_url(self) -> str:
        return f"https://127.0.0.1:{self.acme_port}/dir"

    @property
    def challtestsrv_url(self) -> str:
        return f"http://127.0.0.1:{self.chall_port}"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.ca_bundle = _listener_cert(self.directory)
        self.acme_port, self.mgmt_port, self.dns_port, self.chall_port = (free_port() for _ in range(4))
        log = (self.directory / "pebble.log").open("ab")
        chall = subprocess.Popen(
            [
                "pebble-challtestsrv",
                "-dns01", f"127.0.0.1:{self.dns_port}",
                "-http01", "", "-https01", "", "-tlsalpn01", "",
                "-management", f"127.0.0.1:{self.chall_port}",
                "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "",
            ],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.procs.append(chall)
        _wait_port(self.chall_port, chall)
        config = {
            "pebble": {
                "listenAddress": f"127.0.0.1:{self.acme_port}",
                "managementListenAddress": f"127.0.0.1:{self.mgmt_port}",
                "certificate": str(self.directory / "listener.pem"),
                "privateKey": str(self.directory / "listener.key"),
                "httpPort": free_port(),
                "tlsPort": free_port(),
                "ocspResponderURL": "",
                "externalAccountBindingRequired": False,
                "certificateValidityPeriod": 90 * 86400,
            }
        }
        (self.directory / "pebble.json").write_text(json.dumps(config))
        env = {
            "PEBBLE_VA_NOSLEEP": "1",
            "PEBBLE_WFE_NONCEREJECT": "0",
            "PEBBLE_AUTHZREUSE": "0",
            "PATH": "/usr/bin:/bin",
        }
        pebble = subprocess.Popen(
            ["pebble", "-config", str(self.directory / "pebble.json"), "-dnsserver", f"127.0.0.1:{self.dns_port}"],
            stdout=log, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
        self.procs.append(pebble)
        _wait_port(self.acme_port, pebble)
        _wait_port(self.mgmt_port, pebble)

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
        self.procs.clear()

    def _mgmt(self, path: str) -> str:
        context = ssl.create_default_context(cafile=str(self.ca_bundle))
        with urllib.request.urlopen(f"https://127.0.0.1:{self.mgmt_port}{path}", context=context, timeout=10) as r:
            return str(r.read().decode())

    def root_pem(self) -> str:
        """Pebble's issuing root, from its management API (it changes on every start)."""
        return self._mgmt("/roots/0")

    def challtestsrv(self, path: str, body: dict[str, str]) -> None:
        request = urllib.request.Request(self.challtestsrv_url + path, data=json.dumps(body).encode(), method="POST")
        with urllib.request.urlopen(request, timeout=10) as r:
            r.read()

    def set_cname(self, name: str, target: str) -> None:
        self.challtestsrv("/set-cname", {"host": name, "target": target})

    def clear_cname(self, name: str) -> None:
        self.challtestsrv("/clear-cname", {"host": name})

    def strongroom_config(self) -> str:
        """strongroom.toml lines that point ACM at this Pebble."""
        return (
            f'acm_acme_directory = "{self.directory_url}"\n'
            f'acm_acme_ca_bundle = "{self.ca_bundle}"\n'
            f'acm_dns_provider = "pebble-challtestsrv"\n'
            f'acm_challtestsrv_url = "{self.challtestsrv_url}"\n'
            f'acm_dns_resolver = "127.0.0.1:{self.dns_port}"\n'
            "acm_validation_interval = 1\n"
        )
