"""AWS-style errors.

Providers raise exceptions named after the error shapes of their service's model; the protocol layer
turns them into each wire format. ``AwsError`` carries what every protocol needs: the code (the shape
name, or the query-protocol ``error.code``), a message, the HTTP status and whether the caller is at
fault (``Sender``) or the server (``Receiver``), plus any extra modeled members of the error shape.
"""

from __future__ import annotations

from typing import Any, ClassVar


class AwsError(Exception):
    """An error to return to the client in the service's own wire format."""

    code: ClassVar[str] = "InternalFailure"
    status: ClassVar[int] = 400
    sender_fault: ClassVar[bool] = True

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        status: int | None = None,
        sender_fault: bool | None = None,
        **fields: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code  # type: ignore[misc]
        if status is not None:
            self.status = status  # type: ignore[misc]
        if sender_fault is not None:
            self.sender_fault = sender_fault  # type: ignore[misc]
        self.fields: dict[str, Any] = fields

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, status={self.status}, message={self.message!r})"


def error(code: str, message: str = "", status: int = 400, sender_fault: bool = True, **fields: Any) -> AwsError:
    """Build an ``AwsError`` for a code that has no dedicated class."""
    return AwsError(message, code=code, status=status, sender_fault=sender_fault, **fields)


class ValidationError(AwsError):
    """Input failed the model's constraints (json/rest-json ``ValidationException``)."""

    code = "ValidationException"


class SerializationError(AwsError):
    """The request body could not be parsed."""

    code = "SerializationException"


class InternalFailure(AwsError):
    code = "InternalFailure"
    status = 500
    sender_fault = False


class NotImplementedOperation(AwsError):
    """The operation exists in AWS's model but Strongroom has no provider for it yet."""

    code = "NotImplemented"
    status = 501
    sender_fault = False


class UnknownOperation(AwsError):
    code = "UnknownOperationException"
    status = 400


def error_class(code: str, status: int = 400) -> type[AwsError]:
    """A named exception class for one of a service's modeled errors (``raise NotFoundException(msg)``)."""
    return type(code, (AwsError,), {"code": code, "status": status, "sender_fault": status < 500})
