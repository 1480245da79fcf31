"""CloudWatch Logs' errors, derived from its service model (services/base/errors.py).

Any error shape of the model (by shape name or code) is importable from here, e.g.
``from strongroom.services.logs.errors import ResourceNotFoundException``,
as a class with the model's code, HTTP status and fault; a name the model does not have fails at import.
"""

from __future__ import annotations

from strongroom.core.errors import AwsError
from strongroom.services.base.errors import ModelErrors

_errors = ModelErrors("logs")


def __getattr__(name: str) -> type[AwsError]:  # PEP 562: the class of a modeled error
    return _errors(name)
