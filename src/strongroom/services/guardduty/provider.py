"""Amazon GuardDuty: the index of every operation Strongroom serves, grouped by family file.

Not served (``NotImplemented``): coverage (EKS/ECS/EC2 runtime), custom detection rules, investigations, threat
and trusted entity sets, member detectors' data sources, monitoring start/stop, free-trial days, organization
statistics. Malware-protection calls answer as unavailable (``usage.py``).
"""

from __future__ import annotations

from strongroom.services.guardduty.detectors import DetectorOperations
from strongroom.services.guardduty.filters import FilterOperations
from strongroom.services.guardduty.findings import FindingOperations
from strongroom.services.guardduty.members import MemberOperations
from strongroom.services.guardduty.publishing import PublishingOperations
from strongroom.services.guardduty.sets import SetOperations
from strongroom.services.guardduty.tagging import TaggingOperations
from strongroom.services.guardduty.usage import UsageOperations


class Provider(
    DetectorOperations,
    FindingOperations,
    FilterOperations,
    SetOperations,
    PublishingOperations,
    MemberOperations,
    TaggingOperations,
    UsageOperations,
):
    """Amazon GuardDuty over the audit trail (``live.py``)."""

    # detectors.py
    create_detector = DetectorOperations.create_detector
    delete_detector = DetectorOperations.delete_detector
    get_detector = DetectorOperations.get_detector
    list_detectors = DetectorOperations.list_detectors
    update_detector = DetectorOperations.update_detector

    # findings.py
    archive_findings = FindingOperations.archive_findings
    create_sample_findings = FindingOperations.create_sample_findings
    get_findings = FindingOperations.get_findings
    get_findings_statistics = FindingOperations.get_findings_statistics
    list_findings = FindingOperations.list_findings
    unarchive_findings = FindingOperations.unarchive_findings
    update_findings_feedback = FindingOperations.update_findings_feedback

    # filters.py
    create_filter = FilterOperations.create_filter
    delete_filter = FilterOperations.delete_filter
    get_filter = FilterOperations.get_filter
    list_filters = FilterOperations.list_filters
    update_filter = FilterOperations.update_filter

    # sets.py
    create_ip_set = SetOperations.create_ip_set
    create_threat_intel_set = SetOperations.create_threat_intel_set
    delete_ip_set = SetOperations.delete_ip_set
    delete_threat_intel_set = SetOperations.delete_threat_intel_set
    get_ip_set = SetOperations.get_ip_set
    get_threat_intel_set = SetOperations.get_threat_intel_set
    list_ip_sets = SetOperations.list_ip_sets
    list_threat_intel_sets = SetOperations.list_threat_intel_sets
    update_ip_set = SetOperations.update_ip_set
    update_threat_intel_set = SetOperations.update_threat_intel_set

    # publishing.py
    create_publishing_destination = PublishingOperations.create_publishing_destination
    delete_publishing_destination = PublishingOperations.delete_publishing_destination
    describe_publishing_destination = PublishingOperations.describe_publishing_destination
    list_publishing_destinations = PublishingOperations.list_publishing_destinations
    update_publishing_destination = PublishingOperations.update_publishing_destination

    # members.py
    accept_administrator_invitation = MemberOperations.accept_administrator_invitation
    accept_invitation = MemberOperations.accept_invitation
    create_members = MemberOperations.create_members
    decline_invitations = MemberOperations.decline_invitations
    delete_invitations = MemberOperations.delete_invitations
    delete_members = MemberOperations.delete_members
    describe_organization_configuration = MemberOperations.describe_organization_configuration
    disable_organization_admin_account = MemberOperations.disable_organization_admin_account
    disassociate_from_administrator_account = MemberOperations.disassociate_from_administrator_account
    disassociate_from_master_account = MemberOperations.disassociate_from_master_account
    disassociate_members = MemberOperations.disassociate_members
    enable_organization_admin_account = MemberOperations.enable_organization_admin_account
    get_administrator_account = MemberOperations.get_administrator_account
    get_invitations_count = MemberOperations.get_invitations_count
    get_master_account = MemberOperations.get_master_account
    get_members = MemberOperations.get_members
    invite_members = MemberOperations.invite_members
    list_invitations = MemberOperations.list_invitations
    list_members = MemberOperations.list_members
    list_organization_admin_accounts = MemberOperations.list_organization_admin_accounts
    update_organization_configuration = MemberOperations.update_organization_configuration

    # tagging.py
    list_tags_for_resource = TaggingOperations.list_tags_for_resource
    tag_resource = TaggingOperations.tag_resource
    untag_resource = TaggingOperations.untag_resource

    # usage.py
    create_malware_protection_plan = UsageOperations.create_malware_protection_plan
    delete_malware_protection_plan = UsageOperations.delete_malware_protection_plan
    describe_malware_scans = UsageOperations.describe_malware_scans
    get_malware_protection_plan = UsageOperations.get_malware_protection_plan
    get_malware_scan = UsageOperations.get_malware_scan
    get_malware_scan_settings = UsageOperations.get_malware_scan_settings
    get_usage_statistics = UsageOperations.get_usage_statistics
    list_malware_protection_plans = UsageOperations.list_malware_protection_plans
    list_malware_scans = UsageOperations.list_malware_scans
    send_object_malware_scan = UsageOperations.send_object_malware_scan
    start_malware_scan = UsageOperations.start_malware_scan
    update_malware_protection_plan = UsageOperations.update_malware_protection_plan
    update_malware_scan_settings = UsageOperations.update_malware_scan_settings
