"""CloudTrail Insights through boto3: a burst of calls after a baseline learned on the server clock fires an
Insights event (Start, then End), recorded for the trail (LookupEvents EventCategory=insight, ListInsightsData)
and put on the default bus; ListInsightsMetricData counts the calls."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from tests.e2e.events_support import log_entries, log_target, unique, wait_for
from tests.support.errors import code_of_call as code_of
from tests.support.server import ServerProcess


def _insights(ct: Any, name: str) -> list[dict[str, Any]]:
    events = ct.lookup_events(EventCategory="insight", MaxResults=50)["Events"]
    records = [json.loads(e["CloudTrailEvent"]) for e in events]
    return [r for r in records if r["insightDetails"]["eventName"] == name]


def test_burst_after_learned_baseline_fires_an_insight(server: ServerProcess) -> None:
    ct, kms, events = server.client("cloudtrail"), server.client("kms"), server.client("events")
    trail = unique("insights")
    ct.create_trail(Name=trail, S3BucketName=unique("bucket"))
    ct.start_logging(Name=trail)
    assert code_of(ct.get_insight_selectors, TrailName=trail) == "InsightNotEnabledException"
    ct.put_insight_selectors(
        TrailName=trail,
        InsightSelectors=[{"InsightType": "ApiCallRateInsight"}, {"InsightType": "ApiErrorRateInsight"}],
    )
    rule, log = unique("insight-rule"), unique("log")
    pattern = {"source": ["aws.cloudtrail"], "detail-type": ["AWS Insight via CloudTrail"]}
    events.put_rule(Name=rule, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=rule, Targets=[{"Id": "log", "Arn": log_target(server, log)}])

    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.tag_resource(KeyId=key, Tags=[{"TagKey": "k", "TagValue": "0"}])  # the baseline: one call in two hours
    server.advance(2 * 3600)
    assert _insights(ct, "TagResource") == []

    for i in range(25):  # the burst
        kms.tag_resource(KeyId=key, Tags=[{"TagKey": "k", "TagValue": str(i)}])
    server.advance(60)
    start = wait_for(lambda: _insights(ct, "TagResource"), nudge=lambda: server.advance(0))
    assert len(start) == 1
    record = start[0]
    assert record["eventCategory"] == "Insight" and record["eventType"] == "AwsCloudTrailInsight"
    details = record["insightDetails"]
    assert details["state"] == "Start" and details["insightType"] == "ApiCallRateInsight"
    assert details["eventSource"] == "kms.amazonaws.com"
    statistics = details["insightContext"]["statistics"]
    assert statistics["insight"]["average"] >= 20 and statistics["baseline"]["average"] < 1

    server.advance(60)  # a quiet minute ends it
    both = wait_for(lambda: len(_insights(ct, "TagResource")) == 2 and _insights(ct, "TagResource"))
    end = next(r for r in both if r["insightDetails"]["state"] == "End")
    assert end["sharedEventID"] == record["sharedEventID"]
    assert end["insightDetails"]["insightContext"]["statistics"]["insightDuration"] == 1

    on_bus = wait_for(
        lambda: [e for e in log_entries(server, log) if e["detail"]["insightDetails"]["eventName"] == "TagResource"],
        nudge=lambda: server.advance(0),
    )
    assert on_bus[0]["detail-type"] == "AWS Insight via CloudTrail" and on_bus[0]["source"] == "aws.cloudtrail"
    # not in the management event history
    plain = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "TagResource"}])
    assert all(json.loads(e["CloudTrailEvent"]).get("eventCategory") != "Insight" for e in plain["Events"])

    data = ct.list_insights_data(
        InsightSource="arn:aws:cloudtrail", DataType="InsightsEvents", Dimensions={"EventName": "TagResource"}
    )
    assert {json.loads(e["CloudTrailEvent"])["insightDetails"]["state"] for e in data["Events"]} == {"Start", "End"}
    now = server.now()
    metric = ct.list_insights_metric_data(
        TrailName=trail,
        EventSource="kms.amazonaws.com",
        EventName="TagResource",
        InsightType="ApiCallRateInsight",
        StartTime=now - timedelta(hours=3),
        EndTime=now,
        Period=3600,
        DataType="NonZeroData",
    )
    assert sum(metric["Values"]) == 26
    ct.put_insight_selectors(TrailName=trail, InsightSelectors=[])
    assert code_of(ct.get_insight_selectors, TrailName=trail) == "InsightNotEnabledException"
