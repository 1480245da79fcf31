"""AWS CloudTrail: the index of every operation Strongroom serves, grouped by family file. See docs/audit.md."""

from __future__ import annotations

from strongroom.services.cloudtrail.history import EventHistoryOperations
from strongroom.services.cloudtrail.trails import TrailOperations


class Provider(TrailOperations, EventHistoryOperations):
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
