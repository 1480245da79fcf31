"""AWS IAM (query protocol): the index of every operation Strongroom serves, grouped by family file."""

from __future__ import annotations

from strongroom.services.iam.access_keys import AccessKeyOperations
from strongroom.services.iam.account import AccountOperations
from strongroom.services.iam.attach import AttachmentOperations
from strongroom.services.iam.certificates import CertificateOperations
from strongroom.services.iam.details import DetailOperations
from strongroom.services.iam.federation import FederationOperations
from strongroom.services.iam.groups import GroupOperations
from strongroom.services.iam.instance_profiles import InstanceProfileOperations
from strongroom.services.iam.logins import LoginOperations
from strongroom.services.iam.mfa_devices import MfaOperations
from strongroom.services.iam.policies import ManagedPolicyOperations
from strongroom.services.iam.reports import ReportOperations
from strongroom.services.iam.roles import RoleOperations
from strongroom.services.iam.service_roles import ServiceRoleOperations
from strongroom.services.iam.simulate import SimulationOperations
from strongroom.services.iam.users import UserOperations


class Provider(
    UserOperations,
    GroupOperations,
    RoleOperations,
    ManagedPolicyOperations,
    AttachmentOperations,
    AccessKeyOperations,
    DetailOperations,
    SimulationOperations,
    FederationOperations,
    LoginOperations,
    MfaOperations,
    InstanceProfileOperations,
    CertificateOperations,
    ReportOperations,
    AccountOperations,
    ServiceRoleOperations,
):
    """Every IAM operation Strongroom serves; see docs/iam.md for what differs from AWS."""

    # users.py
    create_user = UserOperations.create_user
    delete_user = UserOperations.delete_user
    delete_user_permissions_boundary = UserOperations.delete_user_permissions_boundary
    get_user = UserOperations.get_user
    list_user_tags = UserOperations.list_user_tags
    list_users = UserOperations.list_users
    put_user_permissions_boundary = UserOperations.put_user_permissions_boundary
    tag_user = UserOperations.tag_user
    untag_user = UserOperations.untag_user
    update_user = UserOperations.update_user

    # groups.py
    add_user_to_group = GroupOperations.add_user_to_group
    create_group = GroupOperations.create_group
    delete_group = GroupOperations.delete_group
    get_group = GroupOperations.get_group
    list_groups = GroupOperations.list_groups
    list_groups_for_user = GroupOperations.list_groups_for_user
    remove_user_from_group = GroupOperations.remove_user_from_group
    update_group = GroupOperations.update_group

    # roles.py
    create_role = RoleOperations.create_role
    delete_role = RoleOperations.delete_role
    delete_role_permissions_boundary = RoleOperations.delete_role_permissions_boundary
    get_role = RoleOperations.get_role
    list_role_tags = RoleOperations.list_role_tags
    list_roles = RoleOperations.list_roles
    put_role_permissions_boundary = RoleOperations.put_role_permissions_boundary
    tag_role = RoleOperations.tag_role
    untag_role = RoleOperations.untag_role
    update_assume_role_policy = RoleOperations.update_assume_role_policy
    update_role = RoleOperations.update_role
    update_role_description = RoleOperations.update_role_description

    # policies.py
    create_policy = ManagedPolicyOperations.create_policy
    create_policy_version = ManagedPolicyOperations.create_policy_version
    delete_policy = ManagedPolicyOperations.delete_policy
    delete_policy_version = ManagedPolicyOperations.delete_policy_version
    get_policy = ManagedPolicyOperations.get_policy
    get_policy_version = ManagedPolicyOperations.get_policy_version
    list_policies = ManagedPolicyOperations.list_policies
    list_policy_tags = ManagedPolicyOperations.list_policy_tags
    list_policy_versions = ManagedPolicyOperations.list_policy_versions
    set_default_policy_version = ManagedPolicyOperations.set_default_policy_version
    tag_policy = ManagedPolicyOperations.tag_policy
    untag_policy = ManagedPolicyOperations.untag_policy

    # attach.py
    attach_group_policy = AttachmentOperations.attach_group_policy
    attach_role_policy = AttachmentOperations.attach_role_policy
    attach_user_policy = AttachmentOperations.attach_user_policy
    delete_group_policy = AttachmentOperations.delete_group_policy
    delete_role_policy = AttachmentOperations.delete_role_policy
    delete_user_policy = AttachmentOperations.delete_user_policy
    detach_group_policy = AttachmentOperations.detach_group_policy
    detach_role_policy = AttachmentOperations.detach_role_policy
    detach_user_policy = AttachmentOperations.detach_user_policy
    get_group_policy = AttachmentOperations.get_group_policy
    get_role_policy = AttachmentOperations.get_role_policy
    get_user_policy = AttachmentOperations.get_user_policy
    list_attached_group_policies = AttachmentOperations.list_attached_group_policies
    list_attached_role_policies = AttachmentOperations.list_attached_role_policies
    list_attached_user_policies = AttachmentOperations.list_attached_user_policies
    list_entities_for_policy = AttachmentOperations.list_entities_for_policy
    list_group_policies = AttachmentOperations.list_group_policies
    list_role_policies = AttachmentOperations.list_role_policies
    list_user_policies = AttachmentOperations.list_user_policies
    put_group_policy = AttachmentOperations.put_group_policy
    put_role_policy = AttachmentOperations.put_role_policy
    put_user_policy = AttachmentOperations.put_user_policy

    # access_keys.py
    create_access_key = AccessKeyOperations.create_access_key
    delete_access_key = AccessKeyOperations.delete_access_key
    get_access_key_last_used = AccessKeyOperations.get_access_key_last_used
    list_access_keys = AccessKeyOperations.list_access_keys
    update_access_key = AccessKeyOperations.update_access_key

    # details.py
    get_account_authorization_details = DetailOperations.get_account_authorization_details

    # simulate.py
    simulate_custom_policy = SimulationOperations.simulate_custom_policy
    simulate_principal_policy = SimulationOperations.simulate_principal_policy

    # federation.py
    add_client_id_to_open_id_connect_provider = FederationOperations.add_client_id_to_open_id_connect_provider
    create_open_id_connect_provider = FederationOperations.create_open_id_connect_provider
    create_saml_provider = FederationOperations.create_saml_provider
    delete_open_id_connect_provider = FederationOperations.delete_open_id_connect_provider
    delete_saml_provider = FederationOperations.delete_saml_provider
    get_open_id_connect_provider = FederationOperations.get_open_id_connect_provider
    get_saml_provider = FederationOperations.get_saml_provider
    list_open_id_connect_provider_tags = FederationOperations.list_open_id_connect_provider_tags
    list_open_id_connect_providers = FederationOperations.list_open_id_connect_providers
    list_saml_provider_tags = FederationOperations.list_saml_provider_tags
    list_saml_providers = FederationOperations.list_saml_providers
    remove_client_id_from_open_id_connect_provider = FederationOperations.remove_client_id_from_open_id_connect_provider
    tag_open_id_connect_provider = FederationOperations.tag_open_id_connect_provider
    tag_saml_provider = FederationOperations.tag_saml_provider
    untag_open_id_connect_provider = FederationOperations.untag_open_id_connect_provider
    untag_saml_provider = FederationOperations.untag_saml_provider
    update_open_id_connect_provider = FederationOperations.update_open_id_connect_provider
    update_open_id_connect_provider_thumbprint = FederationOperations.update_open_id_connect_provider_thumbprint
    update_saml_provider = FederationOperations.update_saml_provider

    # logins.py
    change_password = LoginOperations.change_password
    create_login_profile = LoginOperations.create_login_profile
    delete_account_password_policy = LoginOperations.delete_account_password_policy
    delete_login_profile = LoginOperations.delete_login_profile
    get_account_password_policy = LoginOperations.get_account_password_policy
    get_login_profile = LoginOperations.get_login_profile
    update_account_password_policy = LoginOperations.update_account_password_policy
    update_login_profile = LoginOperations.update_login_profile

    # mfa_devices.py
    create_virtual_mfa_device = MfaOperations.create_virtual_mfa_device
    deactivate_mfa_device = MfaOperations.deactivate_mfa_device
    delete_virtual_mfa_device = MfaOperations.delete_virtual_mfa_device
    enable_mfa_device = MfaOperations.enable_mfa_device
    get_mfa_device = MfaOperations.get_mfa_device
    list_mfa_device_tags = MfaOperations.list_mfa_device_tags
    list_mfa_devices = MfaOperations.list_mfa_devices
    list_virtual_mfa_devices = MfaOperations.list_virtual_mfa_devices
    resync_mfa_device = MfaOperations.resync_mfa_device
    tag_mfa_device = MfaOperations.tag_mfa_device
    untag_mfa_device = MfaOperations.untag_mfa_device

    # instance_profiles.py
    add_role_to_instance_profile = InstanceProfileOperations.add_role_to_instance_profile
    create_instance_profile = InstanceProfileOperations.create_instance_profile
    delete_instance_profile = InstanceProfileOperations.delete_instance_profile
    get_instance_profile = InstanceProfileOperations.get_instance_profile
    list_instance_profile_tags = InstanceProfileOperations.list_instance_profile_tags
    list_instance_profiles = InstanceProfileOperations.list_instance_profiles
    list_instance_profiles_for_role = InstanceProfileOperations.list_instance_profiles_for_role
    remove_role_from_instance_profile = InstanceProfileOperations.remove_role_from_instance_profile
    tag_instance_profile = InstanceProfileOperations.tag_instance_profile
    untag_instance_profile = InstanceProfileOperations.untag_instance_profile

    # certificates.py
    create_service_specific_credential = CertificateOperations.create_service_specific_credential
    delete_server_certificate = CertificateOperations.delete_server_certificate
    delete_service_specific_credential = CertificateOperations.delete_service_specific_credential
    delete_signing_certificate = CertificateOperations.delete_signing_certificate
    delete_ssh_public_key = CertificateOperations.delete_ssh_public_key
    get_server_certificate = CertificateOperations.get_server_certificate
    get_ssh_public_key = CertificateOperations.get_ssh_public_key
    list_server_certificate_tags = CertificateOperations.list_server_certificate_tags
    list_server_certificates = CertificateOperations.list_server_certificates
    list_service_specific_credentials = CertificateOperations.list_service_specific_credentials
    list_signing_certificates = CertificateOperations.list_signing_certificates
    list_ssh_public_keys = CertificateOperations.list_ssh_public_keys
    reset_service_specific_credential = CertificateOperations.reset_service_specific_credential
    tag_server_certificate = CertificateOperations.tag_server_certificate
    untag_server_certificate = CertificateOperations.untag_server_certificate
    update_server_certificate = CertificateOperations.update_server_certificate
    update_service_specific_credential = CertificateOperations.update_service_specific_credential
    update_signing_certificate = CertificateOperations.update_signing_certificate
    update_ssh_public_key = CertificateOperations.update_ssh_public_key
    upload_server_certificate = CertificateOperations.upload_server_certificate
    upload_signing_certificate = CertificateOperations.upload_signing_certificate
    upload_ssh_public_key = CertificateOperations.upload_ssh_public_key

    # reports.py
    generate_credential_report = ReportOperations.generate_credential_report
    generate_organizations_access_report = ReportOperations.generate_organizations_access_report
    generate_service_last_accessed_details = ReportOperations.generate_service_last_accessed_details
    get_account_summary = ReportOperations.get_account_summary
    get_context_keys_for_custom_policy = ReportOperations.get_context_keys_for_custom_policy
    get_context_keys_for_principal_policy = ReportOperations.get_context_keys_for_principal_policy
    get_credential_report = ReportOperations.get_credential_report
    get_organizations_access_report = ReportOperations.get_organizations_access_report
    get_service_last_accessed_details = ReportOperations.get_service_last_accessed_details
    get_service_last_accessed_details_with_entities = ReportOperations.get_service_last_accessed_details_with_entities
    list_policies_granting_service_access = ReportOperations.list_policies_granting_service_access

    # account.py
    accept_delegation_request = AccountOperations.accept_delegation_request
    acquire_role = AccountOperations.acquire_role
    associate_delegation_request = AccountOperations.associate_delegation_request
    create_account_alias = AccountOperations.create_account_alias
    create_delegation_request = AccountOperations.create_delegation_request
    delete_account_alias = AccountOperations.delete_account_alias
    disable_organizations_root_credentials_management = (
        AccountOperations.disable_organizations_root_credentials_management
    )
    disable_organizations_root_sessions = AccountOperations.disable_organizations_root_sessions
    disable_outbound_web_identity_federation = AccountOperations.disable_outbound_web_identity_federation
    enable_organizations_root_credentials_management = (
        AccountOperations.enable_organizations_root_credentials_management
    )
    enable_organizations_root_sessions = AccountOperations.enable_organizations_root_sessions
    enable_outbound_web_identity_federation = AccountOperations.enable_outbound_web_identity_federation
    get_account_properties = AccountOperations.get_account_properties
    get_delegation_request = AccountOperations.get_delegation_request
    get_human_readable_summary = AccountOperations.get_human_readable_summary
    get_outbound_web_identity_federation_info = AccountOperations.get_outbound_web_identity_federation_info
    get_role_template_version = AccountOperations.get_role_template_version
    list_account_aliases = AccountOperations.list_account_aliases
    list_delegation_requests = AccountOperations.list_delegation_requests
    list_organizations_features = AccountOperations.list_organizations_features
    put_account_properties = AccountOperations.put_account_properties
    reject_delegation_request = AccountOperations.reject_delegation_request
    send_delegation_token = AccountOperations.send_delegation_token
    set_security_token_service_preferences = AccountOperations.set_security_token_service_preferences
    update_delegation_request = AccountOperations.update_delegation_request

    # service_roles.py
    create_service_linked_role = ServiceRoleOperations.create_service_linked_role
    delete_service_linked_role = ServiceRoleOperations.delete_service_linked_role
    get_service_linked_role_deletion_status = ServiceRoleOperations.get_service_linked_role_deletion_status
