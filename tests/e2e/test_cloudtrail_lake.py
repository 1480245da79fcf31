"""CloudTrail Lake through boto3: event data stores (selectors, retention, termination protection, ingestion),
Lake SQL queries over the audit trail (a principal's calls counted by event name), statement checks, and the
stored-and-round-tripped rest (channels, dashboards, resource policies, imports), with AWS's errors."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.e2e.access_support import allow, client_for, deny, make_user
from tests.e2e.events_support import unique
from tests.support.errors import code_of_call as code_of
from tests.support.server import ServerProcess


def _wait_finished(ct: Any, query_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        got = ct.describe_query(QueryId=query_id)
        if got["QueryStatus"] in ("FINISHED", "FAILED", "CANCELLED", "TIMED_OUT") or time.monotonic() > deadline:
            return dict(got)
        time.sleep(0.2)


def _rows(result: dict[str, Any]) -> list[dict[str, str]]:
    return [{k: v for cell in row for k, v in cell.items()} for row in result["QueryResultRows"]]


def test_lake_query_counts_a_principals_calls_by_event_name(server: ServerProcess) -> None:
    ct, iam = server.client("cloudtrail"), server.client("iam")
    store = ct.create_event_data_store(Name=unique("eds"), RetentionPeriod=30, TerminationProtectionEnabled=False)
    assert store["Status"] == "ENABLED" and store["MultiRegionEnabled"] is True
    assert store["AdvancedEventSelectors"][0]["FieldSelectors"] == [
        {"Field": "eventCategory", "Equals": ["Management"]}
    ]
    store_id = store["EventDataStoreArn"].rsplit("/", 1)[1]

    user = make_user(iam, allow("kms:*"))
    kms = client_for(server, "kms", user)
    key = kms.create_key(Description="lake")["KeyMetadata"]["KeyId"]
    for _ in range(3):
        kms.describe_key(KeyId=key)
    kms.list_keys()

    statement = (
        f"SELECT eventName, COUNT(*) AS calls FROM {store_id} "
        f"WHERE userIdentity.arn = '{user['Arn']}' AND eventTime > timestamp '2000-01-01 00:00:00' "
        "GROUP BY eventName ORDER BY eventName"
    )
    query_id = ct.start_query(QueryStatement=statement)["QueryId"]
    described = _wait_finished(ct, query_id)
    assert described["QueryStatus"] == "FINISHED" and described["QueryString"] == statement
    assert described["QueryStatistics"]["EventsScanned"] >= 5
    result = ct.get_query_results(QueryId=query_id)
    assert _rows(result) == [
        {"eventName": "CreateKey", "calls": "1"},
        {"eventName": "DescribeKey", "calls": "3"},
        {"eventName": "ListKeys", "calls": "1"},
    ]
    assert result["QueryStatistics"]["TotalResultsCount"] == 3
    paged = ct.get_query_results(QueryId=query_id, MaxQueryResults=2)
    assert len(paged["QueryResultRows"]) == 2 and paged["NextToken"]
    rest = ct.get_query_results(QueryId=query_id, MaxQueryResults=2, NextToken=paged["NextToken"])
    assert len(rest["QueryResultRows"]) == 1
    listed = ct.list_queries(EventDataStore=store["EventDataStoreArn"])["Queries"]
    assert query_id in [q["QueryId"] for q in listed]
    assert code_of(ct.cancel_query, QueryId=query_id) == "InactiveQueryException"

    # maps and functions Lake users write
    by_key = ct.start_query(
        QueryStatement=f"SELECT element_at(requestParameters, 'keyId') AS k, COUNT(*) AS n FROM {store_id} "
        f"WHERE eventName = 'DescribeKey' AND userIdentity.arn = '{user['Arn']}' GROUP BY 1"
    )["QueryId"]
    assert _rows(ct.get_query_results(QueryId=by_key)) == [{"k": key, "n": "3"}]

    # only one SELECT, over event data stores
    for bad in (
        f"DELETE FROM {store_id}",
        f"SELECT 1 FROM {store_id}; SELECT 2 FROM {store_id}",
        "SELECT * FROM sqlite_master",
        f"SELECT nope(eventName) FROM {store_id}",
        f"WITH x AS (SELECT 1) SELECT * FROM {store_id} x2, pragma_table_info('x')",
    ):
        assert code_of(ct.start_query, QueryStatement=bad) == "InvalidQueryStatementException", bad
    assert code_of(ct.start_query, QueryStatement="SELECT 1 FROM 00000000-0000-0000-0000-000000000000") == (
        "EventDataStoreNotFoundException"
    )
    assert code_of(ct.describe_query, QueryId="00000000-0000-0000-0000-000000000000") == "QueryIdNotFoundException"

    # ingestion: stopped, the store takes no new events
    ct.stop_event_data_store_ingestion(EventDataStore=store_id)
    assert ct.get_event_data_store(EventDataStore=store_id)["Status"] == "STOPPED_INGESTION"
    assert code_of(ct.stop_event_data_store_ingestion, EventDataStore=store_id) == (
        "InvalidEventDataStoreStatusException"
    )
    kms.list_keys()
    again = ct.start_query(
        QueryStatement=f"SELECT COUNT(*) AS n FROM {store_id} WHERE eventName = 'ListKeys' "
        f"AND userIdentity.arn = '{user['Arn']}'"
    )["QueryId"]
    assert _rows(ct.get_query_results(QueryId=again)) == [{"n": "1"}]
    ct.start_event_data_store_ingestion(EventDataStore=store_id)

    # a user denied StartQuery
    denied = client_for(server, "cloudtrail", make_user(iam, allow("cloudtrail:*"), deny("cloudtrail:StartQuery")))
    assert code_of(denied.start_query, QueryStatement=f"SELECT 1 FROM {store_id}") == "AccessDeniedException"


def test_event_data_store_lifecycle_and_errors(server: ServerProcess) -> None:
    ct, kms = server.client("cloudtrail"), server.client("kms")
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    selectors = [
        {
            "Name": "writes",
            "FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Management"]},
                {"Field": "readOnly", "Equals": ["false"]},
            ],
        }
    ]
    name = unique("eds")
    store = ct.create_event_data_store(
        Name=name, AdvancedEventSelectors=selectors, MultiRegionEnabled=False, KmsKeyId=key_arn, StartIngestion=False
    )
    arn = store["EventDataStoreArn"]
    assert store["Status"] == "STOPPED_INGESTION" and store["TerminationProtectionEnabled"] is True
    got = ct.get_event_data_store(EventDataStore=arn)
    assert got["KmsKeyId"] == key_arn and got["AdvancedEventSelectors"] == selectors and got["RetentionPeriod"] == 2557
    assert arn in [s["EventDataStoreArn"] for s in ct.list_event_data_stores()["EventDataStores"]]
    assert code_of(ct.create_event_data_store, Name=name) == "EventDataStoreAlreadyExistsException"
    assert code_of(ct.create_event_data_store, Name=unique("e"), KmsKeyId="alias/none") == "KmsKeyNotFoundException"
    assert code_of(
        ct.create_event_data_store, Name=unique("e"), RetentionPeriod=3000, BillingMode="FIXED_RETENTION_PRICING"
    ) == ("InvalidParameterException")
    bad = [{"FieldSelectors": [{"Field": "nope", "Equals": ["x"]}]}]
    assert code_of(ct.create_event_data_store, Name=unique("e"), AdvancedEventSelectors=bad) == (
        "InvalidEventSelectorsException"
    )
    assert code_of(ct.delete_event_data_store, EventDataStore=arn) == "EventDataStoreTerminationProtectedException"
    updated = ct.update_event_data_store(EventDataStore=arn, TerminationProtectionEnabled=False, RetentionPeriod=90)
    assert updated["RetentionPeriod"] == 90 and updated["TerminationProtectionEnabled"] is False

    # resource policy, event configuration, channel, dashboard, import
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "cloudtrail:StartQuery", "Resource": arn}
            ],
        }
    )
    assert ct.put_resource_policy(ResourceArn=arn, ResourcePolicy=policy)["ResourcePolicy"] == policy
    assert ct.get_resource_policy(ResourceArn=arn)["ResourcePolicy"] == policy
    ct.delete_resource_policy(ResourceArn=arn)
    assert code_of(ct.get_resource_policy, ResourceArn=arn) == "ResourcePolicyNotFoundException"
    assert code_of(ct.put_resource_policy, ResourceArn=arn, ResourcePolicy="{") == "ResourcePolicyNotValidException"
    config = ct.put_event_configuration(EventDataStore=arn, MaxEventSize="Large")
    assert config["MaxEventSize"] == "Large"
    assert ct.get_event_configuration(EventDataStore=arn)["MaxEventSize"] == "Large"
    channel = ct.create_channel(
        Name=unique("ch"), Source="Custom", Destinations=[{"Type": "EVENT_DATA_STORE", "Location": arn}]
    )
    assert ct.get_channel(Channel=channel["ChannelArn"])["Destinations"][0]["Location"] == arn
    assert channel["ChannelArn"] in [c["ChannelArn"] for c in ct.list_channels()["Channels"]]
    ct.delete_channel(Channel=channel["ChannelArn"])
    assert code_of(ct.get_channel, Channel=channel["ChannelArn"]) == "ChannelNotFoundException"
    dash = ct.create_dashboard(Name=unique("d"), Widgets=[])
    assert ct.get_dashboard(DashboardId=dash["DashboardArn"])["Type"] == "CUSTOM"
    ct.delete_dashboard(DashboardId=dash["DashboardArn"])
    assert code_of(ct.get_dashboard, DashboardId=dash["DashboardArn"]) == "ResourceNotFoundException"
    started = ct.start_import(
        Destinations=[arn],
        ImportSource={
            "S3": {
                "S3LocationUri": "s3://b/AWSLogs/",
                "S3BucketRegion": "us-east-1",
                "S3BucketAccessRoleArn": "arn:aws:iam::123456789012:role/r",
            }
        },
    )
    assert started["ImportStatus"] == "FAILED"
    assert ct.list_import_failures(ImportId=started["ImportId"])["Failures"][0]["Status"] == "FAILED"
    assert ct.search_sample_queries(SearchPhrase="event name")["SearchResults"]

    ct.delete_event_data_store(EventDataStore=arn)
    assert ct.get_event_data_store(EventDataStore=arn)["Status"] == "PENDING_DELETION"
    assert code_of(ct.start_query, QueryStatement=f"SELECT 1 FROM {arn.rsplit('/', 1)[1]}") == (
        "InactiveEventDataStoreException"
    )
    assert ct.restore_event_data_store(EventDataStore=arn)["Status"] == "STOPPED_INGESTION"
    assert code_of(ct.get_event_data_store, EventDataStore="arn:aws:cloudtrail:us-east-1:123:trail/x") == (
        "EventDataStoreARNInvalidException"
    )
