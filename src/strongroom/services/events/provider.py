"""Amazon EventBridge: one method per operation, grouped by family in the modules imported here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from strongroom.events.delivery import JOB_KIND, run_delivery
from strongroom.scheduler.jobs import JobContext, JobResult
from strongroom.services.events.buses import BusOperations
from strongroom.services.events.connections import ConnectionOperations
from strongroom.services.events.publishing import PublishingOperations
from strongroom.services.events.rules import SCHEDULE_JOB, RuleOperations
from strongroom.services.events.target_ops import TargetOperations

if TYPE_CHECKING:
    from strongroom.services.base.runtime import ServiceRuntime


class Provider(BusOperations, RuleOperations, TargetOperations, PublishingOperations, ConnectionOperations):
    """Every EventBridge operation Strongroom serves; see docs/events.md for what differs from AWS."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        super().__init__(runtime)
        runtime.scheduler.register(JOB_KIND, self._deliver)
        runtime.scheduler.register(SCHEDULE_JOB, self.fire_schedule)

    def _deliver(self, job: JobContext) -> JobResult | None:
        return run_delivery(self.runtime, job)
