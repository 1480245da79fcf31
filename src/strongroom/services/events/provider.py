"""Amazon EventBridge: the index of every operation Strongroom serves, grouped by the family module implementing it.

Each line points at the one function implementing an operation (``tests/unit/test_providers_index.py``); the
operations' facts are in ``operations.py``.
"""

from __future__ import annotations

from typing import ClassVar

from strongroom.events.delivery import JOB_KIND
from strongroom.events.targets import run_delivery
from strongroom.scheduler.jobs import JobContext, JobResult
from strongroom.services.events.buses import BusOperations
from strongroom.services.events.connections import ConnectionOperations
from strongroom.services.events.publishing import PublishingOperations
from strongroom.services.events.rules import SCHEDULE_JOB, RuleOperations
from strongroom.services.events.target_ops import TargetOperations


class Provider(BusOperations, RuleOperations, TargetOperations, PublishingOperations, ConnectionOperations):
    """Every EventBridge operation Strongroom serves; see docs/events.md for what differs from AWS."""

    scheduled_jobs: ClassVar[dict[str, str]] = {JOB_KIND: "_deliver", SCHEDULE_JOB: "fire_schedule"}

    # buses.py
    create_event_bus = BusOperations.create_event_bus
    delete_event_bus = BusOperations.delete_event_bus
    describe_event_bus = BusOperations.describe_event_bus
    list_event_buses = BusOperations.list_event_buses
    update_event_bus = BusOperations.update_event_bus
    list_tags_for_resource = BusOperations.list_tags_for_resource
    tag_resource = BusOperations.tag_resource
    untag_resource = BusOperations.untag_resource

    # rules.py
    delete_rule = RuleOperations.delete_rule
    describe_rule = RuleOperations.describe_rule
    disable_rule = RuleOperations.disable_rule
    enable_rule = RuleOperations.enable_rule
    list_rule_names_by_target = RuleOperations.list_rule_names_by_target
    list_rules = RuleOperations.list_rules
    put_rule = RuleOperations.put_rule

    # target_ops.py
    list_targets_by_rule = TargetOperations.list_targets_by_rule
    put_targets = TargetOperations.put_targets
    remove_targets = TargetOperations.remove_targets

    # publishing.py
    put_events = PublishingOperations.put_events
    test_event_pattern = PublishingOperations.test_event_pattern

    # connections.py
    create_connection = ConnectionOperations.create_connection
    deauthorize_connection = ConnectionOperations.deauthorize_connection
    delete_connection = ConnectionOperations.delete_connection
    describe_connection = ConnectionOperations.describe_connection
    list_connections = ConnectionOperations.list_connections
    update_connection = ConnectionOperations.update_connection
    create_api_destination = ConnectionOperations.create_api_destination
    delete_api_destination = ConnectionOperations.delete_api_destination
    describe_api_destination = ConnectionOperations.describe_api_destination
    list_api_destinations = ConnectionOperations.list_api_destinations
    update_api_destination = ConnectionOperations.update_api_destination

    # the scheduler's jobs (scheduled_jobs above)
    def _deliver(self, job: JobContext) -> JobResult | None:
        return run_delivery(self.runtime, job)
