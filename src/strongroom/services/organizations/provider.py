"""AWS Organizations: the index of every operation Strongroom serves, grouped by family file."""

from __future__ import annotations

from strongroom.services.organizations.accounts import AccountOperations
from strongroom.services.organizations.admins import AdminOperations
from strongroom.services.organizations.handshakes import HandshakeOperations
from strongroom.services.organizations.organization import OrganizationOperations
from strongroom.services.organizations.policies import PolicyOperations
from strongroom.services.organizations.tagging import TaggingOperations
from strongroom.services.organizations.units import UnitOperations


class Provider(
    OrganizationOperations,
    AccountOperations,
    HandshakeOperations,
    UnitOperations,
    PolicyOperations,
    AdminOperations,
    TaggingOperations,
):
    """AWS Organizations (all features): accounts, OUs, invitations, SCPs and RCPs, delegated administrators,
    trusted access and tags. Not implemented: the other policy types, responsibility transfers, account closing,
    EnableAllFeatures, resource policies and effective policies."""

    # organization.py
    create_organization = OrganizationOperations.create_organization
    delete_organization = OrganizationOperations.delete_organization
    describe_organization = OrganizationOperations.describe_organization
    list_roots = OrganizationOperations.list_roots

    # accounts.py
    create_account = AccountOperations.create_account
    describe_account = AccountOperations.describe_account
    describe_create_account_status = AccountOperations.describe_create_account_status
    leave_organization = AccountOperations.leave_organization
    list_accounts = AccountOperations.list_accounts
    list_accounts_for_parent = AccountOperations.list_accounts_for_parent
    list_create_account_status = AccountOperations.list_create_account_status
    move_account = AccountOperations.move_account
    remove_account_from_organization = AccountOperations.remove_account_from_organization

    # handshakes.py
    accept_handshake = HandshakeOperations.accept_handshake
    cancel_handshake = HandshakeOperations.cancel_handshake
    decline_handshake = HandshakeOperations.decline_handshake
    describe_handshake = HandshakeOperations.describe_handshake
    invite_account_to_organization = HandshakeOperations.invite_account_to_organization
    list_handshakes_for_account = HandshakeOperations.list_handshakes_for_account
    list_handshakes_for_organization = HandshakeOperations.list_handshakes_for_organization

    # units.py
    create_organizational_unit = UnitOperations.create_organizational_unit
    delete_organizational_unit = UnitOperations.delete_organizational_unit
    describe_organizational_unit = UnitOperations.describe_organizational_unit
    list_children = UnitOperations.list_children
    list_organizational_units_for_parent = UnitOperations.list_organizational_units_for_parent
    list_parents = UnitOperations.list_parents
    update_organizational_unit = UnitOperations.update_organizational_unit

    # policies.py
    attach_policy = PolicyOperations.attach_policy
    create_policy = PolicyOperations.create_policy
    delete_policy = PolicyOperations.delete_policy
    describe_policy = PolicyOperations.describe_policy
    detach_policy = PolicyOperations.detach_policy
    disable_policy_type = PolicyOperations.disable_policy_type
    enable_policy_type = PolicyOperations.enable_policy_type
    list_policies = PolicyOperations.list_policies
    list_policies_for_target = PolicyOperations.list_policies_for_target
    list_targets_for_policy = PolicyOperations.list_targets_for_policy
    update_policy = PolicyOperations.update_policy

    # admins.py
    deregister_delegated_administrator = AdminOperations.deregister_delegated_administrator
    disable_aws_service_access = AdminOperations.disable_aws_service_access
    enable_aws_service_access = AdminOperations.enable_aws_service_access
    list_aws_service_access_for_organization = AdminOperations.list_aws_service_access_for_organization
    list_delegated_administrators = AdminOperations.list_delegated_administrators
    list_delegated_services_for_account = AdminOperations.list_delegated_services_for_account
    register_delegated_administrator = AdminOperations.register_delegated_administrator

    # tagging.py
    list_tags_for_resource = TaggingOperations.list_tags_for_resource
    tag_resource = TaggingOperations.tag_resource
    untag_resource = TaggingOperations.untag_resource
