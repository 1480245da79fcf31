"""The CLI contract: init, status, and the server's start-up behaviour."""

from __future__ import annotations

import configparser
import stat
import subprocess
import sys
from pathlib import Path

from tests.support.server import REPO, clean_env, strongroom


def test_init_writes_a_private_credentials_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    out = strongroom("init", "--data-dir", str(data), "--account-id", "123456789012").stdout
    creds = data / "credentials"
    assert stat.S_IMODE(creds.stat().st_mode) == 0o600
    parsed = configparser.ConfigParser()
    parsed.read(creds)
    key = parsed["strongroom"]["aws_access_key_id"]
    assert key.startswith("AKIA") and len(key) == 20
    assert len(parsed["strongroom"]["aws_secret_access_key"]) == 40
    assert "123456789012" in out
    assert "AWS_SHARED_CREDENTIALS_FILE" in out and "--profile strongroom" in out
    # the secret is shown only in the credentials file, never printed
    assert parsed["strongroom"]["aws_secret_access_key"] not in out


def test_init_twice_changes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    strongroom("init", "--data-dir", str(data))
    before = (data / "credentials").read_bytes()
    out = strongroom("init", "--data-dir", str(data)).stdout
    assert "already initialised" in out and "nothing changed" in out
    assert (data / "credentials").read_bytes() == before


def test_random_account_id_has_12_digits(tmp_path: Path) -> None:
    out = strongroom("init", "--data-dir", str(tmp_path / "d")).stdout
    account = out.split("account ")[1].split(",")[0]
    assert len(account) == 12 and account.isdigit()


def test_bad_account_id_is_refused(tmp_path: Path) -> None:
    res = strongroom("init", "--data-dir", str(tmp_path / "d"), "--account-id", "12ab", check=False)
    assert res.returncode == 2 and "12 digits" in res.stderr


def test_status_reports_counts(tmp_path: Path) -> None:
    data = tmp_path / "data"
    strongroom("init", "--data-dir", str(data))
    out = strongroom("status", "--data-dir", str(data)).stdout
    assert "strongroom 0." in out and "unsealed" in out and "accounts:  1" in out
    assert str(data.resolve()) in out


def test_server_refuses_an_uninitialised_dir(tmp_path: Path) -> None:
    res = strongroom("server", "--data-dir", str(tmp_path / "nope"), "--port", "1", check=False)
    assert res.returncode == 2 and "strongroom init" in res.stderr


def test_console_script_is_installed() -> None:
    exe = Path(sys.executable).parent / "strongroom"
    res = subprocess.run([str(exe), "--version"], capture_output=True, text=True, env=clean_env(), cwd=REPO)
    assert res.returncode == 0 and res.stdout.startswith("strongroom ")
