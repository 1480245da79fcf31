"""AWS IAM (query protocol): the index of every operation Strongroom serves, grouped by family file."""

from __future__ import annotations

from strongroom.services.iam.access_keys import AccessKeyOperations
from strongroom.services.iam.attach import AttachmentOperations
from strongroom.services.iam.details import DetailOperations
from strongroom.services.iam.federation import FederationOperations
from strongroom.services.iam.groups import GroupOperations
from strongroom.services.iam.logins import LoginOperations
from strongroom.services.iam.mfa_devices import MfaOperations
from strongroom.services.iam.policies import ManagedPolicyOperations
from strongroom.services.iam.roles import RoleOperations
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
