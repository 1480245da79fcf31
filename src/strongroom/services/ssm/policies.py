"""Parameter policies (Advanced tier): Expiration, ExpirationNotification, NoChangeNotification.

A parameter's policies are stored on it as ``[{"text", "type", "status"}]``. One scheduler job per parameter is
due at its earliest pending policy moment; the handler acts on every policy that has come due (delete, or
announce on the default event bus) and schedules itself for the next one. Moments follow the server clock.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from strongroom.services.ssm.errors import (
    IncompatiblePolicyException,
    InvalidPolicyAttributeException,
    InvalidPolicyTypeException,
    PoliciesLimitExceededException,
)
from strongroom.services.ssm.rules import MAX_POLICIES

JOB_KIND = "ssm-parameter-policy"
POLICY_TYPES = ("Expiration", "ExpirationNotification", "NoChangeNotification")
_UNITS = {"Days": "days", "Hours": "hours"}

_ATTRIBUTE_ERROR = "A policy attribute or its value is invalid."


def job_key(account_id: str, region: str, name: str) -> str:
    """Names run to 1011 characters; the job id has room for a digest only."""
    return hashlib.sha256(f"{account_id}\0{region}\0{name}".encode()).hexdigest()


def parse_timestamp(value: Any) -> datetime:
    """ISO_INSTANT (``2020-05-13T00:00:00.000Z``) or ISO_OFFSET_DATE_TIME, as AWS accepts."""
    if not isinstance(value, str) or not value:
        raise InvalidPolicyAttributeException(_ATTRIBUTE_ERROR)
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidPolicyAttributeException(_ATTRIBUTE_ERROR) from None
    if moment.tzinfo is None:
        raise InvalidPolicyAttributeException(_ATTRIBUTE_ERROR)
    return moment.astimezone(UTC)


def _amount(attributes: dict[str, Any], field: str) -> timedelta:
    raw, unit = attributes.get(field), attributes.get("Unit")
    if unit not in _UNITS:
        raise InvalidPolicyAttributeException(_ATTRIBUTE_ERROR)
    try:
        amount = int(str(raw))
    except ValueError:
        raise InvalidPolicyAttributeException(_ATTRIBUTE_ERROR) from None
    if amount < 1:
        raise InvalidPolicyAttributeException(_ATTRIBUTE_ERROR)
    return timedelta(**{_UNITS[unit]: amount})


def parse_policies(text: str, now: datetime) -> list[dict[str, Any]]:
    """Validate a PutParameter ``Policies`` string; returns the stored form, every policy Pending."""
    try:
        document = json.loads(text)
    except ValueError:
        raise InvalidPolicyAttributeException(_ATTRIBUTE_ERROR) from None
    if isinstance(document, dict):
        document = [document]
    if not isinstance(document, list):
        raise InvalidPolicyAttributeException(_ATTRIBUTE_ERROR)
    if len(document) > MAX_POLICIES:
        raise PoliciesLimitExceededException(
            f"You specified more than the maximum number of allowed policies for the parameter. The maximum is "
            f"{MAX_POLICIES}."
        )
    stored: list[dict[str, Any]] = []
    seen: set[str] = set()
    for policy in document:
        if not isinstance(policy, dict):
            raise InvalidPolicyAttributeException(_ATTRIBUTE_ERROR)
        kind = policy.get("Type")
        if kind not in POLICY_TYPES:
            raise InvalidPolicyTypeException(
                "The policy type is not supported. Parameter Store supports the following policy types: "
                "Expiration, ExpirationNotification, and NoChangeNotification."
            )
        if policy.get("Version") != "1.0" or not isinstance(policy.get("Attributes"), dict):
            raise InvalidPolicyAttributeException(_ATTRIBUTE_ERROR)
        if kind in seen:
            raise IncompatiblePolicyException(
                f"There is a conflict in the policies specified for this parameter. You can't, for example, "
                f"specify two {kind} policies for a parameter. Review and update the policies, and try again."
            )
        seen.add(kind)
        attributes = policy["Attributes"]
        if kind == "Expiration":
            if parse_timestamp(attributes.get("Timestamp")) <= now:
                raise InvalidPolicyAttributeException(_ATTRIBUTE_ERROR)
        elif kind == "ExpirationNotification":
            _amount(attributes, "Before")
        else:
            _amount(attributes, "After")
        stored.append({"text": json.dumps(policy, separators=(",", ":")), "type": kind, "status": "Pending"})
    if "ExpirationNotification" in seen and "Expiration" not in seen:
        raise IncompatiblePolicyException(
            "There is a conflict in the policies specified for this parameter. An ExpirationNotification policy "
            "requires an Expiration policy. Review and update the policies, and try again."
        )
    return stored


def expiration(policies: list[dict[str, Any]]) -> datetime | None:
    for policy in policies:
        if policy["type"] == "Expiration":
            return parse_timestamp(json.loads(policy["text"])["Attributes"]["Timestamp"])
    return None


def moment_of(policy: dict[str, Any], policies: list[dict[str, Any]], modified_at: datetime) -> datetime | None:
    """When a policy acts: the expiry, ``Before`` the expiry, or ``After`` the last change."""
    attributes = json.loads(policy["text"])["Attributes"]
    if policy["type"] == "Expiration":
        return parse_timestamp(attributes["Timestamp"])
    if policy["type"] == "ExpirationNotification":
        expires = expiration(policies)
        return None if expires is None else expires - _amount(attributes, "Before")
    return modified_at + _amount(attributes, "After")


def next_due(policies: list[dict[str, Any]], modified_at: datetime) -> datetime | None:
    moments = [moment_of(p, policies, modified_at) for p in policies if p["status"] == "Pending"]
    present = [m for m in moments if m is not None]
    return min(present) if present else None


def carried_over(policies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """On an update that names no policies the old ones stay; NoChangeNotification starts counting again."""
    return [{**p, "status": "Pending"} if p["type"] == "NoChangeNotification" else dict(p) for p in policies]


def describe(policies: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"PolicyText": p["text"], "PolicyType": p["type"], "PolicyStatus": p["status"]} for p in policies]
