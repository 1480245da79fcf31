"""AWS Shield Advanced: the index of every operation Strongroom serves, grouped by family file.

Every operation of the model is served (docs/shield.md says what differs from AWS).
"""

from __future__ import annotations

from strongroom.services.shield.attacks import AttackOperations
from strongroom.services.shield.groups import GroupOperations
from strongroom.services.shield.mitigation import MitigationOperations
from strongroom.services.shield.protections import ProtectionOperations
from strongroom.services.shield.subscription import SubscriptionOperations
from strongroom.services.shield.tagging import TaggingOperations


class Provider(
    SubscriptionOperations,
    ProtectionOperations,
    GroupOperations,
    AttackOperations,
    MitigationOperations,
    TaggingOperations,
):
    """AWS Shield Advanced: subscription, protections and groups, attacks detected from traffic, mitigation."""

    # subscription.py
    associate_drt_log_bucket = SubscriptionOperations.associate_drt_log_bucket
    associate_drt_role = SubscriptionOperations.associate_drt_role
    associate_proactive_engagement_details = SubscriptionOperations.associate_proactive_engagement_details
    create_subscription = SubscriptionOperations.create_subscription
    delete_subscription = SubscriptionOperations.delete_subscription
    describe_drt_access = SubscriptionOperations.describe_drt_access
    describe_emergency_contact_settings = SubscriptionOperations.describe_emergency_contact_settings
    describe_subscription = SubscriptionOperations.describe_subscription
    disable_proactive_engagement = SubscriptionOperations.disable_proactive_engagement
    disassociate_drt_log_bucket = SubscriptionOperations.disassociate_drt_log_bucket
    disassociate_drt_role = SubscriptionOperations.disassociate_drt_role
    enable_proactive_engagement = SubscriptionOperations.enable_proactive_engagement
    get_subscription_state = SubscriptionOperations.get_subscription_state
    update_emergency_contact_settings = SubscriptionOperations.update_emergency_contact_settings
    update_subscription = SubscriptionOperations.update_subscription

    # protections.py
    associate_health_check = ProtectionOperations.associate_health_check
    create_protection = ProtectionOperations.create_protection
    delete_protection = ProtectionOperations.delete_protection
    describe_protection = ProtectionOperations.describe_protection
    disassociate_health_check = ProtectionOperations.disassociate_health_check
    list_protections = ProtectionOperations.list_protections

    # groups.py
    create_protection_group = GroupOperations.create_protection_group
    delete_protection_group = GroupOperations.delete_protection_group
    describe_protection_group = GroupOperations.describe_protection_group
    list_protection_groups = GroupOperations.list_protection_groups
    list_resources_in_protection_group = GroupOperations.list_resources_in_protection_group
    update_protection_group = GroupOperations.update_protection_group

    # attacks.py
    describe_attack = AttackOperations.describe_attack
    describe_attack_statistics = AttackOperations.describe_attack_statistics
    list_attacks = AttackOperations.list_attacks

    # mitigation.py
    disable_application_layer_automatic_response = MitigationOperations.disable_application_layer_automatic_response
    enable_application_layer_automatic_response = MitigationOperations.enable_application_layer_automatic_response
    update_application_layer_automatic_response = MitigationOperations.update_application_layer_automatic_response

    # tagging.py
    list_tags_for_resource = TaggingOperations.list_tags_for_resource
    tag_resource = TaggingOperations.tag_resource
    untag_resource = TaggingOperations.untag_resource
