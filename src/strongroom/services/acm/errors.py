"""ACM's modeled errors."""

from __future__ import annotations

from strongroom.core.errors import error_class

AccessDeniedException = error_class("AccessDeniedException")
ConflictException = error_class("ConflictException")
InvalidArgsException = error_class("InvalidArgsException")
InvalidArnException = error_class("InvalidArnException")
InvalidDomainValidationOptionsException = error_class("InvalidDomainValidationOptionsException")
InvalidParameterException = error_class("InvalidParameterException")
InvalidStateException = error_class("InvalidStateException")
InvalidTagException = error_class("InvalidTagException")
LimitExceededException = error_class("LimitExceededException")
RequestInProgressException = error_class("RequestInProgressException")
ResourceInUseException = error_class("ResourceInUseException")
ResourceNotFoundException = error_class("ResourceNotFoundException")
TagPolicyException = error_class("TagPolicyException")
ThrottlingException = error_class("ThrottlingException")
TooManyTagsException = error_class("TooManyTagsException")
ValidationException = error_class("ValidationException")
