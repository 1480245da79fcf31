"""Finds the provider method for an operation: ``services/<svc>/provider.py::Provider.<snake_case_op>``."""

from __future__ import annotations

import importlib
import keyword
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore import xform_name

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext, ServiceRuntime

Handler = Callable[["RequestContext", dict[str, Any]], dict[str, Any] | None]


def snake_case(operation: str) -> str:
    """``CreateKey`` -> ``create_key``: the same name boto3 gives the client method."""
    return str(xform_name(operation))


def package_name(service: str) -> str:
    """``acm-pca`` -> ``acm_pca``; ``lambda`` -> ``lambda_`` (a Python keyword cannot name a package)."""
    name = service.replace("-", "_")
    return name + "_" if keyword.iskeyword(name) else name


class ProviderRegistry:
    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self._providers: dict[str, object | None] = {}
        self._handlers: dict[tuple[str, str], Handler | None] = {}

    def provider(self, service: str) -> object | None:
        if service not in self._providers:
            try:
                module = importlib.import_module(f"strongroom.services.{package_name(service)}.provider")
            except ModuleNotFoundError as exc:
                if exc.name and exc.name.startswith(f"strongroom.services.{package_name(service)}"):
                    self._providers[service] = None
                    return None
                raise
            self._providers[service] = module.Provider(self.runtime)
        return self._providers[service]

    def handler(self, service: str, operation: str) -> Handler | None:
        key = (service, operation)
        if key not in self._handlers:
            provider = self.provider(service)
            self._handlers[key] = getattr(provider, snake_case(operation), None) if provider else None
        return self._handlers[key]

    def load_all(self, services: tuple[str, ...]) -> None:
        """Instantiate every provider now, so their scheduled jobs run before any request arrives."""
        for service in services:
            self.provider(service)

    def all_providers(self) -> list[object]:
        return [p for p in self._providers.values() if p is not None]
