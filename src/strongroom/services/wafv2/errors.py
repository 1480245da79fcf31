"""WAF v2's errors, derived from its service model (services/base/errors.py), and AWS's fixed messages.

AWS WAF answers most errors with one fixed text per error type; WAFInvalidParameterException carries the
``Field`` / ``Parameter`` / ``Reason`` members beside its message (``invalid`` builds it).
"""

from __future__ import annotations

from strongroom.core.errors import AwsError
from strongroom.services.base.errors import ModelErrors

_errors = ModelErrors("wafv2")

NONEXISTENT = "AWS WAF couldn\u2019t perform the operation because your resource doesn\u2019t exist."
DUPLICATE = (
    "AWS WAF couldn\u2019t perform the operation because some resource in your request is a duplicate of an "
    "existing one."
)
OPTIMISTIC_LOCK = (
    "AWS WAF couldn\u2019t save your changes because someone changed the resource after you started to edit it. "
    "Reapply your changes."
)
LIMITS = (
    "AWS WAF couldn\u2019t perform the operation because you exceeded your resource limit. For example, the maximum "
    "number of WebACL objects that you can create for an Amazon Web Services account. For more information, see "
    "WAF quotas in the WAF Developer Guide."
)
ASSOCIATED = (
    "AWS WAF couldn\u2019t perform the operation because your resource is being used by another resource or "
    "it\u2019s associated with another resource."
)
UNAVAILABLE = "AWS WAF couldn\u2019t retrieve the resource that you requested. Retry your request."

# Reasons AWS gives in WAFInvalidParameterException.
BAD_FORMAT = "The parameter contains formatting that is not valid."
MISSING = "A required field is missing from the parameter."
MULTIPLE = "Your statement has multiple values set for a field that requires exactly one value."
BAD_VALUE = "The parameter value is not valid."
DUPLICATE_VALUE = "The parameter contains a duplicate value."
BAD_REFERENCE = (
    "The ARN isn't valid. A valid ARN begins with arn: and includes other information separated by colons or slashes."
)


def __getattr__(name: str) -> type[AwsError]:  # PEP 562: the class of a modeled error
    return _errors(name)


def invalid(field: str, parameter: object, reason: str = BAD_FORMAT) -> AwsError:
    """WAFInvalidParameterException as AWS words it: the reason, the field enum and the offending value."""
    text = str(parameter)[:200]
    cls = _errors("WAFInvalidParameterException")
    return cls(f"Error reason: {reason}, field: {field}, parameter: {text}", Field=field, Parameter=text, Reason=reason)


def nonexistent() -> AwsError:
    return _errors("WAFNonexistentItemException")(NONEXISTENT)


def duplicate() -> AwsError:
    return _errors("WAFDuplicateItemException")(DUPLICATE)


def optimistic_lock() -> AwsError:
    return _errors("WAFOptimisticLockException")(OPTIMISTIC_LOCK)


def limits() -> AwsError:
    return _errors("WAFLimitsExceededException")(LIMITS)


def associated() -> AwsError:
    return _errors("WAFAssociatedItemException")(ASSOCIATED)


def unavailable() -> AwsError:
    return _errors("WAFUnavailableEntityException")(UNAVAILABLE)
