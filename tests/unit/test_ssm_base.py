"""ssm/base.py: page tokens (services/base/pages.py) round-trip, and a token SSM did not issue is InvalidNextToken."""

from __future__ import annotations

import pytest

from strongroom.core.errors import AwsError
from strongroom.services.base import pages
from strongroom.services.ssm.base import SsmBase


@pytest.mark.parametrize("last", ["/a/b", "x", "3", ""])
def test_token_round_trip(last: str) -> None:
    assert SsmBase.decode_token(SsmBase.encode_token(last)) == last


@pytest.mark.parametrize("token", ["%%%", "bm90IGpzb24", pages.encode(3), pages.encode("a", "b"), "W10"])
def test_foreign_token_is_invalid_next_token(token: str) -> None:
    with pytest.raises(AwsError) as raised:
        SsmBase.decode_token(token)
    assert (raised.value.code, raised.value.message) == ("InvalidNextToken", "The specified token isn't valid.")
