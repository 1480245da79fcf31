"""What an AWS error answer said, as the tests compare it: botocore's parsed ``Error`` member and HTTP status.

``*_of(exc)`` read a ``pytest.raises(ClientError)`` result; ``*_of_call(call, **kwargs)`` make the call, expect it to
raise ``ClientError`` and read that. A missing ``Message`` reads as "" (botocore's JSON parsers always fill it in;
the query parser leaves it out when the answer has none)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError


def code_of(exc: pytest.ExceptionInfo[ClientError]) -> str:
    """The error code."""
    return str(exc.value.response["Error"]["Code"])


def message_of(exc: pytest.ExceptionInfo[ClientError]) -> str:
    """The error message ("" when the answer has none)."""
    return str(exc.value.response["Error"].get("Message", ""))


def status_of(exc: pytest.ExceptionInfo[ClientError]) -> int:
    """The HTTP status of the answer."""
    return int(exc.value.response["ResponseMetadata"]["HTTPStatusCode"])


def code_message_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    """The error code and message."""
    return code_of(exc), message_of(exc)


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    """The error code, message and HTTP status."""
    return code_of(exc), message_of(exc), status_of(exc)


def raised_by(call: Any, **kwargs: Any) -> pytest.ExceptionInfo[ClientError]:
    """``call(**kwargs)``, which must raise ``ClientError``."""
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info


def code_of_call(call: Any, **kwargs: Any) -> str:
    return code_of(raised_by(call, **kwargs))


def code_message_of_call(call: Any, **kwargs: Any) -> tuple[str, str]:
    return code_message_of(raised_by(call, **kwargs))


def error_of_call(call: Any, **kwargs: Any) -> tuple[str, str, int]:
    return error_of(raised_by(call, **kwargs))
