"""Lambda's modeled errors, named as in its service model."""

from __future__ import annotations

from strongroom.core.errors import error_class

InvalidParameterValueException = error_class("InvalidParameterValueException")
InvalidRequestContentException = error_class("InvalidRequestContentException")
PreconditionFailedException = error_class("PreconditionFailedException", 412)
RequestTooLargeException = error_class("RequestTooLargeException", 413)
ResourceConflictException = error_class("ResourceConflictException", 409)
ResourceNotFoundException = error_class("ResourceNotFoundException", 404)
ServiceException = error_class("ServiceException", 500)
ValidationException = error_class("ValidationException")
InvalidRuntimeException = error_class("InvalidRuntimeException", 502)
