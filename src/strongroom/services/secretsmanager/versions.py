"""Versions and their values: PutSecretValue, GetSecretValue, BatchGetSecretValue, ListSecretVersionIds and
UpdateSecretVersionStage (staging labels)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select, update

from strongroom.core.errors import AwsError
from strongroom.services.secretsmanager import events, model, values, writes
from strongroom.services.secretsmanager.access import take_lookup
from strongroom.services.secretsmanager.base import (
    CURRENT,
    Secret,
    SecretsBase,
    Version,
    check_secret_id,
    iso_day,
    load_versions,
    lookup_value,
    move_labels,
    write_stages,
)
from strongroom.services.secretsmanager.errors import (
    InvalidParameterException,
    InvalidRequestException,
    ResourceNotFoundException,
)
from strongroom.services.secretsmanager.secrets import matches, page

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext


def pick_version(versions: list[Version], version_id: str | None, stage: str | None) -> Version:
    """The version GetSecretValue means: by id, by label (AWSCURRENT by default), or both agreeing."""
    if version_id:
        found = next((v for v in versions if v.version_id == version_id), None)
        if found is None or found.empty:
            raise ResourceNotFoundException(
                f"Secrets Manager can't find the specified secret value for VersionId: {version_id}"
            )
        if stage and stage not in found.stages:
            raise InvalidRequestException(
                "You provided a VersionStage that is not associated to the provided VersionId."
            )
        return found
    label = stage or CURRENT
    found = next((v for v in versions if label in v.stages), None)
    if found is None or found.empty:
        raise ResourceNotFoundException(
            f"Secrets Manager can't find the specified secret value for staging label: {label}"
        )
    return found


def _fast_pick(candidates: list[Version], version_id: str | None, stage: str | None) -> Version | None:
    """``pick_version`` over the candidates, or None when they cannot answer (the full read then decides)."""
    if not candidates:
        return None
    try:
        return pick_version(candidates, version_id, stage)
    except ResourceNotFoundException:
        return None


_TOUCH_SECRET = (
    update(model.secrets).where(model.secrets.c.arn == bindparam("b_arn")).values(last_accessed_at=bindparam("b_now"))
)
_TOUCH_VERSION = (
    update(model.versions)
    .where((model.versions.c.arn == bindparam("b_arn")) & (model.versions.c.version_id == bindparam("b_vid")))
    .values(last_accessed_at=bindparam("b_now"))
)


class VersionOperations(SecretsBase):
    def put_secret_value(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        secret = self.secret(ctx, request.get("SecretId"), write=True)
        value = writes.value_of(request, required=True)
        assert value is not None
        token = writes.token_of(request)
        labels = request.get("VersionStages")
        same = writes.existing_same(ctx, secret, token, *value)
        if same is True:
            with self.runtime.store.read() as conn:
                stages = next(v.stages for v in load_versions(conn, secret.arn) if v.version_id == token)
        else:
            stages, moved = writes.insert_version(ctx, secret, token, value[0], value[1], labels, fill=same is False)
            events.label_updated(self.runtime, ctx.account_id, ctx.region, secret.arn, secret.name, moved, token)
            self.after_write(ctx, secret.arn)
        return {"ARN": secret.arn, "Name": secret.name, "VersionId": token, "VersionStages": stages}

    def read_value(
        self,
        ctx: RequestContext,
        secret: Secret,
        version_id: str | None,
        stage: str | None,
        candidates: list[Version] | None = None,
    ) -> dict[str, Any]:
        """One secret's value as GetSecretValue answers it; notes the access (to the day, as AWS reports it).

        ``candidates`` are the versions ``lookup_value`` read; when they do not answer, every version is read
        so that the answer (or AWS's error) is the one ``pick_version`` gives.
        """
        version = _fast_pick(candidates or [], version_id, stage)
        if version is None:
            with self.runtime.store.read() as conn:
                versions = load_versions(conn, secret.arn)
            version = pick_version(versions, version_id, stage)
        plaintext = values.decrypt(ctx, version)
        self._note_access(ctx, secret, version)
        out: dict[str, Any] = {"ARN": secret.arn, "Name": secret.name, "VersionId": version.version_id}
        if version.binary:
            out["SecretBinary"] = plaintext
        else:
            out["SecretString"] = plaintext.decode()
        out["VersionStages"] = version.stages
        out["CreatedDate"] = version.created_at
        return out

    def _note_access(self, ctx: RequestContext, secret: Secret, version: Version) -> None:
        """At most one write per secret and version per day: reads stay read-only transactions."""
        today = iso_day(ctx.now())
        if iso_day(secret.last_accessed_at) == today and iso_day(version.last_accessed_at) == today:
            return
        params = {"b_arn": secret.arn, "b_vid": version.version_id, "b_now": ctx.now()}
        with self.runtime.store.write() as conn:
            conn.execute(_TOUCH_SECRET, params)
            conn.execute(_TOUCH_VERSION, params)

    def _lookup(
        self, ctx: RequestContext, secret_id: str, version_id: str | None, stage: str | None
    ) -> tuple[Secret, list[Version]]:
        """The secret (if GetSecretValue may read it) and candidate versions, read once per request."""
        found = take_lookup(ctx, secret_id, version_id, stage)
        if found is None:
            check_secret_id(secret_id)
            with self.runtime.store.read() as conn:
                found = lookup_value(conn, ctx.account_id, ctx.region, secret_id, version_id, stage)
        return self.usable(found.secret), found.candidates

    def get_secret_value(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        secret_id = request.get("SecretId")
        if not secret_id:
            raise InvalidParameterException("Invalid parameter: SecretId is required.")
        version_id, stage = request.get("VersionId"), request.get("VersionStage")
        secret, candidates = self._lookup(ctx, secret_id, version_id, stage)
        return self.read_value(ctx, secret, version_id, stage, candidates)

    def batch_get_secret_value(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        ids, filters = request.get("SecretIdList"), request.get("Filters")
        if (ids is None) == (filters is None):
            raise InvalidParameterException("Either 'SecretIdList' or 'Filters' must be provided, but not both.")
        if ids is not None and request.get("MaxResults") is not None:
            raise InvalidParameterException("'Filters' must be provided with 'MaxResults'.")
        token: str | None = None
        if filters is not None:
            s = model.secrets.c
            with self.runtime.store.read() as conn:
                rows = conn.execute(
                    select(model.secrets)
                    .where((s.account_id == ctx.account_id) & (s.region == ctx.region) & s.deletion_date.is_(None))
                    .order_by(s.created_at, s.name)  # oldest first, as ListSecrets
                ).all()
            chosen = [x.arn for x in (Secret.of(r) for r in rows) if matches(list(filters), x)]
            ids, token = page(chosen, request, 20)
        results: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for secret_id in ids or []:
            try:
                self._authorize_get(ctx, secret_id)
                # the sub-context shares ctx.extras, so the read the check made is taken here (or redone)
                secret, candidates = self._lookup(ctx, secret_id, None, None)
                results.append(self.read_value(ctx, secret, None, None, candidates))
            except AwsError as exc:
                errors.append({"SecretId": secret_id, "ErrorCode": exc.code, "Message": exc.message})
        out: dict[str, Any] = {"SecretValues": results, "Errors": errors}
        if token:
            out["NextToken"] = token
        return out

    def _authorize_get(self, ctx: RequestContext, secret_id: str) -> None:
        """BatchGetSecretValue needs secretsmanager:GetSecretValue on each secret, answered per secret."""
        sub = dataclasses.replace(ctx, operation="GetSecretValue")
        operation = self.runtime.catalog.service("secretsmanager").operation_model("GetSecretValue")
        self.runtime.authorize(sub, operation, {"SecretId": secret_id})

    def list_secret_version_ids(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        secret = self.secret(ctx, request.get("SecretId"), deleted_ok=True)
        with self.runtime.store.read() as conn:
            versions = load_versions(conn, secret.arn)
        if not request.get("IncludeDeprecated"):
            versions = [v for v in versions if v.stages]
        versions.reverse()
        chunk, token = page(versions, request, 100)
        entries: list[dict[str, Any]] = []
        for v in chunk:
            entry: dict[str, Any] = {"VersionId": v.version_id, "VersionStages": v.stages, "CreatedDate": v.created_at}
            if v.last_accessed_at:
                entry["LastAccessedDate"] = iso_day(v.last_accessed_at)
            entry["KmsKeyIds"] = [v.kms_key_arn]
            entries.append(entry)
        out: dict[str, Any] = {"Versions": entries, "ARN": secret.arn, "Name": secret.name}
        if token:
            out["NextToken"] = token
        return out

    def update_secret_version_stage(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        secret = self.secret(ctx, request.get("SecretId"), write=True)
        label = request["VersionStage"]
        remove, move = request.get("RemoveFromVersionId"), request.get("MoveToVersionId")
        moved: list[str] = []
        with self.runtime.store.write() as conn:
            versions = {v.version_id: list(v.stages) for v in load_versions(conn, secret.arn)}
            holder = next((vid for vid, st in versions.items() if label in st), None)
            for vid in (remove, move):
                if vid and vid not in versions:
                    raise ResourceNotFoundException(f"Secrets Manager can't find the specified secret version: {vid}")
            if remove and label not in versions[remove]:
                raise InvalidParameterException(
                    f"The staging label {label} is not attached to the version {remove}; "
                    "you can't remove it from that version."
                )
            if move:
                if holder is not None and holder != move and remove != holder:
                    raise InvalidParameterException(
                        f"The parameter RemoveFromVersionId can't be empty. Staging label {label} is currently "
                        f"attached to version {holder}, so you must explicitly reference that version in "
                        "RemoveFromVersionId."
                    )
                moved = move_labels(conn, secret.arn, move, [label])
            elif remove:
                if label == CURRENT:
                    raise InvalidParameterException(
                        "You can only move staging label AWSCURRENT to a different secret version. It can't be "
                        "completely removed."
                    )
                versions[remove].remove(label)
                write_stages(conn, secret.arn, versions)
            else:
                raise InvalidParameterException("You must specify RemoveFromVersionId or MoveToVersionId.")
            self.touch_changed(conn, secret.arn)
        if move and moved:
            events.label_updated(self.runtime, ctx.account_id, ctx.region, secret.arn, secret.name, moved, move)
        self.after_write(ctx, secret.arn)
        return {"ARN": secret.arn, "Name": secret.name}
