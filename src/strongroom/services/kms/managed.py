"""AWS managed keys (``alias/aws/ssm``, ``alias/aws/secretsmanager``, ...), created on first use by a service.

Services call ``aws_managed_key(runtime, account, region, "ssm")`` when a caller names no key. The key is
symmetric, KeyManager AWS, rotated every 365 days, and carries the key policy AWS gives such keys: use only
through the owning service by principals of the account (kms:ViaService + kms:CallerAccount), plus read-only
access to its metadata. Users cannot change, tag, alias, rotate or delete it (``managed_key_denied`` in operations.py).

Creation is race-safe across nodes: the key row and its alias row are inserted in one transaction, and the
alias's primary key (account, region, name) lets exactly one node win; the others roll back and read the winner.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from strongroom.core.clock import clock
from strongroom.services.kms import model
from strongroom.services.kms.keystore import KeyRecord, alias_scope

if TYPE_CHECKING:
    from strongroom.services.base.runtime import ServiceRuntime
    from strongroom.services.kms.keys import KeyOperations

ROTATION_PERIOD_DAYS = 365


@dataclass(frozen=True, slots=True)
class ManagedKeyInfo:
    """One AWS managed key as AWS describes it (descriptions and policy statements as AWS publishes them)."""

    what: str  # "SSM parameters": the description is "Default key that protects my {what} when ..."
    service_name: str  # as the policy's Sid names the service
    via: str  # the service's endpoint prefix in kms:ViaService
    policy_id: str
    actions: tuple[str, ...]
    account_actions: tuple[str, ...] = ("kms:Describe*", "kms:Get*", "kms:List*")
    data_key_any_region: bool = False  # Secrets Manager allows GenerateDataKey* via any of its regions

    @property
    def description(self) -> str:
        return f"Default key that protects my {self.what} when no other key is defined"


_USE = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*")
_WITH_GRANTS = ("kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant")

MANAGED_KEYS: dict[str, ManagedKeyInfo] = {
    "ssm": ManagedKeyInfo("SSM parameters", "SSM", "ssm", "auto-ssm-1", (*_USE, "kms:DescribeKey")),
    "secretsmanager": ManagedKeyInfo(
        "Secrets Manager data",
        "AWS Secrets Manager",
        "secretsmanager",
        "auto-secretsmanager-2",
        ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:CreateGrant", "kms:DescribeKey"),
        _WITH_GRANTS,
        data_key_any_region=True,
    ),
    "acm": ManagedKeyInfo(
        "ACM private keys",
        "AWS Certificate Manager",
        "acm",
        "auto-acm-1",
        (*_USE, "kms:CreateGrant", "kms:DescribeKey"),
        _WITH_GRANTS,
    ),
    "lambda": ManagedKeyInfo(
        "Lambda functions",
        "AWS Lambda",
        "lambda",
        "auto-awslambda",
        (*_USE, "kms:CreateGrant", "kms:DescribeKey"),
        _WITH_GRANTS,
    ),
    "events": ManagedKeyInfo(
        "EventBridge data", "Amazon EventBridge", "events", "auto-events-1", (*_USE, "kms:DescribeKey")
    ),
    "s3": ManagedKeyInfo("S3 objects", "S3", "s3", "auto-s3-2", (*_USE, "kms:DescribeKey")),
    "ebs": ManagedKeyInfo(
        "EBS volumes", "EBS", "ec2", "auto-ebs-2", (*_USE, "kms:CreateGrant", "kms:DescribeKey"), _WITH_GRANTS
    ),
    "sns": ManagedKeyInfo(
        "SNS data",
        "SNS",
        "sns",
        "auto-sns-1",
        ("kms:Decrypt", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:ListGrants", "kms:DescribeKey"),
        _WITH_GRANTS,
    ),
}


def managed_key_policy(info: ManagedKeyInfo, account_id: str, region: str) -> str:
    sid = f"Allow access through {info.service_name} for all principals in the account that are authorized to use {info.service_name}"  # noqa: E501
    statements: list[dict[str, Any]] = [
        {
            "Sid": sid,
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": list(info.actions),
            "Resource": "*",
            "Condition": {
                "StringEquals": {
                    "kms:CallerAccount": account_id,
                    "kms:ViaService": f"{info.via}.{region}.amazonaws.com",
                }
            },
        }
    ]
    if info.data_key_any_region:
        statements.append(
            {
                "Sid": sid,
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"kms:CallerAccount": account_id},
                    "StringLike": {"kms:ViaService": f"{info.via}.*.amazonaws.com"},
                },
            }
        )
    statements.append(
        {
            "Sid": "Allow direct access to key metadata to the account",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
            "Action": list(info.account_actions),
            "Resource": "*",
        }
    )
    return json.dumps({"Version": "2012-10-17", "Id": info.policy_id, "Statement": statements}, indent=2)


@dataclass(frozen=True, slots=True)
class ServiceCall:
    """What ``insert_key`` needs to know about a creation that no client request made."""

    account_id: str
    region: str

    def now(self) -> datetime:
        return clock.now()


def _provider(target: Any) -> KeyOperations:
    if hasattr(target, "insert_key"):
        return target
    runtime: ServiceRuntime = target
    provider = runtime.providers.provider("kms")
    assert provider is not None
    return provider  # type: ignore[return-value]


def aws_managed_key(target: Any, account_id: str, region: str, alias_suffix: str) -> KeyRecord:
    """The AWS managed key ``alias/aws/{alias_suffix}`` of the account and region, created on first use.

    ``target`` is the KMS provider or the runtime. Idempotent; safe when several nodes race to create it.
    """
    info = MANAGED_KEYS.get(alias_suffix)
    if info is None:
        raise ValueError(f"no AWS managed key is defined for {alias_suffix!r}")
    provider = _provider(target)
    alias = f"alias/aws/{alias_suffix}"
    existing = _existing(provider, account_id, region, alias)
    if existing is not None:
        return existing
    scope = alias_scope(account_id, region)
    call = ServiceCall(account_id, region)
    try:
        with provider.runtime.store.write() as conn:
            record = provider.insert_key(
                call,
                spec="SYMMETRIC_DEFAULT",
                usage="ENCRYPT_DECRYPT",
                origin="AWS_KMS",
                description=info.description,
                policy=managed_key_policy(info, account_id, region),
                multi_region=False,
                tags=[],
                key_manager="AWS",
                conn=conn,
            )
            # AWS rotates AWS managed keys every year. next_rotation_at stays NULL: the rotation family's daily
            # sweep (rotation.py, kms-rotate-managed) picks such keys up and schedules their rotation job.
            conn.execute(
                update(model.keys)
                .where(model.keys.c.arn == record.arn)
                .values(rotation_enabled=True, rotation_period_days=ROTATION_PERIOD_DAYS)
            )
            conn.execute(
                model.aliases.insert().values(
                    account_id=account_id,
                    region=region,
                    name=alias,
                    key_id=record.key_id,
                    created_at=record.created_at,
                    updated_at=record.created_at,
                )
            )
            provider.keys.changed(conn, [scope])
    except IntegrityError:
        pass  # another node (or thread) created it first; its key is the one
    provider.keys.forget([scope])
    created = _existing(provider, account_id, region, alias)
    if created is None:
        raise RuntimeError(f"AWS managed key {alias} could not be created")
    return created


def _existing(provider: KeyOperations, account_id: str, region: str, alias: str) -> KeyRecord | None:
    key_id = provider.keys.alias_target(account_id, region, alias)
    if key_id is None:
        return None
    return provider.keys.by_id(account_id, region, key_id)
