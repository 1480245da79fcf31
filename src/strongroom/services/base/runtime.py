"""What a service may use of the server's runtime, and the request context services are handed.

Services type against ``ServiceRuntime`` (a Protocol naming only types of lower layers), never against
``server.runtime.Runtime``; the server's ``Runtime`` satisfies it. ``RequestContext`` here is
``core.context.RequestContext`` bound to that runtime, so every provider annotates ``ctx: RequestContext``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

from strongroom.audit.runtime import AuditRuntime
from strongroom.core import context

if TYPE_CHECKING:
    from botocore.model import OperationModel

    from strongroom.audit.store import AuditLog
    from strongroom.protocol.catalog import Catalog


class ProviderLookup(Protocol):
    def provider(self, service: str) -> object | None: ...


class ServiceRuntime(AuditRuntime, context.CallRuntime, Protocol):
    """The members of the server's runtime a service may use (read-only: a Protocol attribute would be invariant):
    the audit log's (config, store, seal, scheduler, accounts) and the ones below."""

    @property
    def audit(self) -> AuditLog: ...
    @property
    def catalog(self) -> Catalog: ...
    @property
    def providers(self) -> ProviderLookup: ...

    def reuse_call(
        self,
        ctx: RequestContext,
        service: str,
        operation: str,
        params: dict[str, Any],
        *,
        via: str,
        check: Callable[[RequestContext], dict[str, Any] | None],
    ) -> bool:
        """``ctx.call`` for an earlier result the caller reuses: authorized and recorded as the call, ``check``
        re-checking what the handler would; False (nothing recorded) when ``check`` says it may not be reused."""
        ...

    def authorize(self, ctx: RequestContext, operation: OperationModel, params: dict[str, Any]) -> None:
        """Policy evaluation alone, as the pipeline does it (Secrets Manager's BatchGetSecretValue, per secret)."""
        ...


RequestContext: TypeAlias = context.RequestContext[ServiceRuntime]
