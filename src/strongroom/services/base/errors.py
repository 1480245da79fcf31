"""A service's error classes, derived from its botocore model instead of written out by hand.

For an error shape of the model: the code is ``error.code`` if the shape has one (query protocol), else the shape
name; the HTTP status is ``error.httpStatusCode``, else 500 for a ``fault`` shape, else 400; the caller is at fault
unless ``error.senderFault`` says otherwise or the shape is a ``fault``. A service's ``errors.py`` becomes::

    _errors = ModelErrors("kms", extra=("AccessDeniedException",), status={"DependencyTimeoutException": 503})

    def __getattr__(name: str) -> type[AwsError]:  # PEP 562: ``from ...errors import NotFoundException``
        return _errors(name)
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

import botocore.loaders

from strongroom.core.errors import AwsError


@cache
def _error_shapes(service: str) -> dict[str, dict[str, Any]]:
    """The raw error shapes of a service model (``fault`` is not among botocore's ``Shape.metadata``)."""
    shapes: dict[str, dict[str, Any]] = botocore.loaders.create_loader().load_service_model(service, "service-2")[
        "shapes"
    ]
    return {name: shape for name, shape in shapes.items() if shape.get("exception")}


class ModelErrors:
    """One exception class per error of ``service``'s model, looked up by shape name or by code.

    ``extra`` names errors AWS answers that the model does not list (status 400, the caller at fault);
    ``status`` overrides the model's HTTP status where AWS answers differently.
    """

    def __init__(self, service: str, *, extra: Iterable[str] = (), status: Mapping[str, int] | None = None) -> None:
        self.service = service
        self._extra = tuple(extra)
        self._status = dict(status or {})
        self._specs: dict[str, tuple[str, int, bool]] | None = None  # name or code -> (code, status, sender fault)
        self._classes: dict[str, type[AwsError]] = {}  # code -> class
        self._lock = threading.Lock()

    def _load(self) -> dict[str, tuple[str, int, bool]]:
        specs: dict[str, tuple[str, int, bool]] = {}
        for name, shape in _error_shapes(self.service).items():
            info = shape.get("error") or {}
            fault = bool(shape.get("fault"))
            code = str(info.get("code") or name)
            status = int(
                self._status.get(name, self._status.get(code, info.get("httpStatusCode") or (500 if fault else 400)))
            )
            sender_fault = bool(info.get("senderFault", not fault))
            specs[name] = specs.setdefault(code, (code, status, sender_fault))
        for name in self._extra:
            if name in specs:
                raise ValueError(f"{self.service}: {name} is in the model; it is not an extra")
            specs[name] = (name, self._status.get(name, 400), self._status.get(name, 400) < 500)
        unknown = set(self._status) - set(specs)
        if unknown:
            raise ValueError(f"{self.service}: status given for errors it does not have: {sorted(unknown)}")
        return specs

    def __call__(self, name: str) -> type[AwsError]:
        """The class for an error shape name or code; AttributeError if the service has no such error."""
        with self._lock:
            if self._specs is None:
                self._specs = self._load()
            spec = self._specs.get(name)
            if spec is None:
                raise AttributeError(f"{self.service} has no modeled error {name!r}")
            code, status, sender_fault = spec
            cls = self._classes.get(code)
            if cls is None:
                cls = type(code, (AwsError,), {"code": code, "status": status, "sender_fault": sender_fault})
                cls.__module__ = __name__
                self._classes[code] = cls
            return cls

    def names(self) -> list[str]:
        """Every shape name and code this service's errors answer to."""
        with self._lock:
            if self._specs is None:
                self._specs = self._load()
            return sorted(self._specs)
