"""Secrets Manager's modeled errors, named as in its service model."""

from __future__ import annotations

from strongroom.core.errors import error_class

# Not a model shape, but what Secrets Manager answers when a policy denies (json protocol, HTTP 400).
AccessDeniedException = error_class("AccessDeniedException")
DecryptionFailure = error_class("DecryptionFailure")
EncryptionFailure = error_class("EncryptionFailure")
InternalServiceError = error_class("InternalServiceError", 500)
InvalidNextTokenException = error_class("InvalidNextTokenException")
InvalidParameterException = error_class("InvalidParameterException")
InvalidRequestException = error_class("InvalidRequestException")
LimitExceededException = error_class("LimitExceededException")
MalformedPolicyDocumentException = error_class("MalformedPolicyDocumentException")
PreconditionNotMetException = error_class("PreconditionNotMetException")
PublicPolicyException = error_class("PublicPolicyException")
ResourceExistsException = error_class("ResourceExistsException")
ResourceNotFoundException = error_class("ResourceNotFoundException")
# Not a model shape either: AWS's answer to a malformed secret name (json protocol, HTTP 400).
ValidationException = error_class("ValidationException")
