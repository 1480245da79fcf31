"""GuardDuty's errors, derived from its service model (services/base/errors.py).

Every GuardDuty error carries ``Type`` beside ``Message`` (``BadRequestException`` with ``Type:
InvalidInputException`` for a detector id the caller does not own); ``bad_request`` builds those.
"""

from __future__ import annotations

from strongroom.core.errors import AwsError
from strongroom.services.base.errors import ModelErrors

_errors = ModelErrors("guardduty")

INVALID_INPUT = "The request is rejected because an invalid or out-of-range value is specified as an input parameter."


def bad_request(message: str = INVALID_INPUT, kind: str = "InvalidInputException") -> AwsError:
    return _errors("BadRequestException")(message, Type=kind)


def access_denied(message: str) -> AwsError:
    return _errors("AccessDeniedException")(message, Type="AccessDeniedException")


def __getattr__(name: str) -> type[AwsError]:  # PEP 562: the class of a modeled error
    return _errors(name)
