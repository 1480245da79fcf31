"""IAM's modeled errors, with the wire codes and HTTP statuses of its service model."""

from __future__ import annotations

from strongroom.core.errors import AwsError


class NoSuchEntity(AwsError):
    code = "NoSuchEntity"
    status = 404


class EntityAlreadyExists(AwsError):
    code = "EntityAlreadyExists"
    status = 409


class MalformedPolicyDocument(AwsError):
    code = "MalformedPolicyDocument"
    status = 400


class LimitExceeded(AwsError):
    code = "LimitExceeded"
    status = 409


class DeleteConflict(AwsError):
    code = "DeleteConflict"
    status = 409


class InvalidInput(AwsError):
    code = "InvalidInput"
    status = 400


class PolicyNotAttachable(AwsError):
    code = "PolicyNotAttachable"
    status = 400


class UnmodifiableEntity(AwsError):
    code = "UnmodifiableEntity"
    status = 400


class ValidationError(AwsError):
    code = "ValidationError"
    status = 400
