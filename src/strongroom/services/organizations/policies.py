"""Policies: SCPs and RCPs, their types on the root, and attachments to the root, OUs and accounts.

AWS's rules: a type must be enabled on the root before a policy of it is attached; enabling it attaches its AWS
managed policy (FullAWSAccess, RCPFullAWSAccess) to the root and every OU and account, disabling it detaches every
policy of the type; a target keeps at least one SCP and has at most five of a type; RCPFullAWSAccess cannot be
detached; AWS managed policies cannot be changed or deleted; a policy still attached cannot be deleted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, func, select, update

from strongroom.services.organizations import model, names
from strongroom.services.organizations.base import Org, OrganizationsBase, enabled_types, page
from strongroom.services.organizations.errors import (
    ConstraintViolationException,
    DuplicatePolicyAttachmentException,
    DuplicatePolicyException,
    InvalidInputException,
    MalformedPolicyDocumentException,
    PolicyInUseException,
    PolicyNotAttachedException,
    PolicyNotFoundException,
    PolicyTypeAlreadyEnabledException,
    PolicyTypeNotAvailableForOrganizationException,
    PolicyTypeNotEnabledException,
    RootNotFoundException,
    TargetNotFoundException,
)
from strongroom.services.organizations.tagging import TARGET_NOT_FOUND, check_tags, drop_tags, write_tags

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

POLICY_NOT_FOUND = "We can't find a policy with the PolicyId that you specified."
MALFORMED = "The provided policy document does not meet the requirements of the specified policy type."
MAX_POLICIES = 1000


def check_type(policy_type: str) -> None:
    if policy_type not in names.SUPPORTED_POLICY_TYPES:
        raise PolicyTypeNotAvailableForOrganizationException(
            "You can't use the specified policy type with the feature set currently enabled for this organization."
        )


def check_content(content: str, policy_type: str) -> None:
    try:
        names.validate_policy(content, policy_type)
    except names.PolicyTooLarge:
        raise ConstraintViolationException(
            "You attempted to create a policy that is larger than the maximum size.",
            Reason="POLICY_CONTENT_LIMIT_EXCEEDED",
        ) from None
    except names.PolicyDocumentError:
        raise MalformedPolicyDocumentException(MALFORMED) from None


class PolicyOperations(OrganizationsBase):
    # -- finding ---------------------------------------------------------------------------------------------

    @staticmethod
    def policy_row(conn: Connection, org: Org, policy_id: str) -> dict[str, Any]:
        """A policy as a dict (AWS managed ones included); PolicyNotFoundException if the organization has none."""
        managed = names.MANAGED_POLICIES.get(policy_id)
        if managed is not None:
            return {
                "policy_id": managed.policy_id,
                "name": managed.name,
                "description": managed.description,
                "type": managed.type,
                "content": managed.content,
                "aws_managed": True,
            }
        row = conn.execute(
            select(model.policies).where(model.policies.c.org_id == org.org_id, model.policies.c.policy_id == policy_id)
        ).first()
        if row is None:
            raise PolicyNotFoundException(POLICY_NOT_FOUND)
        return {**row._mapping, "aws_managed": False}

    @staticmethod
    def summary(org: Org, p: dict[str, Any]) -> dict[str, Any]:
        return {
            "Id": p["policy_id"],
            "Arn": names.policy_arn(org.management, org.org_id, p["type"], p["policy_id"]),
            "Name": p["name"],
            "Description": p["description"],
            "Type": p["type"],
            "AwsManaged": p["aws_managed"],
        }

    def policy_wire(self, org: Org, p: dict[str, Any]) -> dict[str, Any]:
        return {"PolicySummary": self.summary(org, p), "Content": p["content"]}

    def all_policies(self, conn: Connection, org: Org, policy_type: str) -> list[dict[str, Any]]:
        managed = names.MANAGED_POLICIES[names.DEFAULT_POLICY[policy_type]]
        rows = conn.execute(
            select(model.policies)
            .where(model.policies.c.org_id == org.org_id, model.policies.c.type == policy_type)
            .order_by(model.policies.c.name)
        ).all()
        return [self.policy_row(conn, org, managed.policy_id), *({**r._mapping, "aws_managed": False} for r in rows)]

    # -- policies --------------------------------------------------------------------------------------------

    def create_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        org = self.management(ctx)
        policy_type = request["Type"]
        check_type(policy_type)
        check_content(request["Content"], policy_type)
        check_tags(request.get("Tags") or [])
        p = model.policies.c
        with self.runtime.store.write() as conn:
            same = conn.execute(
                select(p.policy_id).where(p.org_id == org.org_id, p.type == policy_type, p.name == request["Name"])
            ).first()
            managed_names = {m.name for m in names.MANAGED_POLICIES.values() if m.type == policy_type}
            if same is not None or request["Name"] in managed_names:
                raise DuplicatePolicyException("A policy with the same name already exists.")
            count = conn.execute(select(func.count()).select_from(model.policies).where(p.org_id == org.org_id))
            if count.scalar_one() >= MAX_POLICIES:
                raise ConstraintViolationException(
                    "You have reached the maximum number of policies.", Reason="POLICY_NUMBER_LIMIT_EXCEEDED"
                )
            policy_id = names.new_policy_id()
            conn.execute(
                model.policies.insert().values(
                    policy_id=policy_id,
                    org_id=org.org_id,
                    type=policy_type,
                    name=request["Name"],
                    description=request["Description"],
                    content=request["Content"],
                )
            )
            write_tags(conn, org, policy_id, request.get("Tags") or [])
            return {"Policy": self.policy_wire(org, self.policy_row(conn, org, policy_id))}

    def _customer_policy(self, conn: Connection, org: Org, policy_id: str) -> dict[str, Any]:
        p = self.policy_row(conn, org, policy_id)
        if p["aws_managed"]:
            raise InvalidInputException("You can't modify or delete an AWS managed policy.", Reason="IMMUTABLE_POLICY")
        return p

    def update_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        org = self.management(ctx)
        with self.runtime.store.write() as conn:
            p = self._customer_policy(conn, org, request["PolicyId"])
            values: dict[str, Any] = {}
            if request.get("Content") is not None:
                check_content(request["Content"], p["type"])
                values["content"] = request["Content"]
            if request.get("Description") is not None:
                values["description"] = request["Description"]
            if request.get("Name") is not None and request["Name"] != p["name"]:
                c = model.policies.c
                same = conn.execute(
                    select(c.policy_id).where(c.org_id == org.org_id, c.type == p["type"], c.name == request["Name"])
                ).first()
                if same is not None:
                    raise DuplicatePolicyException("A policy with the same name already exists.")
                values["name"] = request["Name"]
            if values:
                conn.execute(
                    update(model.policies).where(model.policies.c.policy_id == p["policy_id"]).values(**values)
                )
            return {"Policy": self.policy_wire(org, self.policy_row(conn, org, p["policy_id"]))}

    def delete_policy(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        org = self.management(ctx)
        with self.runtime.store.write() as conn:
            p = self._customer_policy(conn, org, request["PolicyId"])
            attached = conn.execute(
                select(model.attachments.c.target_id).where(
                    model.attachments.c.org_id == org.org_id, model.attachments.c.policy_id == p["policy_id"]
                )
            ).first()
            if attached is not None:
                raise PolicyInUseException(
                    "The policy is attached to one or more entities. You must detach it from all roots, OUs, and "
                    "accounts before performing this operation."
                )
            conn.execute(delete(model.policies).where(model.policies.c.policy_id == p["policy_id"]))
            drop_tags(conn, org, p["policy_id"])

    def describe_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        org = self.reader(ctx)
        with self.runtime.store.read() as conn:
            return {"Policy": self.policy_wire(org, self.policy_row(conn, org, request["PolicyId"]))}

    def list_policies(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        org = self.reader(ctx)
        check_type(request["Filter"])
        with self.runtime.store.read() as conn:
            items = [self.summary(org, p) for p in self.all_policies(conn, org, request["Filter"])]
        got, token = page(items, request)
        return {"Policies": got, **token}

    # -- types on the root -----------------------------------------------------------------------------------

    def _root(self, org: Org, root_id: str) -> None:
        if root_id != org.root_id:
            raise RootNotFoundException("We can't find a root with the RootId that you specified.")

    def enable_policy_type(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        org = self.management(ctx)
        self._root(org, request["RootId"])
        policy_type = request["PolicyType"]
        check_type(policy_type)
        if org.feature_set != "ALL":  # policies need all features; consolidated billing has none
            raise PolicyTypeNotAvailableForOrganizationException(
                "You can't use the specified policy type with the feature set currently enabled for this organization."
            )
        now = ctx.now()
        with self.runtime.store.write() as conn:
            if policy_type in enabled_types(conn, org.org_id):
                raise PolicyTypeAlreadyEnabledException("The specified policy type is already enabled.")
            conn.execute(model.policy_types.insert().values(org_id=org.org_id, type=policy_type))
            targets = [
                org.root_id,
                *conn.execute(
                    select(model.nodes.c.node_id).where(
                        model.nodes.c.org_id == org.org_id, model.nodes.c.kind == "ORGANIZATIONAL_UNIT"
                    )
                ).scalars(),
                *conn.execute(select(model.members.c.account_id).where(model.members.c.org_id == org.org_id)).scalars(),
            ]
            for target in targets:
                conn.execute(
                    model.attachments.insert().values(
                        org_id=org.org_id,
                        policy_id=names.DEFAULT_POLICY[policy_type],
                        target_id=target,
                        policy_type=policy_type,
                        attached_at=now,
                    )
                )
            return {"Root": self.root_wire(conn, org)}

    def disable_policy_type(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        org = self.management(ctx)
        self._root(org, request["RootId"])
        policy_type = request["PolicyType"]
        check_type(policy_type)
        with self.runtime.store.write() as conn:
            if policy_type not in enabled_types(conn, org.org_id):
                raise PolicyTypeNotEnabledException("This operation can be performed only for enabled policy types.")
            t, a = model.policy_types.c, model.attachments.c
            conn.execute(delete(model.policy_types).where(t.org_id == org.org_id, t.type == policy_type))
            conn.execute(delete(model.attachments).where(a.org_id == org.org_id, a.policy_type == policy_type))
            return {"Root": self.root_wire(conn, org)}

    # -- attachments -----------------------------------------------------------------------------------------

    def _target(self, conn: Connection, org: Org, target_id: str) -> tuple[str, str]:
        """(type, name) of a root, OU or account of the organization; TargetNotFoundException otherwise."""
        kind = names.target_kind(target_id)
        if kind == "ACCOUNT":
            member = self.member(conn, org, target_id)
            if member is not None:
                return kind, member.name
        elif kind is not None:
            node = self.node(conn, org, target_id)
            if node is not None:
                return kind, node.name
        raise TargetNotFoundException(TARGET_NOT_FOUND)

    def _attached(self, conn: Connection, org: Org, target_id: str, policy_type: str) -> list[str]:
        a = model.attachments.c
        return list(
            conn.execute(
                select(a.policy_id)
                .where(a.org_id == org.org_id, a.target_id == target_id, a.policy_type == policy_type)
                .order_by(a.attached_at, a.policy_id)
            ).scalars()
        )

    def attach_policy(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        org = self.management(ctx)
        with self.runtime.store.write() as conn:
            p = self.policy_row(conn, org, request["PolicyId"])
            target_id = request["TargetId"]
            self._target(conn, org, target_id)
            if p["type"] not in enabled_types(conn, org.org_id):
                raise PolicyTypeNotEnabledException("This operation can be performed only for enabled policy types.")
            current = self._attached(conn, org, target_id, p["type"])
            if p["policy_id"] in current:
                raise DuplicatePolicyAttachmentException(
                    "The selected policy is already attached to the specified target."
                )
            if len(current) >= names.MAX_ATTACHMENTS:
                raise ConstraintViolationException(
                    "You attempted to attach a policy to an entity that would cause the entity to have more than the "
                    "maximum number of policies of a certain type allowed.",
                    Reason="MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
                )
            conn.execute(
                model.attachments.insert().values(
                    org_id=org.org_id,
                    policy_id=p["policy_id"],
                    target_id=target_id,
                    policy_type=p["type"],
                    attached_at=ctx.now(),
                )
            )

    def detach_policy(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        org = self.management(ctx)
        with self.runtime.store.write() as conn:
            p = self.policy_row(conn, org, request["PolicyId"])
            target_id = request["TargetId"]
            self._target(conn, org, target_id)
            current = self._attached(conn, org, target_id, p["type"])
            if p["policy_id"] not in current:
                raise PolicyNotAttachedException(
                    "The policy isn't attached to the specified target in the specified root."
                )
            if p["policy_id"] == names.DEFAULT_POLICY[names.RCP]:
                raise InvalidInputException(
                    "You can't detach the RCPFullAWSAccess policy.", Reason="NON_DETACHABLE_POLICY"
                )
            if p["type"] == names.SCP and len(current) == 1:
                raise ConstraintViolationException(
                    "You attempted to detach a policy from an entity that would cause the entity to have fewer than "
                    "the minimum number of policies of a certain type required.",
                    Reason="MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
                )
            a = model.attachments.c
            conn.execute(
                delete(model.attachments).where(
                    a.org_id == org.org_id, a.policy_id == p["policy_id"], a.target_id == target_id
                )
            )

    def list_policies_for_target(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        org = self.reader(ctx)
        check_type(request["Filter"])
        with self.runtime.store.read() as conn:
            self._target(conn, org, request["TargetId"])
            ids = self._attached(conn, org, request["TargetId"], request["Filter"])
            items = [self.summary(org, self.policy_row(conn, org, i)) for i in ids]
        got, token = page(items, request)
        return {"Policies": got, **token}

    def list_targets_for_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        org = self.reader(ctx)
        a = model.attachments.c
        with self.runtime.store.read() as conn:
            p = self.policy_row(conn, org, request["PolicyId"])
            targets = conn.execute(
                select(a.target_id)
                .where(a.org_id == org.org_id, a.policy_id == p["policy_id"])
                .order_by(a.attached_at, a.target_id)
            ).scalars()
            items = []
            for target_id in targets:
                kind, name = self._target(conn, org, target_id)
                arn = {
                    "ROOT": names.root_arn,
                    "ORGANIZATIONAL_UNIT": names.ou_arn,
                    "ACCOUNT": names.account_arn,
                }[kind](org.management, org.org_id, target_id)
                items.append({"TargetId": target_id, "Arn": arn, "Name": name, "Type": kind})
        got, token = page(items, request)
        return {"Targets": got, **token}
