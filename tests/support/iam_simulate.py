"""Runs the independent oracle `@cloud-copilot/iam-simulate` (AGPL) as a separate node process.

The package is installed at test time with npm into a cache directory outside the tracked tree (``.tmp/`` is
git-ignored); none of its code or fixtures live in this repository. Our driver script
(``tests/support/iam_simulate_driver.mjs``) reads one simulation per JSON line and answers one decision per line.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

PACKAGE = "@cloud-copilot/iam-simulate"
VERSION = "0.1.173"
REPO = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("iam_simulate_driver.mjs")


class OracleUnavailable(RuntimeError):
    """npm/node or the registry is missing; the test skips (or fails under CI)."""


def install_dir() -> Path:
    return Path(os.environ.get("STRONGROOM_IAM_SIMULATE_DIR", REPO / ".tmp" / "iam-simulate"))


def ensure_installed() -> Path:
    target = install_dir()
    marker = target / "node_modules" / "@cloud-copilot" / "iam-simulate" / "package.json"
    if marker.exists() and json.loads(marker.read_text()).get("version") == VERSION:
        return target
    npm, node = shutil.which("npm"), shutil.which("node")
    if not npm or not node:
        raise OracleUnavailable("node/npm not installed")
    target.mkdir(parents=True, exist_ok=True)
    (target / "package.json").write_text('{"private": true}\n')
    try:
        proc = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--silent", f"{PACKAGE}@{VERSION}"],
            cwd=target,
            capture_output=True,
            text=True,
            timeout=240,
        )
    except subprocess.TimeoutExpired as exc:
        raise OracleUnavailable("npm install timed out") from exc
    if proc.returncode != 0 or not marker.exists():
        raise OracleUnavailable(f"npm install {PACKAGE}@{VERSION} failed: {proc.stderr.strip()[-500:]}")
    return target


def run(simulations: list[dict[str, Any]], timeout: float = 120) -> dict[int, dict[str, Any]]:
    """Send ``[{"id": .., "simulation": ..}]`` to the oracle; answers keyed by id."""
    target = ensure_installed()
    node = shutil.which("node")
    assert node is not None
    payload = "".join(json.dumps(s) + "\n" for s in simulations)
    proc = subprocess.run(
        [node, str(DRIVER)],
        input=payload,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "IAM_SIMULATE_DIR": str(target)},
    )
    if proc.returncode != 0:
        raise RuntimeError(f"oracle driver failed: {proc.stderr[-2000:]}")
    answers = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    return {a["id"]: a for a in answers}
