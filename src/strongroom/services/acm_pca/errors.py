"""ACM PCA's modeled errors, named as in its service model."""

from __future__ import annotations

from strongroom.core.errors import error_class

CertificateMismatchException = error_class("CertificateMismatchException")
ConcurrentModificationException = error_class("ConcurrentModificationException")
InvalidArgsException = error_class("InvalidArgsException")
InvalidArnException = error_class("InvalidArnException")
InvalidNextTokenException = error_class("InvalidNextTokenException")
InvalidPolicyException = error_class("InvalidPolicyException")
InvalidRequestException = error_class("InvalidRequestException")
InvalidStateException = error_class("InvalidStateException")
InvalidTagException = error_class("InvalidTagException")
LimitExceededException = error_class("LimitExceededException")
LockoutPreventedException = error_class("LockoutPreventedException")
MalformedCertificateException = error_class("MalformedCertificateException")
MalformedCSRException = error_class("MalformedCSRException")
PermissionAlreadyExistsException = error_class("PermissionAlreadyExistsException")
RequestAlreadyProcessedException = error_class("RequestAlreadyProcessedException")
RequestFailedException = error_class("RequestFailedException")
RequestInProgressException = error_class("RequestInProgressException")
ResourceNotFoundException = error_class("ResourceNotFoundException")
TooManyTagsException = error_class("TooManyTagsException")
