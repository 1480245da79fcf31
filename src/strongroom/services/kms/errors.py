"""KMS's modeled errors, named as in its service model."""

from __future__ import annotations

from strongroom.core.errors import error_class

# Not KMS model shapes, but what KMS answers: a key policy that denies (AccessDeniedException) and a
# reserved alias/aws/ name (NotAuthorizedException).
AccessDeniedException = error_class("AccessDeniedException")
AlreadyExistsException = error_class("AlreadyExistsException")
CloudHsmClusterInUseException = error_class("CloudHsmClusterInUseException")
CloudHsmClusterInvalidConfigurationException = error_class("CloudHsmClusterInvalidConfigurationException")
CloudHsmClusterNotActiveException = error_class("CloudHsmClusterNotActiveException")
CloudHsmClusterNotFoundException = error_class("CloudHsmClusterNotFoundException")
CloudHsmClusterNotRelatedException = error_class("CloudHsmClusterNotRelatedException")
ConflictException = error_class("ConflictException")
CustomKeyStoreHasCMKsException = error_class("CustomKeyStoreHasCMKsException")
CustomKeyStoreInvalidStateException = error_class("CustomKeyStoreInvalidStateException")
CustomKeyStoreNameInUseException = error_class("CustomKeyStoreNameInUseException")
CustomKeyStoreNotFoundException = error_class("CustomKeyStoreNotFoundException")
DependencyTimeoutException = error_class("DependencyTimeoutException", 503)
DisabledException = error_class("DisabledException")
DryRunOperationException = error_class("DryRunOperationException")  # HTTP 400, as AWS answers every DryRun
ExpiredImportTokenException = error_class("ExpiredImportTokenException")
IncorrectKeyException = error_class("IncorrectKeyException")
IncorrectKeyMaterialException = error_class("IncorrectKeyMaterialException")
IncorrectTrustAnchorException = error_class("IncorrectTrustAnchorException")
InvalidAliasNameException = error_class("InvalidAliasNameException")
InvalidArnException = error_class("InvalidArnException")
InvalidCiphertextException = error_class("InvalidCiphertextException")
InvalidGrantIdException = error_class("InvalidGrantIdException")
InvalidGrantTokenException = error_class("InvalidGrantTokenException")
InvalidImportTokenException = error_class("InvalidImportTokenException")
InvalidKeyUsageException = error_class("InvalidKeyUsageException")
InvalidMarkerException = error_class("InvalidMarkerException")
KMSInternalException = error_class("KMSInternalException", 500)
KMSInvalidMacException = error_class("KMSInvalidMacException")
KMSInvalidSignatureException = error_class("KMSInvalidSignatureException")
KMSInvalidStateException = error_class("KMSInvalidStateException")
KeyUnavailableException = error_class("KeyUnavailableException", 500)
LimitExceededException = error_class("LimitExceededException")
MalformedPolicyDocumentException = error_class("MalformedPolicyDocumentException")
NotAuthorizedException = error_class("NotAuthorizedException")
NotFoundException = error_class("NotFoundException")
TagException = error_class("TagException")
UnsupportedOperationException = error_class("UnsupportedOperationException")
ValidationException = error_class("ValidationException")
