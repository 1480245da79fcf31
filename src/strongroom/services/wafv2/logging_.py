"""Logging configurations: Put / Get / Delete / ListLoggingConfigurations.

A destination is a CloudWatch Logs log group (``arn:aws:logs:REGION:ACCOUNT:log-group:aws-waf-logs-...``) or an S3
bucket (``arn:aws:s3:::aws-waf-logs-...``, optionally with a key prefix), one per web ACL; the name must start with
``aws-waf-logs-`` as AWS requires. Kinesis Data Firehose streams are refused: Strongroom has no Firehose.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from strongroom.services.base import pages
from strongroom.services.wafv2 import errors
from strongroom.services.wafv2.base import DEFAULT_LIMIT, WafBase
from strongroom.services.wafv2.model import logging_configs
from strongroom.services.wafv2.rules import one_of

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

_LOG_GROUP = re.compile(r"^arn:aws:logs:([a-z0-9-]+):(\d{12}):log-group:([^:]+)(:\*)?$")
_BUCKET = re.compile(r"^arn:aws:s3:::([a-z0-9.\-]+)(/.*)?$")
PREFIX = "aws-waf-logs-"
_REDACTABLE = ("SingleHeader", "UriPath", "QueryString", "Method")


def check_destination(ctx: RequestContext, arn: str) -> None:
    group = _LOG_GROUP.match(arn)
    if group is not None:
        region, account, name, _ = group.groups()
        if account != ctx.account_id or region != ctx.region:
            raise errors.invalid("LOG_DESTINATION", arn, "The log destination must be in your account and Region.")
        if not name.startswith(PREFIX):
            raise errors.invalid("LOG_DESTINATION", arn, f"The log group name must start with {PREFIX}.")
        return
    bucket = _BUCKET.match(arn)
    if bucket is not None:
        if not bucket.group(1).startswith(PREFIX):
            raise errors.invalid("LOG_DESTINATION", arn, f"The bucket name must start with {PREFIX}.")
        return
    if arn.startswith("arn:aws:firehose:"):
        raise errors.invalid("LOG_DESTINATION", arn, "Kinesis Data Firehose destinations are not supported.")
    raise errors.invalid("LOG_DESTINATION", arn, errors.BAD_REFERENCE)


def check_filter(logging_filter: dict[str, Any]) -> None:
    for item in logging_filter.get("Filters") or []:
        if not item.get("Conditions"):
            raise errors.invalid("FILTER_CONDITION", "Conditions", errors.MISSING)
        for condition in item["Conditions"]:
            one_of(condition, "FILTER_CONDITION", json.dumps(condition))


class LoggingOperations(WafBase):
    def put_logging_configuration(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        config = dict(request["LoggingConfiguration"])
        acl = self.own_by_arn(ctx, str(config["ResourceArn"]), ("webacl",))
        destinations = list(config["LogDestinationConfigs"])
        if len(destinations) != 1:
            raise errors.invalid("LOG_DESTINATION", destinations, "Specify exactly one log destination.")
        check_destination(ctx, destinations[0])
        for redacted in config.get("RedactedFields") or []:
            kind = one_of(redacted, "FIELD_TO_MATCH", json.dumps(redacted))
            if kind not in _REDACTABLE:
                raise errors.invalid("FIELD_TO_MATCH", kind, "The field can't be redacted.")
        if config.get("LoggingFilter"):
            check_filter(config["LoggingFilter"])
        config["ManagedByFirewallManager"] = False  # only Firewall Manager sets it
        config.setdefault("LogType", "WAF_LOGS")
        config.setdefault("LogScope", "CUSTOMER")
        with self.runtime.store.write() as conn:
            conn.execute(delete(logging_configs).where(logging_configs.c.web_acl_arn == acl["arn"]))
            conn.execute(
                logging_configs.insert().values(
                    web_acl_arn=acl["arn"],
                    account_id=ctx.account_id,
                    region=ctx.region,
                    scope=acl["scope"],
                    document=json.dumps(config),
                )
            )
        return {"LoggingConfiguration": config}

    def _config(self, ctx: RequestContext, arn: str) -> dict[str, Any]:
        acl = self.own_by_arn(ctx, arn, ("webacl",))
        with self.runtime.store.read() as conn:
            document = conn.execute(
                select(logging_configs.c.document).where(logging_configs.c.web_acl_arn == acl["arn"])
            ).scalar_one_or_none()
        if document is None:
            raise errors.nonexistent()
        config: dict[str, Any] = json.loads(document)
        return config

    def get_logging_configuration(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return {"LoggingConfiguration": self._config(ctx, str(request["ResourceArn"]))}

    def delete_logging_configuration(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        config = self._config(ctx, str(request["ResourceArn"]))
        with self.runtime.store.write() as conn:
            conn.execute(delete(logging_configs).where(logging_configs.c.web_acl_arn == config["ResourceArn"]))
        return {}

    def list_logging_configurations(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        scope = self.scope(ctx, request)
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(logging_configs).where(
                    logging_configs.c.account_id == ctx.account_id,
                    logging_configs.c.region == ctx.region,
                    logging_configs.c.scope == scope,
                )
            ).all()
        configs = [json.loads(r.document) for r in rows]
        page, marker = pages.after_page(
            configs,
            request.get("NextMarker"),
            int(request.get("Limit") or DEFAULT_LIMIT),
            lambda c: str(c["ResourceArn"]),
            lambda: errors.invalid("POSITION", request.get("NextMarker"), errors.BAD_VALUE),
        )
        return {"LoggingConfigurations": page, **({"NextMarker": marker} if marker else {})}
