"""Rotation works from a plain ``pip install .`` — no test extras: the functions' runtime brings boto3 itself.

Slow (a fresh virtualenv, its packages from the package index or pip's cache): ~80 s; marked ``slow``.
"""

from __future__ import annotations

import configparser
import json
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
import urllib3

from tests.e2e.test_lambda_functions import make_role
from tests.e2e.test_secrets_rotation import POLICY, _login, _require_passwords
from tests.support.server import REPO, ServerProcess, clean_env, free_port

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def _venv_without_test_extras(target: Path) -> Path:
    """A virtualenv with ``pip install .`` of a copy of the project (pip builds in the source tree)."""
    source = target / "src-copy"
    source.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    shutil.copytree(REPO / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(target / "venv")], check=True, timeout=120)
    python = target / "venv" / "bin" / "python"
    out = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(source)],
        capture_output=True,
        text=True,
        timeout=800,
    )
    assert out.returncode == 0, out.stderr[-4000:]
    return python


class VenvServer(ServerProcess):
    """The server as that virtualenv runs it."""

    python: Path = Path(sys.executable)

    def run_cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.python), "-m", "strongroom.cli.main", *args]
        return subprocess.run(cmd, capture_output=True, text=True, env=clean_env(), timeout=120)

    def init(self, account_id: str | None = None) -> str:
        out = self.run_cli("init", "--data-dir", str(self.data_dir))
        assert out.returncode == 0, out.stderr
        creds = configparser.ConfigParser()
        creds.read(self.data_dir / "credentials")
        self.access_key = creds["strongroom"]["aws_access_key_id"]
        self.secret_key = creds["strongroom"]["aws_secret_access_key"]
        return out.stdout

    def start(self, timeout: float = 60) -> None:
        self.port = self.port or free_port()
        self.log_path = self.data_dir / f"server-{self.port}.log"
        args = ["server", "--data-dir", str(self.data_dir), "--port", str(self.port), "--test-mode"]
        self.proc = subprocess.Popen(
            [str(self.python), "-m", "strongroom.cli.main", *args],
            stdout=self.log_path.open("ab"),
            stderr=subprocess.STDOUT,
            env=clean_env(),
        )
        http = urllib3.PoolManager()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.logs()
            try:
                if http.request("GET", self.endpoint + "/_strongroom/health", timeout=1, retries=False).status == 200:
                    return
            except urllib3.exceptions.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"server did not become healthy:\n{self.logs()}")


@pytest.fixture(scope="module")
def venv_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VenvServer]:
    root = tmp_path_factory.mktemp("plain-install")
    python = _venv_without_test_extras(root)
    probe = subprocess.run(
        [str(python), "-c", "import importlib.util as u; print([bool(u.find_spec(m)) for m in ('pytest', 'boto3')])"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.strip() == "[False, True]"  # no test extras; boto3 is a dependency of its own
    srv = VenvServer(root / "data")
    srv.python = python
    srv.init()
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def pg_secret(postgres_url: str) -> dict[str, Any]:
    url = urlsplit(postgres_url)
    user = f"rotpl_{uuid.uuid4().hex[:8]}"
    password = uuid.uuid4().hex
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {user} WITH LOGIN PASSWORD '{password}'")
    _require_passwords(postgres_url, [user])
    return {
        "engine": "postgres",
        "host": "127.0.0.1",
        "port": url.port,
        "username": user,
        "password": password,
        "dbname": url.path.lstrip("/") or "postgres",
    }


def test_rotation_from_an_install_without_test_extras(venv_server: VenvServer, pg_secret: dict[str, Any]) -> None:
    role = make_role(venv_server)
    venv_server.client("iam").put_role_policy(
        RoleName=role.rsplit("/", 1)[1], PolicyName="rotate", PolicyDocument=POLICY
    )
    name = f"pgrot-{uuid.uuid4().hex[:8]}"
    out = venv_server.run_cli(
        "secrets",
        "install-rotation-function",
        "--data-dir",
        str(venv_server.data_dir),
        "--template",
        "postgresql-single-user",
        "--name",
        name,
        "--role-arn",
        role,
        "--endpoint-url",
        venv_server.endpoint,
    )
    assert out.returncode == 0, out.stderr
    fn = out.stdout.strip()
    sm = venv_server.client("secretsmanager")
    secret = f"pg-{uuid.uuid4().hex[:8]}"
    sm.create_secret(Name=secret, SecretString=json.dumps(pg_secret))
    sm.rotate_secret(SecretId=secret, RotationLambdaARN=fn, RotationRules={"AutomaticallyAfterDays": 7})
    current = json.loads(sm.get_secret_value(SecretId=secret)["SecretString"])
    previous = json.loads(sm.get_secret_value(SecretId=secret, VersionStage="AWSPREVIOUS")["SecretString"])
    assert previous == pg_secret and current["password"] != pg_secret["password"]
    assert _login(current) and not _login(previous)
