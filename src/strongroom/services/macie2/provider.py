"""Amazon Macie: the index of every operation Strongroom serves, grouped by family file.

Every operation of Macie's model is served.
"""

from __future__ import annotations

from strongroom.services.macie2.buckets import BucketOperations
from strongroom.services.macie2.findings import FindingOperations
from strongroom.services.macie2.identifiers import IdentifierOperations
from strongroom.services.macie2.invitations import InvitationOperations
from strongroom.services.macie2.jobs import JobOperations
from strongroom.services.macie2.members import MemberOperations
from strongroom.services.macie2.profiles import ProfileOperations
from strongroom.services.macie2.reveal import RevealOperations
from strongroom.services.macie2.samples import SampleOperations
from strongroom.services.macie2.scopes import ScopeOperations
from strongroom.services.macie2.session import SessionOperations
from strongroom.services.macie2.tagging import TaggingOperations
from strongroom.services.macie2.usage import UsageOperations


class Provider(
    SessionOperations,
    ProfileOperations,  # DiscoveryOperations (RunnerOperations (Identifier-, BucketOperations), ScopeOperations)
    JobOperations,
    FindingOperations,
    MemberOperations,
    InvitationOperations,
    UsageOperations,
    RevealOperations,
    SampleOperations,
    TaggingOperations,
):
    """Amazon Macie over S3's buckets, classifying objects with ``strongroom.sensitive``."""

    # session.py
    disable_macie = SessionOperations.disable_macie
    enable_macie = SessionOperations.enable_macie
    get_macie_session = SessionOperations.get_macie_session
    update_macie_session = SessionOperations.update_macie_session

    # identifiers.py
    batch_get_custom_data_identifiers = IdentifierOperations.batch_get_custom_data_identifiers
    create_allow_list = IdentifierOperations.create_allow_list
    create_custom_data_identifier = IdentifierOperations.create_custom_data_identifier
    delete_allow_list = IdentifierOperations.delete_allow_list
    delete_custom_data_identifier = IdentifierOperations.delete_custom_data_identifier
    get_allow_list = IdentifierOperations.get_allow_list
    get_custom_data_identifier = IdentifierOperations.get_custom_data_identifier
    list_allow_lists = IdentifierOperations.list_allow_lists
    list_custom_data_identifiers = IdentifierOperations.list_custom_data_identifiers
    list_managed_data_identifiers = IdentifierOperations.list_managed_data_identifiers
    test_custom_data_identifier = IdentifierOperations.test_custom_data_identifier
    update_allow_list = IdentifierOperations.update_allow_list

    # buckets.py
    describe_buckets = BucketOperations.describe_buckets
    get_bucket_statistics = BucketOperations.get_bucket_statistics
    search_resources = BucketOperations.search_resources

    # jobs.py
    create_classification_job = JobOperations.create_classification_job
    describe_classification_job = JobOperations.describe_classification_job
    list_classification_jobs = JobOperations.list_classification_jobs
    update_classification_job = JobOperations.update_classification_job

    # findings.py
    create_findings_filter = FindingOperations.create_findings_filter
    delete_findings_filter = FindingOperations.delete_findings_filter
    get_finding_statistics = FindingOperations.get_finding_statistics
    get_findings = FindingOperations.get_findings
    get_findings_filter = FindingOperations.get_findings_filter
    list_findings = FindingOperations.list_findings
    list_findings_filters = FindingOperations.list_findings_filters
    update_findings_filter = FindingOperations.update_findings_filter

    # members.py
    create_member = MemberOperations.create_member
    delete_member = MemberOperations.delete_member
    describe_organization_configuration = MemberOperations.describe_organization_configuration
    disable_organization_admin_account = MemberOperations.disable_organization_admin_account
    disassociate_member = MemberOperations.disassociate_member
    enable_organization_admin_account = MemberOperations.enable_organization_admin_account
    get_administrator_account = MemberOperations.get_administrator_account
    get_master_account = MemberOperations.get_master_account
    get_member = MemberOperations.get_member
    list_members = MemberOperations.list_members
    list_organization_admin_accounts = MemberOperations.list_organization_admin_accounts
    update_organization_configuration = MemberOperations.update_organization_configuration

    # invitations.py
    accept_invitation = InvitationOperations.accept_invitation
    create_invitations = InvitationOperations.create_invitations
    decline_invitations = InvitationOperations.decline_invitations
    delete_invitations = InvitationOperations.delete_invitations
    disassociate_from_administrator_account = InvitationOperations.disassociate_from_administrator_account
    disassociate_from_master_account = InvitationOperations.disassociate_from_master_account
    get_invitations_count = InvitationOperations.get_invitations_count
    list_invitations = InvitationOperations.list_invitations
    update_member_session = InvitationOperations.update_member_session

    # scopes.py
    batch_update_automated_discovery_accounts = ScopeOperations.batch_update_automated_discovery_accounts
    list_automated_discovery_accounts = ScopeOperations.list_automated_discovery_accounts
    get_classification_scope = ScopeOperations.get_classification_scope
    get_findings_publication_configuration = ScopeOperations.get_findings_publication_configuration
    get_sensitivity_inspection_template = ScopeOperations.get_sensitivity_inspection_template
    list_classification_scopes = ScopeOperations.list_classification_scopes
    list_sensitivity_inspection_templates = ScopeOperations.list_sensitivity_inspection_templates
    put_findings_publication_configuration = ScopeOperations.put_findings_publication_configuration
    update_classification_scope = ScopeOperations.update_classification_scope
    update_sensitivity_inspection_template = ScopeOperations.update_sensitivity_inspection_template

    # profiles.py
    get_resource_profile = ProfileOperations.get_resource_profile
    list_resource_profile_artifacts = ProfileOperations.list_resource_profile_artifacts
    list_resource_profile_detections = ProfileOperations.list_resource_profile_detections
    update_resource_profile = ProfileOperations.update_resource_profile
    update_resource_profile_detections = ProfileOperations.update_resource_profile_detections

    # usage.py
    get_usage_statistics = UsageOperations.get_usage_statistics
    get_usage_totals = UsageOperations.get_usage_totals

    # reveal.py
    get_automated_discovery_configuration = RevealOperations.get_automated_discovery_configuration
    get_classification_export_configuration = RevealOperations.get_classification_export_configuration
    get_reveal_configuration = RevealOperations.get_reveal_configuration
    get_sensitive_data_occurrences = RevealOperations.get_sensitive_data_occurrences
    get_sensitive_data_occurrences_availability = RevealOperations.get_sensitive_data_occurrences_availability
    put_classification_export_configuration = RevealOperations.put_classification_export_configuration
    update_automated_discovery_configuration = RevealOperations.update_automated_discovery_configuration
    update_reveal_configuration = RevealOperations.update_reveal_configuration

    # samples.py
    create_sample_findings = SampleOperations.create_sample_findings

    # tagging.py
    list_tags_for_resource = TaggingOperations.list_tags_for_resource
    tag_resource = TaggingOperations.tag_resource
    untag_resource = TaggingOperations.untag_resource
