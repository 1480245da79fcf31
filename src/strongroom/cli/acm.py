"""``strongroom acm approve`` (the EMAIL-validation approval link) and ``strongroom tls export-ca``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any


def _open(args: argparse.Namespace) -> tuple[Any, Any]:
    from strongroom.core.config import load_config
    from strongroom.keyring.factory import is_initialised, open_seal
    from strongroom.store.engine import Store

    config = load_config(args.data_dir, database_url=args.database_url)
    if not is_initialised(config):
        raise SystemExit(f"{config.data_dir} is not initialised; run `strongroom init --data-dir {config.data_dir}`")
    seal = open_seal(config)
    if seal.is_sealed:
        raise SystemExit("the seal's root key is not available (passphrase or token missing)")
    store = Store(config.effective_database_url())
    store.migrate()
    return store, seal


def cmd_approve(args: argparse.Namespace) -> int:
    """Approve the EMAIL validation of one domain, as the domain owner following AWS's approval link would."""
    from strongroom.services.acm.request import approve_email_validation

    store, _seal = _open(args)
    try:
        if not approve_email_validation(store, args.certificate_arn, args.domain.lower()):
            print(f"no EMAIL validation of {args.domain} on {args.certificate_arn}", file=sys.stderr)
            return 1
    finally:
        store.dispose()
    print(f"approved {args.domain} for {args.certificate_arn}; the certificate is issued on the next validation check")
    return 0


def cmd_export_ca(args: argparse.Namespace) -> int:
    """Print the internal CA's certificate: the bundle clients trust for ``--tls`` (AWS_CA_BUNDLE)."""
    from strongroom.services.acm.internal_ca import InternalCA

    store, seal = _open(args)
    try:
        sys.stdout.write(InternalCA.load_or_create(store, seal).pem)
    finally:
        store.dispose()
    return 0


def register(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    p_acm = sub.add_parser("acm", help="ACM operator actions")
    acm_sub = p_acm.add_subparsers(dest="acm_command", required=True)
    p_approve = acm_sub.add_parser("approve", help="approve a pending EMAIL domain validation")
    common(p_approve)
    p_approve.add_argument("--certificate-arn", required=True)
    p_approve.add_argument("--domain", required=True)
    p_approve.set_defaults(func=cmd_approve)

    p_tls = sub.add_parser("tls", help="the server's own TLS")
    tls_sub = p_tls.add_subparsers(dest="tls_command", required=True)
    p_export = tls_sub.add_parser("export-ca", help="print the CA bundle that clients of --tls trust")
    common(p_export)
    p_export.set_defaults(func=cmd_export_ca)
