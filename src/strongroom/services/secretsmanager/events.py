"""What Secrets Manager tells the world on its own: CloudTrail service events and its native EventBridge events.

Rotation outcomes are AwsServiceEvent records named as AWS names them (``RotationStarted``,
``RotationSucceeded``, ``RotationFailed``; deletion at the end of the recovery window ``EndSecretDeletion``);
a staging label other than AWSPENDING/AWSPREVIOUS moving to a version publishes ``Secret Label Updated`` with
AWS's detail ``{"name", "labelUpdated", "versionId"}``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from strongroom.events import bus

if TYPE_CHECKING:
    from strongroom.services.base.runtime import ServiceRuntime

log = logging.getLogger("strongroom.secretsmanager")

SOURCE = "aws.secretsmanager"
LABEL_UPDATED = "Secret Label Updated"


def label_updated(
    runtime: ServiceRuntime, account_id: str, region: str, arn: str, name: str, labels: list[str], vid: str
) -> None:
    for label in labels:
        try:
            bus.publish(
                runtime,
                account_id,
                region,
                SOURCE,
                LABEL_UPDATED,
                {"name": name, "labelUpdated": label, "versionId": vid},
                [arn],
            )
        except Exception:  # an event that cannot be routed must not undo the change that was made
            log.exception("could not publish %s", LABEL_UPDATED)


def service_event(
    runtime: ServiceRuntime, name: str, account_id: str, region: str, arn: str, details: dict[str, Any] | None = None
) -> None:
    """An AwsServiceEvent in the audit trail (durable before this returns)."""
    runtime.audit.service_event("secretsmanager", name, account_id, region, [arn], {"SecretId": arn, **(details or {})})
