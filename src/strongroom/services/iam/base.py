"""What every family of IAM operations shares: entity lookup, ARNs, pagination, tags."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection, Table, delete, func, insert, select

from strongroom.core.errors import AwsError
from strongroom.iam import directory as d
from strongroom.iam import objects
from strongroom.iam.model import attachments, groups, inline_policies, roles, tags, users
from strongroom.services.base import pages
from strongroom.services.iam.errors import DeleteConflict, InvalidInput, LimitExceeded, NoSuchEntity

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext, ServiceRuntime
    from strongroom.store.engine import Store

T = TypeVar("T")

MAX_TAGS = 50
MAX_ATTACHED = 10  # managed policies per user, group or role (AWS's default quota)


@dataclass(frozen=True, slots=True)
class EntityKind:
    """Users, groups and roles handled alike by the attach/inline/tag operations."""

    type: str  # user | group | role
    table: Table
    label: str  # as in AWS's messages: "user", "group", "role"
    quota: str  # as in LimitExceeded messages: PoliciesPerUser ...


ENTITY = {
    "user": EntityKind("user", users, "user", "User"),
    "group": EntityKind("group", groups, "group", "Group"),
    "role": EntityKind("role", roles, "role", "Role"),
}


def entity_arn(account_id: str, kind: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:{kind}{path}{name}"


def no_such(kind: str, name: str) -> AwsError:
    return NoSuchEntity(f"The {kind} with name {name} cannot be found.")


def _bad_marker() -> AwsError:
    return InvalidInput("Invalid Marker.")


def encode_marker(offset: int) -> str:
    """The Marker of a listing that continues at ``offset`` (services.base.pages encoding)."""
    return pages.encode(offset)


def decode_marker(marker: str | None) -> int:
    """The offset a Marker of ``encode_marker`` names; 0 for none; InvalidInput "Invalid Marker." otherwise."""
    if not marker:
        return 0
    (offset,) = pages.decode(marker, 1, _bad_marker)
    if not isinstance(offset, int) or offset < 0:
        raise _bad_marker()
    return offset


def page(request: dict[str, Any], items: Sequence[T], key: str) -> dict[str, Any]:
    """IAM's Marker/MaxItems/IsTruncated pagination over an already ordered list."""
    start = decode_marker(request.get("Marker"))
    size = int(request.get("MaxItems") or 100)
    chunk = list(items[start : start + size])
    out: dict[str, Any] = {key: chunk, "IsTruncated": start + size < len(items)}
    if out["IsTruncated"]:
        out["Marker"] = encode_marker(start + size)
    return out


def tag_list(values: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in values.items()]


def check_new_tags(new: list[dict[str, str]] | None) -> dict[str, str]:
    """Tags as a dict, refusing keys that repeat regardless of case (as IAM does)."""
    out: dict[str, str] = {}
    seen: set[str] = set()
    for tag in new or []:
        lowered = tag["Key"].lower()
        if lowered in seen:
            raise InvalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
        seen.add(lowered)
        out[tag["Key"]] = tag.get("Value", "")
    if len(out) > MAX_TAGS:
        raise LimitExceeded(f"The number of tags has reached the maximum limit of {MAX_TAGS}.")
    return out


def put_tags(conn: Connection, account_id: str, entity_type: str, entity_key: str, new: dict[str, str]) -> None:
    current = d.entity_tags(conn, account_id, entity_type, entity_key)
    merged_keys = {k.lower() for k in current} | {k.lower() for k in new}
    if len(merged_keys) > MAX_TAGS:
        raise LimitExceeded(f"The number of tags has reached the maximum limit of {MAX_TAGS}.")
    where = (tags.c.account_id == account_id) & (tags.c.entity_type == entity_type) & (tags.c.entity_key == entity_key)
    for key, value in new.items():
        conn.execute(delete(tags).where(where & (tags.c.key_lower == key.lower())))
        conn.execute(
            insert(tags).values(
                account_id=account_id,
                entity_type=entity_type,
                entity_key=entity_key,
                key_lower=key.lower(),
                tag_key=key,
                tag_value=value,
            )
        )


def remove_tags(conn: Connection, account_id: str, entity_type: str, entity_key: str, keys: list[str]) -> None:
    lowered = [k.lower() for k in keys]
    conn.execute(
        delete(tags).where(
            tags.c.account_id == account_id,
            tags.c.entity_type == entity_type,
            tags.c.entity_key == entity_key,
            tags.c.key_lower.in_(lowered),
        )
    )


# The tag trio (Tag*/Untag*/List*Tags) of every taggable entity: ``locate`` finds the entity inside the transaction
# (raising NoSuchEntity as the operation words it) and returns the key its tags are stored under.
Locate = Callable[[Connection], str]


def tag_entity(store: Store, account_id: str, entity_type: str, locate: Locate, tags_: list[dict[str, str]]) -> None:
    new = check_new_tags(tags_)
    with store.write() as conn:
        put_tags(conn, account_id, entity_type, locate(conn), new)


