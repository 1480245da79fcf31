"""``services/<svc>/provider.py`` is the index of its service: every operation listed once, pointing at its code.

For each service with a provider, with ``ops`` = the model's operations by method name (``CreateKey`` ->
``create_key``):

1. every public function in the ``Provider`` class body is named after a model operation, and the pipeline's
   lookup (``getattr``) finds exactly that entry: no MRO search decides which family answers;
2. it is defined in a module of the service's package, and no other class of the package defines that name
   (one implementation per operation);
3. every family method named after a model operation is listed in the body (nothing served but unlisted);
4. the operations table (``operations.py``), when the service has one, has a row for exactly the listed operations.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

import pytest

from strongroom.protocol.catalog import default_catalog
from strongroom.services.registry import package_name, snake_case


def _providers() -> dict[str, type]:
    found: dict[str, type] = {}
    for service in default_catalog().services:
        try:
            module = importlib.import_module(f"strongroom.services.{package_name(service)}.provider")
        except ModuleNotFoundError:
            continue
        found[service] = module.Provider
    return found


PROVIDERS = _providers()


def _function(value: Any) -> Any:
    return getattr(value, "__func__", value)


def _is_index(provider: type) -> bool:
    families = [c for c in provider.__mro__[1:] if c is not object]
    if not families:
        return True  # every operation is defined in the class body itself
    return any(
        inspect.isfunction(_function(v)) and _function(v).__qualname__.split(".")[0] != provider.__name__
        for v in vars(provider).values()
    )


@pytest.mark.parametrize("service", sorted(PROVIDERS))
def test_provider_lists_every_operation_once(service: str) -> None:
    provider = PROVIDERS[service]
    assert _is_index(provider), f"{service}: provider.py must list every operation it implements"
    package = f"strongroom.services.{package_name(service)}"
    ops = {snake_case(name): name for name in default_catalog().service(service).operation_names}
    body = {
        name: _function(value)
        for name, value in vars(provider).items()
        if not name.startswith("_") and inspect.isfunction(_function(value))
    }

    # 1. named after model operations, and what getattr finds
    assert not set(body) - set(ops), f"{service}: not model operations: {sorted(set(body) - set(ops))}"
    for name, fn in body.items():
        assert _function(getattr(provider, name)) is fn, f"{service}: {name} resolves elsewhere"

    # 2. one implementation, inside the package
    own = [c for c in provider.__mro__ if c.__module__.startswith(package + ".")]
    for name, fn in body.items():
        assert fn.__module__.startswith(package + "."), f"{service}: {name} is implemented in {fn.__module__}"
        implementations = {id(_function(vars(c)[name])) for c in own if name in vars(c)}
        assert implementations == {id(fn)}, f"{service}: {name} has {len(implementations)} implementations"

    # 3. nothing implemented by a family but left out of the index
    unlisted = sorted(
        name
        for cls in own
        for name, value in vars(cls).items()
        if name in ops and inspect.isfunction(_function(value)) and name not in body
    )
    assert not unlisted, f"{service}: family methods not listed in provider.py: {unlisted}"

    # 4. the operations table agrees with the index
    try:
        table = importlib.import_module(f"{package}.operations").OPERATIONS
    except ModuleNotFoundError:
        return
    assert set(table) == {ops[name] for name in body}, f"{service}: operations.py and provider.py disagree"
