"""``services.base.tags.tag_loader``: the resource-tag condition keys every tagging service hands the authorizer."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import insert

from strongroom.iam.authorize import arn_account
from strongroom.services.acm.model import tags as acm_tags
from strongroom.services.acm_pca.model import tags as pca_tags
from strongroom.services.base.tags import tag_loader
from strongroom.services.guardduty.model import tags as guardduty_tags
from strongroom.services.logs.model import tags as logs_tags
from strongroom.store.engine import Store

ARN = "arn:aws:guardduty:us-east-1:111122223333:detector/d1"
OTHER = "arn:aws:guardduty:us-east-1:111122223333:detector/d2"


def _runtime(store: Store) -> Any:
    return SimpleNamespace(store=store)


def test_reads_only_the_resources_tags_when_called(store: Store) -> None:
    load = tag_loader(_runtime(store), guardduty_tags, ARN)  # nothing read yet: the tags are written after
    with store.write() as conn:
        conn.execute(
            insert(guardduty_tags),
            [
                {"arn": ARN, "key": "team", "value": "red"},
                {"arn": ARN, "key": "empty", "value": ""},
                {"arn": OTHER, "key": "team", "value": "blue"},
            ],
        )
    assert load() == {"aws:ResourceTag/team": "red", "aws:ResourceTag/empty": ""}
    assert tag_loader(_runtime(store), guardduty_tags, "arn:aws:guardduty:us-east-1:111122223333:detector/none")() == {}


@pytest.mark.parametrize(
    ("table", "columns", "row"),
    [
        (acm_tags, {"arn_column": "certificate_arn"}, {"certificate_arn": ARN, "key": "k", "value": None}),
        (logs_tags, {"arn_column": "group_arn"}, {"group_arn": ARN, "key": "k", "value": "v"}),
        (
            pca_tags,
            {"arn_column": "ca_arn", "key_column": "tag_key", "value_column": "tag_value"},
            {"ca_arn": ARN, "tag_key": "k", "tag_value": "v"},
        ),
    ],
)
def test_tables_with_their_own_column_names(
    store: Store, table: Any, columns: dict[str, str], row: dict[str, Any]
) -> None:
    with store.write() as conn:
        conn.execute(insert(table), [row])
    expected = "" if row.get("value", "v") is None else "v"  # ACM stores a tag without a value as NULL
    assert tag_loader(_runtime(store), table, ARN, **columns)() == {"aws:ResourceTag/k": expected}


@pytest.mark.parametrize(
    ("arn", "account"),
    [
        (ARN, "111122223333"),
        ("arn:aws:s3:::bucket/key", None),  # an S3 ARN names no account
        ("*", None),
        ("urn:aws:kms:us-east-1:111122223333:key/k", None),  # six parts, but not an ARN
        ("arn:aws:iam::111122223333:role/a:b", "111122223333"),  # colons in the resource part
    ],
)
def test_arn_account(arn: str, account: str | None) -> None:
    assert arn_account(arn) == account
