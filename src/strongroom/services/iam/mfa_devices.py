"""Virtual MFA devices: created with a TOTP seed (sealed at rest), enabled for a user with two consecutive codes,
resynchronized, deactivated, deleted, listed and tagged. GetSessionToken checks their codes (``iam/mfa.py``)."""

from __future__ import annotations

import io
from datetime import datetime
from typing import TYPE_CHECKING, Any

from strongroom.core.clock import clock
from strongroom.iam import directory as d
from strongroom.iam import objects, totp
from strongroom.services.iam.base import (
    IamBase,
    check_new_tags,
    drop_all_tags,
    list_entity_tags,
    page,
    put_tags,
    tag_entity,
    tag_list,
    untag_entity,
)
from strongroom.services.iam.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    InvalidAuthenticationCode,
    NoSuchEntity,
    ValidationError,
)
from strongroom.services.iam.users import user_shape

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from strongroom.services.base.runtime import RequestContext


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _qr_png(uri: str) -> bytes:
    import segno  # with the first virtual MFA device's QR code, not in every server process

    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="png", scale=4)
    return out.getvalue()


class MfaOperations(IamBase):
    def _device(self, conn: Connection, ctx: RequestContext, serial: str) -> objects.Obj:
        found = objects.get(conn, ctx.account_id, "mfa", serial)
        if found is None:
            raise NoSuchEntity(f"VirtualMFADevice with serial number {serial} doesn't exist.")
        return found

    def create_virtual_mfa_device(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        path = request.get("Path", "/")
        name = request["VirtualMFADeviceName"]
        serial = f"arn:aws:iam::{ctx.account_id}:mfa{path}{name}"
        new_tags = check_new_tags(request.get("Tags"))
        seed = totp.new_seed()
        with self.runtime.store.write() as conn:
            if objects.get(conn, ctx.account_id, "mfa", serial) is not None:
                raise EntityAlreadyExists("MFADevice entity at the same path and name already exists.")
            objects.put(
                conn, ctx.account_id, "mfa", serial, {"name": name, "path": path}, secret=seed, seal=self.runtime.seal
            )
            put_tags(conn, ctx.account_id, "mfa", serial, new_tags)
        uri = totp.otpauth_uri(seed, f"{name}@{ctx.account_id}")
        device: dict[str, Any] = {
            "SerialNumber": serial,
            "Base32StringSeed": totp.base32(seed).encode(),
            "QRCodePNG": _qr_png(uri),
        }
        if new_tags:
            device["Tags"] = tag_list(new_tags)
        return {"VirtualMFADevice": device}

    def _codes(self, conn: Connection, ctx: RequestContext, found: objects.Obj, request: dict[str, Any]) -> int:
        seed = objects.secret(self.runtime.seal, found)
        assert seed is not None
        step = totp.verify_consecutive(
            seed, request["AuthenticationCode1"], request["AuthenticationCode2"], clock.time()
        )
        if step is None:
            raise InvalidAuthenticationCode("Authentication code for device is not valid.")
        return step

    def enable_mfa_device(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        serial = request["SerialNumber"]
        with self.runtime.store.write() as conn:
            user = self.require_user(conn, ctx, request["UserName"])
            found = self._device(conn, ctx, serial)
            if found.data.get("enabled_at"):
                raise EntityAlreadyExists("MFA Device is already in use.")
            step = self._codes(conn, ctx, found, request)
            data = {
                **found.data,
                "user_key": user.name.lower(),
                "enabled_at": ctx.now().replace(microsecond=0).isoformat(),
                "last_step": step,
            }
            objects.put(conn, ctx.account_id, "mfa", serial, data)
        return {}

    def _assigned(self, conn: Connection, ctx: RequestContext, serial: str, user_name: str | None) -> objects.Obj:
        found = objects.get(conn, ctx.account_id, "mfa", serial)
        wanted = user_name.lower() if user_name else None
        if found is None or not found.data.get("enabled_at") or (wanted and found.data.get("user_key") != wanted):
            raise NoSuchEntity(f"MFA Device with serial number {serial} does not exist.")
        return found

    def resync_mfa_device(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        serial = request["SerialNumber"]
        with self.runtime.store.write() as conn:
            self.require_user(conn, ctx, request["UserName"])
            found = self._assigned(conn, ctx, serial, request["UserName"])
            step = self._codes(conn, ctx, found, request)
            objects.put(conn, ctx.account_id, "mfa", serial, {**found.data, "last_step": step})
        return {}

    def deactivate_mfa_device(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        serial = request["SerialNumber"]
        user_name = request.get("UserName") or ctx.principal.user_name
        with self.runtime.store.write() as conn:
            if user_name:
                self.require_user(conn, ctx, user_name)
            found = self._assigned(conn, ctx, serial, user_name)
            data = {k: v for k, v in found.data.items() if k not in ("user_key", "enabled_at", "last_step")}
            objects.put(conn, ctx.account_id, "mfa", serial, data)
        return {}

    def delete_virtual_mfa_device(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        serial = request["SerialNumber"]
        with self.runtime.store.write() as conn:
            found = self._device(conn, ctx, serial)
            if found.data.get("enabled_at"):
                raise DeleteConflict("MFA Device is still in use")
            objects.remove(conn, ctx.account_id, "mfa", serial)
            drop_all_tags(conn, ctx.account_id, "mfa", serial)
        return {}

    def _user_of(self, conn: Connection, ctx: RequestContext, found: objects.Obj) -> d.UserRecord | None:
        key = found.data.get("user_key")
        return d.get_user(conn, ctx.account_id, key) if key else None

    def list_mfa_devices(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        user_name = request.get("UserName") or ctx.principal.user_name
        with self.runtime.store.read() as conn:
            if user_name:
                user = self.require_user(conn, ctx, user_name)
                owner = user.name.lower()
            else:
                # the root user's devices (AWS lists those assigned to the calling root user)
                raise ValidationError("Must specify userName when calling with non-User credentials")
            devices = [o for o in objects.all_of(conn, ctx.account_id, "mfa") if o.data.get("user_key") == owner]
        items = [
            {"UserName": user.name, "SerialNumber": o.key, "EnableDate": _when(o.data["enabled_at"])} for o in devices
        ]
        return page(request, items, "MFADevices")

    def get_mfa_device(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        serial = request["SerialNumber"]
        with self.runtime.store.read() as conn:
            found = self._assigned(conn, ctx, serial, request.get("UserName"))
            user = self._user_of(conn, ctx, found)
        return {
            "UserName": user.name if user else None,
            "SerialNumber": serial,
            "EnableDate": _when(found.data["enabled_at"]),
        }

    def list_virtual_mfa_devices(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        status = request.get("AssignmentStatus", "Any")
        with self.runtime.store.read() as conn:
            items = []
            for o in objects.all_of(conn, ctx.account_id, "mfa"):
                assigned = bool(o.data.get("enabled_at"))
                if (status == "Assigned" and not assigned) or (status == "Unassigned" and assigned):
                    continue
                item: dict[str, Any] = {"SerialNumber": o.key}
                if assigned:
                    user = self._user_of(conn, ctx, o)
                    if user is not None:
                        item["User"] = user_shape(user)
                    item["EnableDate"] = _when(o.data["enabled_at"])
                tags_ = d.entity_tags(conn, ctx.account_id, "mfa", o.key)
                if tags_:
                    item["Tags"] = tag_list(tags_)
                items.append(item)
        return page(request, items, "VirtualMFADevices")

    def tag_mfa_device(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        serial = request["SerialNumber"]
        tag_entity(
            self.runtime.store, ctx.account_id, "mfa", lambda c: self._device(c, ctx, serial).key, request["Tags"]
        )
        return {}

    def untag_mfa_device(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        serial = request["SerialNumber"]
        untag_entity(
            self.runtime.store, ctx.account_id, "mfa", lambda c: self._device(c, ctx, serial).key, request["TagKeys"]
        )
        return {}

    def list_mfa_device_tags(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        serial = request["SerialNumber"]
        return list_entity_tags(
            self.runtime.store, ctx.account_id, "mfa", lambda c: self._device(c, ctx, serial).key, request
        )
