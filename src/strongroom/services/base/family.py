"""The base every service's operation families share: the runtime, and registration of scheduled jobs."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from strongroom.scheduler.jobs import Scheduler
    from strongroom.services.base.runtime import ServiceRuntime


def register_jobs(provider: object, scheduler: Scheduler) -> None:
    """Register every ``scheduled_jobs = {kind: method name}`` that a class in ``provider``'s MRO declares."""
    for cls in type(provider).__mro__:
        for kind, method in vars(cls).get("scheduled_jobs", {}).items():
            scheduler.register(kind, getattr(provider, method))


class ServiceBase:
    """Shared state of one service's provider; families declare ``scheduled_jobs = {"kind": "method_name"}``.

    A service's base class sets up its own state, then calls ``super().__init__(runtime)``, which registers
    every declared handler with the scheduler.
    """

    runtime: ServiceRuntime
    scheduled_jobs: ClassVar[dict[str, str]] = {}

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        register_jobs(self, runtime.scheduler)
