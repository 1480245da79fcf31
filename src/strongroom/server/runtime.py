"""Everything one server process holds: configuration, store, seal, directories, providers, scheduler."""

from __future__ import annotations

import functools
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from strongroom.audit.store import AuditLog
from strongroom.core.config import Config
from strongroom.events.bus import publish_api_call_event
from strongroom.iam.accounts import AccountDirectory
from strongroom.iam.authorize import Authorizer
from strongroom.keyring.factory import is_initialised, open_seal
from strongroom.keyring.seal import Seal
from strongroom.protocol.catalog import Catalog, default_catalog
from strongroom.scheduler.jobs import Scheduler
from strongroom.server.metrics import GuardDutyLiveCollector, Metrics
from strongroom.server.pipeline import Pipeline
from strongroom.services.cloudtrail.delivery import S3TrailObjects
from strongroom.services.guardduty.live import feed_audit_records, live_detector
from strongroom.services.organizations.effective import org_record
from strongroom.services.registry import ProviderRegistry
from strongroom.services.wafv2.ratecounters import close_rate_stores
from strongroom.store.blobs import BlobStore, open_blob_store
from strongroom.store.engine import Store
from strongroom.waf.geoip import IpResolvers, open_resolvers

if TYPE_CHECKING:
    from botocore.model import OperationModel

    from strongroom.core.context import RequestContext

log = logging.getLogger("strongroom")


class NotInitialised(Exception):
    """The data directory has not been set up with ``strongroom init``."""


@dataclass
class Runtime:
    config: Config
    store: Store
    seal: Seal
    accounts: AccountDirectory
    catalog: Catalog
    metrics: Metrics
    node_id: str
    # The server listens before the providers load (start-up ≤ 1.5 s): its app loads them in the background.
    defer_providers: bool = False

    def __post_init__(self) -> None:
        self.providers = ProviderRegistry(self)
        self.scheduler = Scheduler(self.store, self.node_id, interval=self.config.scheduler_interval)
        self.audit = AuditLog(self)
        self.audit.on_api_call(partial(publish_api_call_event, self))
        self.audit.on_records(partial(feed_audit_records, self))  # GuardDuty's live detector: every record
        self.metrics.registry.register(GuardDutyLiveCollector(self.audit, partial(live_detector, self)))
        trail_objects = S3TrailObjects(self)  # CloudTrail's in-process S3: trail files, bucket owners of data events
        self.audit.object_sink = trail_objects
        self.audit.data_events.bucket_owner = trail_objects.bucket_owner
        # SCPs, RCPs and the aws:*Org* keys read Organizations in-process (iam/ never imports a service).
        self.authorizer = Authorizer(self.store, self.catalog, self.providers.access, partial(org_record, self.store))
        self.pipeline = Pipeline(self)
        # Set once every provider is loaded (their scheduled jobs registered): at once unless the server defers
        # it (``open(..., defer_providers=True)``), then by ``load_providers`` in the app's background loader.
        self.providers_loaded = threading.Event()
        if not self.defer_providers:
            self.load_providers()

    def load_providers(self) -> None:
        """Load every service's provider (``ProviderRegistry.load_all``); idempotent, safe beside requests."""
        self.providers.load_all(tuple(self.catalog.services))
        self.providers_loaded.set()

    def wait_providers(self, timeout: float = 120.0) -> None:
        """Block until every provider is loaded: what needs every scheduled job's handler (a clock advance runs
        the jobs that became due; a reset clears every provider's caches) waits for the background loader."""
        if not self.providers_loaded.wait(timeout):
            raise TimeoutError("the services' providers did not finish loading")

    @functools.cached_property
    def blobs(self) -> BlobStore:
        """Where S3 object bodies live (``--blob-store``), opened on first use."""
        return open_blob_store(self.config.blob_store, data_dir=self.config.data_dir, store=self.store)

    @functools.cached_property
    def waf_ip_resolvers(self) -> IpResolvers:
        """Country / region / ASN lookups for the WAF's enforcement points (``--geoip-db`` / ``--asn-db``): pass
        ``country_resolver=r.country, region_resolver=r.region, asn_resolver=r.asn`` to ``WafRequest``."""
        return open_resolvers(self.config.geoip_db, self.config.asn_db)

    def call(
        self, ctx: RequestContext[Any], service: str, operation: str, params: dict[str, Any], *, via: str
    ) -> dict[str, Any]:
        """Run another service's operation in-process as ``ctx``'s caller (``RequestContext.call``)."""
        return self.pipeline.call(ctx, service, operation, params, via=via)

    def reuse_call(
        self,
        ctx: RequestContext[Any],
        service: str,
        operation: str,
        params: dict[str, Any],
        *,
        via: str,
        check: Callable[[RequestContext[Any]], dict[str, Any] | None],
    ) -> bool:
        """An in-process call whose earlier result ``ctx``'s caller reuses (``Pipeline.reuse_call``)."""
        return self.pipeline.reuse_call(ctx, service, operation, params, via=via, check=check)

    def authorize(self, ctx: RequestContext[Any], operation: OperationModel, params: dict[str, Any]) -> None:
        """The pipeline's access-control step alone (Secrets Manager's BatchGetSecretValue, per secret)."""
        self.pipeline.authorize(ctx, operation, params)

    @staticmethod
    def open(config: Config, *, migrate: bool = True, defer_providers: bool = False) -> Runtime:
        if not is_initialised(config):
            raise NotInitialised(
                f"{config.data_dir} is not initialised; run `strongroom init --data-dir {config.data_dir}`"
            )
        store = Store(config.effective_database_url())
        if migrate:
            store.migrate()
        seal = open_seal(config)
        if seal.is_sealed:
            log.warning("starting sealed", extra={"provider": seal.name, "reason": seal.reason})
        node_id = f"{socket.gethostname()}:{os.getpid()}"
        directory = AccountDirectory(store, seal)
        return Runtime(config, store, seal, directory, default_catalog(), Metrics(), node_id, defer_providers)

    def close(self) -> None:
        self.scheduler.stop()
        self.audit.stop()
        if "blobs" in self.__dict__:
            self.blobs.close()
        close_rate_stores(self.store)  # WAF rate counters' unwritten hits (write-behind)
        self.store.dispose()
