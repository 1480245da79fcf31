"""Get/Update/ResetServiceSetting for Parameter Store's two settings, per account and region."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from strongroom.services.ssm import model
from strongroom.services.ssm.base import SsmBase
from strongroom.services.ssm.errors import ServiceSettingNotFound, ValidationException

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

# setting id -> (default, allowed values)
SETTINGS: dict[str, tuple[str, tuple[str, ...]]] = {
    "/ssm/parameter-store/default-parameter-tier": ("Standard", ("Standard", "Advanced", "Intelligent-Tiering")),
    "/ssm/parameter-store/high-throughput-enabled": ("false", ("true", "false")),
}
_DEFAULT_SINCE = datetime(2018, 1, 1, tzinfo=UTC)


class SettingOperations(SsmBase):
    def _setting_id(self, ctx: RequestContext, raw: str) -> str:
        setting_id = raw
        if raw.startswith("arn:"):
            parts = raw.split(":", 5)
            resource = parts[5] if len(parts) == 6 else ""
            setting_id = resource[len("servicesetting") :] if resource.startswith("servicesetting/") else raw
        if setting_id not in SETTINGS:
            raise ServiceSettingNotFound(f"The service setting {raw} was not found.")
        return setting_id

    def _describe(self, ctx: RequestContext, setting_id: str) -> dict[str, Any]:
        s = model.service_settings
        with self.runtime.store.read() as conn:
            row = conn.execute(
                select(s).where(
                    s.c.account_id == ctx.account_id, s.c.region == ctx.region, s.c.setting_id == setting_id
                )
            ).one_or_none()
        default = SETTINGS[setting_id][0]
        return {
            "SettingId": setting_id,
            "SettingValue": default if row is None else row.value,
            "LastModifiedDate": _DEFAULT_SINCE if row is None else row.modified_at,
            "LastModifiedUser": "System" if row is None else row.modified_user,
            "ARN": ctx.arn("ssm", "servicesetting" + setting_id),
            "Status": "Default" if row is None else "Customized",
        }

    def get_service_setting(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return {"ServiceSetting": self._describe(ctx, self._setting_id(ctx, request["SettingId"]))}

    def update_service_setting(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        setting_id = self._setting_id(ctx, request["SettingId"])
        value = request["SettingValue"]
        allowed = SETTINGS[setting_id][1]
        if value not in allowed:
            raise ValidationException(
                f"Invalid setting value {value} for {setting_id}. Valid values: {', '.join(allowed)}."
            )
        s = model.service_settings
        key = {"account_id": ctx.account_id, "region": ctx.region, "setting_id": setting_id}
        with self.runtime.store.write() as conn:
            conn.execute(delete(s).where(*[s.c[k] == v for k, v in key.items()]))
            conn.execute(s.insert().values(**key, value=value, modified_at=ctx.now(), modified_user=ctx.principal.arn))
        return {}

    def reset_service_setting(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        setting_id = self._setting_id(ctx, request["SettingId"])
        s = model.service_settings
        with self.runtime.store.write() as conn:
            conn.execute(
                delete(s).where(
                    s.c.account_id == ctx.account_id, s.c.region == ctx.region, s.c.setting_id == setting_id
                )
            )
        return {"ServiceSetting": self._describe(ctx, setting_id)}
