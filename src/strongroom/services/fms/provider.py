"""AWS Firewall Manager: the index of every operation Strongroom serves, grouped by family file.

Served: the administrator, WAFV2 and SHIELD_ADVANCED policies with their remediation cycle (remediation.py, a
scheduled job), compliance, member accounts, apps and protocols lists, resource sets, the notification channel and
tags. Not implemented (501): third-party firewalls (AssociateThirdPartyFirewall, DisassociateThirdPartyFirewall,
GetThirdPartyFirewallAssociationStatus, ListThirdPartyFirewallFirewallPolicies), GetProtectionStatus and
GetViolationDetails.
"""

from __future__ import annotations

from strongroom.services.fms.admin import AdminOperations
from strongroom.services.fms.compliance import ComplianceOperations
from strongroom.services.fms.lists import ListOperations
from strongroom.services.fms.policies import PolicyOperations
from strongroom.services.fms.remediation import RemediationJobs
from strongroom.services.fms.resourcesets import ResourceSetOperations
from strongroom.services.fms.tagging import TaggingOperations


class Provider(
    AdminOperations,
    PolicyOperations,
    ComplianceOperations,
    ListOperations,
    ResourceSetOperations,
    TaggingOperations,
    RemediationJobs,
):
    """AWS Firewall Manager over Strongroom's Organizations, WAF v2 and API Gateway."""

    # admin.py
    associate_admin_account = AdminOperations.associate_admin_account
    disassociate_admin_account = AdminOperations.disassociate_admin_account
    get_admin_account = AdminOperations.get_admin_account
    get_admin_scope = AdminOperations.get_admin_scope
    list_admin_accounts_for_organization = AdminOperations.list_admin_accounts_for_organization
    list_admins_managing_account = AdminOperations.list_admins_managing_account
    list_member_accounts = AdminOperations.list_member_accounts
    put_admin_account = AdminOperations.put_admin_account

    # policies.py
    delete_policy = PolicyOperations.delete_policy
    get_policy = PolicyOperations.get_policy
    list_policies = PolicyOperations.list_policies
    put_policy = PolicyOperations.put_policy

    # compliance.py
    get_compliance_detail = ComplianceOperations.get_compliance_detail
    list_compliance_status = ComplianceOperations.list_compliance_status

    # lists.py
    delete_apps_list = ListOperations.delete_apps_list
    delete_protocols_list = ListOperations.delete_protocols_list
    get_apps_list = ListOperations.get_apps_list
    get_protocols_list = ListOperations.get_protocols_list
    list_apps_lists = ListOperations.list_apps_lists
    list_protocols_lists = ListOperations.list_protocols_lists
    put_apps_list = ListOperations.put_apps_list
    put_protocols_list = ListOperations.put_protocols_list

    # resourcesets.py
    batch_associate_resource = ResourceSetOperations.batch_associate_resource
    batch_disassociate_resource = ResourceSetOperations.batch_disassociate_resource
    delete_resource_set = ResourceSetOperations.delete_resource_set
    get_resource_set = ResourceSetOperations.get_resource_set
    list_discovered_resources = ResourceSetOperations.list_discovered_resources
    list_resource_set_resources = ResourceSetOperations.list_resource_set_resources
    list_resource_sets = ResourceSetOperations.list_resource_sets
    put_resource_set = ResourceSetOperations.put_resource_set

    # tagging.py
    delete_notification_channel = TaggingOperations.delete_notification_channel
    get_notification_channel = TaggingOperations.get_notification_channel
    list_tags_for_resource = TaggingOperations.list_tags_for_resource
    put_notification_channel = TaggingOperations.put_notification_channel
    tag_resource = TaggingOperations.tag_resource
    untag_resource = TaggingOperations.untag_resource
