"""AWS Organizations' errors, derived from its service model (services/base/errors.py).

Any error shape of the model is importable from here as a class with the model's code and HTTP status;
``ConstraintViolationException`` & co. take their ``Reason`` as a keyword (``Reason="OU_DEPTH_LIMIT_EXCEEDED"``).
"""

from __future__ import annotations

from strongroom.core.errors import AwsError
from strongroom.services.base.errors import ModelErrors

_errors = ModelErrors("organizations")


def __getattr__(name: str) -> type[AwsError]:  # PEP 562: the class of a modeled error
    return _errors(name)
