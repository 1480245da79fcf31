"""``RemoteWebAcl``: a web ACL read from a Strongroom (or AWS) endpoint by ARN with boto3, kept current.

Only the public wafv2 API is used: GetWebACL, then GetIPSet / GetRegexPatternSet / GetRuleGroup for what it
references (and what its rule groups reference), and GetLoggingConfiguration. A background thread repeats those
reads every ``interval`` seconds and compares the lock tokens (each entity's changes on every update); only when
one differs is the evaluator compiled again, so a change is enforced within about a second and an unchanged ACL
costs a handful of small reads a second and no compilation. Errors (server unreachable, ACL deleted, a rule the
engine refuses) keep the last good ACL in force and are logged once per distinct error.

Rate-based counters live in one ``InMemoryRateCounter`` shared by every compiled version, so an edit to the ACL
does not reset them. Tokens are signed with a key derived from ``token_secret`` and the ACL's ARN: give every
proxy process the same secret (``--token-secret-file``) so a token earned through one is honoured by the others.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.config
import botocore.exceptions

from strongroom.waf.adapter import SamplingPlan
from strongroom.waf.asgi import AclSnapshot, build_evaluator
from strongroom.waf.context import WafCompileError
from strongroom.waf.managed import ManagedRulesProvider
from strongroom.waf.ratelimit import InMemoryRateCounter

log = logging.getLogger("strongroom.wafproxy")

_REF_KINDS = {
    "IPSetReferenceStatement": "ipset",
    "RegexPatternSetReferenceStatement": "regexpatternset",
    "RuleGroupReferenceStatement": "rulegroup",
}


@dataclass(frozen=True)
class WafArn:
    region: str
    account: str
    scope: str  # REGIONAL | CLOUDFRONT
    kind: str  # webacl | ipset | regexpatternset | rulegroup
    name: str
    id: str

    @classmethod
    def parse(cls, arn: str) -> WafArn:
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[2] != "wafv2":
            raise ValueError(f"not a wafv2 ARN: {arn}")
        resource = parts[5].split("/")
        if len(resource) != 4 or resource[0] not in ("regional", "global"):
            raise ValueError(f"not a wafv2 entity ARN: {arn}")
        scope = "REGIONAL" if resource[0] == "regional" else "CLOUDFRONT"
        return cls(parts[3], parts[4], scope, resource[1], resource[2], resource[3])

    def get_args(self) -> dict[str, str]:
        return {"Name": self.name, "Scope": self.scope, "Id": self.id}


def references(node: Any) -> Iterator[tuple[str, str]]:
    """(kind, ARN) of every IP set, regex pattern set and rule group a rule list references, at any depth."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _REF_KINDS and isinstance(value, dict) and "ARN" in value:
                yield _REF_KINDS[key], str(value["ARN"])
            yield from references(value)
    elif isinstance(node, list):
        for item in node:
            yield from references(item)


def wafv2_client(region: str | None = None, endpoint_url: str | None = None, service: str = "wafv2") -> Any:
    cfg = botocore.config.Config(retries={"max_attempts": 2}, connect_timeout=2, read_timeout=10)
    return boto3.session.Session().client(service, region_name=region, endpoint_url=endpoint_url, config=cfg)


