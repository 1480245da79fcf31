"""Lake SQL on the in-memory engine: store ids as tables, struct paths, maps, timestamps, and refusals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from strongroom.services.cloudtrail import lakesql

STORE = "0f8c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
NOW = datetime(2026, 12, 7, tzinfo=UTC)


def _record(name: str, arn: str, when: str = "2026-12-06T10:00:00Z", **extra: object) -> dict[str, object]:
    return {"eventName": name, "eventTime": when, "userIdentity": {"arn": arn, "type": "IAMUser"}, **extra}


RECORDS = [
    _record("Encrypt", "arn:aws:iam::1:user/a", requestParameters={"keyId": "k1"}),
    _record("Encrypt", "arn:aws:iam::1:user/a", requestParameters={"keyId": "k2"}),
    _record("Decrypt", "arn:aws:iam::1:user/b", when="2026-12-01T00:00:00Z"),
]


def test_group_by_principal_and_timestamp_literal() -> None:
    result = lakesql.run(
        f"SELECT eventName, COUNT(*) AS n FROM {STORE} WHERE userIdentity.arn = 'arn:aws:iam::1:user/a' "
        "AND eventTime > timestamp '2026-12-05 00:00:00' GROUP BY eventName",
        {STORE: RECORDS},
        NOW,
    )
    assert result.columns == ["eventName", "n"] and result.rows == [["Encrypt", 2]] and result.scanned == 3


def test_maps_functions_and_literals_left_alone() -> None:
    result = lakesql.run(
        f"SELECT element_at(requestParameters, 'keyId') AS k, 'FROM {STORE}; userIdentity.arn' AS s FROM {STORE} "
        "WHERE eventTime >= date_add('day', -7, now()) ORDER BY k",
        {STORE: RECORDS},
        NOW,
    )
    assert result.rows == [
        [None, f"FROM {STORE}; userIdentity.arn"],
        ["k1", f"FROM {STORE}; userIdentity.arn"],
        ["k2", f"FROM {STORE}; userIdentity.arn"],
    ]
    assert lakesql.store_ids(
        f"select 1 from {STORE} a join arn:aws:cloudtrail:us-east-1:1:eventdatastore/{STORE} b"
    ) == [STORE]
    assert lakesql.lake_time("2026-12-06T10:00:00Z") == "2026-12-06 10:00:00.000"


@pytest.mark.parametrize(
    "statement",
    [
        f"DELETE FROM {STORE}",
        f"SELECT 1 FROM {STORE}; DROP TABLE x",
        "PRAGMA table_info(x)",
        "SELECT name FROM sqlite_master",
        f"SELECT * FROM {STORE} WHERE eventName = 'unterminated",
        "ATTACH DATABASE '/tmp/x' AS y",
        f"WITH a AS (SELECT 1) SELECT * FROM pragma_table_info('{STORE}')",
    ],
)
def test_refused(statement: str) -> None:
    with pytest.raises(lakesql.QueryError):
        lakesql.run(statement, {STORE: RECORDS[:1]}, NOW)
