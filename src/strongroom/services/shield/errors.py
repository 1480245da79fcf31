"""AWS Shield's errors, derived from its service model (services/base/errors.py).

Any error shape of the model is importable from here as a class with the model's code and HTTP status;
``ResourceNotFoundException`` & co. take their ``resourceType`` as a keyword.
"""

from __future__ import annotations

from strongroom.core.errors import AwsError
from strongroom.services.base.errors import ModelErrors

_errors = ModelErrors("shield")


def __getattr__(name: str) -> type[AwsError]:  # PEP 562: the class of a modeled error
    return _errors(name)
