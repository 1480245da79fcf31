"""Shapes of the events KMS sends to EventBridge, as AWS documents them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from strongroom.events.bus import build_event
from strongroom.services.kms import events as kms_events

KEY = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_rotation_event_shape() -> None:
    event = kms_events.rotation_event(KEY, "abc", "AUTOMATIC", time=datetime(2025, 5, 23, 3, 11, 54, tzinfo=UTC))
    assert list(event) == ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"]
    assert event["version"] == "0" and event["detail-type"] == "KMS CMK Rotation" and event["source"] == "aws.kms"
    assert (event["account"], event["region"], event["time"]) == ("111122223333", "us-west-2", "2025-05-23T03:11:54Z")
    assert event["resources"] == [KEY]
    assert event["detail"] == {
        "key-id": "1234abcd-12ab-34cd-56ef-1234567890ab",
        "key-material-id": "abc",
        "rotation-type": "AUTOMATIC",
    }


def test_deletion_and_expiration_details() -> None:
    assert kms_events.deletion_detail(KEY) == {"key-id": "1234abcd-12ab-34cd-56ef-1234567890ab"}
    assert kms_events.expiration_detail(KEY) == {"key-id": "1234abcd-12ab-34cd-56ef-1234567890ab"}
    assert kms_events.expiration_detail(KEY, "m1")["key-material-id"] == "m1"
    assert kms_events.rotation_detail(KEY) == {"key-id": "1234abcd-12ab-34cd-56ef-1234567890ab"}


def test_names_match_aws() -> None:
    assert (kms_events.ROTATION, kms_events.DELETION, kms_events.MATERIAL_EXPIRATION) == (
        "KMS CMK Rotation",
        "KMS CMK Deletion",
        "KMS Imported Key Material Expiration",
    )


def test_rejects_non_key_arns() -> None:
    with pytest.raises(ValueError):
        kms_events.deletion_detail("arn:aws:kms:us-west-2:111122223333:alias/x")


def test_build_event_defaults() -> None:
    event = build_event("1", "r", "s", "t", {}, [])
    assert event["resources"] == [] and len(event["id"]) == 36 and event["time"].endswith("Z")
