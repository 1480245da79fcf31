"""``strongroom hsm init-softhsm DIR``: a SoftHSM2 token to try the PKCS#11 seal and custom key stores with."""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from strongroom.keyring.hsm import DEFAULT_MODULE

SOFTHSM_MODULES = (
    DEFAULT_MODULE,
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
    "/opt/homebrew/lib/softhsm/libsofthsm2.so",
)


def softhsm_module() -> str | None:
    return next((m for m in SOFTHSM_MODULES if Path(m).exists()), None)


def init_softhsm(directory: Path, label: str, pin: str | None = None) -> tuple[Path, Path]:
    """Create DIR/softhsm2.conf, DIR/tokens and a token; the user PIN goes to DIR/user.pin (0600).

    Returns (config file, PIN file). softhsm2-util only takes PINs non-interactively as arguments, so the
    throwaway PINs are briefly visible to local users in the process list; use a real HSM's own tooling
    for anything that matters.
    """
    tool = shutil.which("softhsm2-util")
    if tool is None:
        raise RuntimeError("softhsm2-util not found: install SoftHSM2 (Debian: apt-get install softhsm2)")
    directory = directory.resolve()
    tokens = directory / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    conf = directory / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    pin = pin or secrets.token_hex(8)
    pin_file = directory / "user.pin"
    fd = os.open(pin_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(pin + "\n")
    env = {**os.environ, "SOFTHSM2_CONF": str(conf)}
    subprocess.run(
        [tool, "--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", secrets.token_hex(8)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return conf, pin_file


def cmd_init_softhsm(args: argparse.Namespace) -> int:
    pin = os.environ.get(args.pin_env) if args.pin_env else None
    try:
        conf, pin_file = init_softhsm(Path(args.directory), args.label, pin)
    except (RuntimeError, subprocess.CalledProcessError, OSError) as exc:
        print(f"could not create the token: {exc}", file=sys.stderr)
        return 1
    module = softhsm_module() or DEFAULT_MODULE
    print(
        f"Created SoftHSM2 token {args.label!r} in {conf.parent}. Its user PIN is in {pin_file}.\n"
        f"Export SOFTHSM2_CONF={conf} for the server, then in DATA_DIR/strongroom.toml:\n\n"
        f'[seal]\nprovider = "pkcs11"\nmodule = "{module}"\ntoken_label = "{args.label}"\n'
        f'key_label = "strongroom-root"\npin_file = "{pin_file}"\n\n'
        "and run `strongroom init` (a new data dir) or `strongroom seal migrate --to-provider pkcs11 ...`."
    )
    return 0


def register(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    p_hsm = sub.add_parser("hsm", help="PKCS#11 helpers")
    hsm_sub = p_hsm.add_subparsers(dest="hsm_command", required=True)
    p_init = hsm_sub.add_parser("init-softhsm", help="create a SoftHSM2 token in DIR for trying the HSM seal")
    p_init.add_argument("directory", metavar="DIR")
    p_init.add_argument("--label", default="strongroom", help="token label (default strongroom)")
    p_init.add_argument("--pin-env", default=None, help="take the user PIN from this environment variable")
    p_init.set_defaults(func=cmd_init_softhsm)
