"""Service-linked roles: CreateServiceLinkedRole for the services Strongroom serves, with their AWS managed
policies, and the deletion task AWS runs (DeleteServiceLinkedRole / GetServiceLinkedRoleDeletionStatus).

The managed policies live as AWS's do, under ``arn:aws:iam::aws:policy/aws-service-role/...`` (rows of account
``aws``), created the first time any account needs one. Their documents grant what Strongroom's implementation of
the service does as the role.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert

from strongroom.core import ids
from strongroom.iam import directory as d
from strongroom.iam import objects
from strongroom.iam.model import attachments, policies, policy_versions, roles
from strongroom.services.iam.base import IamBase, drop_all_tags, instance_profiles_of_role
from strongroom.services.iam.errors import InvalidInput, NoSuchEntity
from strongroom.services.iam.roles import role_shape

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from strongroom.services.base.runtime import RequestContext

SLR_PATH_PREFIX = "/aws-service-role/"


def _doc(*actions: str) -> str:
    statement = {"Effect": "Allow", "Action": sorted(actions), "Resource": "*"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


# service principal -> (role name, managed policy name, what the service does as the role)
SERVICE_LINKED = {
    "organizations.amazonaws.com": (
        "AWSServiceRoleForOrganizations",
        "AWSOrganizationsServiceTrustPolicy",
        _doc("iam:DeleteRole", "iam:GetRole", "iam:ListRoles"),
    ),
    "guardduty.amazonaws.com": (
        "AWSServiceRoleForAmazonGuardDuty",
        "AmazonGuardDutyServiceRolePolicy",
        _doc("s3:GetBucketPolicy", "s3:GetBucketAcl", "s3:ListAllMyBuckets", "organizations:ListAccounts"),
    ),
    "fms.amazonaws.com": (
        "AWSServiceRoleForFMS",
        "AWSFMSServiceRolePolicy",
        _doc("wafv2:*", "shield:*", "organizations:Describe*", "organizations:List*", "apigateway:GET"),
    ),
    "shield.amazonaws.com": (
        "AWSServiceRoleForAWSShield",
        "AWSShieldServiceRolePolicy",
        _doc("wafv2:GetWebACL", "wafv2:UpdateWebACL", "wafv2:ListWebACLs", "apigateway:GET"),
    ),
    "cloudtrail.amazonaws.com": (
        "AWSServiceRoleForCloudTrail",
        "CloudTrailServiceRolePolicy",
        _doc("organizations:DescribeOrganization", "organizations:ListAccounts", "iam:GetRole"),
    ),
    "acm.amazonaws.com": (
        "AWSServiceRoleForCertificateManager",
        "CertificateManagerServiceRolePolicy",
        _doc("acm-pca:IssueCertificate", "acm-pca:GetCertificate", "acm-pca:DescribeCertificateAuthority"),
    ),
    "wafv2.amazonaws.com": (
        "AWSServiceRoleForWAFV2Logging",
        "WAFV2LoggingServiceRolePolicy",
        _doc("logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogGroups"),
    ),
    "ssm.amazonaws.com": (
        "AWSServiceRoleForAmazonSSM",
        "AmazonSSMServiceRolePolicy",
        _doc("ssm:GetParameter*", "ssm:DescribeParameters", "kms:Decrypt"),
    ),
    "apigateway.amazonaws.com": (
        "AWSServiceRoleForAPIGateway",
        "APIGatewayServiceRolePolicy",
        _doc("acm:DescribeCertificate", "acm:GetCertificate", "logs:CreateLogStream", "logs:PutLogEvents"),
    ),
    "mrk.kms.amazonaws.com": (
        "AWSServiceRoleForKeyManagementServiceMultiRegionKeys",
        "AWSKeyManagementServiceMultiRegionKeysServiceRolePolicy",
        _doc("kms:CreateKey", "kms:ReplicateKey", "kms:UpdatePrimaryRegion", "kms:SynchronizeMultiRegionKey"),
    ),
    "delivery.logs.amazonaws.com": (
        "AWSServiceRoleForLogDelivery",
        "AWSLogDeliveryPolicy",
        _doc("s3:PutObject", "logs:CreateLogStream", "logs:PutLogEvents"),
    ),
}
# Services whose linked role takes a suffix (AWS allows CustomSuffix only for some; these are the ones served)
SUFFIXABLE = frozenset({"ssm.amazonaws.com", "apigateway.amazonaws.com"})


def _trust(principal: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": principal}, "Action": "sts:AssumeRole"}],
        }
    )


def is_service_linked(path: str) -> bool:
    return path.startswith(SLR_PATH_PREFIX)


class ServiceRoleOperations(IamBase):
    def _managed_policy(self, conn: Connection, ctx: RequestContext, name: str, document: str) -> str:
        arn = f"arn:aws:iam::aws:policy/aws-service-role/{name}"
        if d.get_policy(conn, arn) is None:
            now = ctx.now()
            conn.execute(
                insert(policies).values(
                    arn=arn,
                    account_id="aws",
                    name_key=name.lower(),
                    name=name,
                    policy_id=ids.unique_id("ANPA"),
                    path="/aws-service-role/",
                    description=f"AWS managed policy of the service-linked role for {name}",
                    default_version="v1",
                    next_version=2,
                    created_at=now,
                    updated_at=now,
                )
            )
            conn.execute(
                insert(policy_versions).values(
                    policy_arn=arn, version_id="v1", seq=1, document=document, created_at=now
                )
            )
        return arn

    def create_service_linked_role(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        principal = request["AWSServiceName"]
        if principal not in SERVICE_LINKED:
            raise InvalidInput(f"Service role name {principal} has not been validated.")
        base_name, policy_name, document = SERVICE_LINKED[principal]
        suffix = request.get("CustomSuffix")
        if suffix and principal not in SUFFIXABLE:
            raise InvalidInput(f"Custom suffix is not allowed for {principal}")
        name = f"{base_name}_{suffix}" if suffix else base_name
        path = f"{SLR_PATH_PREFIX}{principal}/"
        with self.runtime.store.write() as conn:
            if d.get_role(conn, ctx.account_id, name) is not None:
                raise InvalidInput(
                    f"Service role name {name} has been taken in this account, please try a different suffix."
                )
            conn.execute(
                insert(roles).values(
                    account_id=ctx.account_id,
                    name_key=name.lower(),
                    name=name,
                    role_id=ids.unique_id("AROA"),
                    path=path,
                    arn=f"arn:aws:iam::{ctx.account_id}:role{path}{name}",
                    created_at=ctx.now(),
                    assume_role_policy=_trust(principal),
                    description=request.get("Description"),
                    max_session_duration=3600,
                )
            )
            policy_arn = self._managed_policy(conn, ctx, policy_name, document)
            conn.execute(
                insert(attachments).values(
                    account_id=ctx.account_id,
                    entity_type="role",
                    entity_key=name.lower(),
                    policy_arn=policy_arn,
                    attached_at=ctx.now(),
                )
            )
            role = self.require_role(conn, ctx, name)
        shape = role_shape(role)
        return {"Role": shape}

    def delete_service_linked_role(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        """AWS deletes the role in a task the caller polls; here the task runs at once and is kept for the poll."""
        with self.runtime.store.write() as conn:
            role = self.require_role(conn, ctx, request["RoleName"])
            if not is_service_linked(role.path):
                raise InvalidInput(f"Role {role.name} is not a service-linked role.")
            task_id = f"task{role.path}{role.name}/{uuid.uuid4()}"
            key = role.name.lower()
            status: dict[str, Any] = {"status": "SUCCEEDED"}
            if instance_profiles_of_role(conn, ctx.account_id, key):
                status = {"status": "FAILED", "reason": "The role is used by an instance profile."}
            else:
                conn.execute(
                    delete(attachments).where(
                        attachments.c.account_id == ctx.account_id,
                        attachments.c.entity_type == "role",
                        attachments.c.entity_key == key,
                    )
                )
                drop_all_tags(conn, ctx.account_id, "role", key)
                conn.execute(delete(roles).where(roles.c.account_id == ctx.account_id, roles.c.name_key == key))
            objects.put(conn, ctx.account_id, "slr-deletion", task_id, status)
        self.runtime.accounts.forget()
        return {"DeletionTaskId": f"arn:aws:iam::{ctx.account_id}:{task_id}"}

    def get_service_linked_role_deletion_status(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        task = request["DeletionTaskId"]
        key = task.split(":", 5)[-1] if task.startswith("arn:") else task
        with self.runtime.store.read() as conn:
            found = objects.get(conn, ctx.account_id, "slr-deletion", key)
        if found is None:
            raise NoSuchEntity(f"Deletion task {task} cannot be found.")
        out: dict[str, Any] = {"Status": found.data["status"]}
        if found.data.get("reason"):
            out["Reason"] = {"Reason": found.data["reason"]}
        return out
