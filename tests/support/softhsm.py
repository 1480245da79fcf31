"""Throwaway SoftHSM2 tokens for the HSM seal and custom key store tests.

``SOFTHSM2_CONF`` points at a config whose token directory is a temp dir, so tests never touch the
machine's tokens; the server subprocesses inherit it. ``pkcs11-tool`` (OpenSC) inspects tokens from a
fresh process each time, so it always sees objects the server just created or destroyed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from strongroom.cli.hsm import softhsm_module


@dataclass
class SoftHsm:
    directory: Path
    module: str

    @property
    def conf(self) -> Path:
        return self.directory / "softhsm2.conf"

    def env(self) -> dict[str, str]:
        return {**os.environ, "SOFTHSM2_CONF": str(self.conf)}

    def add_token(self, label: str, pin: str) -> None:
        subprocess.run(
            ["softhsm2-util", "--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", "so-" + pin],
            env=self.env(),
            check=True,
            capture_output=True,
        )

    def remove_token(self, label: str) -> None:
        subprocess.run(
            ["softhsm2-util", "--delete-token", "--token", label], env=self.env(), check=True, capture_output=True
        )

    def secret_keys(self, label: str, pin: str) -> str:
        """pkcs11-tool's listing of the token's secret key objects (label, usage, access flags)."""
        out = subprocess.run(
            [
                "pkcs11-tool",
                "--module",
                self.module,
                "--token-label",
                label,
                "--login",
                "--pin",
                pin,
                "--list-objects",
                "--type",
                "secrkey",
            ],
            env=self.env(),
            check=True,
            capture_output=True,
            text=True,
        )
        return out.stdout


def make_softhsm(directory: Path, monkeypatch: pytest.MonkeyPatch) -> SoftHsm:
    module = softhsm_module()
    if module is None or shutil.which("softhsm2-util") is None or shutil.which("pkcs11-tool") is None:
        pytest.fail("SoftHSM2 and OpenSC are required: run `make system-deps` (Debian: softhsm2 opensc)")
    tokens = directory / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    hsm = SoftHsm(directory, module)
    hsm.conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    monkeypatch.setenv("SOFTHSM2_CONF", str(hsm.conf))
    return hsm
