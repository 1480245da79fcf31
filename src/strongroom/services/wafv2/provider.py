"""AWS WAF v2 (control plane): the index of every operation Strongroom serves, grouped by family file.

Not implemented (501): Firewall Manager rule groups (DeleteFirewallManagerRuleGroups), the mobile SDK releases
(GenerateMobileSdkReleaseUrl, GetMobileSdkRelease, ListMobileSdkReleases: AWS hosts the SDK downloads), and the
bot-monetization / event statistics operations (GetEvent*, ListEvent*, GetRevenueStatistics*, ListSettlementRecords,
GetTopPathStatisticsByTraffic).

firewall_manager.py serves no operation: it is the in-process API Firewall Manager's remediation uses.
"""

from __future__ import annotations

from strongroom.services.wafv2.acls import AclOperations
from strongroom.services.wafv2.associations import AssociationOperations
from strongroom.services.wafv2.captcha import CaptchaOperations
from strongroom.services.wafv2.firewall_manager import FirewallManagerRules
from strongroom.services.wafv2.logging_ import LoggingOperations
from strongroom.services.wafv2.managed import ManagedOperations
from strongroom.services.wafv2.ratecounters import RateCounterJobs
from strongroom.services.wafv2.sets import SetOperations
from strongroom.services.wafv2.tagging import TaggingOperations
from strongroom.services.wafv2.traffic import TrafficOperations


class Provider(
    AclOperations,
    SetOperations,
    AssociationOperations,
    LoggingOperations,
    ManagedOperations,
    TrafficOperations,
    CaptchaOperations,
    TaggingOperations,
    RateCounterJobs,
    FirewallManagerRules,
):
    """AWS WAF v2: web ACLs, rule groups, IP and regex pattern sets, associations, logging, CAPTCHA keys."""

    # acls.py
    check_capacity = AclOperations.check_capacity
    create_rule_group = AclOperations.create_rule_group
    create_web_acl = AclOperations.create_web_acl
    delete_rule_group = AclOperations.delete_rule_group
    delete_web_acl = AclOperations.delete_web_acl
    get_rule_group = AclOperations.get_rule_group
    get_web_acl = AclOperations.get_web_acl
    list_rule_groups = AclOperations.list_rule_groups
    list_web_acls = AclOperations.list_web_acls
    update_rule_group = AclOperations.update_rule_group
    update_web_acl = AclOperations.update_web_acl

    # sets.py
    create_ip_set = SetOperations.create_ip_set
    create_regex_pattern_set = SetOperations.create_regex_pattern_set
    delete_ip_set = SetOperations.delete_ip_set
    delete_regex_pattern_set = SetOperations.delete_regex_pattern_set
    get_ip_set = SetOperations.get_ip_set
    get_regex_pattern_set = SetOperations.get_regex_pattern_set
    list_ip_sets = SetOperations.list_ip_sets
    list_regex_pattern_sets = SetOperations.list_regex_pattern_sets
    update_ip_set = SetOperations.update_ip_set
    update_regex_pattern_set = SetOperations.update_regex_pattern_set

    # associations.py
    associate_web_acl = AssociationOperations.associate_web_acl
    disassociate_web_acl = AssociationOperations.disassociate_web_acl
    get_web_acl_for_resource = AssociationOperations.get_web_acl_for_resource
    list_resources_for_web_acl = AssociationOperations.list_resources_for_web_acl

    # logging_.py
    delete_logging_configuration = LoggingOperations.delete_logging_configuration
    get_logging_configuration = LoggingOperations.get_logging_configuration
    list_logging_configurations = LoggingOperations.list_logging_configurations
    put_logging_configuration = LoggingOperations.put_logging_configuration

    # managed.py
    describe_all_managed_products = ManagedOperations.describe_all_managed_products
    describe_managed_products_by_vendor = ManagedOperations.describe_managed_products_by_vendor
    describe_managed_rule_group = ManagedOperations.describe_managed_rule_group
    get_managed_rule_set = ManagedOperations.get_managed_rule_set
    list_available_managed_rule_group_versions = ManagedOperations.list_available_managed_rule_group_versions
    list_available_managed_rule_groups = ManagedOperations.list_available_managed_rule_groups
    list_managed_rule_sets = ManagedOperations.list_managed_rule_sets
    put_managed_rule_set_versions = ManagedOperations.put_managed_rule_set_versions
    update_managed_rule_set_version_expiry_date = ManagedOperations.update_managed_rule_set_version_expiry_date

    # traffic.py
    get_rate_based_statement_managed_keys = TrafficOperations.get_rate_based_statement_managed_keys
    get_sampled_requests = TrafficOperations.get_sampled_requests

    # captcha.py
    create_api_key = CaptchaOperations.create_api_key
    delete_api_key = CaptchaOperations.delete_api_key
    get_decrypted_api_key = CaptchaOperations.get_decrypted_api_key
    list_api_keys = CaptchaOperations.list_api_keys

    # tagging.py
    delete_permission_policy = TaggingOperations.delete_permission_policy
    get_permission_policy = TaggingOperations.get_permission_policy
    list_tags_for_resource = TaggingOperations.list_tags_for_resource
    put_permission_policy = TaggingOperations.put_permission_policy
    tag_resource = TaggingOperations.tag_resource
    untag_resource = TaggingOperations.untag_resource
