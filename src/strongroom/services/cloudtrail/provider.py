"""AWS CloudTrail: the index of every operation Strongroom serves, grouped by family file. See docs/audit.md."""

from __future__ import annotations

from strongroom.services.cloudtrail.history import EventHistoryOperations
from strongroom.services.cloudtrail.insights import InsightOperations
from strongroom.services.cloudtrail.lake import LakeOperations
from strongroom.services.cloudtrail.lake_extras import LakeExtraOperations
from strongroom.services.cloudtrail.trails import TrailOperations


class Provider(TrailOperations, EventHistoryOperations, LakeExtraOperations, InsightOperations):
    """Every CloudTrail operation Strongroom serves; the rest answer NotImplemented."""

    # trails.py
    add_tags = TrailOperations.add_tags
    create_trail = TrailOperations.create_trail
    delete_trail = TrailOperations.delete_trail
    describe_trails = TrailOperations.describe_trails
    get_event_selectors = TrailOperations.get_event_selectors
    get_insight_selectors = TrailOperations.get_insight_selectors
    get_trail = TrailOperations.get_trail
    get_trail_status = TrailOperations.get_trail_status
    list_tags = TrailOperations.list_tags
    list_trails = TrailOperations.list_trails
    put_event_selectors = TrailOperations.put_event_selectors
    put_insight_selectors = TrailOperations.put_insight_selectors
    remove_tags = TrailOperations.remove_tags
    start_logging = TrailOperations.start_logging
    stop_logging = TrailOperations.stop_logging
    update_trail = TrailOperations.update_trail

    # history.py
    list_public_keys = EventHistoryOperations.list_public_keys
    lookup_events = EventHistoryOperations.lookup_events

    # lake.py
    cancel_query = LakeOperations.cancel_query
    create_event_data_store = LakeOperations.create_event_data_store
    delete_event_data_store = LakeOperations.delete_event_data_store
    describe_query = LakeOperations.describe_query
    get_event_data_store = LakeOperations.get_event_data_store
    get_query_results = LakeOperations.get_query_results
    list_event_data_stores = LakeOperations.list_event_data_stores
    list_queries = LakeOperations.list_queries
    restore_event_data_store = LakeOperations.restore_event_data_store
    start_event_data_store_ingestion = LakeOperations.start_event_data_store_ingestion
    start_query = LakeOperations.start_query
    stop_event_data_store_ingestion = LakeOperations.stop_event_data_store_ingestion
    update_event_data_store = LakeOperations.update_event_data_store

    # lake_extras.py
    create_channel = LakeExtraOperations.create_channel
    create_dashboard = LakeExtraOperations.create_dashboard
    delete_channel = LakeExtraOperations.delete_channel
    delete_dashboard = LakeExtraOperations.delete_dashboard
    delete_resource_policy = LakeExtraOperations.delete_resource_policy
    deregister_organization_delegated_admin = LakeExtraOperations.deregister_organization_delegated_admin
    disable_federation = LakeExtraOperations.disable_federation
    enable_federation = LakeExtraOperations.enable_federation
    generate_query = LakeExtraOperations.generate_query
    get_channel = LakeExtraOperations.get_channel
    get_dashboard = LakeExtraOperations.get_dashboard
    get_event_configuration = LakeExtraOperations.get_event_configuration
    get_import = LakeExtraOperations.get_import
    get_resource_policy = LakeExtraOperations.get_resource_policy
    list_channels = LakeExtraOperations.list_channels
    list_dashboards = LakeExtraOperations.list_dashboards
    list_import_failures = LakeExtraOperations.list_import_failures
    list_imports = LakeExtraOperations.list_imports
    put_event_configuration = LakeExtraOperations.put_event_configuration
    put_resource_policy = LakeExtraOperations.put_resource_policy
    register_organization_delegated_admin = LakeExtraOperations.register_organization_delegated_admin
    search_sample_queries = LakeExtraOperations.search_sample_queries
    start_dashboard_refresh = LakeExtraOperations.start_dashboard_refresh
    start_import = LakeExtraOperations.start_import
    stop_import = LakeExtraOperations.stop_import
    update_channel = LakeExtraOperations.update_channel
    update_dashboard = LakeExtraOperations.update_dashboard

    # insights.py
    list_insights_data = InsightOperations.list_insights_data
    list_insights_metric_data = InsightOperations.list_insights_metric_data
