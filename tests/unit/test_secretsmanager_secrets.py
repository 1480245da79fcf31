"""secretsmanager/secrets.py ``page``: offset pages with tokens from services/base/pages.py; foreign tokens refused."""

from __future__ import annotations

import pytest

from strongroom.core.errors import AwsError
from strongroom.services.base import pages
from strongroom.services.secretsmanager.secrets import page

ITEMS = list(range(7))


def test_pages_walk_every_item_once() -> None:
    seen: list[int] = []
    request: dict[str, object] = {"MaxResults": 3}
    while True:
        chunk, token = page(ITEMS, request, 100)
        seen += chunk
        if token is None:
            break
        request = {"MaxResults": 3, "NextToken": token}
    assert seen == ITEMS


@pytest.mark.parametrize("token", ["%%%", "bm90IGpzb24", pages.encode("3"), pages.encode(-1), pages.encode(8)])
def test_foreign_token_is_invalid_next_token_exception(token: str) -> None:
    with pytest.raises(AwsError) as raised:
        page(ITEMS, {"NextToken": token}, 100)
    assert (raised.value.code, raised.value.message) == (
        "InvalidNextTokenException",
        "The NextToken value is invalid.",
    )
