"""ListSecrets without filters pages in the database (keyset tokens): every order, both directions, planned
deletions, and tokens it did not issue. The account is shared with other tests: only our secrets are checked."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.errors import code_of as code
from tests.support.server import ServerProcess


@pytest.fixture
def sm(server: ServerProcess) -> Any:
    return server.client("secretsmanager")


def _walk(sm: Any, **params: Any) -> list[str]:
    names: list[str] = []
    token = None
    while True:
        page = sm.list_secrets(MaxResults=100, **params, **({"NextToken": token} if token else {}))
        names += [s["Name"] for s in page["SecretList"]]
        token = page.get("NextToken")
        if not token:
            return names


def _token(*parts: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode().rstrip("=")


@pytest.mark.parametrize("sort_by", ["created-date", "name", "last-changed-date", "last-accessed-date"])
def test_unfiltered_pages_match_the_filtered_order(sm: Any, sort_by: str) -> None:
    tag = uuid.uuid4().hex[:8]
    names = [f"pg-{tag}-{i}" for i in (3, 1, 4, 0, 2)]
    for name in names:
        sm.create_secret(Name=name, SecretString="x")
    sm.get_secret_value(SecretId=names[1])  # a last-accessed date on one of them
    for order in ("asc", "desc"):
        filtered = _walk(sm, Filters=[{"Key": "name", "Values": [f"pg-{tag}"]}], SortBy=sort_by, SortOrder=order)
        every = _walk(sm, SortBy=sort_by, SortOrder=order)
        ours = [n for n in every if n.startswith(f"pg-{tag}-")]
        assert ours == filtered and sorted(ours) == sorted(names), (order, ours, filtered)
        assert len(every) == len(set(every))  # no secret twice across the pages
    first = sm.list_secrets(MaxResults=1, SortBy=sort_by)
    assert len(first["SecretList"]) == 1 and first["NextToken"]


def test_small_pages_and_planned_deletion(sm: Any) -> None:
    tag = uuid.uuid4().hex[:8]
    names = [f"pd-{tag}-{i}" for i in range(3)]
    for name in names:
        sm.create_secret(Name=name, SecretString="x")
    sm.delete_secret(SecretId=names[1], RecoveryWindowInDays=7)
    listed = [n for n in _walk(sm, SortBy="name") if n.startswith(f"pd-{tag}-")]
    assert listed == [names[0], names[2]]
    listed = [n for n in _walk(sm, SortBy="name", IncludePlannedDeletion=True) if n.startswith(f"pd-{tag}-")]
    assert listed == names
    # a page of one, from just before our first secret: the token carries on exactly after each
    page = sm.list_secrets(MaxResults=1, SortBy="name", NextToken=_token("after", f"pd-{tag}-", f"pd-{tag}-"))
    assert [s["Name"] for s in page["SecretList"]] == [names[0]]
    page = sm.list_secrets(MaxResults=1, SortBy="name", NextToken=page["NextToken"])
    assert [s["Name"] for s in page["SecretList"]] == [names[2]]


@pytest.mark.parametrize(
    "token",
    ["garbage!", _token(5), _token("after", "not a date", "x"), _token("before", "2026-01-01T00:00:00+00:00", "x")],
)
def test_tokens_it_did_not_issue(sm: Any, token: str) -> None:
    with pytest.raises(ClientError) as exc:
        sm.list_secrets(NextToken=token)
    assert code(exc) == "InvalidNextTokenException"
