"""KMS's errors, derived from its service model (services/base/errors.py).

Any error shape of the model (by shape name or code) is importable from here, e.g.
``from strongroom.services.kms.errors import X``,
as a class with the model's code, HTTP status and fault; a name the model does not have fails at import.
"""

from __future__ import annotations

from strongroom.core.errors import AwsError
from strongroom.services.base.errors import ModelErrors

# Not in the model, but what KMS answers: a key policy that denies
# (AccessDeniedException), a reserved alias/aws/ name (NotAuthorizedException) and input AWS refuses
# beyond the model's constraints (ValidationException).
# AWS answers DependencyTimeoutException with HTTP 503 (the model marks it a fault, 500).
_errors = ModelErrors(
    "kms",
    extra=("AccessDeniedException", "NotAuthorizedException", "ValidationException"),
    status={"DependencyTimeoutException": 503},
)


def __getattr__(name: str) -> type[AwsError]:  # PEP 562: the class of a modeled error
    return _errors(name)
