"""EventBridge's modeled errors, named as in its service model."""

from __future__ import annotations

from strongroom.core.errors import error_class

ConcurrentModificationException = error_class("ConcurrentModificationException")
IllegalStatusException = error_class("IllegalStatusException")
InternalException = error_class("InternalException", 500)
InvalidEventPatternException = error_class("InvalidEventPatternException")
InvalidStateException = error_class("InvalidStateException")
LimitExceededException = error_class("LimitExceededException")
ManagedRuleException = error_class("ManagedRuleException")
OperationDisabledException = error_class("OperationDisabledException")
ResourceAlreadyExistsException = error_class("ResourceAlreadyExistsException")
ResourceNotFoundException = error_class("ResourceNotFoundException")
ValidationException = error_class("ValidationException")
