"""AWS Lambda, the subset rotation needs; see docs/lambda.md for what differs from AWS."""

from __future__ import annotations

from strongroom.services.lambda_.code_url import forget_key
from strongroom.services.lambda_.functions import FunctionOperations
from strongroom.services.lambda_.invoke import InvokeOperations
from strongroom.services.lambda_.permissions import PermissionOperations


class Provider(FunctionOperations, InvokeOperations, PermissionOperations):
    """Every Lambda operation Strongroom serves; the rest of the model answers NotImplemented."""

    def reset(self) -> None:
        super().reset()
        forget_key(self.runtime)