def untag_entity(store: Store, account_id: str, entity_type: str, locate: Locate, keys: list[str]) -> None:
    with store.write() as conn:
        remove_tags(conn, account_id, entity_type, locate(conn), keys)


def list_entity_tags(
    store: Store, account_id: str, entity_type: str, locate: Locate, request: dict[str, Any]
) -> dict[str, Any]:
    with store.read() as conn:
        found = d.entity_tags(conn, account_id, entity_type, locate(conn))
    return page(request, tag_list(found), "Tags")


def drop_all_tags(conn: Connection, account_id: str, entity_type: str, entity_key: str) -> None:
    conn.execute(
        delete(tags).where(
            tags.c.account_id == account_id, tags.c.entity_type == entity_type, tags.c.entity_key == entity_key
        )
    )


def refuse_if_policies_remain(conn: Connection, account_id: str, entity_type: str, entity_key: str) -> None:
    """AWS refuses to delete a user, group or role that still has inline or attached policies."""
    for table, column, message in (
        (inline_policies, inline_policies.c.policy_name, "must delete policies first"),
        (attachments, attachments.c.policy_arn, "must detach all policies first"),
    ):
        remaining = conn.execute(
            select(column).where(
                table.c.account_id == account_id, table.c.entity_type == entity_type, table.c.entity_key == entity_key
            )
        ).first()
        if remaining:
            raise DeleteConflict(f"Cannot delete entity, {message}.")


def attachment_count(conn: Connection, policy_arn: str) -> int:
    return int(conn.execute(select(func.count()).where(attachments.c.policy_arn == policy_arn)).scalar() or 0)


def boundary_count(conn: Connection, policy_arn: str) -> int:
    total = 0
    for table in (users, roles):
        total += int(conn.execute(select(func.count()).where(table.c.permissions_boundary == policy_arn)).scalar() or 0)
    return total


def boundary_shape(arn: str | None) -> dict[str, str] | None:
    if not arn:
        return None
    return {"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": arn}


class IamBase:
    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self.directory = d.Directory(runtime.store)

    def require_user(self, conn: Connection, ctx: RequestContext, name: str) -> d.UserRecord:
        user = d.get_user(conn, ctx.account_id, name)
        if user is None:
            raise no_such("user", name)
        return user

    def require_group(self, conn: Connection, ctx: RequestContext, name: str) -> d.GroupRecord:
        group = d.get_group(conn, ctx.account_id, name)
        if group is None:
            raise no_such("group", name)
        return group

    def require_role(self, conn: Connection, ctx: RequestContext, name: str) -> d.RoleRecord:
        role = d.get_role(conn, ctx.account_id, name)
        if role is None:
            raise no_such("role", name)
        return role

    def require_entity(self, conn: Connection, ctx: RequestContext, kind: str, name: str) -> str:
        """The entity's name as stored (its case), or NoSuchEntity."""
        record: Any
        if kind == "user":
            record = self.require_user(conn, ctx, name)
        elif kind == "group":
            record = self.require_group(conn, ctx, name)
        else:
            record = self.require_role(conn, ctx, name)
        return str(record.name)

    def require_policy(self, conn: Connection, arn: str) -> d.PolicyRecord:
        policy = d.get_policy(conn, arn)
        if policy is None:
            raise NoSuchEntity(f"Policy {arn} was not found.")
        return policy

    def require_attachable(self, conn: Connection, ctx: RequestContext, arn: str) -> d.PolicyRecord:
        policy = d.get_policy(conn, arn)
        if policy is None or policy.account_id != ctx.account_id:
            if not arn.startswith("arn:aws:iam::"):
                raise InvalidInput(f"ARN {arn} is not valid.")
            raise NoSuchEntity(f"Policy {arn} does not exist or is not attachable.")
        return policy


def instance_profiles_of_role(conn: Connection, account_id: str, role_key: str) -> list[objects.Obj]:
    """The instance profiles holding the role (AWS refuses to delete a role still in one)."""
    return [o for o in objects.all_of(conn, account_id, "instance-profile") if role_key in o.data.get("roles", [])]


# A user's other credentials, as DeleteUser's DeleteConflict names them (AWS's order and words).
_USER_CREDENTIALS = (
    ("login", "must delete login profile first"),
    ("mfa", "must delete MFA device first"),
    ("signing-cert", "must delete signing certificates first"),
    ("ssh-key", "must delete SSH public keys first"),
    ("service-cred", "must delete service specific credentials first"),
)


def refuse_if_credentials_remain(conn: Connection, account_id: str, user_key: str) -> None:
    """AWS refuses to delete a user that still has a login profile, an MFA device or other credentials."""
    if objects.get(conn, account_id, "login", user_key) is not None:
        raise DeleteConflict("Cannot delete entity, must delete login profile first.")
    for kind, message in _USER_CREDENTIALS[1:]:
        if any(o.data.get("user_key") == user_key for o in objects.all_of(conn, account_id, kind)):
            raise DeleteConflict(f"Cannot delete entity, {message}.")
