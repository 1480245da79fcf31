"""Rotation by alternating users (``user`` / ``user_clone``) for PostgreSQL, in the shape of AWS's template.

The secret is JSON ``{"engine": "postgres", "host", "port", "username", "password", "dbname", "masterarn"}``;
``masterarn`` names a secret holding a superuser's credentials, used to create the clone user (a member of the
original user, so it has the same privileges) and to set the passwords. Each rotation switches to the other
user, so the previous credentials keep working until the next rotation.
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
    """A new password for the other user of the pair, in an AWSPENDING version (unless it exists already)."""
    current_dict = get_secret_dict(service_client, arn, "AWSCURRENT")
    try:
        get_secret_dict(service_client, arn, "AWSPENDING", token)
        logger.info("createSecret: Successfully retrieved secret for %s.", arn)
    except service_client.exceptions.ResourceNotFoundException:
        username = current_dict["username"]
        if username.endswith("_clone"):
            current_dict["username"] = username[: -len("_clone")]
        else:
            current_dict["username"] = username[:57] + "_clone"  # PostgreSQL names are at most 63 bytes
        exclude = os.environ.get("EXCLUDE_CHARACTERS", "/@\"'\\")
        current_dict["password"] = service_client.get_random_password(ExcludeCharacters=exclude)["RandomPassword"]
        service_client.put_secret_value(
            SecretId=arn, ClientRequestToken=token, SecretString=json.dumps(current_dict), VersionStages=["AWSPENDING"]
        )
        logger.info("createSecret: Successfully put secret for ARN %s and version %s.", arn, token)


def set_secret(service_client: Any, arn: str, token: str) -> None:
    """As the master user: create the pending user if needed (a member of the current one) and set its password."""
    current_dict = get_secret_dict(service_client, arn, "AWSCURRENT")
    pending_dict = get_secret_dict(service_client, arn, "AWSPENDING", token)
    conn = get_connection(pending_dict)
    if conn:
        conn.close()
        logger.info("setSecret: AWSPENDING secret is already set as password in PostgreSQL DB for secret %s.", arn)
        return
    if current_dict["host"] != pending_dict["host"]:
        raise ValueError(f"Attempting to modify user for host {pending_dict['host']} other than current host")
    master_arn = current_dict["masterarn"]
    master_dict = json.loads(service_client.get_secret_value(SecretId=master_arn)["SecretString"])
    if master_dict["host"] != current_dict["host"]:
        raise ValueError("Current database host does not match the master secret's host")
    master_dict.setdefault("dbname", current_dict.get("dbname", "postgres"))
    master_dict.setdefault("port", current_dict.get("port", 5432))
    conn = get_connection(master_dict)
    if not conn:
        raise ValueError(f"Unable to log into database using credentials in master secret {master_arn}")
    pending_user, current_user = pending_dict["username"], current_dict["username"]
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (pending_user,))
            if cur.fetchone() is None:
                base_user = current_user[: -len("_clone")] if current_user.endswith("_clone") else current_user
                cur.execute(
                    sql.SQL("CREATE ROLE {} WITH LOGIN PASSWORD {}").format(
                        sql.Identifier(pending_user), sql.Literal(pending_dict["password"])
                    )
                )
                cur.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(base_user), sql.Identifier(pending_user)))
            else:
                cur.execute(
                    sql.SQL("ALTER USER {} WITH PASSWORD {}").format(
                        sql.Identifier(pending_user), sql.Literal(pending_dict["password"])
                    )
                )
        conn.commit()
        logger.info("setSecret: Successfully set password for %s in PostgreSQL DB for secret %s.", pending_user, arn)
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
