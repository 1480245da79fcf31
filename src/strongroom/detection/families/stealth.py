"""Stealth:IAMUser/CloudTrailLoggingDisabled and Stealth:IAMUser/PasswordPolicyChange.

CloudTrail logging is disabled by stopping or deleting a trail, by updating it to stop recording what it recorded
(global service events, other Regions), or by event selectors that leave management events out. Only calls that
succeeded: a denied StopLogging changed nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from strongroom.detection.families.base import Context, Detector

if TYPE_CHECKING:
    from strongroom.detection.contract import FindingDraft
    from strongroom.detection.event import Event


def _always(_params: Mapping[str, Any]) -> bool:
    return True


def _update_disables(params: Mapping[str, Any]) -> bool:
    return params.get("includeGlobalServiceEvents") is False or params.get("isMultiRegionTrail") is False


def _selectors_exclude_management(params: Mapping[str, Any]) -> bool:
    basic = params.get("eventSelectors")
    if isinstance(basic, list) and basic:
        # management write events are what an attacker's changes are: a selector keeping only reads drops them
        return not any(
            isinstance(s, Mapping)
            and s.get("includeManagementEvents", True) is not False
            and s.get("readWriteType", "All") != "ReadOnly"
            for s in basic
        )
    advanced = params.get("advancedEventSelectors")
    if isinstance(advanced, list) and advanced:
        for selector in advanced:
            for field in (selector or {}).get("fieldSelectors") or ():
                if field.get("field") == "eventCategory" and "Management" in (field.get("equals") or ()):
                    return False
        return True
    return False


# API → does this call's request disable logging?
_DISABLES: dict[str, Callable[[Mapping[str, Any]], bool]] = {
    "StopLogging": _always,
    "DeleteTrail": _always,
    "UpdateTrail": _update_disables,
    "PutEventSelectors": _selectors_exclude_management,
}


class CloudTrailLoggingDisabled(Detector):
    apis = frozenset(_DISABLES)

    def check(self, event: Event, engine: Context, out: list[FindingDraft]) -> None:
        if event.error or event.service != "cloudtrail.amazonaws.com":
            return
        params = event.params()
        if not _DISABLES[event.api](params):
            return
        trail = str(params.get("name") or params.get("trailName") or "")
        out.append(
            engine.draft(
                event,
                "Stealth:IAMUser/CloudTrailLoggingDisabled",
                resource_key=trail,
                values={"trail": trail.rsplit("/", 1)[-1]},
                additional={"trail": trail},
            )
        )


class PasswordPolicyChange(Detector):
    """The account password policy weakened or removed (UpdateAccountPasswordPolicy / DeleteAccountPasswordPolicy)."""

    apis = frozenset({"UpdateAccountPasswordPolicy", "DeleteAccountPasswordPolicy"})

    def check(self, event: Event, engine: Context, out: list[FindingDraft]) -> None:
        if event.error or event.service != "iam.amazonaws.com":
            return
        out.append(
            engine.draft(
                event,
                "Stealth:IAMUser/PasswordPolicyChange",
                resource_key=f"password-policy:{event.account}",
                additional={"requestParameters": dict(event.params())},
            )
        )
