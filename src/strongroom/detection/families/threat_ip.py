"""Callers from addresses on the user's threat-intel sets: *MaliciousIPCaller.Custom and, for a set that is a Tor
exit-node list (by its name), *TorIPCaller.

Reads commonly used to explore an account (Describe*/List*/Get*) are Recon; everything else is UnauthorizedAccess.
S3 data events raise the S3 types.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from strongroom.detection.families.base import Context, Detector
from strongroom.detection.families.pentest import _s3_resource

if TYPE_CHECKING:
    from strongroom.detection.contract import FindingDraft
    from strongroom.detection.event import Event

_RECON_PREFIXES = ("Describe", "List", "Get", "Head", "Search", "Lookup")


class ThreatListCaller(Detector):
    def check(self, event: Event, engine: Context, out: list[FindingDraft]) -> None:
        if event.ip_parts is None or event.service_invoked or (engine.tor.empty and engine.threats.empty):
            return
        s3_data = event.is_data and event.service == "s3.amazonaws.com"
        recon = event.read_only and event.api.startswith(_RECON_PREFIXES)
        for lists, tor in ((engine.tor, True), (engine.threats, False)):
            hits = lists.match(event.ip_parts)
            if not hits:
                continue
            names = sorted({h.name for h in hits})
            evidence = {
                "Evidence": {
                    "ThreatIntelligenceDetails": [
                        {"ThreatListName": name, "ThreatNames": ["TorExitNode" if tor else "CustomThreatList"]}
                        for name in names
                    ]
                }
            }
            if s3_data:
                bucket = event.bucket()
                kind = "UnauthorizedAccess:S3/TorIPCaller" if tor else "UnauthorizedAccess:S3/MaliciousIPCaller.Custom"
                out.append(
                    engine.draft(
                        event,
                        kind,
                        resource_key=bucket,
                        actor_key=event.ip,
                        values={"bucket": bucket, "list": ", ".join(names)},
                        resource=_s3_resource(event, bucket),
                        extra_service=evidence,
                    )
                )
                continue
            if tor:
                kind = "Recon:IAMUser/TorIPCaller" if recon else "UnauthorizedAccess:IAMUser/TorIPCaller"
            else:
                kind = (
                    "Recon:IAMUser/MaliciousIPCaller.Custom"
                    if recon
                    else "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom"
                )
            out.append(
                engine.draft(event, kind, actor_key=event.ip, values={"list": ", ".join(names)}, extra_service=evidence)
            )
