"""Rotation of a PostgreSQL user's own password (single user), in the shape of AWS's published template.

The secret is JSON ``{"engine": "postgres", "host", "port", "username", "password", "dbname"}``. The user logs in
with its current password (or the previous one, if a rotation was cut short) and sets the pending one.
Environment: ``SECRETS_MANAGER_ENDPOINT`` (Strongroom), ``EXCLUDE_CHARACTERS`` (optional).
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

import boto3
import psycopg
from psycopg import sql

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def lambda_handler(event: dict[str, Any], context: Any) -> None:
    arn = event["SecretId"]
    token = event["ClientRequestToken"]
    step = event["Step"]
    service_client = boto3.client("secretsmanager", endpoint_url=os.environ["SECRETS_MANAGER_ENDPOINT"])

    metadata = service_client.describe_secret(SecretId=arn)
    if "RotationEnabled" in metadata and not metadata["RotationEnabled"]:
        raise ValueError(f"Secret {arn} is not enabled for rotation")
    versions = metadata["VersionIdsToStages"]
    if token not in versions:
        raise ValueError(f"Secret version {token} has no stage for rotation of secret {arn}.")
    if "AWSCURRENT" in versions[token]:
        logger.info("Secret version %s already set as AWSCURRENT for secret %s.", token, arn)
        return
    if "AWSPENDING" not in versions[token]:
        raise ValueError(f"Secret version {token} not set as AWSPENDING for rotation of secret {arn}.")

    if step == "createSecret":
        create_secret(service_client, arn, token)
    elif step == "setSecret":
        set_secret(service_client, arn, token)
    elif step == "testSecret":
        test_secret(service_client, arn, token)
    elif step == "finishSecret":
        finish_secret(service_client, arn, token)
    else:
        raise ValueError(f"Invalid step parameter {step} for secret {arn}")


def create_secret(service_client: Any, arn: str, token: str) -> None:
    """Generate a new password into an AWSPENDING version, unless that version already exists."""
    current_dict = get_secret_dict(service_client, arn, "AWSCURRENT")
    try:
        get_secret_dict(service_client, arn, "AWSPENDING", token)
        logger.info("createSecret: Successfully retrieved secret for %s.", arn)
    except service_client.exceptions.ResourceNotFoundException:
        exclude = os.environ.get("EXCLUDE_CHARACTERS", "/@\"'\\")
        passwd = service_client.get_random_password(ExcludeCharacters=exclude)
        current_dict["password"] = passwd["RandomPassword"]
        service_client.put_secret_value(
            SecretId=arn, ClientRequestToken=token, SecretString=json.dumps(current_dict), VersionStages=["AWSPENDING"]
        )
        logger.info("createSecret: Successfully put secret for ARN %s and version %s.", arn, token)


def set_secret(service_client: Any, arn: str, token: str) -> None:
    """Set the pending password in the database, logging in with whichever known password still works."""
    pending_dict = get_secret_dict(service_client, arn, "AWSPENDING", token)
    conn = get_connection(pending_dict)
    if conn:
        conn.close()
        logger.info("setSecret: AWSPENDING secret is already set as password in PostgreSQL DB for secret %s.", arn)
        return
    current_dict = get_secret_dict(service_client, arn, "AWSCURRENT")
    if current_dict["username"] != pending_dict["username"]:
        raise ValueError(f"Attempting to modify user {pending_dict['username']} other than current user")
    if current_dict["host"] != pending_dict["host"]:
        raise ValueError(f"Attempting to modify user for host {pending_dict['host']} other than current host")
    conn = get_connection(current_dict)
    if not conn:
        try:
            previous_dict = get_secret_dict(service_client, arn, "AWSPREVIOUS")
            conn = get_connection(previous_dict)
        except service_client.exceptions.ResourceNotFoundException:
            conn = None
    if not conn:
        raise ValueError(f"Unable to log into database with previous, current, or pending secret of secret arn {arn}")
    try:
        with conn.cursor() as cur:
            cur.execute(
                sql.SQL("ALTER USER {} WITH PASSWORD {}").format(
                    sql.Identifier(pending_dict["username"]), sql.Literal(pending_dict["password"])
                )
            )
        conn.commit()
        logger.info(
            "setSecret: Successfully set password for user %s in PostgreSQL DB for secret %s.",
            pending_dict["username"],
            arn,
        )
    finally:
        conn.close()


def test_secret(service_client: Any, arn: str, token: str) -> None:
    conn = get_connection(get_secret_dict(service_client, arn, "AWSPENDING", token))
    if not conn:
        raise ValueError(f"Unable to log into database with pending secret of secret ARN {arn}")
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT NOW()")
        logger.info("testSecret: Successfully signed into PostgreSQL DB with AWSPENDING secret in %s.", arn)
    finally:
        conn.close()


def finish_secret(service_client: Any, arn: str, token: str) -> None:
    metadata = service_client.describe_secret(SecretId=arn)
    current_version = None
    for version, stages in metadata["VersionIdsToStages"].items():
        if "AWSCURRENT" in stages:
            if version == token:
                logger.info("finishSecret: Version %s already marked as AWSCURRENT for %s", version, arn)
                return
            current_version = version
            break
    service_client.update_secret_version_stage(
        SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token, RemoveFromVersionId=current_version
    )
    logger.info("finishSecret: Successfully set AWSCURRENT stage to version %s for secret %s.", token, arn)


def get_connection(secret_dict: dict[str, Any]) -> Any:
    """A connection as the secret's user, or None when the password (or anything else) is refused."""
    try:
        return psycopg.connect(
            host=secret_dict["host"],
            port=int(secret_dict.get("port", 5432)),
            dbname=secret_dict.get("dbname", "postgres"),
            user=secret_dict["username"],
            password=secret_dict["password"],
            connect_timeout=5,
        )
    except psycopg.OperationalError:
        return None


def get_secret_dict(service_client: Any, arn: str, stage: str, token: str | None = None) -> dict[str, Any]:
    required_fields = ["host", "username", "password"]
    if token:
        secret = service_client.get_secret_value(SecretId=arn, VersionId=token, VersionStage=stage)
    else:
        secret = service_client.get_secret_value(SecretId=arn, VersionStage=stage)
    secret_dict: dict[str, Any] = json.loads(secret["SecretString"])
    for field in required_fields:
        if field not in secret_dict:
            raise KeyError(f"{field} key is missing from secret JSON")
    if secret_dict.get("engine", "postgres") != "postgres":
        raise KeyError("Database engine must be set to 'postgres' in order to use this rotation lambda")
    return secret_dict
