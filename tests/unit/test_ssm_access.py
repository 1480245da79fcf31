"""Parameter Store's prepared reads: the authorization-time read of GetParameter(s) and the version lookups."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

import pytest

from strongroom.core.context import Principal, RequestContext
from strongroom.services.ssm import model
from strongroom.services.ssm.access import arn_for, checks, take_prefetched
from strongroom.services.ssm.base import SsmBase
from strongroom.services.ssm.describe import _versions_in
from strongroom.services.ssm.errors import ParameterNotFound, ParameterVersionNotFound
from strongroom.services.ssm.refs import Ref
from strongroom.services.ssm.rules import parameter_arn
from strongroom.store.engine import Store

# ``postgres_url`` comes from tests/support/fixtures_pg.py, loaded by tests/conftest.py.
ACCOUNT, REGION = "111122223333", "us-east-1"
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def _ctx(store: Store, operation: str) -> RequestContext:
    runtime = cast(Any, SimpleNamespace(store=store))
    return RequestContext(runtime, "req", "ssm", operation, REGION, Principal.root(ACCOUNT))


def _put(store: Store, name: str, values: list[str], labels: dict[int, list[str]] | None = None) -> None:
    """A parameter with one version per value (the last is current), as PutParameter leaves them."""
    row = {"account_id": ACCOUNT, "region": REGION, "name": name, "type": "String", "tier": "Standard"}
    row.update(data_type="text", modified_user="me")
    with store.write() as conn:
        for i, value in enumerate(values, start=1):
            at = T0 + timedelta(minutes=i)
            tags = json.dumps((labels or {}).get(i, []))
            conn.execute(model.versions.insert().values(**row, version=i, value=value, labels=tags, modified_at=at))
        arn = parameter_arn(ACCOUNT, REGION, name)
        conn.execute(model.parameters.insert().values(**row, arn=arn, version=len(values), modified_at=at))


def _policy(store: Store, arn: str, sid: str, minute: int) -> None:
    statement = {"Sid": sid, "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "ssm:*", "Resource": arn}
    with store.write() as conn:
        conn.execute(
            model.resource_policies.insert().values(
                resource_arn=arn,
                policy_id=sid,
                account_id=ACCOUNT,
                region=REGION,
                policy_hash="h",
                policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
                created_at=T0 + timedelta(minutes=minute),
            )
        )


def _sids(policy: str | None) -> list[str]:
    return [s["Sid"] for s in json.loads(policy)["Statement"]] if policy else []


@pytest.mark.parametrize("name", ["/a/b", "x", "/x", "/under_score%/p"])
def test_the_arn_authorized_is_the_parameters_arn(name: str) -> None:
    ctx = _ctx(cast(Store, None), "GetParameter")
    assert arn_for(ctx, name) == parameter_arn(ACCOUNT, REGION, name)


def test_get_parameter_reads_version_and_policies_once(store: Store) -> None:
    _put(store, "/app/db", ["one", "two"])
    arn = parameter_arn(ACCOUNT, REGION, "/app/db")
    _policy(store, arn, "Second", 2)
    _policy(store, arn, "First", 1)
    ctx = _ctx(store, "GetParameter")
    (check,) = checks(ctx, {"Name": "/app/db"}) or []
    assert (check.action, check.resource, check.lookup_resource_policy) == ("ssm:GetParameter", arn, False)
    assert _sids(check.resource_policy) == ["First", "Second"]
    found, version = take_prefetched(ctx, "/app/db")
    assert found and version is not None and (version.value, version.version) == ("two", 2)
    assert take_prefetched(ctx, "/app/db") == (False, None)  # used once


def test_missing_parameters_are_prefetched_as_absent(store: Store) -> None:
    arn = parameter_arn(ACCOUNT, REGION, "/gone")
    _policy(store, arn, "Left", 1)
    ctx = _ctx(store, "GetParameter")
    (check,) = checks(ctx, {"Name": "/gone"}) or []
    assert _sids(check.resource_policy) == ["Left"]
    assert take_prefetched(ctx, "/gone") == (True, None)


def test_only_plain_names_are_prefetched(store: Store) -> None:
    _put(store, "/p", ["v"])
    ctx = _ctx(store, "GetParameters")
    other = f"arn:aws:ssm:{REGION}:444455556666:parameter/p"
    names = ["/p", "/p:1", "/aws/service/global-infrastructure/current-region", other, "/p"]
    found = checks(ctx, {"Names": names}) or []
    assert [c.resource for c in found] == [
        parameter_arn(ACCOUNT, REGION, "/p"),
        parameter_arn(ACCOUNT, REGION, "/p"),
        f"arn:aws:ssm:{REGION}::parameter/aws/service/global-infrastructure/current-region",
        other,
    ]
    assert [c.lookup_resource_policy for c in found] == [False, True, True, True]
    assert [take_prefetched(ctx, n)[0] for n in names[:4]] == [True, False, False, False]


def test_select_version_by_selector(store: Store) -> None:
    _put(store, "/s", ["v1", "v2", "v3"], labels={1: ["old"], 2: ["mid", "x"]})
    base = SsmBase.__new__(SsmBase)
    with store.read() as conn:
        assert base.select_version(conn, Ref(ACCOUNT, REGION, "/s")).value == "v3"
        assert base.select_version(conn, Ref(ACCOUNT, REGION, "/s", "1")).value == "v1"
        assert base.select_version(conn, Ref(ACCOUNT, REGION, "/s", "x")).value == "v2"
        for ref, error in [
            (Ref(ACCOUNT, REGION, "/s", "9"), ParameterVersionNotFound),
            (Ref(ACCOUNT, REGION, "/s", "nolabel"), ParameterVersionNotFound),
            (Ref(ACCOUNT, REGION, "/none"), ParameterNotFound),
            (Ref(ACCOUNT, REGION, "/none", "1"), ParameterNotFound),
            (Ref(ACCOUNT, REGION, "/none", "old"), ParameterNotFound),
        ]:
            with pytest.raises(error):
                base.select_version(conn, ref)


def test_by_path_versions_current_or_newest_labelled(store: Store) -> None:
    _put(store, "/t/a", ["a1", "a2", "a3"], labels={1: ["L"], 2: ["L2"]})
    _put(store, "/t/b", ["b1"])
    names = ["/t/a", "/t/b", "/t/none"]
    with store.read() as conn:
        current = _versions_in(conn, ACCOUNT, REGION, names, None)
        labelled = _versions_in(conn, ACCOUNT, REGION, names, ["L", "L2"])
        assert _versions_in(conn, ACCOUNT, REGION, [], None) == {}
    assert {n: v.value for n, v in current.items()} == {"/t/a": "a3", "/t/b": "b1"}
    assert {n: v.value for n, v in labelled.items()} == {"/t/a": "a2"}