class RemoteWebAcl:
    """A ``WebAclSource`` following one web ACL on a server. The first load happens in the constructor (and
    raises when it fails, so a proxy never starts without its ACL); ``start()`` begins following changes."""

    def __init__(
        self,
        web_acl_arn: str,
        *,
        client: Any = None,
        region: str | None = None,
        endpoint_url: str | None = None,
        interval: float = 0.5,
        token_secret: bytes | None = None,
        managed_rules: ManagedRulesProvider | None = None,
        resource_type: str = "API_GATEWAY",
    ) -> None:
        self.arn = WafArn.parse(web_acl_arn)
        if self.arn.kind != "webacl":
            raise ValueError(f"not a web ACL ARN: {web_acl_arn}")
        self.web_acl_arn = web_acl_arn
        self.client = client or wafv2_client(region or self.arn.region, endpoint_url)
        self.interval = interval
        self.token_secret = token_secret or secrets.token_bytes(32)
        self.managed_rules = managed_rules
        self.resource_type = resource_type
        self.rate_store = InMemoryRateCounter()
        self.reloads = 0  # how many times the evaluator was compiled (tests and metrics)
        self._snapshot: AclSnapshot | None = None
        self._rules_stamp: tuple[Any, ...] | None = None
        self._logging_stamp: str | None = None
        self._last_error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.refresh()

    def snapshot(self) -> AclSnapshot | None:
        return self._snapshot

    # --- reading ---------------------------------------------------------------------------------------

    def _get(self, kind: str, arn: str) -> tuple[dict[str, Any], str]:
        args = WafArn.parse(arn).get_args()
        if kind == "ipset":
            out = self.client.get_ip_set(**args)
            return out["IPSet"], out["LockToken"]
        if kind == "regexpatternset":
            out = self.client.get_regex_pattern_set(**args)
            return out["RegexPatternSet"], out["LockToken"]
        out = self.client.get_rule_group(**args)
        return out["RuleGroup"], out["LockToken"]

    def _logging(self) -> dict[str, Any] | None:
        try:
            cfg = self.client.get_logging_configuration(ResourceArn=self.web_acl_arn)["LoggingConfiguration"]
        except botocore.exceptions.ClientError as exc:
            if exc.response["Error"]["Code"] == "WAFNonexistentItemException":
                return None
            raise
        return dict(cfg)

    def refresh(self) -> bool:
        """Read the ACL and what it references; compile when a lock token changed. True when something changed.
        Raises on the first load only; later failures keep the last good ACL."""
        try:
            return self._refresh()
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError, WafCompileError) as exc:
            if self._snapshot is None:
                raise
            message = f"{type(exc).__name__}: {exc}"
            if message != self._last_error:
                log.warning(
                    "web ACL refresh failed; the last good ACL stays in force",
                    extra={"web_acl": self.web_acl_arn, "error": message},
                )
                self._last_error = message
            return False

    def _refresh(self) -> bool:
        out = self.client.get_web_acl(**self.arn.get_args())
        web_acl, lock = out["WebACL"], out["LockToken"]
        found: dict[str, tuple[str, dict[str, Any], str]] = {}
        pending = list(references(web_acl.get("Rules") or []))
        while pending:
            kind, arn = pending.pop()
            if arn in found:
                continue
            body, token = self._get(kind, arn)
            found[arn] = (kind, body, token)
            if kind == "rulegroup":
                pending.extend(references(body.get("Rules") or []))
        stamp = (lock, tuple(sorted((arn, token) for arn, (_, _, token) in found.items())))
        logging_cfg = self._logging()
        logging_stamp = json.dumps(logging_cfg, sort_keys=True, default=str)
        self._last_error = None
        if stamp == self._rules_stamp and logging_stamp == self._logging_stamp and self._snapshot is not None:
            return False
        evaluator = self._snapshot.evaluator if self._snapshot is not None and stamp == self._rules_stamp else None
        if evaluator is None:
            tables: dict[str, dict[str, dict]] = {"ipset": {}, "regexpatternset": {}, "rulegroup": {}}
            for arn, (kind, body, _) in found.items():
                tables[kind][arn] = body
            evaluator = build_evaluator(
                web_acl,
                ip_sets=tables["ipset"],
                regex_pattern_sets=tables["regexpatternset"],
                rule_groups=tables["rulegroup"],
                managed_rules=self.managed_rules,
                rate_store=self.rate_store,
                token_secret=self.token_secret,
                resource_type=self.resource_type,
            )
            self.reloads += 1
        sampling = SamplingPlan.of(web_acl)
        self._snapshot = AclSnapshot(evaluator, logging_cfg, logging_enabled=logging_cfg is not None, sampling=sampling)
        self._rules_stamp, self._logging_stamp = stamp, logging_stamp
        log.info("web ACL loaded", extra={"web_acl": self.web_acl_arn, "lock_token": lock})
        return True

    # --- following ------------------------------------------------------------------------------------

    def start(self) -> RemoteWebAcl:
        if self._thread is None:
            self._thread = threading.Thread(target=self._follow, name="waf-acl-poller", daemon=True)
            self._thread.start()
        return self

    def _follow(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.refresh()
            except Exception:  # never let the poller die: the next round may succeed
                log.exception("web ACL refresh crashed")

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
