"""API Gateway's errors, derived from its service model (services/base/errors.py).

``from strongroom.services.apigateway.errors import NotFoundException`` gives the class with the model's code and
HTTP status (BadRequestException 400, ConflictException 409, NotFoundException 404, LimitExceededException 429).
"""

from __future__ import annotations

from strongroom.core.errors import AwsError
from strongroom.services.base.errors import ModelErrors

_errors = ModelErrors("apigateway")


def __getattr__(name: str) -> type[AwsError]:  # PEP 562: the class of a modeled error
    return _errors(name)
