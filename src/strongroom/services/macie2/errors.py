"""Amazon Macie's errors, derived from its service model (services/base/errors.py).

Every operation but ``EnableMacie`` answers ``AccessDeniedException: Macie is not enabled.`` in an account and Region
where Macie is not enabled; AWS answers it with HTTP status 401 (not the model's 403), which clients and tools
observe and this keeps.
"""

from __future__ import annotations

from strongroom.core.errors import AwsError
from strongroom.services.base.errors import ModelErrors

_errors = ModelErrors("macie2")

NOT_ENABLED = "Macie is not enabled."


def validation(message: str) -> AwsError:
    return _errors("ValidationException")(message)


def not_found(message: str = "The request failed because the specified resource wasn't found.") -> AwsError:
    return _errors("ResourceNotFoundException")(message)


def conflict(message: str) -> AwsError:
    return _errors("ConflictException")(message)


def access_denied(message: str) -> AwsError:
    return _errors("AccessDeniedException")(message)


def not_enabled() -> AwsError:
    return _errors("AccessDeniedException")(NOT_ENABLED, status=401)


def quota(message: str) -> AwsError:
    return _errors("ServiceQuotaExceededException")(message)


def __getattr__(name: str) -> type[AwsError]:  # PEP 562: the class of a modeled error
    return _errors(name)
