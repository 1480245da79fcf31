"""``strongroom secrets install-rotation-function``: create a built-in rotation function through the Lambda API.

It talks to a running server like any client (so the call is authorized and audited), with the admin
credentials ``strongroom init`` wrote to ``DATA_DIR/credentials`` unless AWS credentials are in the environment,
and grants ``secretsmanager.amazonaws.com`` permission to invoke the function, as AWS's templates do.
"""

from __future__ import annotations

import argparse
import configparser
import os
import sys
from collections.abc import Callable
from typing import Any


def _client(args: argparse.Namespace, service: str) -> Any:
    import boto3

    from strongroom.core.config import load_config

    kwargs: dict[str, Any] = {}
    if not os.environ.get("AWS_ACCESS_KEY_ID"):
        config = load_config(args.data_dir, database_url=args.database_url)
        creds = configparser.ConfigParser()
        creds.read(config.data_dir / "credentials")
        if "strongroom" not in creds:
            raise SystemExit(f"no credentials in {config.data_dir / 'credentials'}; run `strongroom init` first")
        kwargs["aws_access_key_id"] = creds["strongroom"]["aws_access_key_id"]
        kwargs["aws_secret_access_key"] = creds["strongroom"]["aws_secret_access_key"]
    endpoint = args.endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or "http://127.0.0.1:4566"
    return boto3.client(service, region_name=args.region, endpoint_url=endpoint, **kwargs)


def cmd_install_rotation_function(args: argparse.Namespace) -> int:
    from strongroom.services.secretsmanager.rotation_functions import HANDLER, RUNTIME, build_zip

    lam = _client(args, "lambda")
    endpoint = lam.meta.endpoint_url
    made = lam.create_function(
        FunctionName=args.name,
        Runtime=RUNTIME,
        Role=args.role_arn,
        Handler=HANDLER,
        Code={"ZipFile": build_zip(args.template)},
        Description=f"Strongroom built-in rotation function ({args.template})",
        Timeout=args.timeout,
        Environment={"Variables": {"SECRETS_MANAGER_ENDPOINT": endpoint}},
    )
    lam.add_permission(
        FunctionName=args.name,
        StatementId="SecretsManagerAccess",
        Action="lambda:InvokeFunction",
        Principal="secretsmanager.amazonaws.com",
    )
    sys.stdout.write(made["FunctionArn"] + "\n")
    return 0


def register(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    from strongroom.services.secretsmanager.rotation_functions import TEMPLATES

    p_secrets = sub.add_parser("secrets", help="Secrets Manager operator actions")
    secrets_sub = p_secrets.add_subparsers(dest="secrets_command", required=True)
    p_install = secrets_sub.add_parser("install-rotation-function", help="create a built-in rotation function")
    common(p_install)
    p_install.add_argument("--template", required=True, choices=sorted(TEMPLATES))
    p_install.add_argument("--name", required=True, help="the function's name")
    p_install.add_argument("--role-arn", required=True, help="the execution role the function runs as")
    p_install.add_argument("--endpoint-url", default=None, help="the server (default $AWS_ENDPOINT_URL or :4566)")
    p_install.add_argument("--region", default=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
    p_install.add_argument("--timeout", type=int, default=30, help="function timeout in seconds")
    p_install.set_defaults(func=cmd_install_rotation_function)
