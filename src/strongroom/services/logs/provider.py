"""Amazon CloudWatch Logs: the index of every operation Strongroom serves, grouped by family file."""

from __future__ import annotations

from strongroom.services.logs.groups import GroupOperations
from strongroom.services.logs.log_events import EventOperations
from strongroom.services.logs.streams import StreamOperations
from strongroom.services.logs.tagging import TaggingOperations


class Provider(GroupOperations, StreamOperations, EventOperations, TaggingOperations):
    """CloudWatch Logs' groups, streams, events and tags (no metric or subscription filters, no Insights)."""

    # groups.py
    associate_kms_key = GroupOperations.associate_kms_key
    create_log_group = GroupOperations.create_log_group
    delete_log_group = GroupOperations.delete_log_group
    delete_retention_policy = GroupOperations.delete_retention_policy
    describe_log_groups = GroupOperations.describe_log_groups
    disassociate_kms_key = GroupOperations.disassociate_kms_key
    put_retention_policy = GroupOperations.put_retention_policy

    # streams.py
    create_log_stream = StreamOperations.create_log_stream
    delete_log_stream = StreamOperations.delete_log_stream
    describe_log_streams = StreamOperations.describe_log_streams

    # log_events.py
    filter_log_events = EventOperations.filter_log_events
    get_log_events = EventOperations.get_log_events
    put_log_events = EventOperations.put_log_events

    # tagging.py
    list_tags_for_resource = TaggingOperations.list_tags_for_resource
    list_tags_log_group = TaggingOperations.list_tags_log_group
    tag_log_group = TaggingOperations.tag_log_group
    tag_resource = TaggingOperations.tag_resource
    untag_log_group = TaggingOperations.untag_log_group
    untag_resource = TaggingOperations.untag_resource
