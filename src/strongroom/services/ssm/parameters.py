"""PutParameter, GetParameter(s), DeleteParameter(s): the life of a parameter and its versions."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from strongroom.core.errors import AwsError
from strongroom.services.ssm import model, policies
from strongroom.services.ssm.access import take_prefetched
from strongroom.services.ssm.base import DEFAULT_KEY, SsmBase
from strongroom.services.ssm.errors import (
    HierarchyTypeMismatchException,
    InvalidAllowedPatternException,
    ParameterAlreadyExists,
    ParameterLimitExceeded,
    ParameterMaxVersionLimitExceeded,
    ParameterNotFound,
    ParameterPatternMismatchException,
    ParameterVersionNotFound,
    TooManyUpdates,
    ValidationException,
)
from strongroom.services.ssm.refs import Ref
from strongroom.services.ssm.rules import (
    MAX_VERSIONS,
    TIERS,
    check_data_type,
    check_name,
    check_reference,
    check_tier_change,
    check_value_size,
    choose_tier,
    normalize_name,
    other_spelling,
    parameter_arn,
)

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

DEFAULT_TIER_SETTING = "/ssm/parameter-store/default-parameter-tier"
# Config.extra keys: the per-region parameter quotas (AWS's 10,000 Standard and 100,000 Advanced by default).
LIMIT_SETTINGS = {"Standard": "ssm_standard_parameter_limit", "Advanced": "ssm_advanced_parameter_limit"}


def compile_pattern(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error:
        raise InvalidAllowedPatternException(
            f"The allowed pattern isn't a valid regular expression: {pattern}"
        ) from None


class ParameterOperations(SsmBase):
    # -- PutParameter -------------------------------------------------------------------------------------

    def put_parameter(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name, value = normalize_name(request["Name"]), request["Value"]
        overwrite = bool(request.get("Overwrite"))
        check_name(name, ctx.account_id, ctx.region)
        if value == "":
            raise ValidationException(
                "1 validation error detected: Value '' at 'value' failed to satisfy constraint: Member must have "
                "length greater than or equal to 1."
            )
        if overwrite and request.get("Tags"):
            raise ValidationException(
                "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, "
                "please remove overwrite flag. To update tags for an existing parameter, please use "
                "AddTagsToResource or RemoveTagsFromResource."
            )
        # ``x`` and ``/x`` are one parameter: an update of either spelling updates the one stored.
        ref = Ref(ctx.account_id, ctx.region, self.stored_name(ctx.account_id, ctx.region, name))
        with self.runtime.store.read() as conn:
            current = self.row(conn, ref)
            default_tier = self.setting(conn, ctx.account_id, ctx.region, DEFAULT_TIER_SETTING, "Standard")
            standard_full = current is None and self._count(conn, ctx, "Standard") >= self._limit("Standard")
        if current is not None and not overwrite:
            raise ParameterAlreadyExists(
                "The parameter already exists. To overwrite this request, set the overwrite option in the request "
                "to true."
            )
        parameter_type = request.get("Type") or (current.type if current is not None else None)
        if parameter_type is None:
            raise ValidationException("A parameter type is required when you create a parameter.")
        if current is not None and parameter_type != current.type:
            raise HierarchyTypeMismatchException(
                "Parameter Store doesn't support changing a parameter type in a hierarchy. For example, you can't "
                "change a parameter from a String type to a SecureString type. You must create a new, unique "
                "parameter."
            )
        key_id = request.get("KeyId")
        if key_id is not None and parameter_type != "SecureString":
            raise ValidationException("KeyId is required for SecureString type parameter only.")
        if parameter_type == "SecureString" and key_id is None:
            key_id = current.key_id if current is not None and current.key_id else DEFAULT_KEY

        def kept(field: str, column: str) -> Any:
            return request[field] if field in request else (getattr(current, column) if current is not None else None)

        description = kept("Description", "description")
        allowed_pattern = kept("AllowedPattern", "allowed_pattern")
        data_type = request.get("DataType") or (current.data_type if current is not None else "text")
        if allowed_pattern and compile_pattern(allowed_pattern).fullmatch(value) is None:
            raise ParameterPatternMismatchException(
                f"Parameter value, cannot be validated against allowedPattern: {allowed_pattern}"
            )
        check_data_type(data_type, parameter_type, value, name)

        now = ctx.now()
        if "Policies" in request:
            new_policies = policies.parse_policies(request["Policies"], now)
        else:
            new_policies = policies.carried_over(json.loads(current.policies or "[]")) if current is not None else []
        requested_tier = request.get("Tier") or (current.tier if current is not None else default_tier)
        tier = choose_tier(
            requested_tier, value, bool(new_policies), current.tier if current is not None else None, standard_full
        )
        check_tier_change(current.tier if current is not None else None, tier)
        check_value_size(value, tier)
        if new_policies and not TIERS[tier].policies:
            raise ValidationException(
                "Parameter policies are supported only for parameters in the advanced-parameter tier. Change the "
                "tier to Advanced or Intelligent-Tiering and try again."
            )
        if current is None or current.tier != tier:
            with self.runtime.store.read() as conn:
                if self._count(conn, ctx, tier) >= self._limit(tier):
                    raise ParameterLimitExceeded(
                        "You have exceeded the number of parameters for this AWS account. Delete unused parameters "
                        "in order to create new parameters."
                    )
        arn = parameter_arn(ctx.account_id, ctx.region, name)
        stored = self.encrypt(ctx, arn, key_id, value) if parameter_type == "SecureString" else value
        row = {
            "type": parameter_type,
            "key_id": key_id,
            "tier": tier,
            "data_type": data_type,
            "description": description,
            "allowed_pattern": allowed_pattern,
            "policies": json.dumps(new_policies) if new_policies else None,
            "modified_at": now,
            "modified_user": ctx.principal.arn,
        }
        try:
            with self.runtime.store.write() as conn:
                version = self._write_version(conn, ref, current, arn, stored, row, request.get("Tags") or [])
                self._schedule_policies(conn, ref, new_policies, now)
        except IntegrityError:
            raise TooManyUpdates(
                "There are concurrent updates for a resource that supports one update at a time."
            ) from None
        self.changed(ref, "Update" if current is not None else "Create", parameter_type, description)
        return {"Version": version, "Tier": tier}

    def _write_version(
        self,
        conn: Connection,
        ref: Ref,
        current: Row[Any] | None,
        arn: str,
        stored: str,
        row: dict[str, Any],
        tags: list[dict[str, str]],
    ) -> int:
        p, v = model.parameters, model.versions
        latest = self.row(conn, ref)
        if (latest is None) != (current is None) or (
            latest is not None and current is not None and latest.version != current.version
        ):
            raise TooManyUpdates("There are concurrent updates for a resource that supports one update at a time.")
        key = {"account_id": ref.account_id, "region": ref.region, "name": ref.name}
        if latest is None:
            version = 1
            conn.execute(p.insert().values(**key, arn=arn, version=version, **row))
            for tag in tags:
                conn.execute(model.tags.insert().values(**key, tag_key=tag["Key"], tag_value=tag["Value"]))
        else:
            version = latest.version + 1
            history = self.version_rows(conn, ref)
            if len(history) >= MAX_VERSIONS:
                oldest = history[0]
                if json.loads(oldest.labels):
                    raise ParameterMaxVersionLimitExceeded(
                        f"You attempted to create a new version of {ref.name} by calling the PutParameter API with "
                        f"the overwrite flag. Version {oldest.version}, the oldest version, can't be deleted because "
                        "it has a label associated with it. Move the label to another version of the parameter, "
                        "and try again."
                    )
                conn.execute(delete(v).where(*self._where(v, ref), v.c.version <= oldest.version))
            conn.execute(
                update(p).where(*self._where(p, ref), p.c.version == latest.version).values(version=version, **row)
            )
        conn.execute(v.insert().values(**key, version=version, value=stored, labels="[]", **row))
        return version

    def _schedule_policies(self, conn: Connection, ref: Ref, stored: list[dict[str, Any]], now: Any) -> None:
        key = policies.job_key(ref.account_id, ref.region, ref.name)
        due = policies.next_due(stored, now)
        if due is None:
            self.runtime.scheduler.cancel(policies.JOB_KIND, key, conn=conn)
            return
        payload = {"account": ref.account_id, "region": ref.region, "name": ref.name}
        self.runtime.scheduler.schedule(policies.JOB_KIND, key, due, payload, conn=conn)

    def _count(self, conn: Connection, ctx: RequestContext, tier: str) -> int:
        p = model.parameters
        query = select(func.count()).where(p.c.account_id == ctx.account_id, p.c.region == ctx.region, p.c.tier == tier)
        return int(conn.execute(query).scalar_one())

    def _limit(self, tier: str) -> int:
        configured = self.runtime.config.extra.get(LIMIT_SETTINGS[tier])
        return int(configured) if configured else TIERS[tier].max_parameters

    # -- reading ------------------------------------------------------------------------------------------

    def parameter_view(self, ctx: RequestContext, raw: str, decrypt: bool) -> dict[str, Any]:
        """One parameter as GetParameter/GetParameters answer it (public, Secrets Manager reference or stored)."""
        prefetched, version = take_prefetched(ctx, raw)
        if prefetched and version is not None:
            return self.view(ctx, Ref(ctx.account_id, ctx.region, raw), version, decrypt)
        if prefetched and other_spelling(raw) == raw:
            raise ParameterNotFound("")
        # Not prefetched, or a one-level name that may be stored in its other spelling (``x`` for ``/x``).
        ref = self.ref(ctx, raw)
        if self.public.is_public(ref.name):
            return self.public.public_parameter(ctx, ref)
        if self.public.is_secret_reference(ref.name):
            return self.public.secret_reference(ctx, ref, decrypt)
        self.check_shared(ctx, ref)
        with self.runtime.store.read() as conn:
            version = self.select_version(conn, ref)
        return self.view(ctx, ref, version, decrypt)

    def get_parameter(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.throttle(ctx)
        raw = request["Name"]
        if not raw.startswith(("arn:", "/aws/")):  # ARNs, public parameters and secret references aside
            check_reference(raw.partition(":")[0])
        return {"Parameter": self.parameter_view(ctx, raw, bool(request.get("WithDecryption")))}

    def get_parameters(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.throttle(ctx)
        decrypt = bool(request.get("WithDecryption"))
        found: list[dict[str, Any]] = []
        invalid: list[str] = []
        for raw in dict.fromkeys(request["Names"]):
            try:
                found.append(self.parameter_view(ctx, raw, decrypt))
            except AwsError as exc:
                if exc.code not in (ParameterNotFound.code, ParameterVersionNotFound.code):
                    raise
                invalid.append(raw)
        return {"Parameters": found, "InvalidParameters": invalid}

    # -- deleting -----------------------------------------------------------------------------------------

    def delete_parameter(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        ref = self.ref(ctx, request["Name"])
        if ref.account_id != ctx.account_id or ref.selector is not None:
            raise ParameterNotFound("")
        with self.runtime.store.write() as conn:
            row = self.remove(conn, ref)
        if row is None:
            raise ParameterNotFound("")
        self.changed(ref, "Delete", row.type, row.description)
        return {}

    def delete_parameters(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        deleted: list[str] = []
        invalid: list[str] = []
        for raw in dict.fromkeys(request["Names"]):
            try:
                self.delete_parameter(ctx, {"Name": raw})
                deleted.append(raw)
            except AwsError as exc:
                if exc.code != ParameterNotFound.code:
                    raise
                invalid.append(raw)
        return {"DeletedParameters": deleted, "InvalidParameters": invalid}
