"""What a provider knows about the request it serves: the caller (``Principal``) and the request (``RequestContext``).

``RequestContext`` is generic over the runtime it carries, so each layer names only the runtime members it may
use (``services/base/runtime.py``: ``ServiceRuntime``); all a context itself needs of its runtime is ``call``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from strongroom.core import ids
from strongroom.core.clock import clock

if TYPE_CHECKING:
    from strongroom.core.operations import Operation


# ``RequestContext.extras`` key: the service principal (``fms.amazonaws.com``) a request stands for when a service
# acts in an account on its own behalf — on AWS through its service-linked role or as the service principal.
# Strongroom keeps no service-linked roles: the account itself acts (see :func:`service_context`), and the
# authorizer bounds such requests by no SCP or RCP, as AWS exempts service-linked roles.
SERVICE_LINKED_ROLE = "service_linked_role"


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller, in the terms CloudTrail's userIdentity and IAM's evaluator use."""

    type: str  # Root | IAMUser | AssumedRole | AWSService
    account_id: str
    arn: str
    principal_id: str
    access_key_id: str | None = None
    user_name: str | None = None

    @staticmethod
    @lru_cache(maxsize=4096)
    def root(account_id: str, access_key_id: str | None = None) -> Principal:
        # Immutable, and asked for on every root-signed request: one object per (account, key).
        return Principal("Root", account_id, f"arn:aws:iam::{account_id}:root", account_id, access_key_id)


class CallRuntime(Protocol):
    """What a request context needs of its runtime: running another service's operation in-process."""

    def call(
        self, ctx: RequestContext[Any], service: str, operation: str, params: dict[str, Any], *, via: str
    ) -> dict[str, Any]: ...


R = TypeVar("R", bound=CallRuntime, covariant=True)


@dataclass(slots=True)
class RequestContext(Generic[R]):
    runtime: R
    request_id: str
    service: str
    operation: str
    region: str
    principal: Principal
    source_ip: str = "127.0.0.1"
    user_agent: str = ""
    extras: dict[str, object] = field(default_factory=dict)
    spec: Operation | None = None  # the operation's row of its service's operations table, once there is one

    @property
    def account_id(self) -> str:
        return self.principal.account_id

    def now(self) -> datetime:
        return clock.now()

    def call(self, service: str, operation: str, params: dict[str, Any], *, via: str | None = None) -> dict[str, Any]:
        """Call another service in-process as this request's caller (e.g. SSM -> KMS Encrypt)."""
        return self.runtime.call(self, service, operation, params, via=via or self.service)

    def arn(self, service: str, resource: str, *, region: str | None = None, account: str | None = None) -> str:
        reg = self.region if region is None else region
        acct = self.account_id if account is None else account
        return f"arn:aws:{service}:{reg}:{acct}:{resource}"


RT = TypeVar("RT", bound=CallRuntime)


def service_context(
    runtime: RT, service: str, operation: str, region: str, account_id: str, *, request_id: str | None = None
) -> RequestContext[RT]:
    """A request ``service`` makes in ``account_id`` on its own behalf (delivering logs, checking a resource it
    protects, remediating): as the account's root user, marked with :data:`SERVICE_LINKED_ROLE`."""
    return RequestContext(
        runtime,
        request_id or ids.request_id(),
        service,
        operation,
        region,
        Principal.root(account_id),
        extras={SERVICE_LINKED_ROLE: f"{service}.amazonaws.com"},
    )
