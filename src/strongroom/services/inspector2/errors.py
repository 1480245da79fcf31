"""Inspector's errors, derived from its service model (services/base/errors.py).

``ValidationException`` carries ``reason`` (FIELD_VALIDATION_FAILED for a bad value, CANNOT_PARSE, OTHER) and
``ConflictException`` the resource it names, as the model requires; the helpers below build those.
"""

from __future__ import annotations

from strongroom.core.errors import AwsError
from strongroom.services.base.errors import ModelErrors

_errors = ModelErrors("inspector2")


def validation(message: str, reason: str = "FIELD_VALIDATION_FAILED") -> AwsError:
    return _errors("ValidationException")(message, reason=reason)


def not_found(message: str) -> AwsError:
    return _errors("ResourceNotFoundException")(message)


def conflict(message: str, resource_id: str, resource_type: str) -> AwsError:
    return _errors("ConflictException")(message, resourceId=resource_id, resourceType=resource_type)


def access_denied(message: str) -> AwsError:
    return _errors("AccessDeniedException")(message)


def bad_token() -> AwsError:
    return validation("The provided nextToken is not valid.", "CANNOT_PARSE")


def __getattr__(name: str) -> type[AwsError]:  # PEP 562: the class of a modeled error
    return _errors(name)
