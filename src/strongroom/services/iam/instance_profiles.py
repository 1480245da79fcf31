"""Instance profiles: containers for one role that EC2 passes to instances (``iam_objects`` kind
``instance-profile``, keyed by name_key; ``data["roles"]`` holds the role's name_key)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from strongroom.core import ids
from strongroom.iam import directory as d
from strongroom.iam import objects
from strongroom.services.iam.base import (
    IamBase,
    check_new_tags,
    drop_all_tags,
    instance_profiles_of_role,
    list_entity_tags,
    page,
    put_tags,
    tag_entity,
    tag_list,
    untag_entity,
)
from strongroom.services.iam.errors import DeleteConflict, EntityAlreadyExists, LimitExceeded, NoSuchEntity
from strongroom.services.iam.roles import role_shape

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from strongroom.services.base.runtime import RequestContext

KIND = "instance-profile"
TAGS = "instprof"  # its tags' entity_type (iam_tags keeps 8 characters)
ROLES_PER_PROFILE = 1  # AWS's fixed quota


class InstanceProfileOperations(IamBase):
    def _profile(self, conn: Connection, ctx: RequestContext, name: str) -> objects.Obj:
        found = objects.get(conn, ctx.account_id, KIND, name.lower())
        if found is None:
            raise NoSuchEntity(f"Instance Profile {name} cannot be found.")
        return found

    def _profile_shape(
        self, conn: Connection, ctx: RequestContext, found: objects.Obj, *, tags_: bool = False
    ) -> dict[str, Any]:
        data = found.data
        roles = []
        for key in data.get("roles", []):
            role = d.get_role(conn, ctx.account_id, key)
            if role is not None:
                roles.append(role_shape(role))
        out: dict[str, Any] = {
            "Path": data["path"],
            "InstanceProfileName": data["name"],
            "InstanceProfileId": data["id"],
            "Arn": data["arn"],
            "CreateDate": found.created_at,
            "Roles": roles,
        }
        if tags_:
            found_tags = d.entity_tags(conn, ctx.account_id, TAGS, found.key)
            if found_tags:
                out["Tags"] = tag_list(found_tags)
        return out

    def create_instance_profile(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name, path = request["InstanceProfileName"], request.get("Path", "/")
        new_tags = check_new_tags(request.get("Tags"))
        with self.runtime.store.write() as conn:
            if objects.get(conn, ctx.account_id, KIND, name.lower()) is not None:
                raise EntityAlreadyExists(f"Instance Profile {name} already exists.")
            data = {
                "name": name,
                "path": path,
                "id": ids.unique_id("AIPA"),
                "arn": f"arn:aws:iam::{ctx.account_id}:instance-profile{path}{name}",
                "roles": [],
            }
            objects.put(conn, ctx.account_id, KIND, name.lower(), data)
            put_tags(conn, ctx.account_id, TAGS, name.lower(), new_tags)
            out = self._profile_shape(conn, ctx, self._profile(conn, ctx, name), tags_=True)
        return {"InstanceProfile": out}

    def get_instance_profile(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            out = self._profile_shape(conn, ctx, self._profile(conn, ctx, request["InstanceProfileName"]), tags_=True)
        return {"InstanceProfile": out}

    def list_instance_profiles(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        prefix = request.get("PathPrefix", "/")
        with self.runtime.store.read() as conn:
            items = [
                self._profile_shape(conn, ctx, o)
                for o in objects.all_of(conn, ctx.account_id, KIND)
                if o.data["path"].startswith(prefix)
            ]
        return page(request, items, "InstanceProfiles")

    def list_instance_profiles_for_role(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            role = self.require_role(conn, ctx, request["RoleName"])
            items = [
                self._profile_shape(conn, ctx, o)
                for o in instance_profiles_of_role(conn, ctx.account_id, role.name.lower())
            ]
        return page(request, items, "InstanceProfiles")

    def delete_instance_profile(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = request["InstanceProfileName"]
        with self.runtime.store.write() as conn:
            found = self._profile(conn, ctx, name)
            if found.data.get("roles"):
                raise DeleteConflict("Cannot delete entity, must remove roles from instance profile first.")
            objects.remove(conn, ctx.account_id, KIND, found.key)
            drop_all_tags(conn, ctx.account_id, TAGS, found.key)
        return {}

    def add_role_to_instance_profile(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = request["InstanceProfileName"]
        with self.runtime.store.write() as conn:
            found = self._profile(conn, ctx, name)
            role = self.require_role(conn, ctx, request["RoleName"])
            current = list(found.data.get("roles", []))
            if role.name.lower() in current:
                raise EntityAlreadyExists(f"Role {role.name} is already associated with instance profile {name}.")
            if len(current) >= ROLES_PER_PROFILE:
                raise LimitExceeded(f"Cannot exceed quota for InstanceSessionsPerInstanceProfile: {ROLES_PER_PROFILE}")
            objects.put(conn, ctx.account_id, KIND, found.key, {**found.data, "roles": [*current, role.name.lower()]})
        return {}

    def remove_role_from_instance_profile(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = request["InstanceProfileName"]
        with self.runtime.store.write() as conn:
            found = self._profile(conn, ctx, name)
            role = self.require_role(conn, ctx, request["RoleName"])
            current = list(found.data.get("roles", []))
            if role.name.lower() not in current:
                raise NoSuchEntity(f"The role with name {role.name} cannot be found in instance profile {name}.")
            current.remove(role.name.lower())
            objects.put(conn, ctx.account_id, KIND, found.key, {**found.data, "roles": current})
        return {}

    def _locate(self, ctx: RequestContext, name: str) -> Any:
        return lambda conn: self._profile(conn, ctx, name).key

    def tag_instance_profile(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        tag_entity(
            self.runtime.store, ctx.account_id, TAGS, self._locate(ctx, request["InstanceProfileName"]), request["Tags"]
        )
        return {}

    def untag_instance_profile(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        untag_entity(
            self.runtime.store,
            ctx.account_id,
            TAGS,
            self._locate(ctx, request["InstanceProfileName"]),
            request["TagKeys"],
        )
        return {}

    def list_instance_profile_tags(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return list_entity_tags(
            self.runtime.store, ctx.account_id, TAGS, self._locate(ctx, request["InstanceProfileName"]), request
        )
