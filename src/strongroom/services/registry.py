"""Finds a service's parts by its name: the provider method for an operation
(``services/<svc>/provider.py::Provider.<snake_case_op>``), its access table (``access.py``, handed to the
authorizer) and its operations table (``operations.py``, read by the pipeline and the audit record)."""

from __future__ import annotations

import functools
import importlib
import keyword
import threading
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any

from botocore import xform_name

from strongroom.core.operations import Operation
from strongroom.iam.authorize import ServiceAccess

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
        self._access: dict[str, ServiceAccess | None] = {}
        self._operations: dict[str, Mapping[str, Operation]] = {}
        # Providers load on first use, from a request thread or the server's background loader (``load_all``) at
        # the same time: one lock, so a service never gets two providers (two sets of caches and job handlers).
        # Reentrant: a provider being built may look up another.
        self._loading = threading.RLock()

    def provider(self, service: str) -> object | None:
        try:
            return self._providers[service]
        except KeyError:
            pass
        with self._loading:
            if service in self._providers:
                return self._providers[service]
            try:
                module = importlib.import_module(f"strongroom.services.{package_name(service)}.provider")
            except ModuleNotFoundError as exc:
                if exc.name and exc.name.startswith(f"strongroom.services.{package_name(service)}"):
                    self._providers[service] = None
                    return None
                raise
            self._providers[service] = module.Provider(self.runtime)
            return self._providers[service]

    def access(self, service: str) -> ServiceAccess | None:
        """The service's authorization table (``services/<svc>/access.py``), or None when it has none.

        The server hands this method to the authorizer (``iam.authorize.AccessLookup``); ``resource_policy`` is
        bound to the runtime here.
        """
        try:
            return self._access[service]
        except KeyError:
            pass
        module = _optional_module(f"strongroom.services.{package_name(service)}.access")
        access = None
        if module is not None:
            resource_policy = getattr(module, "resource_policy", None)
            access = ServiceAccess(
                checks=getattr(module, "checks", None),
                resource_policy=functools.partial(resource_policy, self.runtime) if resource_policy else None,
                access_denied=getattr(module, "access_denied", None),
                anonymous=bool(getattr(module, "ANONYMOUS_CALLERS", False)),
            )
        return self._access.setdefault(service, access)

    def operation(self, service: str, name: str) -> Operation | None:
        """The row of ``name`` in the service's operations table (``services/<svc>/operations.py``), or None when
        the service has no table yet or the table has no such row (readers then apply their general rules)."""
        return self.operations(service).get(name)

    def operations(self, service: str) -> Mapping[str, Operation]:
        """The service's operations table (empty when it has none yet)."""
        table = self._operations.get(service)
        if table is None:
            module = _optional_module(f"strongroom.services.{package_name(service)}.operations")
            table = getattr(module, "OPERATIONS", None) or {}
            self._operations[service] = table
        return table

    def handler(self, service: str, operation: str) -> Handler | None:
        key = (service, operation)
        if key not in self._handlers:
            provider = self.provider(service)
            self._handlers[key] = getattr(provider, snake_case(operation), None) if provider else None
        return self._handlers[key]

    def load_all(self, services: tuple[str, ...]) -> None:
        """Instantiate every provider (and load its operations table) now, so their scheduled jobs are registered.

        The server calls it in a background thread once it listens (``Runtime.load_providers``); a request for a
        service not loaded yet loads that one itself (``provider``)."""
        for service in services:
            self.provider(service)
            self.operations(service)

    def all_providers(self) -> list[object]:
        return [p for p in list(self._providers.values()) if p is not None]  # a copy: the loader may be adding


def _optional_module(name: str) -> ModuleType | None:
    """Import ``name``; None when that module (not something it imports) does not exist."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is None or not name.startswith(exc.name):
            raise
        return None
