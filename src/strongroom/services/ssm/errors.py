"""Parameter Store's errors, named as in SSM's service model (plus the unmodeled ones AWS answers)."""

from __future__ import annotations

from strongroom.core.errors import error_class

# Not SSM model shapes, but what SSM answers: reserved names and KMS denials (AccessDeniedException), and
# the throughput limit (ThrottlingException is modeled for a few operations only).
AccessDeniedException = error_class("AccessDeniedException")
HierarchyLevelLimitExceededException = error_class("HierarchyLevelLimitExceededException")
HierarchyTypeMismatchException = error_class("HierarchyTypeMismatchException")
IncompatiblePolicyException = error_class("IncompatiblePolicyException")
InternalServerError = error_class("InternalServerError", 500)
InvalidAllowedPatternException = error_class("InvalidAllowedPatternException")
InvalidFilterKey = error_class("InvalidFilterKey")
InvalidFilterOption = error_class("InvalidFilterOption")
InvalidFilterValue = error_class("InvalidFilterValue")
InvalidKeyId = error_class("InvalidKeyId")
InvalidNextToken = error_class("InvalidNextToken")
InvalidPolicyAttributeException = error_class("InvalidPolicyAttributeException")
InvalidPolicyTypeException = error_class("InvalidPolicyTypeException")
InvalidResourceId = error_class("InvalidResourceId")
InvalidResourceType = error_class("InvalidResourceType")
MalformedResourcePolicyDocumentException = error_class("MalformedResourcePolicyDocumentException")
ParameterAlreadyExists = error_class("ParameterAlreadyExists")
ParameterLimitExceeded = error_class("ParameterLimitExceeded")
ParameterMaxVersionLimitExceeded = error_class("ParameterMaxVersionLimitExceeded")
ParameterNotFound = error_class("ParameterNotFound")
ParameterPatternMismatchException = error_class("ParameterPatternMismatchException")
ParameterVersionLabelLimitExceeded = error_class("ParameterVersionLabelLimitExceeded")
ParameterVersionNotFound = error_class("ParameterVersionNotFound")
PoliciesLimitExceededException = error_class("PoliciesLimitExceededException")
ResourceNotFoundException = error_class("ResourceNotFoundException")
ResourcePolicyConflictException = error_class("ResourcePolicyConflictException")
ResourcePolicyInvalidParameterException = error_class("ResourcePolicyInvalidParameterException")
ResourcePolicyLimitExceededException = error_class("ResourcePolicyLimitExceededException")
ResourcePolicyNotFoundException = error_class("ResourcePolicyNotFoundException")
ServiceSettingNotFound = error_class("ServiceSettingNotFound")
ThrottlingException = error_class("ThrottlingException")
TooManyTagsError = error_class("TooManyTagsError")
TooManyUpdates = error_class("TooManyUpdates")
UnsupportedParameterType = error_class("UnsupportedParameterType")
ValidationException = error_class("ValidationException")
