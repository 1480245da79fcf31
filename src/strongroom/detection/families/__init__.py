"""The detector index: every family, in the order they run (the attack sequence last: it reads the others' drafts).
Adding a detector is a module here and a line in this list."""

from __future__ import annotations

from strongroom.detection.families.anomaly import AnomalousBehavior, KmsMassDeletion
from strongroom.detection.families.base import Detector
from strongroom.detection.families.instance import InstanceCredentialExfiltration
from strongroom.detection.families.pentest import PenTestUserAgent
from strongroom.detection.families.policy import RootCredentialUsage
from strongroom.detection.families.s3 import BucketExposure
from strongroom.detection.families.sequence import AttackSequence
from strongroom.detection.families.stealth import CloudTrailLoggingDisabled, PasswordPolicyChange
from strongroom.detection.families.threat_ip import ThreatListCaller

DETECTORS: tuple[Detector, ...] = (
    CloudTrailLoggingDisabled(),
    PasswordPolicyChange(),
    BucketExposure(),
    KmsMassDeletion(),
    RootCredentialUsage(),
    PenTestUserAgent(),
    ThreatListCaller(),
    InstanceCredentialExfiltration(),
    AnomalousBehavior(),
    AttackSequence(),
)

__all__ = ["DETECTORS", "Detector"]
