"""Amazon Inspector (inspector2): the index of every operation Strongroom serves, grouped by family file.

Scanned resources are Lambda functions (``scanning.py``); EC2, ECR and code repositories enable with nothing to
scan. Not served (``NotImplemented``): CIS scans, code-security
integrations, connectors, on-demand scans, EC2 deep inspection, encryption keys, usage totals, configuration.
"""

from __future__ import annotations

from strongroom.services.inspector2.accounts import AccountOperations
from strongroom.services.inspector2.coverage import CoverageOperations
from strongroom.services.inspector2.exports import ExportOperations
from strongroom.services.inspector2.filters import FilterOperations
from strongroom.services.inspector2.findings import FindingOperations
from strongroom.services.inspector2.members import MemberOperations
from strongroom.services.inspector2.scanning import ScanningOperations
from strongroom.services.inspector2.tagging import TaggingOperations


class Provider(
    AccountOperations,
    ScanningOperations,
    CoverageOperations,
    FindingOperations,
    FilterOperations,
    ExportOperations,
    MemberOperations,
    TaggingOperations,
):
    """Amazon Inspector over Lambda functions and the loaded OSV database."""

    # accounts.py
    batch_get_account_status = AccountOperations.batch_get_account_status
    batch_get_free_trial_info = AccountOperations.batch_get_free_trial_info
    disable = AccountOperations.disable
    enable = AccountOperations.enable

    # coverage.py
    list_coverage = CoverageOperations.list_coverage
    list_coverage_statistics = CoverageOperations.list_coverage_statistics

    # findings.py
    batch_get_finding_details = FindingOperations.batch_get_finding_details
    list_finding_aggregations = FindingOperations.list_finding_aggregations
    list_findings = FindingOperations.list_findings
    search_vulnerabilities = FindingOperations.search_vulnerabilities

    # filters.py
    create_filter = FilterOperations.create_filter
    delete_filter = FilterOperations.delete_filter
    list_filters = FilterOperations.list_filters
    update_filter = FilterOperations.update_filter

    # exports.py
    cancel_findings_report = ExportOperations.cancel_findings_report
    cancel_sbom_export = ExportOperations.cancel_sbom_export
    create_findings_report = ExportOperations.create_findings_report
    create_sbom_export = ExportOperations.create_sbom_export
    get_findings_report_status = ExportOperations.get_findings_report_status
    get_sbom_export = ExportOperations.get_sbom_export

    # members.py
    associate_member = MemberOperations.associate_member
    describe_organization_configuration = MemberOperations.describe_organization_configuration
    disable_delegated_admin_account = MemberOperations.disable_delegated_admin_account
    disassociate_member = MemberOperations.disassociate_member
    enable_delegated_admin_account = MemberOperations.enable_delegated_admin_account
    get_delegated_admin_account = MemberOperations.get_delegated_admin_account
    get_member = MemberOperations.get_member
    list_delegated_admin_accounts = MemberOperations.list_delegated_admin_accounts
    list_members = MemberOperations.list_members
    update_organization_configuration = MemberOperations.update_organization_configuration

    # tagging.py
    list_tags_for_resource = TaggingOperations.list_tags_for_resource
    tag_resource = TaggingOperations.tag_resource
    untag_resource = TaggingOperations.untag_resource
