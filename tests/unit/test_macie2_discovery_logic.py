"""Macie's pure parts of automated discovery and usage: the sensitivity score with suppressed identifiers, the
template's identifier selection, the usage cost string and time ranges."""

from __future__ import annotations

from datetime import UTC, datetime

from strongroom.sensitive import managed_identifiers
from strongroom.services.macie2.discovery import entry, score
from strongroom.services.macie2.scopes import scope_id, template_id, template_ids
from strongroom.services.macie2.usage import GB, cost, since


def test_score_counts_only_unsuppressed_identifiers() -> None:
    seen = {
        "a@1": {"status": "COMPLETE", "bytes": 10, "detections": {"EMAIL_ADDRESS": 2}},
        "b@1": {"status": "COMPLETE", "bytes": 10, "detections": {"custom-id": 1}},
        "c@1": {"status": "COMPLETE", "bytes": 10, "detections": {}},
        "d@1": {"status": "SKIPPED", "bytes": 0, "detections": {}, "reason": "PERMISSIONS_ERROR"},
    }
    assert score({}, set()) is None
    assert score(seen, set()) == 51 + round(49 * 2 / 4)
    assert score(seen, {"custom-id"}) == 51 + round(49 * 1 / 4)
    assert score(seen, {"custom-id", "EMAIL_ADDRESS"}) == 1
    # Records kept before detections were: a bare flag.
    assert entry(True)["detections"] and entry(False)["detections"] == {}
    assert score({"x@1": True, "y@1": False}, set()) == 51 + round(49 / 2)


def test_template_selects_recommended_less_excludes_plus_includes() -> None:
    recommended = {m.id for m in managed_identifiers() if m.recommended}
    managed, customs, lists = template_ids({})
    assert managed == recommended and customs == [] and lists == []
    template = {
        "excludes": {"managedDataIdentifierIds": ["CREDIT_CARD_NUMBER"]},
        "includes": {
            "managedDataIdentifierIds": ["EMAIL_ADDRESS"],
            "customDataIdentifierIds": ["c1"],
            "allowListIds": ["l1"],
        },
    }
    managed, customs, lists = template_ids(template)
    assert "CREDIT_CARD_NUMBER" not in managed and "EMAIL_ADDRESS" in managed
    assert managed - {"EMAIL_ADDRESS"} == recommended - {"CREDIT_CARD_NUMBER"}
    assert (customs, lists) == (["c1"], ["l1"])


def test_scope_and_template_ids_are_per_account_and_region() -> None:
    assert scope_id("111122223333", "us-east-1") == scope_id("111122223333", "us-east-1")
    assert scope_id("111122223333", "us-east-1") != scope_id("111122223333", "eu-west-1")
    assert scope_id("111122223333", "us-east-1") != template_id("111122223333", "us-east-1")
    assert len(scope_id("111122223333", "us-east-1")) == 32 and scope_id("1", "r").isalnum()


def test_usage_cost_and_time_ranges() -> None:
    assert cost(0) == "0"
    assert cost(GB) == "1"
    assert cost(GB // 2) == "0.5"
    assert cost(1024) == "0.0000009537"
    now = datetime(2026, 12, 7, 5, 6, 7, tzinfo=UTC)
    assert since("MONTH_TO_DATE", now) == datetime(2026, 12, 1, tzinfo=UTC)
    assert since("PAST_30_DAYS", now) == datetime(2026, 11, 7, 5, 6, 7, tzinfo=UTC)
