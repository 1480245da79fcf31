"""Event selectors as vectors: management and data records against basic and advanced selectors."""

from __future__ import annotations

from typing import Any

import pytest

from strongroom.audit.selectors import matches, object_prefix, selects_data

BUCKET_ARN = "arn:aws:s3:::reports"


def data(name: str, key: str, read_only: bool, bucket: str = "reports", **more: Any) -> dict[str, Any]:
    return {
        "eventCategory": "Data",
        "eventSource": "s3.amazonaws.com",
        "eventName": name,
        "eventType": "AwsApiCall",
        "readOnly": read_only,
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice"},
        "resources": [
            {"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/{key}"},
            {"accountId": "111122223333", "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"},
        ],
        **more,
    }


GET = data("GetObject", "2025/q1.csv", True)
PUT = data("PutObject", "2025/q1.csv", False)
PRIVATE = data("PutObject", "private/x", False)
OTHER = data("GetObject", "2025/q1.csv", True, bucket="reports2")
MANAGEMENT = {"eventCategory": "Management", "eventSource": "s3.amazonaws.com", "eventName": "CreateBucket"}


def objects(*values: str, rw: str = "All", management: bool = False) -> list[dict[str, Any]]:
    return [
        {
            "ReadWriteType": rw,
            "IncludeManagementEvents": management,
            "DataResources": [{"Type": "AWS::S3::Object", "Values": list(values)}],
        }
    ]


BASIC = [
    # (selectors, record, taken)
    (None, GET, False),  # default selectors: management events only
    (None, MANAGEMENT, True),
    (objects("arn:aws:s3"), GET, True),
    (objects("arn:aws:s3:::"), OTHER, True),
    (objects("arn:aws:s3:::reports/"), GET, True),
    (objects("arn:aws:s3:::reports/"), OTHER, False),  # a prefix of the object ARN, with its slash
    (objects("arn:aws:s3:::reports"), OTHER, False),  # a bare bucket ARN is that bucket only
    (objects("arn:aws:s3:::reports"), GET, True),
    (objects("arn:aws:s3:::reports/2025/"), PRIVATE, False),
    (objects("arn:aws:s3:::reports/", rw="WriteOnly"), GET, False),
    (objects("arn:aws:s3:::reports/", rw="WriteOnly"), PUT, True),
    (objects("arn:aws:s3:::reports/", rw="ReadOnly"), PUT, False),
    (objects("arn:aws:s3:::reports/"), MANAGEMENT, False),  # IncludeManagementEvents false
    (objects("arn:aws:s3:::reports/", management=True), MANAGEMENT, True),
    ([{"DataResources": [{"Type": "AWS::Lambda::Function", "Values": ["arn:aws:lambda"]}]}], GET, False),
]


@pytest.mark.parametrize(("basic", "record", "taken"), BASIC)
def test_basic_selectors(basic: Any, record: dict[str, Any], taken: bool) -> None:
    assert matches(record, basic, None) is taken


def field(name: str, **operators: list[str]) -> dict[str, Any]:
    return {"Field": name, **operators}


S3_DATA = [field("eventCategory", Equals=["Data"]), field("resources.type", Equals=["AWS::S3::Object"])]
ADVANCED = [
    ([{"FieldSelectors": S3_DATA}], GET, True),
    ([{"FieldSelectors": S3_DATA}], MANAGEMENT, False),
    ([{"FieldSelectors": [field("eventCategory", Equals=["Management"])]}], GET, False),
    ([{"FieldSelectors": [*S3_DATA, field("resources.ARN", StartsWith=[BUCKET_ARN + "/"])]}], OTHER, False),
    ([{"FieldSelectors": [*S3_DATA, field("resources.ARN", StartsWith=[BUCKET_ARN + "/"])]}], GET, True),
    (
        [
            {
                "FieldSelectors": [
                    *S3_DATA,
                    field("resources.ARN", StartsWith=[BUCKET_ARN + "/"], NotStartsWith=[BUCKET_ARN + "/private/"]),
                ]
            }
        ],
        PRIVATE,
        False,
    ),
    ([{"FieldSelectors": [*S3_DATA, field("resources.ARN", EndsWith=[".csv"])]}], GET, True),
    ([{"FieldSelectors": [*S3_DATA, field("resources.ARN", NotEndsWith=[".csv"])]}], GET, False),
    ([{"FieldSelectors": [*S3_DATA, field("readOnly", Equals=["false"])]}], GET, False),
    ([{"FieldSelectors": [*S3_DATA, field("eventName", NotEquals=["GetObject"])]}], GET, False),
    ([{"FieldSelectors": [*S3_DATA, field("eventName", Equals=["PutObject", "GetObject"])]}], GET, True),
    ([{"FieldSelectors": [*S3_DATA, field("userIdentity.arn", StartsWith=["arn:aws:iam::1111"])]}], GET, True),
    # the bucket entry of the record is not an object: a type of AWS::S3::Bucket takes nothing here
    (
        [
            {
                "FieldSelectors": [
                    field("eventCategory", Equals=["Data"]),
                    field("resources.type", Equals=["AWS::S3::Bucket"]),
                    field("resources.ARN", StartsWith=["arn:aws:s3:::reports/"]),
                ]
            }
        ],
        GET,
        False,
    ),
    # selectors are alternatives
    ([{"FieldSelectors": [field("eventCategory", Equals=["Management"])]}, {"FieldSelectors": S3_DATA}], GET, True),
    ([{"FieldSelectors": [*S3_DATA, field("errorCode", Equals=["AccessDenied"])]}], GET, False),
    (
        [{"FieldSelectors": [*S3_DATA, field("errorCode", Equals=["AccessDenied"])]}],
        dict(GET, errorCode="AccessDenied"),
        True,
    ),
]


@pytest.mark.parametrize(("advanced", "record", "taken"), ADVANCED)
def test_advanced_selectors(advanced: Any, record: dict[str, Any], taken: bool) -> None:
    assert matches(record, None, advanced) is taken


def test_which_selectors_take_data_events_at_all() -> None:
    assert not selects_data(None, None)
    assert not selects_data([{"ReadWriteType": "All", "DataResources": []}], None)
    assert selects_data(objects("arn:aws:s3"), None)
    assert not selects_data([{"DataResources": [{"Type": "AWS::S3::Object", "Values": []}]}], None)
    assert selects_data(None, [{"FieldSelectors": S3_DATA}])
    assert not selects_data(None, [{"FieldSelectors": [field("eventCategory", Equals=["Management"])]}])
    lambda_only = [field("eventCategory", Equals=["Data"]), field("resources.type", Equals=["AWS::Lambda::Function"])]
    assert not selects_data(None, [{"FieldSelectors": lambda_only}])
    assert object_prefix("arn:aws:s3") is None and object_prefix("arn:aws:s3:::") is None
    assert object_prefix("arn:aws:s3:::b") == "arn:aws:s3:::b/"
    assert object_prefix("arn:aws:s3:::b/p") == "arn:aws:s3:::b/p"
