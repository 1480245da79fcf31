"""The ``<Tactic>:IAMUser/AnomalousBehavior`` family and the S3 data-event anomalies (Discovery/Exfiltration/Impact:S3).

Each principal (a user, a role — every session of a role shares its baseline —, root) has a baseline of what it
calls and from where: APIs, user-agent families, source networks (/16: no ASN database is shipped), Regions and the
hours of day it works. The account has one too (networks, user agents, Regions of all its principals). A call of
an API that belongs to an attack tactic (``tactics.py``) is anomalous when

* the account has been watched for ``learning_days`` (before that everything is learning), and
* for a principal with ``learning_days`` of history: the API is new to it **and** its context is too — a new
  network counts 2, a new user-agent family, Region or hour of day 1 each; 2 or more is unusual;
* for a younger (or brand new) principal: it calls from a network the account has not seen — or, in its first
  two hours, it has called ``DISCOVERY_BURST`` distinct read APIs (a burst of enumeration from a known network).

"New" means not part of the baseline a day after first sight (``state.SETTLE_HOURS``): a burst of calls from a new
network stays unusual for a day rather than teaching itself on its first call. Every call feeds the baselines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from strongroom.detection.families.base import Context, Detector
from strongroom.detection.families.pentest import _s3_resource
from strongroom.detection.tactics import S3_DATA_TYPES, tactic_of

if TYPE_CHECKING:
    from strongroom.detection.contract import FindingDraft
    from strongroom.detection.event import Event

ACCOUNT = "account"
# A principal new to the account enumerating this many distinct read APIs within its first hours is a discovery
# burst wherever it calls from (stolen credentials used from inside, or a freshly created backdoor user).
DISCOVERY_BURST = 10
_READS = ("Describe", "List", "Get", "Search", "Lookup")
_WEIGHTS = (("network", 2), ("userAgent", 1), ("region", 1), ("hourOfDay", 1))


class AnomalousBehavior(Detector):
    def check(self, event: Event, engine: Context, out: list[FindingDraft]) -> None:
        if event.service_invoked or event.ip_parts is None:
            return
        now = engine.now(event)
        hour_of_day = now // 3600 % 24
        settle = engine.settle_seconds
        account = engine.states.baseline(ACCOUNT, now)
        principal = engine.states.baseline("p:" + event.principal, now)
        s3_data = event.is_data and event.service == "s3.amazonaws.com"
        api_key = ("s3:" + event.api) if s3_data else event.api
        agent = event.agent
        if s3_data:
            s3_type = S3_DATA_TYPES.get(event.api)
            tactic = s3_type.split(":", 1)[0] if s3_type else None
        else:
            s3_type = None
            tactic = tactic_of(event.service, event.api, event.read_only)
        if tactic is not None and account.age(now) >= engine.learning_seconds:
            unusual: list[str] = []
            if principal.age(now) >= engine.learning_seconds:
                if not principal.known("a", api_key, now, settle):
                    context = {
                        "network": not principal.known("n", event.net16, now, settle),
                        "userAgent": not principal.known("u", agent, now, settle),
                        "region": not principal.known("r", event.region, now, settle),
                        "hourOfDay": not principal.hour_known(hour_of_day),
                    }
                    if sum(w for name, w in _WEIGHTS if context[name]) >= 2:
                        unusual = ["api"] + [name for name, _ in _WEIGHTS if context[name]]
            elif not account.known("N", event.net16, now, settle):
                unusual = ["newPrincipal", "networkNewToAccount"]
                if not account.known("U", agent, now, settle):
                    unusual.append("userAgentNewToAccount")
            elif tactic == "Discovery" and principal.age(now) <= 7200:
                reads = principal.items.get("a", {})
                distinct = sum(1 for a in reads if a.startswith(_READS)) + (api_key not in reads)
                if distinct >= DISCOVERY_BURST:
                    unusual = ["newPrincipal", "discoveryBurst"]
            if unusual:
                out.append(self._draft(event, engine, tactic, s3_type, unusual, agent))
        principal.learn_many((("a", api_key), ("n", event.net16), ("u", agent), ("r", event.region)), now)
        principal.learn_hour(hour_of_day)
        account.learn_many((("N", event.net16), ("U", agent), ("R", event.region)), now)
        if principal.dirty:
            engine.states.save(principal)
        if account.dirty:
            engine.states.save(account)

    @staticmethod
    def _draft(
        event: Event, engine: Context, tactic: str, s3_type: str | None, unusual: list[str], agent: str
    ) -> FindingDraft:
        additional = {
            "unusual": unusual,
            "unusualBehavior": {
                "api": event.api,
                "network": event.net24 or event.ip,
                "userAgentFamily": agent,
                "region": event.region,
                "hourOfDay": int(event.ts // 3600) % 24,
            },
        }
        anomaly = {"Detection": {"Anomaly": {"Unusual": {"Behavior": {"API": {event.api: {"Api": event.api}}}}}}}
        if s3_type is not None:
            bucket = event.bucket()
            return engine.draft(
                event,
                s3_type,
                values={"bucket": bucket},
                resource=_s3_resource(event, bucket),
                additional=additional,
                extra_service=anomaly,
            )
        return engine.draft(event, f"{tactic}:IAMUser/AnomalousBehavior", additional=additional, extra_service=anomaly)


class KmsMassDeletion(Detector):
    """Impact:IAMUser/AnomalousBehavior for one principal scheduling the deletion (or disabling) of 3 or more
    distinct KMS keys within an hour — AWS lists key deletion among the Impact APIs; the volume is the anomaly,
    whatever the baseline (a principal that deletes keys in bulk every day still loses the data they protect)."""

    apis = frozenset({"ScheduleKeyDeletion", "DisableKey"})
    WINDOW = 3600.0
    THRESHOLD = 3

    def check(self, event: Event, engine: Context, out: list[FindingDraft]) -> None:
        if event.error or event.service != "kms.amazonaws.com":
            return
        key_id = str(event.params().get("keyId") or "")
        if not key_id:
            return
        state_key = "kmsdel:" + event.principal
        recent = [
            (t, k) for t, k in (engine.states.get_json(state_key) or []) if event.ts - t < self.WINDOW and k != key_id
        ]
        recent.append((event.ts, key_id))
        recent = recent[-32:]
        engine.states.put_json(state_key, recent)
        keys = sorted({k for _, k in recent})
        if len(keys) >= self.THRESHOLD:
            out.append(
                engine.draft(
                    event,
                    "Impact:IAMUser/AnomalousBehavior",
                    additional={"unusual": ["massKeyDeletion"], "keys": keys},
                )
            )
