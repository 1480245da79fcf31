"""Amazon EventBridge: the index of every operation Strongroom serves, grouped by the family module implementing it.

Each line points at the one function implementing an operation (``tests/unit/test_providers_index.py``); the
operations' facts are in ``operations.py``.
"""

from __future__ import annotations

from typing import ClassVar

from strongroom.events.delivery import JOB_KIND
from strongroom.events.targets import run_delivery
from strongroom.scheduler.jobs import JobContext, JobResult
from strongroom.services.events.archives import REPLAY_JOB, ArchiveOperations
from strongroom.services.events.buses import BusOperations
from strongroom.services.events.connections import ConnectionOperations
from strongroom.services.events.permissions import PermissionOperations
from strongroom.services.events.publishing import PublishingOperations
from strongroom.services.events.rules import SCHEDULE_JOB, RuleOperations
from strongroom.services.events.target_ops import TargetOperations


class Provider(
    BusOperations,
    RuleOperations,
    TargetOperations,
    PublishingOperations,
    ConnectionOperations,
    ArchiveOperations,
    PermissionOperations,
):
    """Every EventBridge operation Strongroom serves; see docs/events.md for what differs from AWS."""

    scheduled_jobs: ClassVar[dict[str, str]] = {
        JOB_KIND: "_deliver",
        SCHEDULE_JOB: "fire_schedule",
        REPLAY_JOB: "run_replay",
    }

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

    # archives.py
    cancel_replay = ArchiveOperations.cancel_replay
    create_archive = ArchiveOperations.create_archive
    delete_archive = ArchiveOperations.delete_archive
    describe_archive = ArchiveOperations.describe_archive
    describe_replay = ArchiveOperations.describe_replay
    list_archives = ArchiveOperations.list_archives
    list_replays = ArchiveOperations.list_replays
    start_replay = ArchiveOperations.start_replay
    update_archive = ArchiveOperations.update_archive

    # permissions.py
    activate_event_source = PermissionOperations.activate_event_source
    create_endpoint = PermissionOperations.create_endpoint
    create_partner_event_source = PermissionOperations.create_partner_event_source
    deactivate_event_source = PermissionOperations.deactivate_event_source
    delete_endpoint = PermissionOperations.delete_endpoint
    delete_partner_event_source = PermissionOperations.delete_partner_event_source
    describe_endpoint = PermissionOperations.describe_endpoint
    describe_event_source = PermissionOperations.describe_event_source
    describe_partner_event_source = PermissionOperations.describe_partner_event_source
    list_endpoints = PermissionOperations.list_endpoints
    list_event_sources = PermissionOperations.list_event_sources
    list_partner_event_source_accounts = PermissionOperations.list_partner_event_source_accounts
    list_partner_event_sources = PermissionOperations.list_partner_event_sources
    put_partner_events = PermissionOperations.put_partner_events
    put_permission = PermissionOperations.put_permission
    remove_permission = PermissionOperations.remove_permission
    update_endpoint = PermissionOperations.update_endpoint

    # the scheduler's jobs (scheduled_jobs above)
    def _deliver(self, job: JobContext) -> JobResult | None:
        return run_delivery(self.runtime, job)
