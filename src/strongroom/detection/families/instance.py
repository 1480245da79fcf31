"""UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS and .InsideAWS.

What marks EC2 instance credentials in a record: temporary keys (``ASIA…``) of an assumed-role session whose name is
the instance id (``assumed-role/<role>/i-0123…``) — EC2 names instance-profile sessions so — and, on real trails,
``sessionContext.ec2RoleDelivery`` (IMDS v1/v2). Where the instance is: the network its credentials are first
used from. They are exfiltrated when used

* through a VPC endpoint owned by another account (``vpcEndpointAccountId`` ≠ the account): InsideAWS — the case
  AWS documents for that type;
* from a network where the account's people work — where long-term user keys, root or console sessions are used
  (an instance's address is in AWS, not on an office or home network): OutsideAWS;
* from a network other than the instance's own (a different /16 from the one its session was first used from:
  an instance keeps its address while its credentials last): OutsideAWS.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from strongroom.detection.families.base import Context, Detector

if TYPE_CHECKING:
    from strongroom.detection.contract import FindingDraft
    from strongroom.detection.event import Event

_PEOPLE = "people"  # the account-level baseline of networks people's credentials are used from


class InstanceCredentialExfiltration(Detector):
    def check(self, event: Event, engine: Context, out: list[FindingDraft]) -> None:
        if event.ip_parts is None or event.service_invoked:
            return
        now = engine.now(event)
        if not event.instance_id:
            long_term = event.identity_type in ("IAMUser", "Root") and event.access_key.startswith("AKIA")
            if long_term or event.api == "ConsoleLogin":
                people = engine.states.baseline(_PEOPLE, now)
                people.learn_many((("k", event.net24),), now)
                if people.dirty:
                    engine.states.save(people)
            return
        people = engine.states.baseline(_PEOPLE, now)
        if not event.access_key.startswith("ASIA"):
            return
        remote_account = str(event.record.get("vpcEndpointAccountId") or "")
        session_key = f"instance:{event.principal}/{event.instance_id}"
        session = engine.states.baseline(session_key, now)
        kind = ""
        reason = ""
        if remote_account and remote_account != event.account:
            kind, reason = "InsideAWS", "used through a VPC endpoint of another account"
        elif people.seen("k", event.net24):
            kind, reason = "OutsideAWS", "used from a network the account's users work from"
        elif session.items.get("i") and not session.seen("i", event.net16):
            kind, reason = "OutsideAWS", "used from a network other than the instance's"
        else:
            session.learn("i", event.net16, now)
            engine.states.save(session)
        if not kind:
            return
        out.append(
            engine.draft(
                event,
                f"UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.{kind}",
                actor_key=event.ip if kind == "OutsideAWS" else remote_account,
                values={"role": event.role_name, "instance": event.instance_id, "remote_account": remote_account},
                resource={"InstanceDetails": {"InstanceId": event.instance_id}},
                additional={"reason": reason, "instanceNetworks": sorted(session.items.get("i", {}))},
            )
        )
