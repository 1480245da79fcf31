"""lambda_/functions.py ListFunctions markers: tokens from services/base/pages.py; a foreign one is refused."""

from __future__ import annotations

import pytest

from strongroom.core.errors import AwsError
from strongroom.services.base import pages
from strongroom.services.lambda_.functions import FunctionOperations


def test_marker_round_trip() -> None:
    assert FunctionOperations._marker(None) == ("", "")
    assert FunctionOperations._marker(pages.encode("fn", "$LATEST")) == ("fn", "$LATEST")


@pytest.mark.parametrize("marker", ["%%%", "bm90IGpzb24", pages.encode("only-one")])
def test_foreign_marker_is_invalid_parameter_value(marker: str) -> None:
    with pytest.raises(AwsError) as raised:
        FunctionOperations._marker(marker)
    assert (raised.value.code, raised.value.message) == ("InvalidParameterValueException", f"Invalid marker: {marker}")
