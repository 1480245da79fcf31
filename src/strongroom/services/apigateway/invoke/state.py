"""What the stages share: the deployed stage (cached per deployment), the request's state, and lookups with a TTL.

Caching: a stage's configuration (``deployed.load_stage``: stage settings, variables, the deployment id) is re-read
at most every ``STAGE_TTL`` seconds per (api, stage); the deployment's compiled parts (the ``ResourceMatcher``, the
authorizers, validators, models and gateway responses by id) are built once per (api, deploymentId) and reused
until the stage points at another deployment. So a CreateDeployment / UpdateStage is served within ``STAGE_TTL``
seconds on every process, and a request between two re-reads costs no query. Unknown stages are cached (as None)
for the same time, so a flood of requests to a missing stage is not a flood of queries.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from strongroom.services.apigateway.dataplane.paths import InvokeTarget, ResourceMatcher
from strongroom.services.apigateway.deployed import StageConfig

if TYPE_CHECKING:
    import urllib3

    from strongroom.core.context import Principal
    from strongroom.iam.accounts import AccessKey
    from strongroom.iam.authorize import Authorizer
    from strongroom.services.apigateway.dataplane.throttle import Throttler
    from strongroom.services.base.runtime import ServiceRuntime

STAGE_TTL = 1.0  # seconds a stage's configuration is served from memory before it is read again
LOOKUP_TTL = 1.0  # API keys and usage plans: how stale a key's state or a plan's limits may be

Doc = dict[str, Any]
T = TypeVar("T")


class TtlCache(Generic[T]):
    """A small thread-safe map whose entries expire; bounded (cleared when full: only a cache)."""

    def __init__(self, ttl: float, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self._max = max_entries
        self._items: dict[Hashable, tuple[float, T]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, load: Callable[[], T], ttl: float | None = None) -> T:
        now = time.monotonic()
        hit = self._items.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = load()
        with self._lock:
            if len(self._items) >= self._max:
                self._items.clear()
            self._items[key] = (now + (self.ttl if ttl is None else ttl), value)
        return value

    def peek(self, key: Hashable) -> T | None:
        hit = self._items.get(key)
        return hit[1] if hit is not None and hit[0] > time.monotonic() else None

    def put(self, key: Hashable, value: T, ttl: float) -> None:
        with self._lock:
            if len(self._items) >= self._max:
                self._items.clear()
            self._items[key] = (time.monotonic() + ttl, value)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


@dataclass(frozen=True)
class Compiled:
    """A deployment's snapshot, compiled once: what every request of every stage serving it reads."""

    deployment_id: str
    matcher: ResourceMatcher
    authorizers: dict[str, Doc]
    validators: dict[str, Doc]
    models: dict[str, Doc]  # by name
    gateway_responses: dict[str, Doc]  # by response type

    @staticmethod
    def of(config: StageConfig) -> Compiled:
        snap = config.snapshot
        return Compiled(
            deployment_id=config.deployment_id,
            matcher=ResourceMatcher(config.resources()),
            authorizers={str(a.get("id")): a for a in snap.get("authorizers") or []},
            validators={str(v.get("id")): v for v in snap.get("requestValidators") or []},
            models={str(m.get("name")): m for m in snap.get("models") or []},
            gateway_responses={str(g.get("responseType")): g for g in snap.get("gatewayResponses") or []},
        )


@dataclass(frozen=True)
class Deployed:
    config: StageConfig
    compiled: Compiled


@dataclass
class RequestState:
    """The request's gateway-specific facts (on ``ctx.attributes["gateway"]``)."""

    target: InvokeTarget
    via_domain: bool = False
    region: str = ""
    deployed: Deployed | None = None
    api_key_id: str | None = None
    usage_plan: Any = None  # deployed.UsagePlanRecord of the key, for throttling and quotas
    usage_identifier: str | None = None  # an authorizer's usageIdentifierKey (apiKeySource AUTHORIZER)
    integration_request: Any = None  # what integration_request prepared for integration
    integration_result: Any = None  # what integration got back, for integration_response
    log_lines: list[str] = field(default_factory=list)

    @property
    def config(self) -> StageConfig:
        assert self.deployed is not None
        return self.deployed.config

    @property
    def compiled(self) -> Compiled:
        assert self.deployed is not None
        return self.deployed.compiled


def execute_api_arn(region: str, account: str, api_id: str, stage: str, verb: str, path: str) -> str:
    """``arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/VERB/PATH`` (path without its leading slash)."""
    return f"arn:aws:execute-api:{region}:{account}:{api_id}/{stage}/{verb}/{path.lstrip('/')}"


class GatewayParts(Protocol):
    """What the stages use of the ``Gateway`` (``gateway.py``), named here so they do not import it."""

    runtime: ServiceRuntime
    iam: Authorizer
    keys: TtlCache[Any]
    plans: TtlCache[Any]
    authorizer_answers: TtlCache[Any]
    throttler: Throttler
    http: urllib3.PoolManager

    def principal_for_key(self, key: AccessKey | None, access_key_id: str) -> Principal: ...
