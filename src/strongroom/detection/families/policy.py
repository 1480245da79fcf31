"""Policy:IAMUser/RootCredentialUsage and Policy:IAMUser/ShortTermRootCredentialUsage.

Root's identity in a record is ``userIdentity.type == "Root"``. Short-term root credentials are the ones
sts:AssumeRoot issues from the management account (``sessionContext.assumedRoot``); any other root use is the
root user's own password or keys. Calls an AWS service makes with root's identity (``invokedBy``) are not root use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from strongroom.detection.families.base import Context, Detector

if TYPE_CHECKING:
    from strongroom.detection.contract import FindingDraft
    from strongroom.detection.event import Event


class RootCredentialUsage(Detector):
    def check(self, event: Event, engine: Context, out: list[FindingDraft]) -> None:
        if not event.is_root or event.service_invoked:
            return
        session = event.identity.get("sessionContext") or {}
        assumed = str(session.get("assumedRoot", "")).lower() == "true" if isinstance(session, dict) else False
        kind = "Policy:IAMUser/ShortTermRootCredentialUsage" if assumed else "Policy:IAMUser/RootCredentialUsage"
        out.append(engine.draft(event, kind, resource_key=f"root:{event.account}", actor_key=event.ip))
