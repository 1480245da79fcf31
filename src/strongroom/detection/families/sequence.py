"""AttackSequence:IAM/CompromisedCredentials and AttackSequence:S3/CompromisedData (extended threat detection).

Every finding a principal raises is a signal, kept for 24 hours of event time (state ``seq:<principal>``). When
one principal's signals of the last 24 hours span three or more attack stages — the finding types' threat purposes
(Discovery, Persistence, PrivilegeEscalation, CredentialAccess, DefenseEvasion/Stealth, Exfiltration, Impact,
InitialAccess, UnauthorizedAccess/Recon/PenTest as "suspicious access"), one of them a stage where an attacker
takes hold or hides (Persistence, PrivilegeEscalation, DefenseEvasion, InitialAccess, suspicious access) — an
application reading its data, decrypting and writing is several stages of data-plane use, not a compromise —
they become one Critical finding listing them: S3/CompromisedData when an S3 signal is among them,
IAM/CompromisedCredentials otherwise. Policy:* signals
(root usage, bucket posture) are listed but are not a stage: an administrator's own configuration is not an attack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from strongroom.detection.families.base import Context, Detector

if TYPE_CHECKING:
    from strongroom.detection.contract import FindingDraft
    from strongroom.detection.event import Event

WINDOW = 24 * 3600.0
STAGES_NEEDED = 3
_FOOTHOLD = frozenset({"Persistence", "PrivilegeEscalation", "DefenseEvasion", "InitialAccess", "SuspiciousAccess"})
_MAX_SIGNALS = 64
_STAGE = {
    "Stealth": "DefenseEvasion",
    "DefenseEvasion": "DefenseEvasion",
    "Recon": "SuspiciousAccess",
    "UnauthorizedAccess": "SuspiciousAccess",
    "PenTest": "SuspiciousAccess",
    "Policy": "",
}


def _iso(ts: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"


class AttackSequence(Detector):
    def check(self, event: Event, engine: Context, out: list[FindingDraft]) -> None:
        new = [d for d in out if not d.type.startswith("AttackSequence:")]
        if not new:
            return
        key = "seq:" + event.principal
        signals: list[dict[str, Any]] = [
            s for s in engine.states.get_json(key) or [] if event.ts - float(s["first"]) < WINDOW
        ]
        by_type = {s["type"]: s for s in signals}
        for draft in new:
            found = by_type.get(draft.type)
            if found is None:
                found = {"type": draft.type, "first": event.ts, "last": event.ts, "count": 0, "sev": draft.severity}
                found["title"] = draft.title
                found["apis"] = []
                signals.append(found)
                by_type[draft.type] = found
            found["last"] = event.ts
            found["count"] += 1
            if event.api not in found["apis"] and len(found["apis"]) < 8:
                found["apis"].append(event.api)
        signals = signals[-_MAX_SIGNALS:]
        engine.states.put_json(key, signals)
        stages = {_stage(s["type"]) for s in signals} - {""}
        if len(stages) < STAGES_NEEDED or not stages & _FOOTHOLD:
            return
        s3 = any(":S3/" in s["type"] for s in signals)
        kind = "AttackSequence:S3/CompromisedData" if s3 else "AttackSequence:IAM/CompromisedCredentials"
        listing = ", ".join(s["type"] for s in signals)
        draft = engine.draft(
            event,
            kind,
            values={"count": str(len(signals)), "signals": listing},
            extra_service={"Detection": {"Sequence": _sequence(event, signals, sorted(stages))}},
            additional={"stages": sorted(stages)},
        )
        draft.signals = [dict(s) for s in signals]
        draft.event_first_seen = engine_time(min(float(s["first"]) for s in signals))
        out.append(draft)


def engine_time(ts: float) -> Any:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, UTC)


def _stage(finding_type: str) -> str:
    prefix = finding_type.split(":", 1)[0]
    return _STAGE.get(prefix, prefix)


def _sequence(event: Event, signals: list[dict[str, Any]], stages: list[str]) -> dict[str, Any]:
    actor: dict[str, Any] = {
        "Id": event.principal,
        "User": {"Name": event.user_name, "Uid": event.principal_id, "Type": event.user_type},
    }
    if event.access_key:
        actor["User"]["CredentialUid"] = event.access_key
    return {
        "Uid": f"{event.principal}/{int(float(signals[0]['first']))}",
        "Description": f"A sequence of {len(signals)} signals by {event.user_name} across {', '.join(stages)}.",
        "Actors": [actor],
        "Signals": [
            {
                "Uid": s["type"],
                "Type": "FINDING",
                "Name": s["type"],
                "Description": s.get("title", ""),
                "FirstSeenAt": _iso(float(s["first"])),
                "LastSeenAt": _iso(float(s["last"])),
                "Severity": s["sev"],
                "Count": s["count"],
                "ActorIds": [event.principal],
            }
            for s in signals
        ],
        "SequenceIndicators": [{"Key": "ATTACK_TACTIC", "Values": stages}],
    }
