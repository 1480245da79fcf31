"""Organizations' operations table: one row per implemented operation.

Every operation is authorized as ``organizations:<Operation>`` on ``"*"`` against the caller's own policies; who
may call it within the organization (the management account, a delegated administrator, the invited account) is
the provider's rule (``base.py``), as AWS answers AccessDeniedException after IAM allows. The read-only and
on-loop classes follow CloudTrail's prefix rule, except the calls that create or change nothing but whose names
do not say so.
"""

from __future__ import annotations

from collections.abc import Mapping

from strongroom.core.operations import Operation
from strongroom.services.base.operations import operations

OPERATIONS: Mapping[str, Operation] = operations(
    Operation("AcceptHandshake"),
    Operation("AttachPolicy"),
    Operation("CancelHandshake"),
    Operation("CreateAccount"),
    Operation("CreateOrganization"),
    Operation("CreateOrganizationalUnit"),
    Operation("CreatePolicy"),
    Operation("DeclineHandshake"),
    Operation("DeleteOrganization"),
    Operation("DeleteOrganizationalUnit"),
    Operation("DeletePolicy"),
    Operation("DeregisterDelegatedAdministrator"),
    Operation("DescribeAccount"),
    Operation("DescribeCreateAccountStatus"),
    Operation("DescribeHandshake"),
    Operation("DescribeOrganization"),
    Operation("DescribeOrganizationalUnit"),
    Operation("DescribePolicy"),
    Operation("DetachPolicy"),
    Operation("DisableAWSServiceAccess"),
    Operation("DisablePolicyType"),
    Operation("EnableAWSServiceAccess"),
    Operation("EnablePolicyType"),
    Operation("InviteAccountToOrganization"),
    Operation("LeaveOrganization"),
    Operation("ListAWSServiceAccessForOrganization"),
    Operation("ListAccounts"),
    Operation("ListAccountsForParent"),
    Operation("ListChildren"),
    Operation("ListCreateAccountStatus"),
    Operation("ListDelegatedAdministrators"),
    Operation("ListDelegatedServicesForAccount"),
    Operation("ListHandshakesForAccount"),
    Operation("ListHandshakesForOrganization"),
    Operation("ListOrganizationalUnitsForParent"),
    Operation("ListParents"),
    Operation("ListPolicies"),
    Operation("ListPoliciesForTarget"),
    Operation("ListRoots"),
    Operation("ListTagsForResource"),
    Operation("ListTargetsForPolicy"),
    Operation("MoveAccount"),
    Operation("RegisterDelegatedAdministrator"),
    Operation("RemoveAccountFromOrganization"),
    Operation("TagResource"),
    Operation("UntagResource"),
    Operation("UpdateOrganizationalUnit"),
    Operation("UpdatePolicy"),
)
