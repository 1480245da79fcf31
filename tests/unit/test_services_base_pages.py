"""services/base/pages.py: one opaque page-token encoding, and offset / after-key paging over it."""

from __future__ import annotations

import base64

import pytest

from strongroom.core.errors import AwsError
from strongroom.services.base import pages


class BadToken(AwsError):
    code = "InvalidNextTokenException"


def bad() -> AwsError:
    return BadToken("Invalid NextToken.")


def test_encode_decode_round_trip() -> None:
    token = pages.encode("keys", "arn:aws:kms:us-east-1:111122223333:key/x", 7)
    assert "=" not in token and "+" not in token and "/" not in token
    assert pages.decode(token, 3, bad) == ["keys", "arn:aws:kms:us-east-1:111122223333:key/x", 7]
    assert pages.decode(token, None, bad) == ["keys", "arn:aws:kms:us-east-1:111122223333:key/x", 7]


@pytest.mark.parametrize(
    "token",
    [
        "",
        "!!!",
        "not base64 at all",
        base64.urlsafe_b64encode(b"not json").decode(),
        base64.urlsafe_b64encode(b'{"o": 1}').decode(),  # not a list
        base64.urlsafe_b64encode(b"[]").decode(),  # no parts
        base64.urlsafe_b64encode(b"[true]").decode(),  # bool is not a part
        base64.urlsafe_b64encode(b"[1.5]").decode(),
        base64.urlsafe_b64encode(b"[null]").decode(),
        pages.encode("a", "b"),  # wrong arity
    ],
)
def test_decode_rejects_what_encode_did_not_make(token: str) -> None:
    with pytest.raises(BadToken, match=r"Invalid NextToken\."):
        pages.decode(token, 1, bad)


def test_decode_rejects_non_strings() -> None:
    with pytest.raises(BadToken):
        pages.decode(12, 1, bad)


def test_offset_page_walks_every_item_once() -> None:
    items = list(range(7))
    seen: list[int] = []
    token: str | None = None
    for _ in range(10):
        page, token = pages.offset_page(items, token, 3, bad)
        seen += page
        if token is None:
            break
    assert seen == items
    assert pages.offset_page(items, None, 7, bad) == (items, None)
    assert pages.offset_page([], None, 3, bad) == ([], None)


@pytest.mark.parametrize("token", [pages.encode(-1), pages.encode("3"), pages.encode(1, 2)])
def test_offset_page_rejects_bad_offsets(token: str) -> None:
    with pytest.raises(BadToken):
        pages.offset_page([1, 2, 3], token, 2, bad)


def test_after_page_is_ordered_and_survives_changes_between_pages() -> None:
    items = ["d", "a", "c", "b", "e"]
    page, token = pages.after_page(items, None, 2, lambda s: s, bad)
    assert page == ["a", "b"] and token == pages.encode("b")
    # an item inserted before the cursor and one removed after it do not disturb the walk
    items = ["a", "aa", "c", "d", "e"]
    page, token = pages.after_page(items, token, 2, lambda s: s, bad)
    assert page == ["c", "d"]
    page, token = pages.after_page(items, token, 2, lambda s: s, bad)
    assert (page, token) == (["e"], None)


def test_after_page_with_composite_keys() -> None:
    versions = [("fn", 2), ("fn", 10), ("fn", 1), ("other", 1)]
    page, token = pages.after_page(versions, None, 2, lambda v: v, bad)
    assert page == [("fn", 1), ("fn", 2)] and token == pages.encode("fn", 2)
    page, token = pages.after_page(versions, token, 2, lambda v: v, bad)
    assert (page, token) == ([("fn", 10), ("other", 1)], None)


@pytest.mark.parametrize("token", [pages.encode(1), pages.encode("a", "b"), "%%%"])
def test_after_page_rejects_tokens_of_another_shape(token: str) -> None:
    with pytest.raises(BadToken):
        pages.after_page(["a", "b", "c"], token, 2, lambda s: s, bad)


def test_after_page_of_nothing() -> None:
    assert pages.after_page([], None, 2, lambda s: s, bad) == ([], None)
    assert pages.after_page([], pages.encode("x"), 2, lambda s: s, bad) == ([], None)
